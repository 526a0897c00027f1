/*
 * llamazip.h - public API of libllamazip, a lossless compressor that uses a
 * large language model (any GGUF file llama.cpp loads, for the supported
 * architectures) as the probability model of a range coder.
 *
 * This is the only public header. All objects are opaque and come in
 * create/free pairs; free functions accept NULL.
 *
 * Errors: functions return a llamazip_status (0 = LLAMAZIP_OK). On failure a
 * readable message is available from the object involved
 * (llamazip_ctx_error) or, for model loading, written into the caller's
 * buffer. The library never exits or aborts on bad input.
 *
 * Threads: a llamazip_model is read-only once loaded and may be shared by
 * any number of threads. A llamazip_ctx (KV cache and scratch) belongs to
 * one thread at a time.
 *
 * Determinism: the same input, model and settings give a byte-identical
 * archive on every machine, CPU feature level, thread count and batch size;
 * any archive decompresses on any machine (see doc/determinism.md).
 */
#ifndef LLAMAZIP_H
#define LLAMAZIP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  define LLAMAZIP_API __declspec(dllexport)
#elif defined(__GNUC__)
#  define LLAMAZIP_API __attribute__((visibility("default")))
#else
#  define LLAMAZIP_API
#endif

#define LLAMAZIP_VERSION_MAJOR 0
#define LLAMAZIP_VERSION_MINOR 1
#define LLAMAZIP_VERSION_PATCH 0
#define LLAMAZIP_VERSION_NUMBER \
    (LLAMAZIP_VERSION_MAJOR * 10000 + LLAMAZIP_VERSION_MINOR * 100 + LLAMAZIP_VERSION_PATCH)
#define LLAMAZIP_VERSION_STRING "0.1.0"

/*! llamazip_version_number() : the runtime library version, as LLAMAZIP_VERSION_NUMBER. */
LLAMAZIP_API unsigned llamazip_version_number(void);
LLAMAZIP_API const char *llamazip_version_string(void);

/* ABI version: changes whenever a public struct's layout, a function's
 * signature or an enum value changes. A binding that mirrors the structs
 * (the Python package's ctypes layer) compares llamazip_abi_version() and
 * llamazip_struct_size() with its own copies before its first call. */
#define LLAMAZIP_ABI_VERSION 1

typedef enum {
    LLAMAZIP_STRUCT_MODEL_PARAMS = 1, /* llamazip_model_params */
    LLAMAZIP_STRUCT_CTX_PARAMS = 2,   /* llamazip_ctx_params */
    LLAMAZIP_STRUCT_PROGRESS = 3,     /* llamazip_progress */
    LLAMAZIP_STRUCT_STATS = 4         /* llamazip_stats */
} llamazip_struct_id;

/*! llamazip_abi_version() : LLAMAZIP_ABI_VERSION of the library as built. */
LLAMAZIP_API unsigned llamazip_abi_version(void);
/*! llamazip_struct_size() : sizeof the public struct `which` (a llamazip_struct_id)
 *  in the library as built; 0 for an unknown id. */
LLAMAZIP_API size_t llamazip_struct_size(int which);

/* Status codes: the one list, X(NAME, value, message, python_exception).
 * It makes the llamazip_status enum below, the messages of
 * llamazip_status_name() (src/common/error.c) and the Python package's Status
 * enum and exception classes (python/llama_zip/_status.py, written by
 * tools/gen_status.py; a test fails when they drift). Values are stable; new
 * codes are only appended. The fourth column names the exception the Python
 * package raises for the code (python/llama_zip/errors.py). */
