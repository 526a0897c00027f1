/*
 * llama-zip - command-line front end of libllamazip (public API only).
 *
 *   llama-zip [LLM_PATH] [options] <mode> [input...]
 *
 * Compatible with the original Python llama-zip's interface (-c, -d, -i,
 * -f, -w, --n-ctx, --n-gpu-layers, --use-mlock), plus a default model,
 * files (--files, -o, --force), --test, threads, progress, -v, --info.
 *
 * Every check that can fail without the model (inputs readable, outputs
 * writable and not existing, not an input, no binary data to a terminal,
 * standard input read, a model path) is made before the model is loaded, so
 * a refused command costs nothing. Exit status: cli_options.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "llamazip.h"
#include "base64.h"
#include "cli_list.h"
#include "cli_models.h"
#include "cli_options.h"
#include "cli_signals.h"
#include "cpu_level.h"
#include "fileio.h"
#include "model_path.h"

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
    if (sig_interrupted()) return 1; /* interactive Ctrl+C: cancel this line's work */
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

/* ---------------------------------------------------------------- state */

/* One input -> output of a run. */
typedef struct {
    const char *in_path;   /* file to read; NULL: standard input or the argument text */
    int from_stdin;
    const char *name;      /* for messages; NULL for standard input and arguments */
    char *out_path;        /* file to write; NULL: standard output (nothing with --test) */
    int has_meta;
    fio_meta meta;         /* the input file's mode and times, for its output */
    int status;            /* after the checks: 0 = to do, else the exit status it failed with */
} cli_job;

typedef struct {
    cli_options *opt;
    llamazip_model *model;
    llamazip_ctx *ctx;
    progress_state progress;
    cli_job *jobs;
    int n_jobs;
    fio_id *input_ids;     /* every input (files, standard input): no output may replace one */
    size_t n_input_ids;
    uint8_t *stdin_data;
    size_t stdin_len;
} cli_state;

static int worse(int a, int b) { return a > b ? a : b; }

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
    if (!compressing && s.streams > 1) fprintf(stderr, ", %u segments at a time", s.streams);
    fputc('\n', stderr);
}

/* strerror, but the words the documentation promises for a memory limit. */
static const char *errno_text(int e)
{
    return e == ENOMEM ? "out of memory" : strerror(e);
}

static void print_error(const char *name, const char *msg)
{
    fprintf(stderr, "llama-zip: %s%s%s\n", name ? name : "", name ? ": " : "", msg);
}

/* ---------------------------------------------------------------- model */

/* The model file: LLM_PATH or --model (a path or a known name), else
 * $LLAMAZIP_MODEL (the same), else the default model; NULL after a message
 * when a name's file or the default model is not installed. */
static const char *model_path(const cli_options *o)
{
    static char path[4096];
    const char *name;
    lz_model_where w = lz_cli_resolve_model(o->model_path, path, sizeof(path), &name);
    if (w == LZ_MODEL_NOT_FOUND)
        fprintf(stderr, "llama-zip: no model given and the default model was not found.\n"
                        "Give a GGUF path or a name (--list-models), set LLAMAZIP_MODEL, or run 'make model'.\n");
    else if (w == LZ_MODEL_NOT_INSTALLED)
        fprintf(stderr, "llama-zip: model '%s' is not installed; run 'make model MODEL=%s' (see --list-models)\n",
                name, name);
    return w == LZ_MODEL_FOUND ? path : NULL;
}

static int load_model(cli_state *st)
{
    cli_options *o = st->opt;
    const char *path = model_path(o);
    if (!path) return EXIT_USAGE;
    if (o->n_gpu_layers_given && !o->quiet)
        fprintf(stderr, "llama-zip: note: --n-gpu-layers %d accepted but ignored: this build runs on the CPU\n",
                o->n_gpu_layers);
    llamazip_model_params mp;
    llamazip_model_params_default(&mp);
    mp.n_threads = o->n_threads;
    mp.use_mlock = o->use_mlock;
    mp.n_gpu_layers = o->n_gpu_layers;
    char err[1024];
    if (llamazip_model_load(path, &mp, &st->model, err, sizeof(err)) != LLAMAZIP_OK) {
        fprintf(stderr, "llama-zip: cannot load model: %s\n", err);
        return EXIT_DATA;
    }
    return 0;
}

