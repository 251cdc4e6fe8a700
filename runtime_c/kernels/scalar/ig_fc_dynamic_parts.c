/* fully_connected_dynamic (quant/ops/linear_quant.py) on the family's grouped kernels (codegen/op_calls_quant.py):
 * the row's int8 quantization runs before them and the per-token requantization after them; the int8 products
 * in between are the family's SIMD code (they return the exact int32 accumulator through an identity
 * requantization). Both loops here are branch-free so that the compilers vectorize them. */
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"
#include "ig_ops_quant.h"

/* r -> (e, mr): e = bitlen(r) - 15, mr = r << -e or rshr(r, e), in [2^14, 2^15] */
static inline int32_t dyn_exponent(int64_t r, int32_t *mr) {
  int32_t b = 0;
  while (r >> b) b++;
  int32_t e = b - 15;
  *mr = e < 0 ? (int32_t)(r << -e) : (int32_t)ig_rshr64(r, e);
  return e;
}

#if defined(__GNUC__) && !defined(__clang__)
#define IG_VECTORIZE __attribute__((optimize("tree-vectorize")))
#else
#define IG_VECTORIZE
#endif

/* q[k] = clamp(rshr((x[k] - x_zp) * floor(127 2^24 / mr), 24 + e), -127, 127); returns e, writes mr */
#define IG_DYN_QUANTIZE_DEF(D_, X, XT, WT)                                                                       \
  IG_VECTORIZE IG_WEAK int32_t ig_dyn_quantize_##X(const XT *x, int32_t x_zp, int32_t k_dim, int8_t *q,          \
                                                  int32_t *mr) {                                                \
    WT r = 1;                                                                                                    \
    for (int32_t k = 0; k < k_dim; k++) {                                                                        \
      WT c = (WT)x[k] - x_zp;                                                                                    \
      c = c < 0 ? -c : c;                                                                                        \
      r = c > r ? c : r;                                                                                         \
    }                                                                                                            \
    int32_t e = dyn_exponent((int64_t)r, mr);                                                                    \
    int64_t inv = (int64_t)((127u << 24) / (uint32_t)*mr);                                                       \
    int32_t s = 24 + e; /* >= 10: e >= -14 */                                                                    \
    int64_t half = (int64_t)1 << (s - 1);                                                                        \
    for (int32_t k = 0; k < k_dim; k++) {                                                                        \
      int64_t v = (((int64_t)x[k] - x_zp) * inv + half) >> s;                                                    \
      v = v < -127 ? -127 : v;                                                                                   \
      q[k] = (int8_t)(v > 127 ? 127 : v);                                                                        \
    }                                                                                                            \
    return e;                                                                                                    \
  }
IG_DYN_QUANTIZE_DEF(_, s16, int16_t, int32_t)
IG_DYN_QUANTIZE_DEF(_, s32, int32_t, int64_t)

/* y[i] = clamp(rshr(acc[i] * rshr(mult[i] * mr, 15), shift[i] - e) + bias[i] + y_zp, act_min, act_max) */
#define IG_DYN_REQUANT_DEF(D_, Y, YT)                                                                            \
  IG_VECTORIZE IG_WEAK void ig_dyn_requant_##Y(const int32_t *acc, int32_t mr, int32_t e, const int32_t *mult,   \
                                               const int32_t *shift, const int32_t *bias, int32_t rows,           \
                                               int32_t y_zp, int32_t act_min, int32_t act_max, YT *y) {         \
    for (int32_t i = 0; i < rows; i++) {                                                                         \
      int64_t m = ig_rshr64((int64_t)mult[i] * mr, 15);                                                          \
      int64_t v = ig_rshr64((int64_t)acc[i] * m, shift[i] - e) + bias[i] + y_zp;                                 \
      v = v < act_min ? act_min : v;                                                                             \
      y[i] = (YT)(v > act_max ? act_max : v);                                                                    \
    }                                                                                                            \
  }
IG_FOR_B(IG_DYN_REQUANT_DEF, _)