#define LLAMAZIP_STATUS_LIST(X)                                                       \
    X(OK,             0,  "ok",                              LlamaZipError)          \
    X(E_USAGE,        1,  "invalid argument",                UsageError)             \
    X(E_NOMEM,        2,  "out of memory",                   OutOfMemoryError)       \
    X(E_IO,           3,  "I/O error",                       LlamaZipError)          \
    X(E_GGUF,         4,  "malformed GGUF file",             ModelError)             \
    X(E_UNSUPPORTED,  5,  "unsupported model",               ModelError)             \
    X(E_NOT_ARCHIVE,  6,  "not a llama-zip archive",         CorruptArchiveError)    \
    X(E_VERSION,      7,  "unsupported archive version",     CorruptArchiveError)    \
    X(E_CORRUPT,      8,  "corrupt archive",                 CorruptArchiveError)    \
    X(E_TRUNCATED,    9,  "truncated archive",               CorruptArchiveError)    \
    X(E_MODEL_MISMATCH, 10, "archive made with another model", ModelMismatchError)   \
    X(E_CHECKSUM,     11, "checksum mismatch",               CorruptArchiveError)    \
    X(E_CANCELLED,    12, "cancelled",                       CancelledError)         \
    X(E_INTERNAL,     13, "internal error",                  LlamaZipError)

typedef enum {
#define LLAMAZIP_STATUS_ENUM_ITEM_(name, value, message, python_exception) LLAMAZIP_##name = value,
    LLAMAZIP_STATUS_LIST(LLAMAZIP_STATUS_ENUM_ITEM_)
#undef LLAMAZIP_STATUS_ENUM_ITEM_
} llamazip_status;

/*! llamazip_status_name() : short constant description of a status code
 *  ("unknown error" for a value not in the list). */
LLAMAZIP_API const char *llamazip_status_name(int status);

/* ---------------------------------------------------------------- model */

typedef struct llamazip_model llamazip_model;

typedef struct {
    int n_threads;     /* threads for evaluation; 0 = number of online CPUs */
    int use_mlock;     /* lock the mapped weights in RAM (best effort) */
    int n_gpu_layers;  /* accepted for compatibility; this build runs on the CPU */
} llamazip_model_params;

/*! llamazip_model_params_default() : fill `p` with defaults. */
LLAMAZIP_API void llamazip_model_params_default(llamazip_model_params *p);

/*! llamazip_model_load() :
 *  Map and validate the GGUF model at `path` (the library searches for no
 *  default model and reads no environment variable: finding a model is the
 *  caller's policy; the llama-zip program and the Python package have one).
 *  On success *out owns the model. On failure *out is NULL and `errbuf`
 *  (if not NULL) receives a message; a NULL path is LLAMAZIP_E_USAGE.
 *  @return LLAMAZIP_OK or an error code. */
LLAMAZIP_API llamazip_status llamazip_model_load(const char *path, const llamazip_model_params *params,
                                                 llamazip_model **out, char *errbuf, size_t errbuf_size);
LLAMAZIP_API void llamazip_model_free(llamazip_model *model);

/*! llamazip_model_describe() : human-readable summary (architecture,
 *  hyperparameters, tokenizer, tensor type histogram) written to `buf`,
 *  always NUL-terminated. @return the full length it needed (like snprintf). */
LLAMAZIP_API size_t llamazip_model_describe(const llamazip_model *model, char *buf, size_t buf_size);

/*! llamazip_model_context_length() : the model's trained context length. */
LLAMAZIP_API uint32_t llamazip_model_context_length(const llamazip_model *model);


/* ---------------------------------------------------------------- context */

typedef struct llamazip_ctx llamazip_ctx;

/* Progress report, passed to the progress callback. */
typedef struct {
    int decompressing;      /* 0 while compressing, 1 while decompressing */
    uint64_t bytes_done;    /* original (uncompressed) bytes covered so far */
    uint64_t bytes_total;   /* original size */
    uint64_t tokens_done;   /* tokens coded so far */
    uint64_t coded_bytes;   /* archive bytes produced (compressing) or consumed (decompressing) so far */
    double seconds;         /* since the call started */
} llamazip_progress;

/* Progress callback: called from the calling thread every few tokens.
 * Return non-zero to cancel (the call then fails with LLAMAZIP_E_CANCELLED). */
