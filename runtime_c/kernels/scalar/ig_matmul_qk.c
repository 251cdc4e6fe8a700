/* matmul_qk (quant/ops/attention.py): attention scores per head, grouped KV heads, requantized (the 1/sqrt(d) of
 * attention is in the multiplier). */
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) void qk_body(const int8_t *q, const int8_t *k, int32_t t, int32_t s,
                                                           int32_t heads, int32_t kv_heads, int32_t head_dim,
                                                           int32_t q_zp, int32_t k_zp, int32_t mult, int32_t shift,
                                                           int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                                                           int32_t yb) {
  int32_t group = heads / kv_heads, qw = heads * head_dim, kw = kv_heads * head_dim;
  for (int32_t h = 0; h < heads; h++) {
    const int8_t *kh = k + (h / group) * head_dim;
    for (int32_t i = 0; i < t; i++) {
      const int8_t *qi = q + (size_t)i * (size_t)qw + (size_t)h * (size_t)head_dim;
      int32_t out = (h * t + i) * s;
      for (int32_t j = 0; j < s; j++) {
        const int8_t *kj = kh + (size_t)j * (size_t)kw;
        int32_t acc = 0;
        for (int32_t c = 0; c < head_dim; c++) acc += (qi[c] - q_zp) * (kj[c] - k_zp);
        ig_store(y, out + j, ig_output_i32(acc, mult, shift, y_zp, act_min, act_max), yb);
      }
    }
  }
}

#define IG_QK_DEF(D_, Y, YT)                                                                                      \
  IG_WEAK void ig_matmul_qk_s8_##Y(const int8_t *q, const int8_t *k, int32_t t, int32_t s, int32_t heads,               \
                           int32_t kv_heads, int32_t head_dim, int32_t q_zp, int32_t k_zp, int32_t mult,          \
                           int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, YT *y) {               \
    qk_body(q, k, t, s, heads, kv_heads, head_dim, q_zp, k_zp, mult, shift, y_zp, act_min, act_max, y,          \
            sizeof(YT));                                                                                         \
  }
IG_FOR_A(IG_QK_DEF, _)
