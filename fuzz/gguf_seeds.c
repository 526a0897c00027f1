/*
 * gguf_seeds.c - write a small seed corpus for fuzz_gguf into a directory:
 * a few valid GGUF images (every value type, several tensor types, v2,
 * alignment 64, no tensors) and one truncated image. Built from
 * tests/util/gguf_builder.c by `make fuzz-gguf`.
 */
#include <stdio.h>
#include <string.h>

#include "util/gguf_builder.h"

static int write_seed(gb_builder *b, const char *dir, const char *name, size_t cut)
{
    gb_image img;
    char path[4096];
    if (!b || gb_build(b, &img) != 0) return 1;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    const int rc = gb_write_file(&img, cut ? img.size - cut : img.size, path);
    gb_image_free(&img);
    gb_free(b);
    return rc != 0;
}

static gb_builder *metadata(gb_builder *b)
{
    static const char *const toks[] = { "<pad>", "<bos>", "a", "\xe2\x96\x81hello", "" };
    const float scores[5] = { 0, 0, -1.5f, -2.0f, -3.0f };
    const int32_t types[5] = { 3, 3, 1, 1, 6 };
    const uint64_t big[2] = { 1, 0xffffffffffull };
    const int8_t small[3] = { -1, 0, 1 };
    const double d[1] = { 0.25 };
    gb_kv_str(b, "general.architecture", "llama");
    gb_kv_u32(b, "llama.block_count", 2);
    gb_kv_i32(b, "llama.signed", -7);
    gb_kv_u8(b, "x.u8", 9);
    gb_kv_i8(b, "x.i8", -9);
    gb_kv_u16(b, "x.u16", 999);
    gb_kv_i16(b, "x.i16", -999);
    gb_kv_u64(b, "x.u64", 1ull << 40);
    gb_kv_i64(b, "x.i64", -(1ll << 40));
    gb_kv_f32(b, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gb_kv_f64(b, "x.f64", 2.5);
    gb_kv_bool(b, "tokenizer.ggml.add_bos_token", 1);
    gb_kv_arr_str(b, "tokenizer.ggml.tokens", toks, 5);
    gb_kv_arr(b, "tokenizer.ggml.scores", 6, scores, 5);
    gb_kv_arr(b, "tokenizer.ggml.token_type", 5, types, 5);
    gb_kv_arr(b, "x.u64s", 10, big, 2);
    gb_kv_arr(b, "x.i8s", 1, small, 3);
    gb_kv_arr(b, "x.f64s", 12, d, 1);
    return b;
}

static gb_builder *with_tensors(gb_builder *b)
{
    const uint64_t ne_f32[2] = { 8, 2 }, ne_q8[2] = { 32, 2 }, ne_f16[1] = { 16 }, ne_k[1] = { 256 };
    const uint64_t ne_q4[3] = { 32, 1, 2 }, ne_4d[4] = { 1, 2, 1, 2 };
    gb_tensor(b, "token_embd.weight", 2, ne_f32, 0, 64);
    gb_tensor(b, "blk.0.attn_q.weight", 2, ne_q8, 8, 68);
    gb_tensor(b, "blk.0.attn_norm.weight", 1, ne_f16, 1, 32);
    gb_tensor(b, "blk.0.ffn_down.weight", 1, ne_k, 12, 144);
    gb_tensor(b, "blk.0.ffn_up.weight", 1, ne_k, 14, 210);
    gb_tensor(b, "blk.1.attn_k.weight", 3, ne_q4, 2, 36);
    gb_tensor(b, "output_norm.weight", 4, ne_4d, 30, 8);
    return b;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    int rc = 0;
    rc |= write_seed(with_tensors(metadata(gb_new())), dir, "seed_full.gguf", 0);
    rc |= write_seed(metadata(gb_new()), dir, "seed_metadata_only.gguf", 0);
    rc |= write_seed(gb_new(), dir, "seed_empty.gguf", 0);
    gb_builder *b = gb_new();
    if (b) {
        gb_set_version(b, 2);
        gb_set_alignment(b, 64);
        gb_kv_u32(b, "general.alignment", 64);
        with_tensors(b);
    }
    rc |= write_seed(b, dir, "seed_v2_align64.gguf", 0);
    rc |= write_seed(with_tensors(metadata(gb_new())), dir, "seed_truncated.gguf", 100);
    if (rc) fprintf(stderr, "failed to write seeds into %s\n", dir);
    return rc;
}