typedef int (*llamazip_progress_fn)(void *user, const llamazip_progress *progress);

/* Kernel level for a context. Every level computes the same bits
 * (doc/determinism.md), so this only changes speed; a lower level than the
 * best is for comparisons and tests. A level this CPU or build lacks falls
 * back to the next lower one (AVX-512 -> AVX2 -> scalar; NEON -> scalar). */
typedef enum {
    LLAMAZIP_CPU_AUTO = 0,   /* the best level the CPU and the build have */
    LLAMAZIP_CPU_SCALAR = 1,
    LLAMAZIP_CPU_AVX2 = 2,
    LLAMAZIP_CPU_AVX512 = 3,
    LLAMAZIP_CPU_NEON = 4
} llamazip_cpu_level;

typedef struct {
    uint32_t n_ctx;                 /* context window in tokens; 0 = the model's own */
    uint32_t window_overlap;        /* tokens kept when the window slides (see below) */
    uint32_t window_overlap_percent;/* if non-zero, overlap = percent of n_ctx; overrides window_overlap */
    uint32_t n_batch;               /* tokens evaluated per batch when compressing; 0 = default */
    uint64_t segment_size;          /* compressing: text is cut into segments of about this many bytes,
                                       each coded with a fresh context, so that decompression can decode
                                       many at once; 0 = default (96 KiB), LLAMAZIP_SEGMENT_NONE = one */
    uint32_t n_streams;             /* decompressing: segments decoded at once; 0 = as many as the
                                       segments and a quarter of the memory allow */
    int n_threads;                  /* 0 = the model's setting */
    llamazip_progress_fn progress;  /* may be NULL */
    void *progress_user;
    int cpu_level;                  /* a llamazip_cpu_level; 0 = LLAMAZIP_CPU_AUTO */
} llamazip_ctx_params;

/* segment_size value: no segments (the whole text in one, as format 1 did). */
#define LLAMAZIP_SEGMENT_NONE UINT64_MAX

LLAMAZIP_API void llamazip_ctx_params_default(llamazip_ctx_params *p);

/*! llamazip_ctx_create() : allocate a context (KV cache sized from n_ctx).
 *  `params` may be NULL (the defaults). On success *out owns the context.
 *  On failure *out is NULL and `errbuf` (if not NULL) receives a message.
 *  @return LLAMAZIP_OK or an error code (LLAMAZIP_E_USAGE for an argument out
 *  of range, LLAMAZIP_E_NOMEM when memory or threads cannot be had). */
LLAMAZIP_API llamazip_status llamazip_ctx_create(const llamazip_model *model, const llamazip_ctx_params *params,
                                                 llamazip_ctx **out, char *errbuf, size_t errbuf_size);
LLAMAZIP_API void llamazip_ctx_free(llamazip_ctx *ctx);

/*! llamazip_ctx_error() : message describing the last failure on this context ("" if none). */
LLAMAZIP_API const char *llamazip_ctx_error(const llamazip_ctx *ctx);

/* ---------------------------------------------------------------- coding */

/* Output buffers are allocated by the library; release them with llamazip_free_buffer. */
LLAMAZIP_API void llamazip_free_buffer(void *buf);

/*! llamazip_compress() :
 *  Compress `src_size` bytes into a new archive (*dst, *dst_size).
 *  Any bytes are accepted; the archive is never much larger than the input. */
LLAMAZIP_API llamazip_status llamazip_compress(llamazip_ctx *ctx, const void *src, size_t src_size,
                                               void **dst, size_t *dst_size);

/*! llamazip_decompress() :
 *  Decompress an archive. Settings (n_ctx, window overlap) come from the archive;
 *  the context's own n_ctx must be at least the archive's (it is grown if needed).
 *  Fails with LLAMAZIP_E_MODEL_MISMATCH if the archive was made with another model. */
LLAMAZIP_API llamazip_status llamazip_decompress(llamazip_ctx *ctx, const void *src, size_t src_size,
                                                 void **dst, size_t *dst_size);

