/* Entry points of the transformer-op kernels. The definitions are the docstrings of quant/ops/<module>.py (and the
 * numpy code under them); kernels/scalar/ is the portable C of each, and every SIMD family that implements one
 * must give exactly the same bytes. Type suffixes: s8 / s16 / s32 for int8_t / int16_t / int32_t tensors, in the
 * order inputs..., output. Tensors are row-major; a "row" is one token (the last dimension is the channels).
 * Kernels that can meet bad data (an id or position outside its table) return 0 on success, 1 otherwise. */
#ifndef IG_OPS_H
#define IG_OPS_H
#include <stddef.h>
#include <stdint.h>

/* The instantiation lists: IG_FOR_1(M, ...) calls M(..., s8, int8_t) M(..., s16, int16_t) M(..., s32, int32_t);
 * IG_FOR_2 / IG_FOR_3 nest them (the preprocessor does not re-expand a macro inside itself, hence three). */
#define IG_FOR_A(M, ...) M(__VA_ARGS__, s8, int8_t) M(__VA_ARGS__, s16, int16_t) M(__VA_ARGS__, s32, int32_t)
#define IG_FOR_B(M, ...) M(__VA_ARGS__, s8, int8_t) M(__VA_ARGS__, s16, int16_t) M(__VA_ARGS__, s32, int32_t)
#define IG_FOR_C(M, ...) M(__VA_ARGS__, s8, int8_t) M(__VA_ARGS__, s16, int16_t) M(__VA_ARGS__, s32, int32_t)
#define IG_FOR_NARROW(M, ...) M(__VA_ARGS__, s8, int8_t) M(__VA_ARGS__, s16, int16_t)
#define IG_FOR_NARROW_B(M, ...) M(__VA_ARGS__, s8, int8_t) M(__VA_ARGS__, s16, int16_t)
#define IG_FOR_1(M) IG_FOR_A(M, M)
#define IG__2B(M, A, AT) IG_FOR_B(M, M, A, AT)
#define IG_FOR_2(M) IG_FOR_A(IG__2B, M)
#define IG__3C(M, A, AT, B, BT) IG_FOR_C(M, M, A, AT, B, BT)
#define IG__3B(M, A, AT) IG_FOR_B(IG__3C, M, A, AT)
#define IG_FOR_3(M) IG_FOR_A(IG__3B, M)

/* embedding: y[r] = table[ids[r]] for r < rows; table [vocab, channels]. */
#define IG_EMBEDDING_DECL(D_, T, TT)                                                                              \
  int32_t ig_embedding_##T(const int32_t *ids, int32_t rows, const TT *table, int32_t vocab, int32_t channels, \
                           TT *y);
IG_FOR_1(IG_EMBEDDING_DECL)

/* add: y = clamp(rshr((a - a_zp) * a_mult + (b - b_zp) * b_mult, shift) + y_zp, act_min, act_max), len elements. */
#define IG_ADD_DECL(D_, A, AT, B, BT, Y, YT)                                                                       \
  void ig_add_##A##_##B##_##Y(const AT *a, const BT *b, int32_t len, int32_t a_zp, int32_t b_zp, int32_t a_mult, \
                              int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, YT *y);
IG_FOR_3(IG_ADD_DECL)

/* mul: y = clamp(rshr((a - a_zp) * (b - b_zp) * mult, shift) + y_zp, act_min, act_max). */
#define IG_MUL_DECL(D_, A, AT, B, BT, Y, YT)                                                                       \
  void ig_mul_##A##_##B##_##Y(const AT *a, const BT *b, int32_t len, int32_t a_zp, int32_t b_zp, int32_t mult,   \
                              int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, YT *y);
IG_FOR_3(IG_MUL_DECL)

/* gelu / silu (quant/ops/elementwise.py): x to Q12 by in_mult / in_shift, the sigmoid form, out_mult / out_shift. */
#define IG_ACT_DECL(OP, X, XT, Y, YT)                                                                             \
  void ig_##OP##_##X##_##Y(const XT *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,           \
                           int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max,   \
                           YT *y);
#define IG__ACT_B(OP, X, XT) IG_FOR_B(IG_ACT_DECL, OP, X, XT)
IG_FOR_A(IG__ACT_B, gelu)
IG_FOR_A(IG__ACT_B, silu)
/* softcap (quant/ops/softcap.py): c tanh(x / c), the same arguments (x to 2 x / c in Q12, tanh in Q15 to y). */
IG_FOR_A(IG__ACT_B, softcap)

/* layernorm / rmsnorm over the last dimension (quant/ops/norm.py): rows x channels. The int64 eps comes as two
 * 32-bit halves: a 64-bit stack argument makes gcc move it through FPU registers on hard-float cores, and an
 * integer build must not touch the FPU (toolchain/purity.py). */
#define IG_EPS64(hi, lo) ((int64_t)(((uint64_t)(uint32_t)(hi) << 32) | (uint32_t)(lo)))
#define IG_LAYERNORM_DECL(D_, X, XT, Y, YT)                                                                        \
  void ig_layernorm_##X##_##Y(const XT *x, int32_t rows, int32_t channels, const int32_t *gamma,                 \
                              const int32_t *beta, int32_t x_zp, int32_t eps_hi, uint32_t eps_lo, int32_t shift, int32_t y_zp,       \
                              int32_t act_min, int32_t act_max, YT *y);
