/*
 * llama-zip - command-line front end of libllamazip (public API only).
 *
 *   llama-zip [LLM_PATH] [options] <mode> [input...]
 *
 * Compatible with the original Python llama-zip's interface (-c, -d, -i,
 * -f, -w, --n-ctx, --n-gpu-layers, --use-mlock), plus a default model,
 * files (--files, -o, --force), threads, progress, -v, --info.
 *
 * Exit status: 0 success, 1 usage error, 2 data or model error.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "llamazip.h"
#include "base64.h"
#include "cpu_level.h"
#include "fileio.h"
#include "model_path.h"

#define EXIT_USAGE 1
#define EXIT_DATA 2
#define ARCHIVE_SUFFIX ".llz"

typedef enum { MODE_NONE, MODE_COMPRESS, MODE_DECOMPRESS, MODE_INTERACTIVE, MODE_INFO } cli_mode;
typedef enum { FMT_DEFAULT, FMT_BINARY, FMT_BASE64 } cli_format;

typedef struct {
    const char *model_path;
    cli_mode mode;
    cli_format format;
    const char *overlap;       /* "25%" or "100" or "-10" */
    long n_ctx;
    int n_gpu_layers;
    int n_gpu_layers_given;
    int use_mlock;
    int n_threads;
    long n_batch;
    const char *output;
    int files;
    int force;
    int verbose;
    int quiet;
    int progress;              /* -1 auto (stderr is a terminal), 0 off, 1 on */
    char **inputs;
    int n_inputs;
} cli_options;

static volatile sig_atomic_t g_interrupted;

/* ---------------------------------------------------------------- messages */

static void die_usage(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2), noreturn))
#endif
    ;

static void die_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("llama-zip: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nTry 'llama-zip --help' for more information.\n", stderr);
    va_end(ap);
    exit(EXIT_USAGE);
}

static void print_help(void)
{
    printf(
        "Usage: llama-zip [LLM_PATH] [options] <mode> [input...]\n"
        "Lossless compression with a large language model as the probability model.\n"
        "\n"
        "Modes:\n"
        "  -c, --compress [TEXT...]    compress TEXT (joined by spaces) or stdin\n"
        "  -d, --decompress [DATA]     decompress DATA or stdin\n"
        "  -i, --interactive           prompt: base64 lines are decompressed, others compressed\n"
        "      --info                  describe the model and exit\n"
        "\n"
        "Options:\n"
        "  LLM_PATH                    GGUF model (default: $LLAMAZIP_MODEL or the installed\n"
        "                              Gemma 3 270M, see 'make model')\n"
        "  -f, --compressed-format F   binary (default) or base64 (interactive: base64 only)\n"
        "  -w, --window-overlap N      tokens kept when the context window slides: a count,\n"
        "                              a negative count (n_ctx + N) or a percentage (25%%)\n"
        "      --n-ctx N               context window in tokens (default 0: the model's)\n"
        "      --n-gpu-layers N        accepted for compatibility; this build runs on the CPU\n"
        "      --use-mlock             keep the model locked in RAM\n"
        "  -t, --threads N             threads (default: all CPUs)\n"
        "      --batch N               tokens per evaluation batch when compressing (default 64)\n"
        "      --files                 inputs are file paths: FILE -> FILE" ARCHIVE_SUFFIX
        " (compress) or back (decompress)\n"
        "  -o, --output FILE           write to FILE (atomically) instead of stdout\n"
        "      --force                 overwrite existing output files\n"
        "  -v, --verbose               print a summary (sizes, ratio, bits per byte, time)\n"
        "  -q, --quiet                 no progress display\n"
        "      --progress              progress display even when stderr is not a terminal\n"
        "  -h, --help                  this help\n"
        "  -V, --version               version\n"
        "\n"
        "Exit status: 0 success, 1 usage error, 2 data or model error.\n"
        "Archives record the model fingerprint, n_ctx and overlap: decompression needs no flags.\n");
}

/* ---------------------------------------------------------------- arguments */

static long parse_long(const char *s, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end) die_usage("invalid %s: '%s'", what, s);
    return v;
}

/* Value of an option given as "--opt=value", "--opt value" or "-o value". */
static const char *option_value(int argc, char **argv, int *i, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (arg[1] == '-' && eq) return eq + 1;
    if (*i + 1 >= argc) die_usage("option '%s' needs a value", arg);
    return argv[++*i];
}