/* Receives decompressed bytes in order; return 0 to go on, or a status
 * (e.g. LLAMAZIP_E_IO) to stop: the call then fails with it. */
typedef int (*llamazip_write_fn)(void *user, const void *data, size_t size);

/*! llamazip_decompress_stream() :
 *  llamazip_decompress with the output handed to `write` piece by piece
 *  as it is decoded (segments in order), so that memory stays bounded
 *  whatever the size of the output. On failure, what was written so far
 *  must be discarded: the checksum is verified at the end. */
LLAMAZIP_API llamazip_status llamazip_decompress_stream(llamazip_ctx *ctx, const void *src, size_t src_size,
                                                        llamazip_write_fn write, void *user);

/* Supplies archive bytes: puts up to `size` bytes in buf and sets *got
 * (0 only at the end of the input); returns 0, or a status (e.g.
 * LLAMAZIP_E_IO) to stop: the call then fails with it. */
typedef int (*llamazip_read_fn)(void *user, void *buf, size_t size, size_t *got);

/*! llamazip_decompress_reader() :
 *  llamazip_decompress_stream with the archives pulled from `read` as they
 *  are decoded, so that memory stays bounded whatever the size of the
 *  input too: a few MiB of archive bytes are held at a time. The input may
 *  hold several archives one after another; llamazip_ctx_stats()'s
 *  input_bytes says how many bytes were read. */
LLAMAZIP_API llamazip_status llamazip_decompress_reader(llamazip_ctx *ctx, llamazip_read_fn read, void *read_user,
                                                        llamazip_write_fn write, void *write_user);

/* ---------------------------------------------------------------- listing */

/* What an archive holds, read without decoding it (llama-zip --list). */
typedef struct {
    int version;              /* format version: 1 or 2 */
    int compact;              /* format 2's compact form (one segment, token count not stored) */
    uint64_t archive_size;    /* bytes of this archive */
    uint64_t original_size;
    uint64_t model_id;        /* the model fingerprint (version 1 or 2 definition), or its low 16 bits */
    int model_id_bits;        /* 64 or 16 */
    int has_settings;         /* n_ctx and overlap stored (else: the model's context length, overlap 0) */
    uint32_t n_ctx;
    uint32_t window_overlap;
    uint32_t n_frames;
} llamazip_archive_info;

typedef struct {
    char kind;                /* 'M' model-coded segment, 'R' raw, 'Z' zstd */
    uint64_t original_size;
    uint64_t stored_size;     /* bytes of the frame in the archive, its fields included */
    uint64_t n_tokens;        /* 'M': tokens; 0 where not stored (compact form) */
} llamazip_frame_info;

/*! llamazip_archive_list() :
 *  Describe the archive at the start of src (more archives may follow it:
 *  *consumed tells where the next one starts). Up to max_frames frames are
 *  described in `frames` (may be NULL). Needs no model.
 *  @return LLAMAZIP_OK, or NOT_ARCHIVE / VERSION / CORRUPT / TRUNCATED with
 *  a message in errbuf. */
LLAMAZIP_API llamazip_status llamazip_archive_list(const void *src, size_t src_size, llamazip_archive_info *info,
                                                   llamazip_frame_info *frames, size_t max_frames, size_t *consumed,
                                                   char *errbuf, size_t errbuf_size);

/* Statistics of the last compress/decompress call on a context. */
typedef struct {
    uint64_t input_bytes;
    uint64_t output_bytes;
    uint64_t n_tokens;         /* tokens coded by the model */
    double ideal_bits;         /* -sum log2 p(token) under the model's distribution */
    double coded_bits;         /* bits the model-coded frames actually took */
    double seconds;            /* wall time */
    uint32_t streams;          /* decompressing: segments decoded at once */
} llamazip_stats;

LLAMAZIP_API void llamazip_ctx_stats(const llamazip_ctx *ctx, llamazip_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* LLAMAZIP_H */
