/*
 * make_golden_models.c - the two tiny GGUF models committed under
 * tests/golden/models/ (golden archives, fuzzing, make stress).
 *
 *   make_golden_models OUT_DIR     writes OUT_DIR/tiny-spm.gguf and OUT_DIR/tiny-bpe.gguf
 *
 * These files were made ONCE and committed: the golden archives depend on
 * their exact bytes (the archive header records the model fingerprint), so
 * never overwrite the committed copies (tests/golden/README.md). This program
 * only documents how they were made; a later build of it (another compiler,
 * a changed tokenizer) need not reproduce them bit for bit.
 *
 * Unlike random-weight test models, these predict text: each is a bigram
 * model of TRAINING_TEXT below written into a 2-layer llama. The residual
 * stream carries the current token's embedding almost unchanged (the
 * attention and feed-forward weights are small), and row j of output.weight
 * is the average of the embeddings of the tokens that precede j in the
 * training text, so the logit of j is large when the current token is often
 * followed by j. Dimension 0 of every embedding is 1 and carries a unigram
 * log-frequency prior through output.weight. So English-like text about the
 * training text's topic codes into MODEL frames that beat zstd, and the
 * pipeline's model path is exercised by the tests.
 *
 *   tiny-spm.gguf  SentencePiece vocabulary (tokenizer.ggml.model "llama"):
 *                  <unk> <s> </s>, 256 byte tokens, printable ASCII, "▁" and
 *                  every prefix of every word of the training text, alone and
 *                  after "▁"; F16 embeddings, Q8_0 output, F32 and F16 layers.
 *   tiny-bpe.gguf  byte-level BPE vocabulary ("gpt2", pre-tokenizer "gpt-2"):
 *                  the 256 byte characters, one token per prefix of every
 *                  word (alone and after "Ġ") with its merges, and
 *                  <|endoftext|> as BOS; Q8_0 matrices.
 * Both: n_embd 64, 2 layers, 4 heads, 2 KV heads, FFN 128, context 128.
 *
 * Build (needs the static library for the tokenizer that measures the bigrams):
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -Itests -o build/make_golden_models \
 *      tests/tools/make_golden_models.c tests/util/gguf_builder.c build/libllamazip.a -lzstd -lxxhash -lm -lpthread
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"
#include "util/gguf_builder.h"

#define N_EMBD 64
#define N_FF 128
#define N_LAYER 2
#define N_HEAD 4
#define N_HEAD_KV 2
#define HEAD_DIM (N_EMBD / N_HEAD)
#define N_CTX 128
#define MAX_VOCAB 4096

/* ggml tensor types and GGUF value types used here */
#define GGML_F32 0
#define GGML_F16 1
#define GGML_Q8_0 8
#define V_INT32 5
#define V_FLOAT32 6

