/* Kernel entry points. Every kernel family (kernels/<family>/) implements the same signatures and must
 * match quant/reference.py bit for bit; kernels/scalar/ is the portable definition in C.
 *
 * Conventions shared by the integer fully connected kernels:
 *  - `bias` already holds the zero-point correction folded in at code generation
 *    (b - x_zp * sum_k w[n, k], or b - x_zp * sum_g group_scale[n, g] * sum_{k in g} w[n, k] for grouped),
 *    so the kernels use x as stored. All accumulation is modulo 2^32, exactly as the reference's int32 wrap.
 *  - int8 weights are row-major w[n * k_dim + k] in every family, except ig_fc_s8* on NEON and RVV, which read
 *    their row blocks interleaved (codegen/packing.py pack_fc_weights: one stream per layer).
 *  - int4 weights ("s8w4") are packed in ROW PAIRS, one byte per (pair, k), the same layout in every family:
 *        packed[p * k_dim + k] = 16 * w[2p][k] + (w[2p+1][k] + 8)          (w in [-8, 7]; odd N: w[N] = 0)
 *    The high nibble is row 2p (signed), the low nibble row 2p+1 biased by 8. A SIMD kernel multiplies x by
 *    the raw byte and by (byte & 0xF0) and recovers both rows' sums without unpacking:
 *        S_even = sum x * (b & 0xF0) / 16,   S_odd = sum x * b - sum x * (b & 0xF0) - 8 * sum x.
 *  - Output: y[n] = clamp(requant(acc, mult[n], shift[n]) + y_zp, act_min, act_max), ig_fixedpoint.h. */
#ifndef IG_KERNELS_H
#define IG_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/* The arguments every fully connected entry point shares, and their names passed on to a kernel body. */
#define IG_FC_ARGS                                                                                                 \
  const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift, int32_t k_dim, \
      int32_t n_dim, int32_t y_zp, int32_t act_min, int32_t act_max
#define IG_FC_PASS x, w, bias, mult, shift, k_dim, n_dim, y_zp, act_min, act_max
#define IG_FC_GROUPED_ARGS                                                                                        \
  const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *group_scale_t, const int32_t *mult,       \
      const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t group_size, int32_t y_zp, int32_t act_min,      \
      int32_t act_max
#define IG_FC_GROUPED_PASS x, w, bias, group_scale_t, mult, shift, k_dim, n_dim, group_size, y_zp, act_min, act_max

/* y[n] = clamp(requant(bias[n] + sum_k x[k] * w[n*k_dim + k], mult[n], shift[n]) + y_zp, act_min, act_max). */
void ig_fc_s8(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult,
              const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,
              int32_t act_max, int8_t *y);

/* The same with int4 weights packed in row pairs (see above): w_pairs has ceil(n_dim / 2) * k_dim bytes. */
void ig_fc_s8w4(const int8_t *x, const int8_t *w_pairs, const int32_t *bias, const int32_t *mult,
                const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,
                int32_t act_max, int8_t *y);

/* Group-wise weights with integer scale factors, groups of group_size along K (group_size divides k_dim):
 * acc[n] = bias[n] + sum_g group_scale_t[g * n_dim + n] * sum_{k in g} x[k] * w[n, k].
 * group_scale_t is the IR's group_scale [N, G] transposed to [G, N] (contiguous across output channels). */
void ig_fc_grouped_s8(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *group_scale_t,
                      const int32_t *mult, const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t group_size,
                      int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y);

void ig_fc_grouped_s8w4(const int8_t *x, const int8_t *w_pairs, const int32_t *bias, const int32_t *group_scale_t,
                        const int32_t *mult, const int32_t *shift, int32_t k_dim, int32_t n_dim,
                        int32_t group_size, int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y);

/* The same four with int16 / int32 outputs (fully_connected_wide): y = clamp(requant(acc) + y_zp, act_min, act_max)
 * with the sum formed without wrapping (quant/ops/linear.py). */
#define IG_FC_WIDE_DECL(Y, YT)                                                                                      \
  void ig_fc_s8_to_##Y(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult,                 \
                       const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,          \
                       int32_t act_max, YT *y);                                                                   \
  void ig_fc_s8w4_to_##Y(const int8_t *x, const int8_t *w_pairs, const int32_t *bias, const int32_t *mult,         \
                         const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,        \
                         int32_t act_max, YT *y);                                                                 \
  void ig_fc_grouped_s8_to_##Y(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *group_scale_t, \
                               const int32_t *mult, const int32_t *shift, int32_t k_dim, int32_t n_dim,            \
                               int32_t group_size, int32_t y_zp, int32_t act_min, int32_t act_max, YT *y);        \
  void ig_fc_grouped_s8w4_to_##Y(const int8_t *x, const int8_t *w_pairs, const int32_t *bias,                      \
                                 const int32_t *group_scale_t, const int32_t *mult, const int32_t *shift,          \
                                 int32_t k_dim, int32_t n_dim, int32_t group_size, int32_t y_zp, int32_t act_min,  \
                                 int32_t act_max, YT *y);
IG_FC_WIDE_DECL(s16, int16_t)
IG_FC_WIDE_DECL(s32, int32_t)

/* NEON with SDOT only (kernels/neon/ig_fc_s8.c): per-channel int8 layers in the grouped kernels' blocked layout
 * (codegen/packing.py per_channel_as_grouped), lsc[n] = 2^(row n's left shift) or lsc == 0 for none. */
#define IG_FC_S8_BLOCKED_DECL(D_, Y, YT)                                                                            \
  void ig_fc_s8_blocked##Y(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *lsc,              \
                           const int32_t *mult, const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp,  \
                           int32_t act_min, int32_t act_max, YT *y);
IG_FC_S8_BLOCKED_DECL(_, , int8_t)
IG_FC_S8_BLOCKED_DECL(_, _to_s16, int16_t)
IG_FC_S8_BLOCKED_DECL(_, _to_s32, int32_t)

void ig_relu_s8(const int8_t *x, int32_t len, int8_t zero_point, int8_t *y);

/* y[n] = sum_k x[k] * w[n*k_dim + k] + b[n], then max(y, 0) if relu. The FP32 baseline: float has no single
 * definition here; each family sums in its own order (several accumulators, fused multiply-adds where the target
 * has them), within a few ulps of the sum of magnitudes (tests/codegen/test_float_kernels.py). */
void ig_fc_f32(const float *x, const float *w, const float *b, int32_t k_dim, int32_t n_dim, int relu, float *y);

void ig_relu_f32(const float *x, int32_t len, float *y);
#endif