/* The context window: --n-ctx, the model's own by default, never above the model's. */
static uint32_t choose_n_ctx(const cli_state *st)
{
    const cli_options *o = st->opt;
    uint32_t model_ctx = llamazip_model_context_length(st->model);
    if (!o->n_ctx) return model_ctx;
    if (model_ctx >= 2 && (uint64_t)o->n_ctx > model_ctx) {
        if (o->mode != MODE_DECOMPRESS) /* decompression takes n_ctx from the archive: nothing to warn about */
            fprintf(stderr, "llama-zip: warning: --n-ctx %ld is larger than the model's context length %u; "
                            "using %u\n", o->n_ctx, model_ctx, model_ctx);
        return model_ctx;
    }
    return (uint32_t)o->n_ctx;
}

static int create_context(cli_state *st)
{
    cli_options *o = st->opt;
    llamazip_ctx_params cp;
    llamazip_ctx_params_default(&cp);
    cp.n_ctx = choose_n_ctx(st);
    if (cp.n_ctx < 2) cli_die_usage("--n-ctx must be at least 2");
    cp.window_overlap = cli_parse_overlap(o->overlap, cp.n_ctx);
    cp.n_threads = o->n_threads;
    cp.n_batch = (uint32_t)o->n_batch;
    cp.segment_size = o->segment_size;
    cp.n_streams = (uint32_t)o->n_streams;
    cp.progress = on_progress;
    cp.progress_user = &st->progress;
    cp.cpu_level = lz_cli_cpu_level();
    char err[1024];
    if (llamazip_ctx_create(st->model, &cp, &st->ctx, err, sizeof(err)) != LLAMAZIP_OK) {
        fprintf(stderr, "llama-zip: %s\n", err);
        return EXIT_DATA;
    }
    return 0;
}

/* ---------------------------------------------------------------- one compress or decompress */

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

/* The archive bytes of -d / --test input: as given, or decoded from base64. */
static int archive_bytes(const cli_job *job, int base64, const uint8_t *in, size_t in_len, uint8_t **arc,
                         size_t *arc_len)
{
    *arc = (uint8_t *)in;
    *arc_len = in_len;
    if (!base64) return 0;
    char why[160];
    b64_status bs = b64_decode((const char *)in, in_len, arc, arc_len, why, sizeof(why));
    if (bs == B64_OK) return 0;
    print_error(job->name, bs == B64_NOMEM ? "out of memory" : why);
    return EXIT_DATA;
}

static int write_output(cli_state *st, const cli_job *job, const uint8_t *data, size_t len)
{
    if (!job->out_path) {
        int e = fio_write_stream(stdout, data, len);
        if (e) fprintf(stderr, "llama-zip: writing to standard output: %s\n", errno_text(e));
        return e ? EXIT_DATA : 0;
    }
    char msg[1024];
    int refused = 0;
    int e = fio_write_atomic(job->out_path, data, len, st->opt->force, st->input_ids, st->n_input_ids,
                             job->has_meta ? &job->meta : NULL, &refused, msg, sizeof(msg));
    if (e) fprintf(stderr, "llama-zip: %s\n", msg);
    return e ? (refused ? EXIT_USAGE : EXIT_DATA) : 0;
}

/* ---------------------------------------------------------------- decompression, streamed */

/* Standard output holds back this much before writing while decoding, so
 * that a damaged archive of a smaller output writes nothing at all. It is
 * also what decompression to standard output holds beyond the decoder's
 * own memory (bench/decode_memory.py measures it), hence not more. */
#define STDOUT_HOLD ((size_t)16 << 20)

