/* fma_probe.c - one fused multiply-add, asked for explicitly with fmaf()
 * (which -mfma on x86 and every AArch64 compiler emit as a single
 * instruction): make check-no-fma builds it to show that
 * tests/check_no_fma.sh rejects such code. */
#include <math.h>

float lz_fma_probe(float a, float b, float c);
float lz_fma_probe(float a, float b, float c) { return fmaf(a, b, c); }
