/* cpu.c - cpuid / auxv based feature detection (see cpu.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#  include <cpuid.h>
#  define LZ_X86 1
#endif

static lz_cpu_features g_features;
static int g_features_ready;

#ifdef LZ_X86
static unsigned long long read_xcr0(void)
{
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static void detect_x86(lz_cpu_features *f)
{
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int osxsave = (c >> 27) & 1;
    int avx = (c >> 28) & 1;
    f->fma = (c >> 12) & 1;
    f->f16c = (c >> 29) & 1;
    if (!osxsave || !avx) { f->fma = f->f16c = 0; return; }
    unsigned long long xcr0 = read_xcr0();
    int ymm_ok = (xcr0 & 0x6) == 0x6;
    int zmm_ok = (xcr0 & 0xe6) == 0xe6;
    if (!ymm_ok) { f->fma = f->f16c = 0; return; }
    if (__get_cpuid_max(0, NULL) < 7) return;
    __cpuid_count(7, 0, a, b, c, d);
    f->avx2 = (b >> 5) & 1;
    if (zmm_ok) {
        f->avx512f = (b >> 16) & 1;
        f->avx512dq = (b >> 17) & 1;
        f->avx512bw = (b >> 30) & 1;
        f->avx512vl = (b >> 31) & 1;
        f->avx512vnni = (c >> 11) & 1;
    }
    __cpuid_count(7, 1, a, b, c, d);
    f->avxvnni = (a >> 4) & 1;
}
#endif

const lz_cpu_features *lz_cpu_get_features(void)
{
    if (!g_features_ready) {
        lz_cpu_features f;
        memset(&f, 0, sizeof(f));
#ifdef LZ_X86
        detect_x86(&f);
#endif
#ifdef LZ_AVX512_EMULATED
        /* Test build (make test-avx512-emu): the AVX-512 kernels were compiled
         * against SIMDe's emulation and need only AVX2, so that level is
         * offered wherever AVX2 is. */
        if (f.avx2 && f.fma && f.f16c) f.avx512f = f.avx512dq = f.avx512bw = f.avx512vl = f.avx512vnni = 1;
#endif
#if defined(__aarch64__)
        f.neon = 1;
#endif
        g_features = f;
        g_features_ready = 1;
    }
    return &g_features;
}

int lz_cpu_isa_available(lz_isa isa)
{
    const lz_cpu_features *f = lz_cpu_get_features();
    switch (isa) {
    case LZ_ISA_SCALAR: return 1;
#if defined(LZ_X86) && defined(LZ_BUILD_X86_SIMD)
    case LZ_ISA_AVX2: return f->avx2 && f->fma && f->f16c;
    case LZ_ISA_AVX512: return f->avx2 && f->fma && f->f16c && f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq;
#endif
#if defined(__aarch64__) && defined(LZ_BUILD_ARM_SIMD)
    case LZ_ISA_NEON: return f->neon;
#endif
    default: (void)f; return 0;
    }
}

static lz_isa best_isa(void)
{
    if (lz_cpu_isa_available(LZ_ISA_AVX512)) return LZ_ISA_AVX512;
    if (lz_cpu_isa_available(LZ_ISA_AVX2)) return LZ_ISA_AVX2;
    if (lz_cpu_isa_available(LZ_ISA_NEON)) return LZ_ISA_NEON;
    return LZ_ISA_SCALAR;
}

lz_isa lz_cpu_isa(void) { return best_isa(); }

lz_isa lz_cpu_isa_capped(lz_isa want)
{
    if (want == LZ_ISA_AVX512 && !lz_cpu_isa_available(want)) want = LZ_ISA_AVX2;
    if (!lz_cpu_isa_available(want)) want = LZ_ISA_SCALAR;
    return want;
}

const char *lz_isa_name(lz_isa isa)
{
    switch (isa) {
    case LZ_ISA_SCALAR: return "scalar";
    case LZ_ISA_AVX2: return "avx2";
    case LZ_ISA_AVX512: return "avx512";
    case LZ_ISA_NEON: return "neon";
    default: return "?";
    }
}

int lz_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