typedef struct {
    int test;              /* count only */
    fio_out *file;         /* a file being written, or NULL: standard output */
    uint8_t *held;         /* standard output: bytes not yet written */
    size_t held_len, held_cap;
    int streaming;         /* standard output: writing as it comes */
    int error;             /* errno of a failed write */
} out_sink;

static int sink_write(void *user, const void *data, size_t n)
{
    out_sink *o = user;
    const uint8_t *p = data;
    if (o->test) return 0;
    if (o->file) {
        if ((o->error = fio_out_write(o->file, p, n))) return LLAMAZIP_E_IO;
        return 0;
    }
    if (!o->streaming && o->held_len + n <= STDOUT_HOLD) {
        if (o->held_len + n > o->held_cap) {
            size_t cap = o->held_cap ? o->held_cap : 65536;
            while (cap < o->held_len + n) cap *= 2;
            uint8_t *h = realloc(o->held, cap);
            if (!h) {
                o->error = ENOMEM;
                return LLAMAZIP_E_NOMEM;
            }
            o->held = h;
            o->held_cap = cap;
        }
        memcpy(o->held + o->held_len, p, n);
        o->held_len += n;
        return 0;
    }
    if (!o->streaming) {   /* too large to hold: from here on as it comes */
        o->streaming = 1;
        if ((o->error = fio_write_stream(stdout, o->held, o->held_len))) return LLAMAZIP_E_IO;
        o->held_len = 0;
    }
    if ((o->error = fio_write_stream(stdout, p, n))) return LLAMAZIP_E_IO;
    return 0;
}

/* Archive bytes pulled from a file as they are decoded; the first
 * DIAG_HEAD bytes are kept to name the model of an archive that another
 * model made (cli_decode_error). */
#define DIAG_HEAD ((size_t)64 << 10)

typedef struct {
    FILE *f;
    uint8_t head[DIAG_HEAD];
    size_t head_len;
    int error;             /* errno of a failed read */
} in_source;

static int source_read(void *user, void *buf, size_t size, size_t *got)
{
    in_source *in = user;
    *got = fread(buf, 1, size, in->f);
    if (*got == 0 && ferror(in->f)) {
        in->error = errno ? errno : EIO;
        return LLAMAZIP_E_IO;
    }
    const size_t room = DIAG_HEAD - in->head_len, keep = *got < room ? *got : room;
    memcpy(in->head + in->head_len, buf, keep);
    in->head_len += keep;
    return 0;
}

/* -d and --test: the output goes to its file (temporary file, renamed at
 * the end) or standard output as it is decoded; the archive comes from
 * memory (arc) or, read as it is decoded, from the stream `from`. */
