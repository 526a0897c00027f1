/* cli_options.h - the llama-zip command line: options, help, usage errors. */
#ifndef LLAMAZIP_CLI_OPTIONS_H
#define LLAMAZIP_CLI_OPTIONS_H

#include <stdint.h>

#define EXIT_USAGE 1         /* bad options, or a refusal the command line can lift (--force, -o, -f base64) */
#define EXIT_DATA 2          /* data, model or I/O error */
#define ARCHIVE_SUFFIX ".llz"

typedef enum { MODE_NONE, MODE_COMPRESS, MODE_DECOMPRESS, MODE_INTERACTIVE, MODE_INFO, MODE_LIST, MODE_LIST_MODELS } cli_mode;
typedef enum { FMT_DEFAULT, FMT_BINARY, FMT_BASE64 } cli_format;

typedef struct {
    const char *model_path;    /* LLM_PATH or --model: a GGUF path or a known name (model_names.h) */
    int model_option;          /* given as --model / -m (never an input of --list) */
    cli_mode mode;
    int test;                  /* --test: decompress and verify, write nothing */
    cli_format format;
    const char *overlap;       /* "25%" or "100" or "-10" */
    long n_ctx;
    int n_gpu_layers;
    int n_gpu_layers_given;
    int use_mlock;
    int n_threads;
    long n_batch;
    uint64_t segment_size;     /* --segment-size: 0 default, LLAMAZIP_SEGMENT_NONE for "0" */
    long n_streams;            /* --streams: 0 = automatic */
    const char *output;        /* -o; "-" is standard output */
    int files;
    int force;
    int keep;                  /* -k: accepted; inputs are always kept */
    int verbose;
    int quiet;
    int progress;              /* -1 auto (stderr is a terminal), 0 off, 1 on */
    char **inputs;
    int n_inputs;
} cli_options;

/* Parse argv; prints help/version and exits, or exits with EXIT_USAGE on errors. */
void cli_parse_args(int argc, char **argv, cli_options *o);

/* Print "llama-zip: MESSAGE" and the --help hint, exit with EXIT_USAGE. */
void cli_die_usage(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2), noreturn))
#endif
    ;

/* Window overlap in tokens from "N", "-N" or "P%" (the original's rules), for n_ctx. */
uint32_t cli_parse_overlap(const char *s, uint32_t n_ctx);

#endif