static int opt_is(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static void set_mode(cli_options *o, cli_mode m)
{
    if (o->mode != MODE_NONE && o->mode != m) die_usage("only one of -c, -d, -i, --info may be given");
    o->mode = m;
}

static void parse_args(int argc, char **argv, cli_options *o)
{
    memset(o, 0, sizeof(*o));
    o->overlap = "0%";
    o->n_gpu_layers = -1;
    o->progress = -1;
    o->inputs = calloc((size_t)argc, sizeof(char *));
    if (!o->inputs) die_usage("out of memory");
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            if (o->mode == MODE_NONE) {
                if (o->model_path) die_usage("unexpected argument '%s' before the mode", a);
                o->model_path = a;
            } else {
                o->inputs[o->n_inputs++] = argv[i];
            }
            continue;
        }
        if (!strcmp(a, "--")) only_positional = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { print_help(); exit(0); }
        else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("llama-zip %s\n", llamazip_version_string());
            exit(0);
        }
        else if (!strcmp(a, "-c") || !strcmp(a, "--compress")) set_mode(o, MODE_COMPRESS);
        else if (!strcmp(a, "-d") || !strcmp(a, "--decompress")) set_mode(o, MODE_DECOMPRESS);
        else if (!strcmp(a, "-i") || !strcmp(a, "--interactive")) set_mode(o, MODE_INTERACTIVE);
        else if (!strcmp(a, "--info")) set_mode(o, MODE_INFO);
        else if (!strcmp(a, "-f") || opt_is(a, "--compressed-format")) {
            const char *v = option_value(argc, argv, &i, a);
            if (!strcmp(v, "binary")) o->format = FMT_BINARY;
            else if (!strcmp(v, "base64")) o->format = FMT_BASE64;
            else die_usage("invalid compressed format '%s' (binary or base64)", v);
        }
        else if (!strcmp(a, "-w") || opt_is(a, "--window-overlap")) o->overlap = option_value(argc, argv, &i, a);
        else if (opt_is(a, "--n-ctx")) o->n_ctx = parse_long(option_value(argc, argv, &i, a), "--n-ctx");
        else if (opt_is(a, "--n-gpu-layers")) {
            o->n_gpu_layers = (int)parse_long(option_value(argc, argv, &i, a), "--n-gpu-layers");
            o->n_gpu_layers_given = 1;
        }
        else if (!strcmp(a, "--use-mlock")) o->use_mlock = 1;
        else if (!strcmp(a, "-t") || opt_is(a, "--threads"))
            o->n_threads = (int)parse_long(option_value(argc, argv, &i, a), "thread count");
        else if (opt_is(a, "--batch")) o->n_batch = parse_long(option_value(argc, argv, &i, a), "--batch");
        else if (!strcmp(a, "-o") || opt_is(a, "--output")) o->output = option_value(argc, argv, &i, a);
        else if (!strcmp(a, "--files")) o->files = 1;
        else if (!strcmp(a, "--force")) o->force = 1;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) o->verbose = 1;
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) o->quiet = 1;
        else if (!strcmp(a, "--progress")) o->progress = 1;
        else die_usage("unknown option '%s'", a);
    }
    if (o->mode == MODE_NONE) die_usage("no mode given: use -c, -d, -i or --info");
    if (o->n_ctx < 0 || o->n_ctx > (1L << 24)) die_usage("--n-ctx must be between 0 and 16777216");
    if (o->n_threads < 0 || o->n_threads > 1024) die_usage("thread count must be between 1 and 1024");
    if (o->n_batch < 0 || o->n_batch > 4096) die_usage("--batch must be between 1 and 4096");
    if (o->mode == MODE_INTERACTIVE) {
        if (o->format == FMT_BINARY) die_usage("interactive mode only supports base64 compressed data");
        if (o->n_inputs) die_usage("interactive mode takes no input arguments");
        if (o->output) die_usage("interactive mode writes to the terminal; -o is not supported");
    }
    if (o->format == FMT_DEFAULT) o->format = o->mode == MODE_INTERACTIVE ? FMT_BASE64 : FMT_BINARY;
    if (o->files && o->n_inputs == 0) die_usage("--files needs at least one file");
    if (o->files && o->output && o->n_inputs > 1) die_usage("-o takes one input file; got %d", o->n_inputs);
    if (o->quiet) o->progress = 0;
    if (o->progress < 0) o->progress = o->mode != MODE_INTERACTIVE && isatty(STDERR_FILENO);
}

