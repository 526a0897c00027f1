#!/bin/sh
# check_no_fma.sh OBJDUMP FILE... - fails if any object in FILE (objects or
# archives) holds a fused multiply-add instruction.
#
# Rule 1 of doc/determinism.md: a*b + c is a multiply rounded, then an add
# rounded. GCC contracts it into one fused instruction (x86 vfmadd*, AArch64
# fmadd/fmla...) unless told -ffp-contract=off, and clang does so on AArch64
# by default too; a fused result is rounded once and differs in the last bit
# from the machines that did not fuse. The build passes -ffp-contract=off and
# no source uses an FMA intrinsic; this scan checks the generated code, so a
# file built without the flag, or an intrinsic added by mistake, is caught.
set -eu
objdump=$1
shift
# x86: vfmadd132ps, vfnmsub231sd...; AArch64: fmadd, fmsub, fnmadd, fnmsub, fmla, fmls (scalar,
# vector and by-element forms) and bfmlal*
pattern='[[:space:]](vf(n)?m(add|sub|addsub|subadd)[0-9a-z]*|fn?m(add|sub)|fml[as][a-z0-9]*|bfml[a-z0-9]*)[[:space:]]'
found=0
for f in "$@"; do
    n=$("$objdump" -d "$f" | grep -cE "$pattern" || true)
    if [ "$n" -ne 0 ]; then
        echo "check_no_fma: $f: $n fused multiply-add instruction(s):" >&2
        "$objdump" -d "$f" | grep -E "$pattern" | head -5 >&2
        found=1
    else
        echo "ok: $f: no fused multiply-add instruction"
    fi
done
exit $found
