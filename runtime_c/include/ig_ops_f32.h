/* Entry points of the FP32 transformer-op kernels: the float baseline of every op of ig_ops.h, with the same
 * argument conventions (rows / channels / heads / kv_heads / head_dim / t / s, row-major tensors, attention
 * scores [heads, t, s] whose causal row i sees keys j <= s - t + i). The definitions are the float32 ops of
 * quant/ops/float_ops.py; kernels/scalar/ig_<op>_f32.c is the portable C of each (weak), kernels/neon/ and
 * kernels/rvv/ override them with NEON / RVV float code. Float has no single definition here: each family sums in
 * its own order and uses ig_mathf.h's exp / erfc / sqrt, within the tolerances that
 * tests/codegen/test_float_transformer_ops.py states and checks. Kernels that can meet bad data (an id or a
 * position outside its table) return 0 on success, 1 otherwise.
 *
 * One declaration per function, each ending in ");" (codegen/op_calls_f32.py reads the prototypes from here). */
#ifndef IG_OPS_F32_H
#define IG_OPS_F32_H
#include <stddef.h>
#include <stdint.h>

/* embedding: y[r] = table[ids[r]] for r < rows; table [vocab, channels]. */
int32_t ig_embedding_f32(const int32_t *ids, int32_t rows, const float *table, int32_t vocab, int32_t channels,
                         float *y);

/* add / mul: y = a + b, y = a * b, len elements (one rounding each: every family gives the same bits). */
void ig_add_f32(const float *a, const float *b, int32_t len, float *y);
void ig_mul_f32(const float *a, const float *b, int32_t len, float *y);

/* gelu: 0.5 x (1 + erf(x / sqrt 2)) (approximate "none"), gelu_tanh: 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3)));
 * silu: x / (1 + exp(-x)). */
void ig_gelu_f32(const float *x, int32_t len, float *y);
void ig_gelu_tanh_f32(const float *x, int32_t len, float *y);
void ig_silu_f32(const float *x, int32_t len, float *y);

/* softcap: cap * tanh(x / cap) (Gemma 2's attention scores and logits). */
void ig_softcap_f32(const float *x, int32_t len, float cap, float *y);

/* layernorm / rmsnorm over the last dimension, rows x channels:
 * layernorm y = (x - mean) / sqrt(var + eps) * gamma + beta (var the biased variance),
 * rmsnorm   y = x / sqrt(mean(x^2) + eps) * gamma. */
void ig_layernorm_f32(const float *x, int32_t rows, int32_t channels, const float *gamma, const float *beta,
                      float eps, float *y);
void ig_rmsnorm_f32(const float *x, int32_t rows, int32_t channels, const float *gamma, float eps, float *y);

/* rope (rotate half): x [rows, heads * head_dim], positions [rows], cos / sin [n_positions, head_dim / 2];
 * per head, y[:half] = a cos - b sin, y[half:] = b cos + a sin with a = x[:half], b = x[half:]. */
int32_t ig_rope_f32(const float *x, int32_t rows, const int32_t *positions, const float *cos_t, const float *sin_t,
                    int32_t n_positions, int32_t heads, int32_t head_dim, float *y);

/* matmul_qk: q [t, heads * head_dim], k [s, kv_heads * head_dim] -> y [heads, t, s] = scale * q_h . k_h'
 * (h' = h / (heads / kv_heads)); every score is computed, the causal mask is softmax's. */
void ig_matmul_qk_f32(const float *q, const float *k, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                      int32_t head_dim, float scale, float *y);

/* softmax over the last dimension of x [groups, t, s]; causal: row i keeps j <= s - t + i, the rest is 0. */
void ig_softmax_f32(const float *x, int32_t groups, int32_t t, int32_t s, int32_t causal, float *y);

/* matmul_pv: p [heads, t, s], v [s, kv_heads * head_dim] -> y [t, heads * head_dim]. */
void ig_matmul_pv_f32(const float *p, const float *v, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                      int32_t head_dim, float *y);

/* argmax: the index of the first largest of x[0..len) (greedy decoding over float logits). */
int32_t ig_argmax_f32(const float *x, int32_t len);
#endif