/* Window overlap in tokens from "N", "-N" or "P%" (the original's rules). */
static int parse_overlap(const char *s, uint32_t n_ctx, uint32_t *tokens, uint32_t *percent)
{
    size_t len = strlen(s);
    *tokens = 0;
    *percent = 0;
    if (len && s[len - 1] == '%') {
        char *end;
        errno = 0;
        double p = strtod(s, &end);
        if (errno || end != s + len - 1 || !(p >= 0 && p <= 100)) {
            die_usage("window overlap must be in the range [0%%, 100%%]");
        }
        *tokens = (uint32_t)(p / 100.0 * (double)(n_ctx - 1));
    } else {
        long v = parse_long(s, "window overlap (a token count or a percentage)");
        if (v < 0) v += (long)n_ctx;
        if (v < 0 || v >= (long)n_ctx)
            die_usage("window overlap must be in the range [-%u, %u]", n_ctx, n_ctx - 1);
        *tokens = (uint32_t)v;
    }
    if (n_ctx >= 2 && *tokens > n_ctx - 2) *tokens = n_ctx - 2; /* a window must take a new token */
    return 0;
}

/* ---------------------------------------------------------------- progress */

typedef struct {
    int enabled;
    double last;
    int shown;
} progress_state;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fmt_bytes(char *buf, size_t n, double b)
{
    if (b < 1024) snprintf(buf, n, "%.0f B", b);
    else if (b < 1048576) snprintf(buf, n, "%.1f KiB", b / 1024);
    else snprintf(buf, n, "%.1f MiB", b / 1048576);
}

static int on_progress(void *user, const llamazip_progress *p)
{
    progress_state *ps = user;
    if (g_interrupted) return 1;
    if (!ps->enabled) return 0;
    double t = now_s();
    if (ps->shown && t - ps->last < 0.2 && p->bytes_done < p->bytes_total) return 0;
    ps->last = t;
    ps->shown = 1;
    char done[32], total[32];
    fmt_bytes(done, sizeof(done), (double)p->bytes_done);
    fmt_bytes(total, sizeof(total), (double)p->bytes_total);
    double frac = p->bytes_total ? (double)p->bytes_done / p->bytes_total : 1.0;
    double tps = p->seconds > 0 ? p->tokens_done / p->seconds : 0;
    double eta = frac > 0 ? p->seconds * (1 - frac) / frac : 0;
    double ratio = p->coded_bytes ? (double)p->bytes_done / p->coded_bytes : 0;
    fprintf(stderr, "\r%s %5.1f%% %s / %s  %.0f tok/s  ratio %.2f  ETA %d:%02d   ",
            p->decompressing ? "decompressing" : "compressing", 100 * frac, done, total, tps, ratio,
            (int)eta / 60, (int)eta % 60);
    fflush(stderr);
    return 0;
}

static void progress_clear(progress_state *ps)
{
    if (ps->enabled && ps->shown) {
        fprintf(stderr, "\r%*s\r", 79, "");
        fflush(stderr);
    }
    ps->shown = 0;
}

/* ---------------------------------------------------------------- actions */

typedef struct {
    cli_options *opt;
    llamazip_model *model;
    llamazip_ctx *ctx;
    progress_state progress;
} cli_state;

static void print_summary(const cli_state *st, int compressing, const char *name)
{
    llamazip_stats s;
    llamazip_ctx_stats(st->ctx, &s);
    uint64_t orig = compressing ? s.input_bytes : s.output_bytes;
    uint64_t comp = compressing ? s.output_bytes : s.input_bytes;
    fprintf(stderr, "%s: %llu -> %llu bytes", name ? name : "(stdin)",
            (unsigned long long)(compressing ? orig : comp), (unsigned long long)(compressing ? comp : orig));
    if (comp) fprintf(stderr, ", ratio %.3f", (double)orig / comp);
    if (orig) fprintf(stderr, ", %.3f bits/byte", 8.0 * comp / orig);
    fprintf(stderr, ", %llu tokens", (unsigned long long)s.n_tokens);
    if (s.ideal_bits > 0)
        fprintf(stderr, ", model-coded %.0f bits vs ideal %.0f (%+.3f%%)", s.coded_bits, s.ideal_bits,
                100.0 * (s.coded_bits - s.ideal_bits) / s.ideal_bits);
    fprintf(stderr, ", %.2f s", s.seconds);
    if (s.seconds > 0 && s.n_tokens) fprintf(stderr, " (%.1f tok/s)", s.n_tokens / s.seconds);
    fputc('\n', stderr);
}