static const char TRAINING_TEXT[] =
    "A compressor reads a file and writes a shorter file from which the original can be rebuilt, byte for "
    "byte. The shorter file is called an archive. To make it short, the compressor predicts each symbol "
    "from the symbols before it, and an arithmetic coder turns every prediction into bits: a symbol that "
    "was expected costs a fraction of a bit, a surprise costs many bits.\n"
    "The model of this compressor is a language model. It reads the text as a list of tokens, and for each "
    "position it gives a probability to every token of its vocabulary. The range coder then codes the token "
    "that really comes next with that probability. The decoder runs the same model on the same tokens, so "
    "it sees the same probabilities and can decode the same token. Both sides must agree to the last bit, "
    "or the data is lost.\n"
    "When the text is longer than the context window, the window slides: the model starts again with the "
    "last tokens of the previous window, and the coder goes on. Data that does not look like text, such as "
    "random bytes or a program in binary form, is stored with zstd or as raw bytes, so an archive is never "
    "much larger than its input.\n"
    "Every archive starts with a header. It records the model, the size of the context, the overlap of the "
    "windows, the size of the original data and a checksum. The checksum is tested at the end, so a damaged "
    "archive is found and reported, and no wrong data is written. An error is never silent.\n"
    "The quick brown fox jumps over the lazy dog. The dog sleeps in the sun and the fox runs into the "
    "forest. A small model can learn which word tends to follow which, and that is enough to compress a "
    "short text about a fox, a dog and a compressor better than a general purpose tool.\n"
    "A range coder keeps two numbers, the low end and the width of an interval. Each token narrows the "
    "interval in proportion to its probability, and whenever the leading bytes of the low end can no "
    "longer change they are written out. The decoder follows the same steps: it reads the bytes, finds "
    "the token whose slice of the interval holds the code, and narrows the interval in the same way. "
    "Because every step uses integers, the encoder and the decoder agree on every bit, whatever the "
    "machine.\n"
    "The probabilities come from the model as floating point numbers. They are turned into integer "
    "frequencies with a fixed recipe, so that two machines that compute the same logits also build the "
    "same table. Every token gets a frequency of at least one, since a token that the model thinks "
    "impossible can still appear in the data, and the coder must be able to write it.\n"
    "A file is read in blocks. A block that holds many control bytes or bytes that are not valid UTF-8 is "
    "not text, and it goes to zstd. The other blocks are joined into runs of text, and each run becomes "
    "one frame. The frame records its size and the number of its tokens, so the decoder knows when to "
    "stop. At the end of the archive comes a frame that marks the end, and nothing may follow it.\n"
    "The header is checked before any work is done. A file that does not start with the magic bytes is "
    "not an archive, a version that this build does not know is reported by its number, and an archive "
    "made with another model is refused with a clear message, since decoding it would only give noise. "
    "Only then does the decoder load the context and start on the frames.\n"
    "Threads share the work of each matrix product, but the order in which numbers are added never "
    "depends on how many threads there are. That is what makes the result the same on a laptop with two "
    "cores and on a server with sixty four. The same rule holds for the vector kernels: a kernel may use "
    "wide registers, but it must add the products in the order that the plain reference code uses, so "
    "that its result is equal to the reference, bit for bit. Tests compare them with memcmp, never with a "
    "tolerance.\n"
    "When a run is cancelled, nothing is written. The output goes to a temporary file next to the target, "
    "which is renamed only when all the data has been written and flushed.\n"
    "int main(void) { return 0; } while (size > 0) { size = size - 1; } if (error) return error;\n";

/* ---------------------------------------------------------------- numbers */

static uint32_t g_seed = 20250101u;

static uint32_t lcg(void)
{
    g_seed = g_seed * 1664525u + 1013904223u;
    return g_seed >> 8;
}

/* Uniform in [-a, a). */
static float uniform(float a)
{
    return a * ((float)lcg() / (float)(1u << 23) - 1.0f);
}

/* IEEE half from float, round to nearest even (finite, normal-range inputs). */
static uint16_t to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000u;
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = x & 0x7fffffu;
    if (exp <= 0) { /* subnormal half or zero */
        if (exp < -10) return (uint16_t)sign;
        mant |= 0x800000u;
        const uint32_t shift = (uint32_t)(14 - exp);
        uint32_t h = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    if (exp >= 31) return (uint16_t)(sign | 0x7c00u);
    uint32_t h = ((uint32_t)exp << 10) | (mant >> 13);
    const uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++;
    return (uint16_t)(sign | h);
}

/* ---------------------------------------------------------------- vocabularies */

typedef struct {
    char *text[MAX_VOCAB];
    float score[MAX_VOCAB];
    int32_t type[MAX_VOCAB];
    int n;
    char *merge[MAX_VOCAB];
    int n_merges;
} vocab;

static int vocab_find(const vocab *v, const char *s)
{
    for (int i = 0; i < v->n; i++)
        if (!strcmp(v->text[i], s)) return i;
    return -1;
}