static int decompress_and_write(cli_state *st, const cli_job *job, const uint8_t *arc, size_t arc_len, FILE *from)
{
    const cli_options *o = st->opt;
    out_sink sink;
    memset(&sink, 0, sizeof(sink));
    sink.test = o->test;
    fio_out file;
    char msg[1024];
    int refused = 0;
    if (!o->test && job->out_path) {
        int e = fio_out_open(&file, job->out_path, o->force, st->input_ids, st->n_input_ids, &refused, msg, sizeof(msg));
        if (e) {
            fprintf(stderr, "llama-zip: %s\n", msg);
            return refused ? EXIT_USAGE : EXIT_DATA;
        }
        sink.file = &file;
    }
    in_source *src = NULL;
    llamazip_status rc;
    if (from) {
        if (!(src = calloc(1, sizeof(*src)))) {
            print_error(job->name, "out of memory");
            if (sink.file) fio_out_finish(&file, 0, NULL, &refused, msg, sizeof(msg));
            return EXIT_DATA;
        }
        src->f = from;
        rc = llamazip_decompress_reader(st->ctx, source_read, src, sink_write, &sink);
        arc = src->head;
        arc_len = src->head_len;
    } else {
        rc = llamazip_decompress_stream(st->ctx, arc, arc_len, sink_write, &sink);
    }
    progress_clear(&st->progress);
    int status = 0;
    if (rc != LLAMAZIP_OK) {
        char why[1536];
        cli_decode_error(why, sizeof(why), rc, llamazip_ctx_error(st->ctx), st->model, arc, arc_len);
        if (sink.error) print_error(job->name, errno_text(sink.error));
        else if (src && src->error) print_error(job->name, errno_text(src->error));
        else print_error(job->name, why);
        status = rc == LLAMAZIP_E_USAGE ? EXIT_USAGE : EXIT_DATA;
    }
    if (sink.file) {
        int e = fio_out_finish(&file, status == 0, job->has_meta ? &job->meta : NULL, &refused, msg, sizeof(msg));
        if (e) {
            fprintf(stderr, "llama-zip: %s\n", msg);
            status = refused ? EXIT_USAGE : EXIT_DATA;
        }
    } else if (!o->test && status == 0) {
        int e = fio_write_stream(stdout, sink.held, sink.held_len);
        if (e) {
            fprintf(stderr, "llama-zip: writing to standard output: %s\n", errno_text(e));
            status = EXIT_DATA;
        }
    }
    free(sink.held);
    free(src);
    if (status == 0 && o->test && o->verbose) {
        llamazip_stats s;
        llamazip_ctx_stats(st->ctx, &s);
        fprintf(stderr, "%s: OK (%llu bytes)\n", job->name ? job->name : "(stdin)", (unsigned long long)s.output_bytes);
    }
    if (status == 0 && o->verbose && !o->test) print_summary(st, 0, job->name);
    return status;
}

static int code_and_write(cli_state *st, const cli_job *job, const uint8_t *in, size_t in_len)
{
    const cli_options *o = st->opt;
    const int compressing = o->mode == MODE_COMPRESS, base64 = o->format == FMT_BASE64;
    uint8_t *arc = (uint8_t *)in;
    size_t arc_len = in_len;
    int rc = compressing ? 0 : archive_bytes(job, base64, in, in_len, &arc, &arc_len);
    if (rc) return rc;
    if (!compressing) {
        rc = decompress_and_write(st, job, arc, arc_len, NULL);
        if (arc != in) free(arc);
        return rc;
    }
    uint8_t *out = NULL;
    size_t out_len = 0;
    llamazip_status st_rc = run_one(st, compressing, arc, arc_len, &out, &out_len);
    if (arc != in) free(arc);
    if (st_rc != LLAMAZIP_OK) {
        print_error(job->name, llamazip_ctx_error(st->ctx));
        return st_rc == LLAMAZIP_E_USAGE ? EXIT_USAGE : EXIT_DATA;
    }
    if (o->test) {
        if (o->verbose) fprintf(stderr, "%s: OK (%zu bytes)\n", job->name ? job->name : "(stdin)", out_len);
    } else if (compressing && base64) {
        size_t elen;
        char *enc = b64_encode(out, out_len, &elen);
        rc = enc ? write_output(st, job, (const uint8_t *)enc, elen) : EXIT_DATA;
        if (!enc) print_error(job->name, "out of memory");
        free(enc);
    } else {
        rc = write_output(st, job, out, out_len);
    }
    if (!rc && o->verbose && !o->test) print_summary(st, compressing, job->name);
    llamazip_free_buffer(out);
    return rc;
}

/* Join the argument texts with spaces (compress), or take the first (decompress), as the original does. */
static uint8_t *argument_text(const cli_options *o, size_t *len)
{
    int n = o->mode == MODE_COMPRESS ? o->n_inputs : 1;
    size_t total = 1;
    for (int i = 0; i < n; i++) total += strlen(o->inputs[i]) + 1;
    uint8_t *data = malloc(total);
    if (!data) return NULL;
    *len = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(o->inputs[i]);
        if (i) data[(*len)++] = ' ';
        memcpy(data + *len, o->inputs[i], l);
        *len += l;
    }
    return data;
}

/* Binary archives from a file or standard input are decoded as they are
 * read (memory bounded whatever their size); base64 ones are read whole. */
