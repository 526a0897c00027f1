/* cli_options.c - see cli_options.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "llamazip.h"
#include "cli_options.h"

void cli_die_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("llama-zip: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nTry 'llama-zip --help' for more information.\n", stderr);
    va_end(ap);
    exit(EXIT_USAGE);
}

/* Every line fits in 80 columns (tests/python/test_cli_reliability.py checks). */
static void print_help(void)
{
    printf(
        "Usage: llama-zip [LLM_PATH] [options] <mode> [input...]\n"
        "Lossless compression with a large language model as the probability model.\n"
        "\n"
        "Modes:\n"
        "  -c, --compress [TEXT...]   compress TEXT (joined by spaces), or stdin\n"
        "  -d, --decompress [DATA]    decompress DATA, or stdin\n"
        "      --test [DATA]          decompress and verify; write nothing\n"
        "  -i, --interactive          prompt: archives (base64) are decompressed,\n"
        "                             other lines compressed\n"
        "      --info                 describe the model and exit\n"
        "  -l, --list [FILE...]       list archives (sizes, ratio, model, settings;\n"
        "                             with -v each segment) without decoding them\n"
        "      --list-models          the known model names: size, licence, installed\n"
        "\n"
        "Options:\n"
        "  LLM_PATH, -m, --model M    GGUF file or known name (gemma-3-270m,\n"
        "                             smollm2-135m); default: $LLAMAZIP_MODEL (the\n"
        "                             same) or gemma-3-270m, see 'make model'\n"
        "  -f, --compressed-format F  binary (default) or base64 (strict: other\n"
        "                             characters than the alphabet, '=' padding and\n"
        "                             whitespace are an error); -i: base64 only\n"
        "  -w, --window-overlap N     tokens kept when the context window slides: a\n"
        "                             count, a negative count (n_ctx + N) or 25%%\n"
        "      --n-ctx N              context window in tokens (0: the model's; a\n"
        "                             larger value is lowered to it, with a warning)\n"
        "      --n-gpu-layers N       accepted for compatibility; runs on the CPU\n"
        "      --use-mlock            keep the model locked in RAM\n"
        "  -t, -T, --threads N        threads (default: all CPUs)\n"
        "      --batch N              tokens per evaluation batch (default 64)\n"
        "      --segment-size SIZE    cut text into segments of about SIZE bytes (K, M\n"
        "                             suffixes), each decoded on its own, many at a\n"
        "                             time; 0: one segment (default 96K)\n"
        "      --streams K            segments decoded at once (default: as many as\n"
        "                             the segments and a quarter of the memory allow)\n"
        "      --files                inputs are files: FILE -> FILE" ARCHIVE_SUFFIX " and back; the\n"
        "                             output keeps the input's mode and times\n"
        "  -o, --output FILE          write to FILE (atomically) instead of stdout\n"
        "      --force                replace an existing output file\n"
        "  -k, --keep                 keep the input files (always done)\n"
        "  -v, --verbose              summary: sizes, ratio, bits per byte, time\n"
        "  -q, --quiet                no progress display\n"
        "      --progress             progress display even when stderr is no terminal\n"
        "  -h, --help                 this help\n"
        "  -V, --version              version\n"
        "\n"
        "'-' as an input or output is stdin or stdout. Short options combine: -qvt2.\n"
        "Exit status: 0 success; 1 usage error (bad option, no model given or found,\n"
        "or a refusal the command line can lift: the output exists, is an input, or\n"
        "is a terminal); 2 data, model or I/O error; 130/143 interrupted by\n"
        "SIGINT/SIGTERM. No partial output is left behind.\n"
        "Archives record the model fingerprint, n_ctx and overlap: decompression\n"
        "needs no flags.\n");
}

static long parse_long(const char *s, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end) cli_die_usage("invalid %s: '%s'", what, s);
    return v;
}

static int opt_is(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* Value of "--opt=value" or "--opt value". */
static const char *long_value(int argc, char **argv, int *i, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (eq) return eq + 1;
    if (*i + 1 >= argc) cli_die_usage("option '%s' needs a value", arg);
    return argv[++*i];
}

static void set_mode(cli_options *o, cli_mode m)
{
    if (o->mode != MODE_NONE && o->mode != m)
        cli_die_usage("only one of -c, -d, --test, -i, --info, -l, --list-models may be given");
    o->mode = m;
}

static void set_format(cli_options *o, const char *v)
{
    if (!strcmp(v, "binary")) o->format = FMT_BINARY;
    else if (!strcmp(v, "base64")) o->format = FMT_BASE64;
    else cli_die_usage("invalid compressed format '%s' (binary or base64)", v);
}

/* "65536", "64K", "1M", "2G" (powers of 1024); "0" = one segment. */
static void set_segment_size(cli_options *o, const char *v)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    unsigned shift = 0;
    if (end != v && (*end == 'K' || *end == 'k')) shift = 10, end++;
    else if (end != v && (*end == 'M' || *end == 'm')) shift = 20, end++;
    else if (end != v && (*end == 'G' || *end == 'g')) shift = 30, end++;
    if (errno || end == v || *end || v[0] == '-' || n > (1ULL << 40) >> shift)
        cli_die_usage("invalid segment size '%s' (bytes, with K, M or G; 0 for one segment)", v);
    o->segment_size = n == 0 ? LLAMAZIP_SEGMENT_NONE : (uint64_t)n << shift;
}

