/* fma_probe.c - a*b + c, which a compiler allowed to contract turns into one
 * fused instruction: make check-no-fma builds it with -ffp-contract=fast to
 * show that tests/check_no_fma.sh rejects such code. */
float lz_fma_probe(float a, float b, float c);
float lz_fma_probe(float a, float b, float c) { return a * b + c; }