/* Run one compress or decompress; returns the status. */
static llamazip_status run_one(cli_state *st, int compressing, const uint8_t *in, size_t in_len, uint8_t **out,
                               size_t *out_len)
{
    void *dst = NULL;
    size_t dst_len = 0;
    llamazip_status rc = compressing ? llamazip_compress(st->ctx, in, in_len, &dst, &dst_len)
                                     : llamazip_decompress(st->ctx, in, in_len, &dst, &dst_len);
    progress_clear(&st->progress);
    *out = dst;
    *out_len = dst_len;
    return rc;
}

static int report_error(cli_state *st, const char *name, llamazip_status rc)
{
    fprintf(stderr, "llama-zip: %s%s%s\n", name ? name : "", name ? ": " : "", llamazip_ctx_error(st->ctx));
    return rc == LLAMAZIP_E_USAGE ? EXIT_USAGE : EXIT_DATA;
}

/* Bytes to decompress: the binary archive, or base64 text decoded. */
static int archive_bytes(const cli_options *o, uint8_t *in, size_t in_len, uint8_t **arc, size_t *arc_len)
{
    if (o->format != FMT_BASE64) {
        *arc = in;
        *arc_len = in_len;
        return 0;
    }
    *arc = b64_decode((const char *)in, in_len, arc_len);
    return *arc ? 0 : ENOMEM;
}

static int write_result(cli_state *st, const char *path, const char *protect, const uint8_t *data, size_t len,
                        int base64_out)
{
    uint8_t *enc = NULL;
    if (base64_out) {
        size_t elen;
        char *s = b64_encode(data, len, &elen);
        if (!s) { fprintf(stderr, "llama-zip: out of memory\n"); return EXIT_DATA; }
        enc = (uint8_t *)s;
        data = enc;
        len = elen;
    }
    int rc = 0;
    if (path && strcmp(path, "-") != 0) {
        char msg[1024];
        int e = fio_write_atomic(path, data, len, st->opt->force, protect, msg, sizeof(msg));
        if (e) {
            fprintf(stderr, "llama-zip: %s\n", msg);
            rc = e == EEXIST || e == EINVAL ? EXIT_USAGE : EXIT_DATA;
        }
    } else {
        int e = fio_write_stream(stdout, data, len);
        if (e) {
            fprintf(stderr, "llama-zip: writing to standard output: %s\n", strerror(e));
            rc = EXIT_DATA;
        }
    }
    free(enc);
    return rc;
}

static int process_buffer(cli_state *st, int compressing, uint8_t *in, size_t in_len, const char *name,
                          const char *out_path, const char *protect)
{
    const cli_options *o = st->opt;
    uint8_t *arc = in;
    size_t arc_len = in_len;
    if (!compressing && archive_bytes(o, in, in_len, &arc, &arc_len)) {
        fprintf(stderr, "llama-zip: out of memory\n");
        return EXIT_DATA;
    }
    uint8_t *out = NULL;
    size_t out_len = 0;
    llamazip_status rc = run_one(st, compressing, arc, arc_len, &out, &out_len);
    if (arc != in) free(arc);
    if (rc != LLAMAZIP_OK) return report_error(st, name, rc);
    int base64_out = compressing && o->format == FMT_BASE64;
    if (!out_path && compressing && !base64_out && isatty(STDOUT_FILENO)) {
        llamazip_free_buffer(out);
        fprintf(stderr, "llama-zip: refusing to write binary data to a terminal; use -f base64 or -o FILE\n");
        return EXIT_USAGE;
    }
    int wrc = write_result(st, out_path, protect, out, out_len, base64_out);
    if (!wrc && o->verbose) print_summary(st, compressing, name);
    llamazip_free_buffer(out);
    return wrc;
}

static char *default_output_name(const char *in, int compressing)
{
    size_t n = strlen(in), sl = strlen(ARCHIVE_SUFFIX);
    char *out = malloc(n + sl + 1);
    if (!out) return NULL;
    if (compressing) {
        memcpy(out, in, n);
        memcpy(out + n, ARCHIVE_SUFFIX, sl + 1);
        return out;
    }
    if (n <= sl || strcmp(in + n - sl, ARCHIVE_SUFFIX) != 0) {
        free(out);
        return NULL;
    }
    memcpy(out, in, n - sl);
    out[n - sl] = '\0';
    return out;
}

