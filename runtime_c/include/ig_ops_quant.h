/* Entry points of the quantization-method kernels: asymmetric group-wise weights, dynamic per-token input scales
 * and the channel gather of the outlier split. The definitions are the docstrings of quant/ops/linear_quant.py and
 * quant/ops/gather.py (and the numpy code under them); kernels/scalar/ig_fc_asym.c, ig_fc_asym_offsets.c,
 * ig_fc_dynamic.c, ig_fc_dynamic_parts.c and ig_channel_gather.c are the portable C. Type suffixes as in ig_ops.h
 * (inputs..., output); one activation row per fully connected call, like ig_kernels.h.
 *
 * Weights: int8 row-major, or int4 in the row pairs of ig_kernels.h (weight_bits 4). group_scale and group_offset
 * are the IR's [n_dim, groups] arrays, row-major. */
#ifndef IG_OPS_QUANT_H
#define IG_OPS_QUANT_H
#include <stddef.h>
#include <stdint.h>

#include "ig_ops.h"

/* fully_connected_asym, one row: acc[n] = bias[n] + sum_g (group_scale[n, g] * sum_{k in g} x[k] w[n, k]
 *   + group_offset[n, g] * sum_{k in g} x[k]) modulo 2^32, with x as stored: `bias` holds the zero-point terms
 * folded in at code generation, bias - x_zp * sum_g (group_scale * sum_{k in g} w + group_offset * group_size)
 * (wrapped to int32); y[n] = clamp(requant(acc, mult[n], shift[n]) + y_zp, act_min, act_max). */
#define IG_FC_ASYM_DECL(D_, X, XT, Y, YT)                                                                         \
  void ig_fc_asym_##X##_##Y(const XT *x, const int8_t *w, int32_t weight_bits, const int32_t *bias,              \
                            const int32_t *group_scale, const int32_t *group_offset, const int32_t *mult,        \
                            const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t group_size, int32_t y_zp, \
                            int32_t act_min, int32_t act_max, YT *y);
#define IG__FC_ASYM_B(D_, X, XT) IG_FOR_B(IG_FC_ASYM_DECL, D_, X, XT)
IG_FOR_NARROW(IG__FC_ASYM_B, _)

/* fully_connected_asym with int8 x on the grouped kernels (ig_kernels.h; codegen/op_calls_quant.py): the term
 * that depends on x, computed per call. t[g] = sum_{k in g} x[k] for the k_dim / group_size groups;
 * out[i] = bias[i] + sum_g offset[g * rows + i] * t[g] modulo 2^32 for i < rows (offset: the group offsets of
 * `rows` rows, [groups, rows], in the grouped kernel's bias order). */
void ig_group_sums_s8(const int8_t *x, int32_t k_dim, int32_t group_size, int32_t *t);
void ig_offset_bias(const int32_t *t, int32_t groups, const int32_t *offset, const int32_t *bias, int32_t rows,
                    int32_t *out);
/* The same layer with int4 weights where the family's grouped kernel takes the group offsets inside its scales
 * (AArch64 NEON with SDOT, blocked layout: kernels/neon/ig_fc_grouped_s8w4.c, packing.py neon_asym_scales); the
 * arguments of ig_fc_grouped_s8w4, the bias the folded constant one. */
#define IG_FC_GROUPED_ASYM_DECL(D_, Y, YT)                                                                        \
  void ig_fc_grouped_asym_s8w4##D_(const int8_t *x, const int8_t *w_pairs, const int32_t *bias,                   \
                                   const int32_t *group_scale_t, const int32_t *mult, const int32_t *shift,        \
                                   int32_t k_dim, int32_t n_dim, int32_t group_size, int32_t y_zp,               \
                                   int32_t act_min, int32_t act_max, YT *y);
IG_FC_GROUPED_ASYM_DECL(, s8, int8_t)
IG_FC_GROUPED_ASYM_DECL(_to_s16, s16, int16_t)
IG_FC_GROUPED_ASYM_DECL(_to_s32, s32, int32_t)
/* fully_connected_dynamic (int4) there, on the row's int8 q and its (mr, e) from ig_dyn_quantize_*, the
 * per-token requantization in the kernel: bias, mult and shift the layer's own in the blocked layout's row order
 * (no left shift folded); with _asym the offsets in the scales as above. int8 / int16 / int32 out. */
#define IG_FC_GROUPED_DYN_DECL(NAME, YT)                                                                          \
  void NAME(const int8_t *x, const int8_t *w_pairs, const int32_t *bias, const int32_t *group_scale_t,             \
            const int32_t *mult, const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t group_size,          \
            int32_t y_zp, int32_t act_min, int32_t act_max, int32_t mr, int32_t e, YT *y);
IG_FC_GROUPED_DYN_DECL(ig_fc_grouped_dyn_s8w4, int8_t)
IG_FC_GROUPED_DYN_DECL(ig_fc_grouped_dyn_s8w4_to_s16, int16_t)
IG_FC_GROUPED_DYN_DECL(ig_fc_grouped_dyn_asym_s8w4, int8_t)
IG_FC_GROUPED_DYN_DECL(ig_fc_grouped_dyn_asym_s8w4_to_s16, int16_t)
IG_FC_GROUPED_DYN_DECL(ig_fc_grouped_dyn_s8w4_to_s32, int32_t)
IG_FC_GROUPED_DYN_DECL(ig_fc_grouped_dyn_asym_s8w4_to_s32, int32_t)