static int vocab_add(vocab *v, const char *s, int32_t type)
{
    const int have = vocab_find(v, s);
    if (have >= 0) return have;
    if (v->n == MAX_VOCAB) { fprintf(stderr, "vocabulary full\n"); exit(1); }
    v->text[v->n] = strdup(s);
    v->type[v->n] = type;
    v->score[v->n] = 0.0f;
    return v->n++;
}

/* The distinct words (runs of ASCII letters) of the training text, in order of first use. */
static int training_words(char words[][32], int max)
{
    int n = 0;
    const char *p = TRAINING_TEXT;
    while (*p) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) { p++; continue; }
        char w[32];
        size_t len = 0;
        while (((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) && len < sizeof(w) - 1) w[len++] = *p++;
        w[len] = '\0';
        int seen = 0;
        for (int i = 0; i < n && !seen; i++) seen = !strcmp(words[i], w);
        if (!seen && n < max) strcpy(words[n++], w);
    }
    return n;
}

#define SPM_SPACE "\xe2\x96\x81" /* U+2581 */

static void spm_vocab(vocab *v)
{
    vocab_add(v, "<unk>", 2);
    vocab_add(v, "<s>", 3);
    vocab_add(v, "</s>", 3);
    for (int b = 0; b < 256; b++) {
        char s[8];
        snprintf(s, sizeof(s), "<0x%02X>", b);
        vocab_add(v, s, 6);
    }
    const int first_piece = v->n;
    char one[2] = { 0, 0 };
    for (int c = 0x21; c < 0x7f; c++) {
        one[0] = (char)c;
        vocab_add(v, one, 1);
    }
    vocab_add(v, SPM_SPACE, 1);
    static char words[512][32];
    const int nw = training_words(words, 512);
    for (int i = 0; i < nw; i++) {
        const size_t len = strlen(words[i]);
        for (size_t k = 1; k <= len; k++) {
            char piece[48];
            snprintf(piece, sizeof(piece), "%.*s", (int)k, words[i]);
            vocab_add(v, piece, 1);
            snprintf(piece, sizeof(piece), SPM_SPACE "%.*s", (int)k, words[i]);
            vocab_add(v, piece, 1);
        }
    }
    /* longer pieces merge first (SentencePiece merges by the merged piece's score) */
    for (int i = first_piece; i < v->n; i++) v->score[i] = (float)strlen(v->text[i]) - 1e-3f * (float)i;
}

/* GPT-2's byte-to-character map: printable Latin-1 bytes are themselves, the rest move to U+0100.. */
static void byte_char(int b, char out[4])
{
    int cp = b, n = 0;
    if (!((b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff))) {
        for (int c = 0; c < b; c++)
            if (!((c >= 0x21 && c <= 0x7e) || (c >= 0xa1 && c <= 0xac) || (c >= 0xae && c <= 0xff))) n++;
        cp = 256 + n;
    }
    if (cp < 0x80) { out[0] = (char)cp; out[1] = 0; }
    else { out[0] = (char)(0xc0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3f)); out[2] = 0; }
}

/* Merges after "Ġ" first (most words follow a space), then shorter merges first. */
static int cmp_merge(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    const int sx = !strncmp(x, "\xc4\xa0", 2), sy = !strncmp(y, "\xc4\xa0", 2);
    if (sx != sy) return sx ? -1 : 1;
    const size_t lx = strlen(x), ly = strlen(y);
    if (lx != ly) return lx < ly ? -1 : 1;
    return strcmp(x, y);
}