static int process_files(cli_state *st, int compressing)
{
    const cli_options *o = st->opt;
    int worst = 0;
    for (int i = 0; i < o->n_inputs; i++) {
        const char *in_path = o->inputs[i];
        char *out_path = o->output ? strdup(o->output) : default_output_name(in_path, compressing);
        if (!out_path) {
            fprintf(stderr, "llama-zip: %s: unknown suffix (expected %s); use -o FILE\n", in_path, ARCHIVE_SUFFIX);
            worst = worst > EXIT_USAGE ? worst : EXIT_USAGE;
            continue;
        }
        uint8_t *data = NULL;
        size_t len = 0;
        int e = fio_read_path(in_path, &data, &len);
        int rc;
        if (e) {
            fprintf(stderr, "llama-zip: %s: %s\n", in_path, strerror(e));
            rc = EXIT_DATA;
        } else {
            rc = process_buffer(st, compressing, data, len, in_path, out_path, in_path);
        }
        free(data);
        free(out_path);
        if (rc > worst) worst = rc;
        if (g_interrupted) break;
    }
    return worst;
}

static int process_args_or_stdin(cli_state *st, int compressing)
{
    const cli_options *o = st->opt;
    uint8_t *data = NULL;
    size_t len = 0;
    if (o->n_inputs > 0) {
        /* the original joins compress arguments with spaces and takes the first decompress argument */
        size_t total = 0;
        int n = compressing ? o->n_inputs : 1;
        for (int i = 0; i < n; i++) total += strlen(o->inputs[i]) + 1;
        data = malloc(total + 1);
        if (!data) { fprintf(stderr, "llama-zip: out of memory\n"); return EXIT_DATA; }
        for (int i = 0; i < n; i++) {
            size_t l = strlen(o->inputs[i]);
            if (i) data[len++] = ' ';
            memcpy(data + len, o->inputs[i], l);
            len += l;
        }
    } else {
        int e = fio_read_stream(stdin, &data, &len);
        if (e) {
            fprintf(stderr, "llama-zip: reading standard input: %s\n", strerror(e));
            return EXIT_DATA;
        }
    }
    int rc = process_buffer(st, compressing, data, len, NULL, o->output, NULL);
    free(data);
    return rc;
}

/* ---------------------------------------------------------------- interactive */

static volatile sig_atomic_t g_at_prompt;

/* Ctrl+C cancels the work in progress (the progress callback sees the flag);
 * at the interactive prompt it leaves at once, which also closes the race
 * of a signal that lands between printing the prompt and blocking in read. */
static void on_sigint(int sig)
{
    (void)sig;
    if (g_at_prompt) {
        static const char nl = '\n';
        ssize_t ignored = write(STDOUT_FILENO, &nl, 1);
        (void)ignored;
        _exit(0);
    }
    g_interrupted = 1;
}

static int is_base64_line(const char *s, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!b64_is_alpha((unsigned char)s[i]) && s[i] != '=') return 0;
    return 1;
}

static int interactive(cli_state *st)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: Ctrl+C at the prompt interrupts the read */
    sigaction(SIGINT, &sa, NULL);
    char *line = NULL;
    size_t cap = 0;
    for (;;) {
        g_interrupted = 0;
        g_at_prompt = 1; /* before the prompt: a Ctrl+C right after it must not be lost */
        fputs("\xe2\x89\xa5\xe2\x89\xa5\xe2\x89\xa5 ", stdout); /* the original's prompt: three U+2265 */
        fflush(stdout);
        ssize_t n = getline(&line, &cap, stdin);
        g_at_prompt = 0;
        if (n < 0) break; /* EOF */
        if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
        if (n > 0 && line[n - 1] == '\r') line[--n] = '\0';
        uint8_t *out = NULL;
        size_t out_len = 0;
        int decompress = is_base64_line(line, (size_t)n);
        llamazip_status rc;
        if (decompress) {
            size_t arc_len;
            uint8_t *arc = b64_decode(line, (size_t)n, &arc_len);
            rc = arc ? run_one(st, 0, arc, arc_len, &out, &out_len) : LLAMAZIP_E_NOMEM;
            free(arc);
        } else {
            rc = run_one(st, 1, (const uint8_t *)line, (size_t)n, &out, &out_len);
        }
        if (rc == LLAMAZIP_E_CANCELLED) {
            fputs("\n(cancelled)\n", stderr);
        } else if (rc != LLAMAZIP_OK) {
            fprintf(stderr, "llama-zip: %s\n", llamazip_ctx_error(st->ctx));
        } else if (decompress) {
            fwrite(out, 1, out_len, stdout);
            fputc('\n', stdout);
        } else {
            char *b64 = b64_encode(out, out_len, NULL);
            if (b64) puts(b64);
            free(b64);
        }
        if (rc == LLAMAZIP_OK && st->opt->verbose) print_summary(st, !decompress, NULL);
        llamazip_free_buffer(out);
        fflush(stdout);
    }
    free(line);
    fputc('\n', stdout);
    return 0;
}

