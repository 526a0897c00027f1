/*
 * cpu.h - run-time CPU feature detection and the kernel level in force.
 *
 * The level only selects *which* implementation computes a result; every
 * level produces bit-identical results (doc/determinism.md).
 * A caller may ask for a lower level (for tests and comparisons: the
 * public llamazip_ctx_params.cpu_level); asking for a level the CPU lacks
 * falls back to the best available level below it. The library reads no
 * environment variable: the llama-zip program maps $LLAMAZIP_CPU to
 * cpu_level.
 */
#ifndef LZ_CPU_H
#define LZ_CPU_H

typedef enum {
    LZ_ISA_SCALAR = 0,
    LZ_ISA_AVX2 = 1,    /* AVX2 + FMA + F16C (FMA is never used for results) */
    LZ_ISA_AVX512 = 2,  /* AVX-512 F, BW, VL, DQ (+ VNNI detected separately) */
    LZ_ISA_NEON = 3,    /* AArch64 Advanced SIMD */
    LZ_ISA_COUNT
} lz_isa;

typedef struct {
    int avx2, fma, f16c, avx512f, avx512bw, avx512vl, avx512dq, avx512vnni, avxvnni;
    int neon, neon_dotprod;
} lz_cpu_features;

const lz_cpu_features *lz_cpu_get_features(void);

/* Best level supported by both this CPU and this build. */
lz_isa lz_cpu_isa(void);

/* `want`, or the best available level below it (AVX-512 -> AVX2 -> scalar,
 * NEON -> scalar) when this CPU or build lacks it. */
lz_isa lz_cpu_isa_capped(lz_isa want);

/* Whether `isa` can run here (CPU and build). */
int lz_cpu_isa_available(lz_isa isa);

const char *lz_isa_name(lz_isa isa);

/* Number of online CPUs (at least 1). */
int lz_cpu_count(void);

#endif /* LZ_CPU_H */