static void bpe_vocab(vocab *v)
{
    for (int b = 0; b < 256; b++) {
        char s[4];
        byte_char(b, s);
        vocab_add(v, s, 1);
    }
    static char words[512][32];
    const int nw = training_words(words, 512);
    char space[4];
    byte_char(' ', space); /* "Ġ" */
    for (int i = 0; i < nw; i++) {
        for (int with_space = 0; with_space < 2; with_space++) {
            char w[48];
            snprintf(w, sizeof(w), "%s%.31s", with_space ? space : "", words[i]);
            /* prefixes by whole characters: "Ġ" is two bytes */
            size_t first = with_space ? strlen(space) : 1;
            for (size_t k = first + 1; k <= strlen(w); k++) {
                char left[48], merged[48], m[64];
                snprintf(left, sizeof(left), "%.*s", (int)(k - 1), w);
                snprintf(merged, sizeof(merged), "%.*s", (int)k, w);
                if (vocab_find(v, merged) >= 0) continue;
                vocab_add(v, merged, 1);
                snprintf(m, sizeof(m), "%s %c", left, w[k - 1]);
                v->merge[v->n_merges++] = strdup(m);
            }
        }
    }
    qsort(v->merge, (size_t)v->n_merges, sizeof(char *), cmp_merge);
    vocab_add(v, "<|endoftext|>", 3);
}

/* ---------------------------------------------------------------- model */

typedef struct {
    const char *file;
    int bpe;
    uint32_t matrix_type;   /* token_embd and the layer matrices */
    uint32_t layer_type;    /* attention v/o and the feed-forward up/down when matrix_type is F16 */
    uint32_t output_type;   /* output.weight */
} model_spec;