/* ---------------------------------------------------------------- main */

static int load(cli_state *st)
{
    cli_options *o = st->opt;
    char default_path[4096];
    const char *path = o->model_path ? o->model_path : lz_cli_default_model(default_path, sizeof(default_path));
    if (!path) {
        fprintf(stderr, "llama-zip: no model given and the default model was not found.\n"
                        "Give a GGUF path, set LLAMAZIP_MODEL, or run 'make model'.\n");
        return EXIT_USAGE;
    }
    if (o->n_gpu_layers_given && !o->quiet)
        fprintf(stderr, "llama-zip: note: --n-gpu-layers %d accepted but ignored: this build runs on the CPU\n",
                o->n_gpu_layers);
    llamazip_model_params mp;
    llamazip_model_params_default(&mp);
    mp.n_threads = o->n_threads;
    mp.use_mlock = o->use_mlock;
    mp.n_gpu_layers = o->n_gpu_layers;
    char err[1024];
    llamazip_status rc = llamazip_model_load(path, &mp, &st->model, err, sizeof(err));
    if (rc != LLAMAZIP_OK) {
        fprintf(stderr, "llama-zip: cannot load model: %s\n", err);
        return rc == LLAMAZIP_E_USAGE ? EXIT_USAGE : EXIT_DATA;
    }
    if (o->mode == MODE_INFO) return 0;
    llamazip_ctx_params cp;
    llamazip_ctx_params_default(&cp);
    cp.n_ctx = (uint32_t)o->n_ctx;
    uint32_t n_ctx = cp.n_ctx ? cp.n_ctx : llamazip_model_context_length(st->model);
    if (n_ctx < 2) die_usage("--n-ctx must be at least 2");
    parse_overlap(o->overlap, n_ctx, &cp.window_overlap, &cp.window_overlap_percent);
    cp.n_threads = o->n_threads;
    cp.n_batch = (uint32_t)o->n_batch;
    cp.progress = on_progress;
    cp.progress_user = &st->progress;
    cp.cpu_level = lz_cli_cpu_level();
    if (llamazip_ctx_create(st->model, &cp, &st->ctx, err, sizeof(err)) != LLAMAZIP_OK) {
        fprintf(stderr, "llama-zip: %s\n", err);
        return EXIT_DATA;
    }
    return 0;
}

int main(int argc, char **argv)
{
    cli_options opt;
    parse_args(argc, argv, &opt);
    cli_state st;
    memset(&st, 0, sizeof(st));
    st.opt = &opt;
    st.progress.enabled = opt.progress;
    int rc = load(&st);
    if (!rc) {
        if (opt.mode == MODE_INFO) {
            size_t need = llamazip_model_describe(st.model, NULL, 0) + 1;
            char *text = malloc(need);
            if (text) {
                llamazip_model_describe(st.model, text, need);
                fputs(text, stdout);
                free(text);
            }
        } else if (opt.mode == MODE_INTERACTIVE) {
            rc = interactive(&st);
        } else {
            if (opt.mode == MODE_COMPRESS || opt.mode == MODE_DECOMPRESS) {
                struct sigaction sa;
                memset(&sa, 0, sizeof(sa));
                sa.sa_handler = on_sigint;
                sigaction(SIGINT, &sa, NULL); /* Ctrl+C cancels cleanly: no half-written file */
            }
            int compressing = opt.mode == MODE_COMPRESS;
            rc = opt.files ? process_files(&st, compressing) : process_args_or_stdin(&st, compressing);
        }
    }
    llamazip_ctx_free(st.ctx);
    llamazip_model_free(st.model);
    free(opt.inputs);
    return rc;
}
