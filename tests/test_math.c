/*
 * test_math.c - the project's own exp/log/tanh/sin/cos: accuracy against
 * libm (libm is only the yardstick here, never used by the library) and
 * golden bit patterns that pin the results on every platform.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/lz_math.h"
#include "common/f16.h"

static double rel_err(double got, double want)
{
    if (want == 0.0) return fabs(got);
    return fabs(got - want) / fabs(want);
}

static void test_expf_accuracy(void **state)
{
    (void)state;
    double worst = 0;
    for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
        double e = rel_err(lz_expf(x), exp((double)x));
        if (e > worst) worst = e;
    }
    printf("lz_expf: worst relative error %.3g over [-87, 88]\n", worst);
    assert_true(worst < 3e-7);
    assert_true(lz_expf(-200.0f) == 0.0f);
    assert_true(isinf(lz_expf(100.0f)));
    assert_true(lz_expf(0.0f) == 1.0f);
}

static void test_exp_log_double(void **state)
{
    (void)state;
    double worst_exp = 0, worst_log = 0;
    for (double x = -700; x < 700; x += 0.731) {
        double e = rel_err(lz_exp(x), exp(x));
        if (e > worst_exp) worst_exp = e;
    }
    for (double x = 1e-300; x < 1e300; x *= 1.7931) {
        double e = fabs(lz_log(x) - log(x)) / (fabs(log(x)) + 1e-300);
        if (log(x) != 0 && e > worst_log) worst_log = e;
    }
    printf("lz_exp: worst rel err %.3g; lz_log: worst rel err %.3g\n", worst_exp, worst_log);
    assert_true(worst_exp < 1e-14);
    assert_true(worst_log < 1e-14);
    assert_true(fabs(lz_pow(10000.0, -2.0 / 64) - pow(10000.0, -2.0 / 64)) < 1e-15);
}

static void test_tanh_gelu_silu(void **state)
{
    (void)state;
    double worst = 0;
    for (float x = -12.0f; x <= 12.0f; x += 0.00731f) {
        double e = fabs(lz_tanhf(x) - tanh((double)x));
        if (e > worst) worst = e;
    }
    printf("lz_tanhf: worst absolute error %.3g\n", worst);
    assert_true(worst < 3e-7);
    for (float x = -8.0f; x <= 8.0f; x += 0.25f) {
        double want = x / (1.0 + exp(-(double)x));
        assert_true(fabs(lz_siluf(x) - want) < 1e-6 * (1 + fabs(want)));
        double g = 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * (double)x * x * x)));
        assert_true(fabs(lz_gelu_tanhf(x) - g) < 1e-6 * (1 + fabs(g)));
    }
}

static void test_sincos(void **state)
{
    (void)state;
    double worst = 0;
    for (double x = -40000; x < 40000; x += 0.917) {
        double s, c;
        lz_sincos(x, &s, &c);
        double e = fmax(fabs(s - sin(x)), fabs(c - cos(x)));
        if (e > worst) worst = e;
    }
    printf("lz_sincos: worst absolute error %.3g over [-4e4, 4e4]\n", worst);
    assert_true(worst < 1e-13);
}

/* Golden bits: the same on every platform and compiler (determinism). */
static void test_golden_bits(void **state)
{
    (void)state;
    uint32_t e1 = lz_f32_bits(lz_expf(-1.5f));
    uint32_t t1 = lz_f32_bits(lz_tanhf(0.3f));
    double s, c;
    lz_sincos(12345.678, &s, &c);
    uint64_t sb; memcpy(&sb, &s, 8);
    printf("golden: expf(-1.5)=%08x tanhf(0.3)=%08x sin(12345.678)=%016llx\n", e1, t1, (unsigned long long)sb);
    assert_int_equal(e1, 0x3e647c3cu); /* correctly rounded e^-1.5 */
    assert_int_equal(t1, 0x3e9526ecu);
    assert_int_equal(sb, 0xbfe687d5890974a5ull);
}

static void test_f16(void **state)
{
    (void)state;
    /* every f16 bit pattern round-trips through f32 (NaNs stay NaN) */
    for (uint32_t h = 0; h < 65536; h++) {
        float f = lz_f16_to_f32((uint16_t)h);
        uint16_t back = lz_f32_to_f16(f);
        if (isnan(f)) assert_true((back & 0x7c00) == 0x7c00 && (back & 0x3ff));
        else assert_int_equal(back, h);
    }
    /* ties to even */
    assert_int_equal(lz_f32_to_f16(1.0f + 1.0f / 2048), 0x3c00);
    assert_int_equal(lz_f32_to_f16(1.0f + 3.0f / 2048), 0x3c02);
    assert_int_equal(lz_f32_to_f16(65520.0f), 0x7c00);
    assert_int_equal(lz_f32_to_f16(65519.0f), 0x7bff);
    assert_int_equal(lz_f32_to_bf16(1.00390625f), 0x3f80); /* tie -> even */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expf_accuracy),
        cmocka_unit_test(test_exp_log_double),
        cmocka_unit_test(test_tanh_gelu_silu),
        cmocka_unit_test(test_sincos),
        cmocka_unit_test(test_golden_bits),
        cmocka_unit_test(test_f16),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