/* fully_connected_dynamic with int8 per-channel weights on NEON with SDOT (kernels/neon/ig_fc_s8_dyn.c), on the
 * row's int8 q and its (mr, e) from ig_dyn_quantize_*: the weights in the blocked layout of ig_fc_s8_blocked, bias
 * (NULL: none), mult and shift the layer's own padded to the 32-row blocks (codegen/packing.py pack_fc_s8_dynamic),
 * shift_min the smallest of the layer's shifts, acc_shift the left shift its accumulators have room for in int32
 * (127 sum |w| < 2^(31 - acc_shift)); K a multiple of 32. int8 / int16 / int32 out. */
#define IG_FC_S8_DYN_ARGS                                                                                         \
  const int8_t *q, const int8_t *w, const int32_t *bias, const int32_t *mult, const int32_t *shift,               \
      int32_t shift_min, int32_t acc_shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,          \
      int32_t act_max, int32_t mr, int32_t e
#define IG_FC_S8_DYN_PASS q, w, bias, mult, shift, shift_min, acc_shift, k_dim, n_dim, y_zp, act_min, act_max, mr, e
void ig_fc_s8_dyn(IG_FC_S8_DYN_ARGS, int8_t *y);
void ig_fc_s8_dyn_to_s16(IG_FC_S8_DYN_ARGS, int16_t *y);
void ig_fc_s8_dyn_to_s32(IG_FC_S8_DYN_ARGS, int32_t *y);

/* fully_connected_dynamic, one row of int16 / int32 x: the row's own int8 quantization (r = max |x - x_zp|, its
 * 15-bit mantissa mr and exponent e, q = clamp(rshr((x - x_zp) * floor(127 2^24 / mr), 24 + e), -127, 127)), the
 * grouped accumulator of q, then y[n] = clamp(rshr(acc * rshr(mult[n] * mr, 15), shift[n] - e) + bias[n] + y_zp,
 * act_min, act_max). The bias is in output units. No scratch memory: q is recomputed per block of output rows. */
#define IG_FC_DYNAMIC_DECL(D_, X, XT, Y, YT)                                                                      \
  void ig_fc_dynamic_##X##_##Y(const XT *x, int32_t x_zp, const int8_t *w, int32_t weight_bits,                  \
                               const int32_t *bias, const int32_t *group_scale, const int32_t *group_offset,     \
                               const int32_t *mult, const int32_t *shift, int32_t k_dim, int32_t n_dim,          \
                               int32_t group_size, int32_t y_zp, int32_t act_min, int32_t act_max, YT *y);
#define IG__FC_DYNAMIC_B(D_, X, XT) IG_FOR_B(IG_FC_DYNAMIC_DECL, D_, X, XT)
IG__FC_DYNAMIC_B(_, s16, int16_t)
IG__FC_DYNAMIC_B(_, s32, int32_t)

/* fully_connected_dynamic on the grouped kernels (codegen/op_calls_quant.py; kernels/scalar/ig_fc_dynamic_parts.c):
 * ig_dyn_quantize_* writes the row's int8 q (as above), sets *mr and returns e; the family's grouped kernel gives
 * acc (int32, identity requantization); ig_dyn_requant_* writes y[i] for `rows` rows as above. */
int32_t ig_dyn_quantize_s16(const int16_t *x, int32_t x_zp, int32_t k_dim, int8_t *q, int32_t *mr);
int32_t ig_dyn_quantize_s32(const int32_t *x, int32_t x_zp, int32_t k_dim, int8_t *q, int32_t *mr);
#define IG_DYN_REQUANT_DECL(D_, Y, YT)                                                                           \
  void ig_dyn_requant_##Y(const int32_t *acc, int32_t mr, int32_t e, const int32_t *mult, const int32_t *shift,  \
                          const int32_t *bias, int32_t rows, int32_t y_zp, int32_t act_min, int32_t act_max, YT *y);
IG_FOR_B(IG_DYN_REQUANT_DECL, _)
/* A family file's three ig_dyn_requant_* entry points over its BODY(acc, mr, e, mult, shift, bias, rows, y_zp,
 * act_min, act_max, y, bytes of y's type). */
#define IG_DYN_REQUANT_ENTRY(BODY, Y, YT)                                                                         \
  void ig_dyn_requant_##Y(const int32_t *acc, int32_t mr, int32_t e, const int32_t *mult, const int32_t *shift,  \
                          const int32_t *bias, int32_t rows, int32_t y_zp, int32_t act_min, int32_t act_max,      \
                          YT *y) {                                                                               \
    BODY(acc, mr, e, mult, shift, bias, rows, y_zp, act_min, act_max, y, sizeof(YT));                           \
  }
#define IG_DYN_REQUANT_ENTRIES(BODY)                                                                             \
  IG_DYN_REQUANT_ENTRY(BODY, s8, int8_t) IG_DYN_REQUANT_ENTRY(BODY, s16, int16_t) IG_DYN_REQUANT_ENTRY(BODY, s32, int32_t)

/* channel_gather over `rows` rows of x [rows, k_dim]: y[r, j] = clamp(rshr(c * mult, shift) + y_zp, act_min,
 * act_max) with c = x[r, index[j]] - x_zp, or c = 0 where index[j] = -1; y is [rows, j_dim]. */
#define IG_GATHER_DECL(D_, X, XT, Y, YT)                                                                          \
  void ig_channel_gather_##X##_##Y(const XT *x, int32_t rows, int32_t k_dim, const int32_t *index, int32_t j_dim, \
                                   int32_t x_zp, int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min,      \
                                   int32_t act_max, YT *y);
IG_FOR_2(IG_GATHER_DECL)
#endif
