#!/bin/sh
# check_symbols.sh LIB... - every symbol a library exports is public API.
#
# A static archive exports its defined global symbols, a shared library its
# dynamic symbol table. Both must hold llamazip_* names only (the functions
# of include/llamazip.h), and every function the header declares must be
# there: internal names (gguf_*, lz_*...) would clash with other libraries
# linked beside ours (ggml has gguf_find_key, for one).
set -eu
header=$(dirname "$0")/../include/llamazip.h
api=$(sed -n 's/^LLAMAZIP_API [^(]*[ *]\(llamazip_[a-z0-9_]*\)(.*/\1/p' "$header" | sort -u)
n_api=$(printf '%s\n' "$api" | grep -c .)
[ "$n_api" -ge 10 ] || { echo "check_symbols: only $n_api functions found in $header"; exit 1; }
status=0
for lib in "$@"; do
    case $lib in
    *.a) syms=$(nm -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u) ;;
    *) syms=$(nm -D --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u) ;;
    esac
    extra=$(printf '%s\n' "$syms" | grep -v '^llamazip_' || true)
    missing=$(printf '%s\n' "$api" | while read -r f; do
        printf '%s\n' "$syms" | grep -qx "$f" || echo "$f"; done)
    n=$(printf '%s\n' "$syms" | grep -c . || true)
    if [ -n "$extra" ]; then
        echo "FAILED: $lib exports $(printf '%s\n' "$extra" | wc -l) non-API symbols:"
        printf '%s\n' "$extra" | head -20 | sed 's/^/  /'
        status=1
    fi
    if [ -n "$missing" ]; then
        echo "FAILED: $lib lacks public functions:"
        printf '%s\n' "$missing" | sed 's/^/  /'
        status=1
    fi
    [ -n "$extra$missing" ] || echo "ok: $lib exports $n symbols, all llamazip_* (the $n_api functions of llamazip.h)"
done
exit $status