static void set_threads(cli_options *o, const char *v)
{
    o->n_threads = (int)parse_long(v, "thread count");
}

static void set_model(cli_options *o, const char *v)
{
    if (o->model_path) cli_die_usage("the model is given twice ('%s' and '%s')", o->model_path, v);
    if (!*v) cli_die_usage("empty model name");
    o->model_path = v;
    o->model_option = 1;
}

/* A short option that takes a value: f w t T o m. */
static void short_with_value(cli_options *o, char c, const char *v)
{
    switch (c) {
    case 'm': set_model(o, v); break;
    case 'f': set_format(o, v); break;
    case 'w': o->overlap = v; break;
    case 't': case 'T': set_threads(o, v); break;
    default: o->output = v; break; /* 'o' */
    }
}

/* "-qvt2", "-o FILE", "-oFILE": flags, then at most one option with a value (the rest, or the next argument). */
static void parse_short_cluster(int argc, char **argv, int *i, cli_options *o)
{
    const char *a = argv[*i];
    for (const char *p = a + 1; *p; p++) {
        switch (*p) {
        case 'c': set_mode(o, MODE_COMPRESS); break;
        case 'd': set_mode(o, MODE_DECOMPRESS); break;
        case 'i': set_mode(o, MODE_INTERACTIVE); break;
        case 'l': set_mode(o, MODE_LIST); break;
        case 'k': o->keep = 1; break;
        case 'q': o->quiet = 1; break;
        case 'v': o->verbose = 1; break;
        case 'h': print_help(); exit(0);
        case 'V': printf("llama-zip %s\n", llamazip_version_string()); exit(0);
        case 'f': case 'w': case 't': case 'T': case 'o': case 'm':
            if (p[1]) {
                short_with_value(o, *p, p + 1);
            } else {
                if (*i + 1 >= argc) cli_die_usage("option '-%c' needs a value", *p);
                short_with_value(o, *p, argv[++*i]);
            }
            return;
        default: cli_die_usage("unknown option '-%c'%s", *p, p == a + 1 ? "" : " (in a group of short options)");
        }
    }
}

/* A long option; returns 0 if unknown. */
static int parse_long_option(int argc, char **argv, int *i, cli_options *o)
{
    const char *a = argv[*i];
    if (!strcmp(a, "--help")) { print_help(); exit(0); }
    else if (!strcmp(a, "--version")) { printf("llama-zip %s\n", llamazip_version_string()); exit(0); }
    else if (!strcmp(a, "--compress")) set_mode(o, MODE_COMPRESS);
    else if (!strcmp(a, "--decompress")) set_mode(o, MODE_DECOMPRESS);
    else if (!strcmp(a, "--test")) { set_mode(o, MODE_DECOMPRESS); o->test = 1; }
    else if (!strcmp(a, "--interactive")) set_mode(o, MODE_INTERACTIVE);
    else if (!strcmp(a, "--info")) set_mode(o, MODE_INFO);
    else if (!strcmp(a, "--list")) set_mode(o, MODE_LIST);
    else if (!strcmp(a, "--list-models")) set_mode(o, MODE_LIST_MODELS);
    else if (opt_is(a, "--model")) set_model(o, long_value(argc, argv, i, a));
    else if (opt_is(a, "--segment-size")) set_segment_size(o, long_value(argc, argv, i, a));
    else if (opt_is(a, "--streams")) o->n_streams = parse_long(long_value(argc, argv, i, a), "--streams");
    else if (opt_is(a, "--compressed-format")) set_format(o, long_value(argc, argv, i, a));
    else if (opt_is(a, "--window-overlap")) o->overlap = long_value(argc, argv, i, a);
    else if (opt_is(a, "--n-ctx")) o->n_ctx = parse_long(long_value(argc, argv, i, a), "--n-ctx");
    else if (opt_is(a, "--n-gpu-layers")) {
        o->n_gpu_layers = (int)parse_long(long_value(argc, argv, i, a), "--n-gpu-layers");
        o->n_gpu_layers_given = 1;
    }
    else if (!strcmp(a, "--use-mlock")) o->use_mlock = 1;
    else if (opt_is(a, "--threads")) set_threads(o, long_value(argc, argv, i, a));
    else if (opt_is(a, "--batch")) o->n_batch = parse_long(long_value(argc, argv, i, a), "--batch");
    else if (opt_is(a, "--output")) o->output = long_value(argc, argv, i, a);
    else if (!strcmp(a, "--files")) o->files = 1;
    else if (!strcmp(a, "--force")) o->force = 1;
    else if (!strcmp(a, "--keep")) o->keep = 1;
    else if (!strcmp(a, "--verbose")) o->verbose = 1;
    else if (!strcmp(a, "--quiet")) o->quiet = 1;
    else if (!strcmp(a, "--progress")) o->progress = 1;
    else return 0;
    return 1;
}

