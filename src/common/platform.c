/*
 * platform.c - the run-time half of platform.h: byte order and the
 * floating-point environment of the calling thread.
 *
 * The environment is checked twice: by its control register where the ISA
 * has one we know (the mode and flush bits), and by probes, exact float
 * operations whose result differs under any other rounding mode or with
 * subnormals flushed, so that an environment no register test foresaw is
 * refused too. The probes read their operands through volatile, so the
 * compiler cannot fold them at build time (in the default environment).
 */
#include <fenv.h>
#include <string.h>

#include "platform.h"

static int little_endian(void)
{
    const uint32_t one = 1;
    uint8_t b[4];
    memcpy(b, &one, 4);
    return b[0] == 1;
}

/* x86 MXCSR / AArch64 FPCR: a short name of the first bit that is not the
 * default, or NULL. */
static const char *control_register_fault(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned int csr;
    __asm__ volatile("stmxcsr %0" : "=m"(csr));
    if (csr & (1u << 15)) return "MXCSR.FTZ (flush to zero) is set";
    if (csr & (1u << 6)) return "MXCSR.DAZ (denormals are zero) is set";
    if (csr & (3u << 13)) return "MXCSR.RC is not round to nearest";
#elif defined(__aarch64__)
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    if (fpcr & (1ul << 24)) return "FPCR.FZ (flush to zero) is set";
    if (fpcr & (3ul << 22)) return "FPCR.RMode is not round to nearest";
    if (fpcr & (1ul << 19)) return "FPCR.FZ16 (flush to zero, half precision) is set";
    if (fpcr & (1ul << 25)) return "FPCR.DN (default NaN) is set";
    /* FEAT_AFP (reads as 0 without it): FIZ flushes inputs, AH changes the handling */
    if (fpcr & 3ul) return "FPCR.FIZ or FPCR.AH (alternate floating-point behaviour) is set";
#endif
    return NULL;
}

static const char *probe_fault(void)
{
    static volatile float one = 1.0f, half_ulp = 5.9604645e-08f; /* 2^-24 */
    static volatile float tiny = 1.17549435e-38f;                /* FLT_MIN, the smallest normal */
    static volatile float sub = 1.40129846e-45f;                 /* the smallest subnormal */
    /* 1 + 2^-24 is a tie: even -> 1; (1 + 2^-23) + 2^-24 -> 1 + 2^-22 (even);
     * -(1 + 2^-24) -> -1. Upward, downward and toward zero each break one. */
    const float odd = one + 2.0f * half_ulp;
    if (one + half_ulp != 1.0f || odd + half_ulp != 1.0f + 4.0f * 5.9604645e-08f || -one - half_ulp != -1.0f)
        return "floating-point rounding is not round to nearest even";
    /* FLT_MIN / 2 is subnormal: flushed to 0 under flush-to-zero */
    if (tiny * 0.5f == 0.0f) return "subnormal results are flushed to zero";
    /* a subnormal operand read as 0 (denormals-are-zero) */
    if (sub + sub == 0.0f || sub * 2.0f == 0.0f) return "subnormal operands are read as zero";
    return NULL;
}

int lz_platform_check(lz_err *err)
{
    if (!little_endian())
        return lz_fail(err, LLAMAZIP_E_USAGE, "big-endian host: llama-zip needs a little-endian machine "
                                              "(GGUF files and archives are little-endian)");
    const char *why = fegetround() != FE_TONEAREST ? "the rounding mode (fegetround) is not FE_TONEAREST" : NULL;
    if (!why) why = control_register_fault();
    if (!why) why = probe_fault();
    if (why)
        return lz_fail(err, LLAMAZIP_E_USAGE,
                       "floating-point environment not the default: %s; archives would not match other "
                       "machines' (restore it with fesetenv(FE_DFL_ENV) before calling llama-zip)",
                       why);
    return 0;
}
