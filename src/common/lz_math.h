/*
 * lz_math.h - the project's own transcendental functions.
 *
 * Every function here is built from IEEE-754 + - * / (and integer bit
 * manipulation for scaling by powers of two) in one fixed order, so it gives
 * the same bits on every platform and compiler as long as the build keeps
 * -ffp-contract=off and no fast-math options. The platform libm is never used on
 * the coding path: its results differ between libcs and CPUs.
 *
 * Accuracy: float functions within ~2 ulp, double functions within a few ulp
 * over the ranges the engine uses. Exactness against libm is not the goal;
 * reproducibility is.
 */
#ifndef LZ_MATH_H
#define LZ_MATH_H

float lz_expf(float x);            /* e^x; 0 below -87.3, +inf above 88.7 */
float lz_tanhf(float x);
float lz_siluf(float x);           /* x / (1 + e^-x) */
float lz_gelu_tanhf(float x);      /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */

double lz_exp(double x);
double lz_log(double x);           /* natural log; x <= 0 gives -inf / NaN */
double lz_pow(double x, double y); /* x > 0 only: exp(y log x) */
void lz_sincos(double x, double *s, double *c);

#endif /* LZ_MATH_H */