static void check_combination(cli_options *o)
{
    if (o->mode == MODE_NONE) cli_die_usage("no mode given: use -c, -d, --test, -i, -l, --info or --list-models");
    if (o->mode == MODE_LIST_MODELS && (o->n_inputs || o->model_path))
        cli_die_usage("--list-models takes no model and no inputs");
    if (o->n_streams < 0 || o->n_streams > 1024) cli_die_usage("--streams must be between 1 and 1024");
    if (o->n_ctx < 0 || o->n_ctx > (1L << 24)) cli_die_usage("--n-ctx must be between 0 and 16777216");
    if (o->n_threads < 0 || o->n_threads > 1024) cli_die_usage("thread count must be between 1 and 1024");
    if (o->n_batch < 0 || o->n_batch > 4096) cli_die_usage("--batch must be between 1 and 4096");
    if (o->mode == MODE_INTERACTIVE) {
        if (o->format == FMT_BINARY) cli_die_usage("interactive mode only supports base64 compressed data");
        if (o->n_inputs) cli_die_usage("interactive mode takes no input arguments");
        if (o->output) cli_die_usage("interactive mode writes to the terminal; -o is not supported");
    }
    if (o->test && o->output) cli_die_usage("--test writes nothing; -o is not supported");
    if (o->format == FMT_DEFAULT) o->format = o->mode == MODE_INTERACTIVE ? FMT_BASE64 : FMT_BINARY;
    if (o->files && o->n_inputs == 0) cli_die_usage("--files needs at least one file");
    if (o->files && o->output && o->n_inputs > 1) cli_die_usage("-o takes one input file; got %d", o->n_inputs);
    int stdin_inputs = 0;
    for (int i = 0; o->files && i < o->n_inputs; i++) stdin_inputs += !strcmp(o->inputs[i], "-");
    if (stdin_inputs > 1) cli_die_usage("standard input ('-') can be read only once");
    if (o->quiet) o->progress = 0;
    if (o->progress < 0) o->progress = o->mode != MODE_INTERACTIVE && isatty(STDERR_FILENO);
}

void cli_parse_args(int argc, char **argv, cli_options *o)
{
    memset(o, 0, sizeof(*o));
    o->overlap = "0%";
    o->n_gpu_layers = -1;
    o->progress = -1;
    o->inputs = calloc((size_t)argc, sizeof(char *));
    if (!o->inputs) cli_die_usage("out of memory");
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == '\0') { /* "-" is standard input */
            if (o->mode == MODE_NONE) {
                if (o->model_path) cli_die_usage("unexpected argument '%s' before the mode (the model is '%s')", a, o->model_path);
                o->model_path = a;
            } else {
                o->inputs[o->n_inputs++] = argv[i];
            }
        } else if (!strcmp(a, "--")) {
            only_positional = 1;
        } else if (a[1] == '-') {
            if (!parse_long_option(argc, argv, &i, o)) cli_die_usage("unknown option '%s'", a);
        } else {
            parse_short_cluster(argc, argv, &i, o);
        }
    }
    check_combination(o);
}

uint32_t cli_parse_overlap(const char *s, uint32_t n_ctx)
{
    size_t len = strlen(s);
    uint32_t tokens;
    if (len && s[len - 1] == '%') {
        char *end;
        errno = 0;
        double p = strtod(s, &end);
        if (errno || end != s + len - 1 || !(p >= 0 && p <= 100))
            cli_die_usage("window overlap must be in the range [0%%, 100%%]");
        tokens = (uint32_t)(p / 100.0 * (double)(n_ctx - 1));
    } else {
        long v = parse_long(s, "window overlap (a token count or a percentage)");
        if (v < 0) v += (long)n_ctx;
        if (v < 0 || v >= (long)n_ctx) cli_die_usage("window overlap must be in the range [-%u, %u]", n_ctx, n_ctx - 1);
        tokens = (uint32_t)v;
    }
    if (n_ctx >= 2 && tokens > n_ctx - 2) tokens = n_ctx - 2; /* a window must take a new token */
    return tokens;
}
