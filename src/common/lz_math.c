/*
 * lz_math.c - deterministic exp/log/tanh/sin/cos (see lz_math.h).
 *
 * Range reduction uses Cody-Waite splits of ln2 and pi/2 whose high parts
 * have few enough significant bits that k*hi is exact; the reduced argument
 * is evaluated with a Taylor polynomial in Horner form. Rounding to the
 * nearest integer is done with explicit comparisons and casts, never with
 * rint()/nearbyint(), whose behaviour depends on the rounding mode.
 */
#include <stdint.h>
#include <string.h>

#include "lz_math.h"

static inline float f32_from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline double f64_from_bits(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static inline uint64_t f64_bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

/* Round half away from zero; |x| must fit in an int. */
static inline int round_to_int_f(float x) { return (int)(x >= 0.0f ? x + 0.5f : x - 0.5f); }
static inline long long round_to_ll(double x) { return (long long)(x >= 0.0 ? x + 0.5 : x - 0.5); }

/* 2^k for k in [-126, 127] as an exact float. */
static inline float pow2f(int k) { return f32_from_bits((uint32_t)(k + 127) << 23); }
/* 2^k for k in [-1022, 1023] as an exact double. */
static inline double pow2d(int k) { return f64_from_bits((uint64_t)(k + 1023) << 52); }

float lz_expf(float x)
{
    if (x != x) return x;                      /* NaN */
    if (x > 88.72283f) return f32_from_bits(0x7f800000u);
    if (x < -87.33654f) return 0.0f;           /* flush below the normal range */
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693145751953125f;   /* 16 significant bits: k*ln2_hi exact */
    const float ln2_lo = 1.428606765330187045e-06f;
    int k = round_to_int_f(x * log2e);
    float r = (x - (float)k * ln2_hi) - (float)k * ln2_lo;
    /* exp(r), |r| <= 0.35: Taylor to degree 7 (truncation < 6e-9 relative) */
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    if (k < -126) return p * pow2f(k + 64) * pow2f(-64);
    if (k > 127) return p * pow2f(k - 1) * 2.0f;
    return p * pow2f(k);
}

float lz_tanhf(float x)
{
    if (x != x) return x;
    if (x > 9.0f) return 1.0f;
    if (x < -9.0f) return -1.0f;
    float ax = x < 0.0f ? -x : x;
    float t;
    if (ax < 0.0625f) {
        /* avoid cancellation near 0: odd Taylor series to x^9 */
        float x2 = ax * ax;
        float p = 62.0f / 2835.0f;
        p = p * x2 - 17.0f / 315.0f;
        p = p * x2 + 2.0f / 15.0f;
        p = p * x2 - 1.0f / 3.0f;
        t = ax + ax * (x2 * p);
    } else {
        float e = lz_expf(2.0f * ax);
        t = 1.0f - 2.0f / (e + 1.0f);
    }
    return x < 0.0f ? -t : t;
}

float lz_siluf(float x)
{
    return x / (1.0f + lz_expf(-x));
}

float lz_gelu_tanhf(float x)
{
    const float sqrt_2_over_pi = 0.79788456080286535588f;
    const float coef_a = 0.044715f;
    float inner = sqrt_2_over_pi * x * (1.0f + coef_a * x * x);
    return 0.5f * x * (1.0f + lz_tanhf(inner));
}

double lz_exp(double x)
{
    if (x != x) return x;
    if (x > 709.78) return f64_from_bits(0x7ff0000000000000ull);
    if (x < -708.39) return 0.0;
    const double log2e = 1.44269504088896338700e+00;
    const double ln2_hi = 6.93147180369123816490e-01; /* 32 significant bits */
    const double ln2_lo = 1.90821492927058770002e-10;
    long long k = round_to_ll(x * log2e);
    double r = (x - (double)k * ln2_hi) - (double)k * ln2_lo;
    /* Taylor to degree 13, |r| <= 0.35: truncation < 2e-17 relative */
    static const double inv_fact[14] = {
        1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
        1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0,
    };
    double p = inv_fact[13];
    for (int i = 12; i >= 0; i--) p = p * r + inv_fact[i];
    return p * pow2d((int)k);
}

double lz_log(double x)
{
    if (x != x) return x;
    if (x < 0.0) return f64_from_bits(0x7ff8000000000000ull);
    if (x == 0.0) return -f64_from_bits(0x7ff0000000000000ull);
    if (x == f64_from_bits(0x7ff0000000000000ull)) return x;
    int e = 0;
    uint64_t u = f64_bits(x);
    if ((u >> 52) == 0) { /* subnormal: scale up exactly */
        x *= 18014398509481984.0; /* 2^54 */
        u = f64_bits(x);
        e -= 54;
    }
    e += (int)(u >> 52) - 1023;
    double m = f64_from_bits((u & 0x000fffffffffffffull) | 0x3ff0000000000000ull); /* [1,2) */
    if (m > 1.41421356237309504880) { m *= 0.5; e += 1; }
    /* log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716 */
    double s = (m - 1.0) / (m + 1.0);
    double s2 = s * s;
    double p = 1.0 / 23;
    for (int n = 21; n >= 1; n -= 2) p = p * s2 + 1.0 / n;
    double log_m = 2.0 * s * p;
    const double ln2_hi = 6.93147180369123816490e-01;
    const double ln2_lo = 1.90821492927058770002e-10;
    return ((double)e * ln2_hi + log_m) + (double)e * ln2_lo;
}

double lz_pow(double x, double y)
{
    if (y == 0.0) return 1.0;
    if (x == 1.0) return 1.0;
    return lz_exp(y * lz_log(x));
}

/* sin and cos of r, |r| <= pi/4, Taylor series to degree 17/18. */
static double sin_kernel(double r)
{
    double r2 = r * r;
    static const double c[] = { /* (-1)^n / (2n+1)! for n = 8..1 */
        1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0, -1.0 / 39916800.0,
        1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0,
    };
    double q = c[0];
    for (int i = 1; i < 8; i++) q = q * r2 + c[i];
    return r + r * (r2 * q);
}

static double cos_kernel(double r)
{
    double r2 = r * r;
    static const double c[] = { /* (-1)^n / (2n)! for n = 9..1 */
        -1.0 / 6402373705728000.0, 1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600.0,
        -1.0 / 3628800.0, 1.0 / 40320.0, -1.0 / 720.0, 1.0 / 24.0, -0.5,
    };
    double q = c[0];
    for (int i = 1; i < 9; i++) q = q * r2 + c[i];
    return 1.0 + r2 * q;
}

void lz_sincos(double x, double *s, double *c)
{
    if (x != x || x - x != 0.0) { /* NaN or inf */
        *s = *c = f64_from_bits(0x7ff8000000000000ull);
        return;
    }
    /* k = nearest(x * 2/pi); valid for |x| < ~1e9 with the 3-part split. */
    const double two_over_pi = 6.36619772367581382433e-01;
    const double pio2_1 = 1.57079632673412561417e+00; /* 33 bits */
    const double pio2_2 = 6.07710050630396597660e-11; /* 33 bits */
    const double pio2_3 = 2.02226624871116645580e-21;
    long long k = round_to_ll(x * two_over_pi);
    double r = ((x - (double)k * pio2_1) - (double)k * pio2_2) - (double)k * pio2_3;
    double sr = sin_kernel(r), cr = cos_kernel(r);
    switch ((int)(k & 3)) {
    case 0: *s = sr;  *c = cr;  break;
    case 1: *s = cr;  *c = -sr; break;
    case 2: *s = -sr; *c = -cr; break;
    default: *s = -cr; *c = sr; break;
    }
}