static void add_metadata(gb_builder *b, const vocab *v, int bpe)
{
    gb_kv_str(b, "general.architecture", "llama");
    gb_kv_str(b, "general.name", bpe ? "llama-zip golden tiny BPE" : "llama-zip golden tiny SPM");
    gb_kv_u32(b, "llama.context_length", N_CTX);
    gb_kv_u32(b, "llama.embedding_length", N_EMBD);
    gb_kv_u32(b, "llama.block_count", N_LAYER);
    gb_kv_u32(b, "llama.feed_forward_length", N_FF);
    gb_kv_u32(b, "llama.attention.head_count", N_HEAD);
    gb_kv_u32(b, "llama.attention.head_count_kv", N_HEAD_KV);
    gb_kv_u32(b, "llama.rope.dimension_count", HEAD_DIM);
    gb_kv_f32(b, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gb_kv_f32(b, "llama.rope.freq_base", 10000.0f);
    gb_kv_str(b, "tokenizer.ggml.model", bpe ? "gpt2" : "llama");
    if (bpe) gb_kv_str(b, "tokenizer.ggml.pre", "gpt-2");
    gb_kv_arr_str(b, "tokenizer.ggml.tokens", (const char *const *)v->text, (uint64_t)v->n);
    if (!bpe) gb_kv_arr(b, "tokenizer.ggml.scores", V_FLOAT32, v->score, (uint64_t)v->n);
    gb_kv_arr(b, "tokenizer.ggml.token_type", V_INT32, v->type, (uint64_t)v->n);
    if (bpe) gb_kv_arr_str(b, "tokenizer.ggml.merges", (const char *const *)v->merge, (uint64_t)v->n_merges);
    gb_kv_u32(b, "tokenizer.ggml.bos_token_id", bpe ? (uint32_t)(v->n - 1) : 1);
    gb_kv_u32(b, "tokenizer.ggml.eos_token_id", bpe ? (uint32_t)(v->n - 1) : 2);
    if (!bpe) gb_kv_u32(b, "tokenizer.ggml.unknown_token_id", 0);
}

/* Bigram statistics of the training text under the real tokenizer of `v`. */
static void bigram_counts(const vocab *v, int bpe, float *pair, float *uni)
{
    gb_builder *b = gb_new();
    add_metadata(b, v, bpe);
    gb_image img;
    if (gb_build(b, &img)) { fprintf(stderr, "out of memory\n"); exit(1); }
    gb_free(b);
    gguf_file *f = NULL;
    lz_tokenizer *t = NULL;
    lz_err err;
    lz_err_clear(&err);
    if (gguf_open_memory(img.data, img.size, &f, &err) || lz_tokenizer_load(f, &t, &err)) {
        fprintf(stderr, "vocabulary: %s\n", err.msg);
        exit(1);
    }
    int32_t *tok = NULL;
    size_t n = 0;
    if (lz_tokenize(t, (const uint8_t *)TRAINING_TEXT, strlen(TRAINING_TEXT), &tok, &n, &err)) {
        fprintf(stderr, "tokenize: %s\n", err.msg);
        exit(1);
    }
    int32_t prev = lz_tokenizer_bos(t);
    for (size_t i = 0; i < n; i++) {
        pair[(size_t)prev * (size_t)v->n + (size_t)tok[i]] += 1.0f;
        uni[tok[i]] += 1.0f;
        prev = tok[i];
    }
    printf("  %s: %d tokens, %d merges, training text %zu bytes -> %zu tokens\n", bpe ? "bpe" : "spm", v->n,
           v->n_merges, strlen(TRAINING_TEXT), n);
    free(tok);
    lz_tokenizer_free(t);
    gguf_close(f);
    gb_image_free(&img);
}

typedef struct {
    const char *name;
    uint64_t ne0, ne1;
    uint32_t type;
    float *w;          /* ne0 * ne1 floats, row-major (ne0 fastest) */
} tensor;

static uint64_t tensor_bytes(const tensor *t)
{
    const uint64_t n = t->ne0 * t->ne1;
    if (t->type == GGML_F16) return 2 * n;
    if (t->type == GGML_Q8_0) return n / 32 * 34;
    return 4 * n;
}

static void encode(const tensor *t, uint8_t *dst)
{
    const uint64_t n = t->ne0 * t->ne1;
    if (t->type == GGML_F32) { memcpy(dst, t->w, 4 * n); return; }
    if (t->type == GGML_F16) {
        for (uint64_t i = 0; i < n; i++) {
            const uint16_t h = to_f16(t->w[i]);
            dst[2 * i] = (uint8_t)h;
            dst[2 * i + 1] = (uint8_t)(h >> 8);
        }
        return;
    }
    for (uint64_t blk = 0; blk < n / 32; blk++) { /* Q8_0: f16 scale, 32 int8 */
        const float *x = t->w + 32 * blk;
        float amax = 0.0f;
        for (int i = 0; i < 32; i++) amax = fmaxf(amax, fabsf(x[i]));
        const float d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
        const uint16_t h = to_f16(d);
        uint8_t *o = dst + 34 * blk;
        o[0] = (uint8_t)h;
        o[1] = (uint8_t)(h >> 8);
        for (int i = 0; i < 32; i++) o[2 + i] = (uint8_t)(int8_t)lrintf(x[i] * id);
    }
}

static float *random_matrix(uint64_t n, float a)
{
    float *w = malloc(n * sizeof(float));
    for (uint64_t i = 0; i < n; i++) w[i] = uniform(a);
    return w;
}

static float *ones(uint64_t n)
{
    float *w = malloc(n * sizeof(float));
    for (uint64_t i = 0; i < n; i++) w[i] = 1.0f;
    return w;
}

static int write_model(const char *dir, const model_spec *spec)
{
    static vocab v;
    for (int i = 0; i < v.n; i++) free(v.text[i]);
    for (int i = 0; i < v.n_merges; i++) free(v.merge[i]);
    memset(&v, 0, sizeof(v));
    if (spec->bpe) bpe_vocab(&v);
    else spm_vocab(&v);
    const size_t nv = (size_t)v.n;
    float *pair = calloc(nv * nv, sizeof(float)), *uni = calloc(nv, sizeof(float));
    bigram_counts(&v, spec->bpe, pair, uni);

    /* embeddings: dimension 0 is the constant 1 (the unigram channel), the rest unit variance */
    float *embd = malloc(nv * N_EMBD * sizeof(float));
    for (size_t t = 0; t < nv; t++)
        for (int k = 0; k < N_EMBD; k++) embd[t * N_EMBD + k] = k == 0 ? 1.0f : uniform(1.7320508f);
    /* output row j: alpha * sum_p P(j | p) e_p, and a unigram log-frequency prior in dimension 0 */
    const float alpha = 10.0f / (N_EMBD - 1), beta = 0.6f;
    float umax = 0.0f;
    for (size_t j = 0; j < nv; j++) umax = fmaxf(umax, uni[j]);
    float *out = calloc(nv * N_EMBD, sizeof(float));
    for (size_t p = 0; p < nv; p++) {
        float total = 0.0f;
        for (size_t j = 0; j < nv; j++) total += pair[p * nv + j];
        if (total == 0.0f) continue;
        for (size_t j = 0; j < nv; j++) {
            const float pj = pair[p * nv + j] / total;
            if (pj == 0.0f) continue;
            for (int k = 1; k < N_EMBD; k++) out[j * N_EMBD + k] += alpha * pj * embd[p * N_EMBD + k];
        }
    }
    for (size_t j = 0; j < nv; j++) out[j * N_EMBD] = beta * (logf(uni[j] + 0.5f) - logf(umax + 0.5f));

    tensor ts[4 + 9 * N_LAYER];
    int nt = 0;
    const uint32_t mt = spec->matrix_type, lt = spec->layer_type;
    ts[nt++] = (tensor){ "token_embd.weight", N_EMBD, nv, mt, embd };
    ts[nt++] = (tensor){ "output_norm.weight", N_EMBD, 1, GGML_F32, ones(N_EMBD) };
    ts[nt++] = (tensor){ "output.weight", N_EMBD, nv, spec->output_type, out };
    static char names[N_LAYER][9][40];
    for (int l = 0; l < N_LAYER; l++) {
        static const char *const kind[9] = { "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                             "ffn_norm", "ffn_gate", "ffn_up", "ffn_down" };
        const uint64_t ne0[9] = { N_EMBD, N_EMBD, N_EMBD, N_EMBD, N_EMBD, N_EMBD, N_EMBD, N_EMBD, N_FF };
        const uint64_t ne1[9] = { 1, N_EMBD, HEAD_DIM * N_HEAD_KV, HEAD_DIM * N_HEAD_KV, N_EMBD, 1, N_FF, N_FF,
                                  N_EMBD };
        const uint32_t type[9] = { GGML_F32, mt == GGML_F16 ? GGML_F32 : mt, mt == GGML_F16 ? GGML_F32 : mt, lt, lt,
                                   GGML_F32, mt == GGML_F16 ? GGML_F32 : mt, lt, lt };
        for (int k = 0; k < 9; k++) {
            snprintf(names[l][k], sizeof(names[l][k]), "blk.%d.%s.weight", l, kind[k]);
            float *w = ne1[k] == 1 ? ones(ne0[k]) : random_matrix(ne0[k] * ne1[k], 0.03f);
            ts[nt++] = (tensor){ names[l][k], ne0[k], ne1[k], type[k], w };
        }
    }

    gb_builder *b = gb_new();
    add_metadata(b, &v, spec->bpe);
    for (int i = 0; i < nt; i++) {
        const uint64_t ne[2] = { ts[i].ne0, ts[i].ne1 };
        gb_tensor(b, ts[i].name, ts[i].ne1 == 1 ? 1 : 2, ne, ts[i].type, tensor_bytes(&ts[i]));
    }
    gb_image img;
    if (gb_build(b, &img)) { fprintf(stderr, "out of memory\n"); exit(1); }
    for (int i = 0; i < nt; i++) {
        encode(&ts[i], img.data + img.data_start + img.tensor[i].data_offset);
        free(ts[i].w);
    }
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, spec->file);
    const int rc = gb_write_file(&img, img.size, path);
    printf("  %s: %zu bytes\n", path, img.size);
    gb_image_free(&img);
    gb_free(b);
    free(pair);
    free(uni);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_golden_models OUT_DIR\n");
        return 2;
    }
    static const model_spec specs[] = {
        { "tiny-spm.gguf", 0, GGML_F16, GGML_F16, GGML_Q8_0 },
        { "tiny-bpe.gguf", 1, GGML_Q8_0, GGML_Q8_0, GGML_Q8_0 },
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        if (write_model(argv[1], &specs[i])) return 1;
    return 0;
}