IG_FOR_2(IG_LAYERNORM_DECL)
#define IG_RMSNORM_DECL(D_, X, XT, Y, YT)                                                                          \
  void ig_rmsnorm_##X##_##Y(const XT *x, int32_t rows, int32_t channels, const int32_t *gamma, int32_t x_zp,     \
                            int32_t pre_shift, int32_t eps_hi, uint32_t eps_lo, int32_t shift, int32_t y_zp, int32_t act_min,        \
                            int32_t act_max, YT *y);
IG_FOR_2(IG_RMSNORM_DECL)

/* rope (quant/ops/rope.py): x int8 [rows, heads * head_dim], positions [rows], cos / sin int16 [n_positions,
 * head_dim / 2] in Q14. */
#define IG_ROPE_DECL(D_, Y, YT)                                                                                    \
  int32_t ig_rope_s8_##Y(const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t,          \
                         const int16_t *sin_t, int32_t n_positions, int32_t heads, int32_t head_dim, int32_t x_zp, \
                         int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, YT *y);
IG_FOR_A(IG_ROPE_DECL, _)

/* matmul_qk (quant/ops/attention.py): q int8 [t, heads * head_dim], k int8 [s, kv_heads * head_dim] ->
 * y [heads, t, s]. */
#define IG_MATMUL_QK_DECL(D_, Y, YT)                                                                               \
  void ig_matmul_qk_s8_##Y(const int8_t *q, const int8_t *k, int32_t t, int32_t s, int32_t heads,               \
                           int32_t kv_heads, int32_t head_dim, int32_t q_zp, int32_t k_zp, int32_t mult,          \
                           int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, YT *y);
IG_FOR_A(IG_MATMUL_QK_DECL, _)

/* softmax over the last dimension of x [groups, t, s] (row i of a group is query i; causal: j <= s - t + i). */
#define IG_SOFTMAX_DECL(D_, X, XT, Y, YT)                                                                          \
  void ig_softmax_##X##_##Y(const XT *x, int32_t groups, int32_t t, int32_t s, int32_t causal, int32_t in_mult,  \
                            int32_t in_shift, YT *y);
#define IG__SOFTMAX_B(M, X, XT) IG_FOR_NARROW_B(IG_SOFTMAX_DECL, M, X, XT)
IG_FOR_NARROW(IG__SOFTMAX_B, _)

/* matmul_pv: p [heads, t, s] (int8 or int16), v int8 [s, kv_heads * head_dim] -> y [t, heads * head_dim]. */
#define IG_MATMUL_PV_DECL(D_, P, PT, Y, YT)                                                                        \
  void ig_matmul_pv_##P##_##Y(const PT *p, const int8_t *v, int32_t t, int32_t s, int32_t heads,                \
                              int32_t kv_heads, int32_t head_dim, int32_t p_zp, int32_t v_zp, int32_t mult,       \
                              int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, YT *y);
#define IG__PV_B(M, P, PT) IG_FOR_B(IG_MATMUL_PV_DECL, M, P, PT)
IG_FOR_NARROW(IG__PV_B, _)

/* argmax: the index of the first largest of x[0..len) (greedy decoding over the logits). */
#define IG_ARGMAX_DECL(D_, X, XT) int32_t ig_argmax_##X(const XT *x, int32_t len);
IG_FOR_A(IG_ARGMAX_DECL, _)

/* fully connected with int16 activations (int8 or int4 row-pair weights, groups; per-channel = one group of
 * k_dim with the scale folded in): the general case, portable C only. */
#define IG_FC_S16_DECL(D_, Y, YT)                                                                                  \
  void ig_fc_grouped_s16_##Y(const int16_t *x, const int8_t *w, int32_t weight_bits, const int32_t *bias,        \
                             const int32_t *group_scale_t, const int32_t *mult, const int32_t *shift,             \
                             int32_t k_dim, int32_t n_dim, int32_t group_size, int32_t y_zp, int32_t act_min,      \
                             int32_t act_max, YT *y);
IG_FOR_A(IG_FC_S16_DECL, _)

/* fully connected with int16 activations and int8 per-channel weights read once (kernels/<family>/ig_fc_s16.c): the
 * weights, bias, multipliers and shifts in the layout of the linked family (codegen/packing.py pack_fc_s16;
 * portable: row-major, the zero-point folded bias). */
#define IG_FC_S16_ARGS                                                                                             \
  const int16_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift,              \
      int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min, int32_t act_max
#define IG_FC_S16_PASS x, w, bias, mult, shift, k_dim, n_dim, y_zp, act_min, act_max
#define IG_FC_S16W8_DECL(D_, Y, YT) void ig_fc_s16_##Y(IG_FC_S16_ARGS, YT *y);
IG_FOR_A(IG_FC_S16W8_DECL, _)

/* fully connected with int16 activations as int8 products (kernels/scalar/ig_fc_s16_split.c): x = 256 hi
 * + 128 carry + lo (hi, lo int8, carry 0 / 1, only for x >= 32640; returns bit 0: some hi is not 0, bit 1: some
 * carry is 1); the hi and carry products (int32, by row) into the lo product's bias, in its kernel's layout:
 * out[i] = bias[i] + factor[i] * (256 acc_hi[row[i]] + 128 acc_carry[row[i]]) modulo 2^32 (row[i] = -1: bias[i];
 * acc_hi / acc_carry may be NULL, all 0). */
int32_t ig_split_s16(const int16_t *x, int32_t k_dim, int8_t *hi, int8_t *carry, int8_t *lo);
void ig_fc_s16_bias(const int32_t *acc_hi, const int32_t *acc_carry, const int32_t *bias, const int32_t *row,
                    const int32_t *factor, int32_t rows, int32_t *out);
#endif