static int streams_archive(const cli_options *o) { return o->mode == MODE_DECOMPRESS && o->format != FMT_BASE64; }

static int process_job(cli_state *st, const cli_job *job)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (streams_archive(st->opt) && (job->from_stdin || job->in_path)) {
        if (job->from_stdin) return decompress_and_write(st, job, NULL, 0, stdin);
        FILE *f = fopen(job->in_path, "rb");
        if (!f) {
            print_error(job->in_path, errno_text(errno));
            return EXIT_DATA;
        }
        int rc = decompress_and_write(st, job, NULL, 0, f);
        fclose(f);
        return rc;
    }
    if (job->from_stdin) {
        return code_and_write(st, job, st->stdin_data, st->stdin_len);
    } else if (job->in_path) {
        int e = fio_read_path(job->in_path, &data, &len);
        if (e) {
            print_error(job->in_path, errno_text(e));
            return EXIT_DATA;
        }
    } else if (!(data = argument_text(st->opt, &len))) {
        print_error(NULL, "out of memory");
        return EXIT_DATA;
    }
    int rc = code_and_write(st, job, data, len);
    free(data);
    return rc;
}

/* ---------------------------------------------------------------- planning and checks before any work */

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

/* -c notes.txt compresses the text "notes.txt", as the original does; say so when such a file exists. */
static void warn_arguments_are_files(const cli_options *o)
{
    for (int i = 0; i < o->n_inputs; i++) {
        struct stat sb;
        if (strcmp(o->inputs[i], "-") != 0 && stat(o->inputs[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
            fprintf(stderr, "llama-zip: note: '%s' is taken as %s, not as the file of that name; "
                            "use --files to %s files\n", o->inputs[i],
                    o->mode == MODE_COMPRESS ? "text to compress" : "archive data",
                    o->mode == MODE_COMPRESS ? "compress" : "decompress");
            return;
        }
    }
}

static int plan_jobs(cli_state *st)
{
    const cli_options *o = st->opt;
    const int compressing = o->mode == MODE_COMPRESS;
    int n = o->files ? o->n_inputs : 1;
    st->jobs = calloc((size_t)n, sizeof(cli_job));
    st->input_ids = calloc((size_t)n + 1, sizeof(fio_id)); /* the inputs and the model */
    if (!st->jobs || !st->input_ids) return EXIT_DATA;
    st->n_jobs = n;
    const char *out = o->output && strcmp(o->output, "-") != 0 ? o->output : NULL;
    if (!o->files) {
        cli_job *job = &st->jobs[0];
        job->from_stdin = o->n_inputs == 0 || (o->n_inputs == 1 && !strcmp(o->inputs[0], "-"));
        if (!job->from_stdin) warn_arguments_are_files(o);
        if (out && !(job->out_path = strdup(out))) return EXIT_DATA;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        cli_job *job = &st->jobs[i];
        const char *in = o->inputs[i];
        job->from_stdin = !strcmp(in, "-");
        job->in_path = job->from_stdin ? NULL : in;
        job->name = job->in_path;
        if (o->test || (job->from_stdin && !out)) continue; /* nothing written / standard output */
        job->out_path = out ? strdup(out) : default_output_name(in, compressing);
        if (!job->out_path && !out) {
            fprintf(stderr, "llama-zip: %s: unknown suffix (expected %s); use -o FILE\n", in, ARCHIVE_SUFFIX);
            job->status = EXIT_USAGE;
        } else if (!job->out_path) {
            return EXIT_DATA;
        }
    }
    return 0;
}

static void check_inputs(cli_state *st)
{
    for (int i = 0; i < st->n_jobs; i++) {
        cli_job *job = &st->jobs[i];
        fio_id *id = &st->input_ids[st->n_input_ids++];
        if (job->from_stdin) {
            fio_stdin_id(id);
        } else if (job->in_path) {
            int e = fio_check_input(job->in_path, id, &job->meta);
            job->has_meta = !e;
            if (e && !job->status) {
                print_error(job->in_path, errno_text(e));
                job->status = EXIT_DATA;
            }
        }
    }
}

/* The model can be found and opened (without loading it), and it is an input no output may replace. */
static int check_model(cli_state *st)
{
    const char *path = model_path(st->opt);
    if (!path) return EXIT_USAGE;
    int e = fio_check_input(path, &st->input_ids[st->n_input_ids], NULL);
    if (e) {
        fprintf(stderr, "llama-zip: cannot load model: %s: %s\n", path, errno_text(e));
        return EXIT_DATA;
    }
    st->n_input_ids++;
    return 0;
}

static void check_outputs(cli_state *st)
{
    const cli_options *o = st->opt;
    const int binary_out = o->mode == MODE_COMPRESS && o->format != FMT_BASE64;
    for (int i = 0; i < st->n_jobs; i++) {
        cli_job *job = &st->jobs[i];
        if (job->status || o->test) continue;
        if (!job->out_path) {
            if (binary_out && isatty(STDOUT_FILENO)) {
                fprintf(stderr, "llama-zip: refusing to write binary data to a terminal; use -f base64 or -o FILE\n");
                job->status = EXIT_USAGE;
            }
            continue;
        }
        char msg[1024];
        int refused = 0;
        fio_out_kind kind;
        if (fio_check_output(job->out_path, o->force, st->input_ids, st->n_input_ids, &kind, &refused, msg,
                             sizeof(msg))) {
            fprintf(stderr, "llama-zip: %s\n", msg);
            job->status = refused ? EXIT_USAGE : EXIT_DATA;
        }
    }
}

static int read_stdin_once(cli_state *st)
{
    int wanted = 0;
    for (int i = 0; i < st->n_jobs; i++) wanted |= st->jobs[i].from_stdin && !st->jobs[i].status;
    if (!wanted || streams_archive(st->opt)) return 0;   /* archives are read as they are decoded */
    if (isatty(STDIN_FILENO))
        fprintf(stderr, "llama-zip: reading %s from the terminal; end with Ctrl+D (see llama-zip --help)\n",
                st->opt->mode == MODE_COMPRESS ? "the text to compress" : "the archive");
    int e = fio_read_stream(stdin, &st->stdin_data, &st->stdin_len);
    if (!e) return 0;
    fprintf(stderr, "llama-zip: reading standard input: %s\n", errno_text(e));
    for (int i = 0; i < st->n_jobs; i++)
        if (st->jobs[i].from_stdin) st->jobs[i].status = EXIT_DATA;
    return EXIT_DATA;
}

/* -c / -d / --test: check everything, then load the model once and do the jobs left. */
static int run_jobs(cli_state *st)
{
    int worst = plan_jobs(st);
    if (worst) {
        print_error(NULL, "out of memory");
        return worst;
    }
    check_inputs(st);
    int model_rc = check_model(st);
    check_outputs(st);
    if (model_rc) {
        for (int i = 0; i < st->n_jobs; i++) worst = worse(worst, st->jobs[i].status);
        return worse(worst, model_rc);
    }
    worst = read_stdin_once(st);
    int pending = 0;
    for (int i = 0; i < st->n_jobs; i++) {
        worst = worse(worst, st->jobs[i].status);
        pending += !st->jobs[i].status;
    }
    if (!pending) return worst;
    int rc = load_model(st);
    if (!rc) rc = create_context(st);
    if (rc) return worse(worst, rc);
    for (int i = 0; i < st->n_jobs; i++)
        if (!st->jobs[i].status) worst = worse(worst, process_job(st, &st->jobs[i]));
    return worst;
}

/* ---------------------------------------------------------------- interactive */

/* A line is an archive when it is strict base64 that decodes to whole
 * archives, end to end (their headers and frames parse: the format-2
 * magic is a single byte, so it alone proves little); anything else,
 * "hello" included, is text to compress. Returns the decoded bytes, or NULL. */
static uint8_t *decode_line(const char *line, size_t n, size_t *len)
{
    uint8_t *arc = NULL;
    if (n == 0 || b64_decode(line, n, &arc, len, NULL, 0) != B64_OK) return NULL;
    for (size_t pos = 0; pos < *len;) {
        llamazip_archive_info info;
        size_t used = 0;
        if (llamazip_archive_list(arc + pos, *len - pos, &info, NULL, 0, &used, NULL, 0) != LLAMAZIP_OK) {
            free(arc);
            return NULL;
        }
        pos += used;
    }
    return arc;
}

static void interactive_line(cli_state *st, const char *line, size_t n)
{
    uint8_t *out = NULL;
    size_t out_len = 0, arc_len = 0;
    uint8_t *arc = decode_line(line, n, &arc_len);
    int decompress = arc != NULL;
    llamazip_status rc = LLAMAZIP_E_NOT_ARCHIVE;
    char why[1536];
    if (arc) {
        rc = run_one(st, 0, arc, arc_len, &out, &out_len);
        cli_decode_error(why, sizeof(why), rc, llamazip_ctx_error(st->ctx), st->model, arc, arc_len);
    }
    free(arc);
    if (rc == LLAMAZIP_E_NOT_ARCHIVE) { /* plain text that happens to be base64 */
        decompress = 0;
        rc = run_one(st, 1, (const uint8_t *)line, n, &out, &out_len);
        snprintf(why, sizeof(why), "%s", llamazip_ctx_error(st->ctx));
    }
    if (rc == LLAMAZIP_E_CANCELLED) {
        fputs("\n(cancelled)\n", stderr);
    } else if (rc != LLAMAZIP_OK) {
        fprintf(stderr, "llama-zip: %s\n", why);
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

static int interactive(cli_state *st)
{
    int rc = load_model(st);
    if (!rc) rc = create_context(st);
    if (rc) return rc;
    char *line = NULL;
    size_t cap = 0;
    for (;;) {
        sig_clear_interrupt();
        sig_at_prompt(1); /* before the prompt: a Ctrl+C right after it must not be lost */
        fputs("\xe2\x89\xa5\xe2\x89\xa5\xe2\x89\xa5 ", stdout); /* the original's prompt: three U+2265 */
        fflush(stdout);
        ssize_t n = getline(&line, &cap, stdin);
        sig_at_prompt(0);
        if (n < 0) break; /* EOF */
        if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
        if (n > 0 && line[n - 1] == '\r') line[--n] = '\0';
        interactive_line(st, line, (size_t)n);
    }
    free(line);
    fputc('\n', stdout);
    return 0;
}

/* ---------------------------------------------------------------- main */

static int describe_model(cli_state *st)
{
    int rc = load_model(st);
    if (rc) return rc;
    size_t need = llamazip_model_describe(st->model, NULL, 0) + 1;
    char *text = malloc(need);
    if (!text) {
        print_error(NULL, "out of memory");
        return EXIT_DATA;
    }
    llamazip_model_describe(st->model, text, need);
    fputs(text, stdout);
    free(text);
    return 0;
}

int main(int argc, char **argv)
{
    cli_options opt;
    cli_parse_args(argc, argv, &opt);
    sig_install(opt.mode == MODE_INTERACTIVE);
    cli_state st;
    memset(&st, 0, sizeof(st));
    st.opt = &opt;
    st.progress.enabled = opt.progress;
    int rc;
    if (opt.mode == MODE_LIST) rc = cli_list(&opt);
    else if (opt.mode == MODE_LIST_MODELS) rc = cli_list_models();
    else if (opt.mode == MODE_INFO) rc = describe_model(&st);
    else if (opt.mode == MODE_INTERACTIVE) rc = interactive(&st);
    else rc = run_jobs(&st);
    llamazip_ctx_free(st.ctx);
    llamazip_model_free(st.model);
    for (int i = 0; i < st.n_jobs; i++) free(st.jobs[i].out_path);
    free(st.jobs);
    free(st.input_ids);
    free(st.stdin_data);
    free(opt.inputs);
    return rc;
}
