/* matmul_pv (quant/ops/attention.py): probabilities times values per head, grouped KV heads, requantized. */
#include "ig_fixedpoint.h"
#include "ig_ops.h"

static inline __attribute__((always_inline)) void pv_body(const void *p, int32_t pb, const int8_t *v, int32_t t,
                                                           int32_t s, int32_t heads, int32_t kv_heads,
                                                           int32_t head_dim, int32_t p_zp, int32_t v_zp,
                                                           int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                                           int32_t act_max, void *y, int32_t yb) {
  int32_t group = heads / kv_heads, yw = heads * head_dim, vw = kv_heads * head_dim;
  for (int32_t h = 0; h < heads; h++) {
    const int8_t *vh = v + (h / group) * head_dim;
    for (int32_t i = 0; i < t; i++) {
      int32_t prow = (h * t + i) * s;
      for (int32_t c = 0; c < head_dim; c++) {
        int32_t acc = 0;
        for (int32_t j = 0; j < s; j++) acc += (ig_load(p, prow + j, pb) - p_zp) * (vh[(size_t)j * (size_t)vw + c] - v_zp);
        ig_store(y, i * yw + h * head_dim + c, ig_output_i32(acc, mult, shift, y_zp, act_min, act_max), yb);
      }
    }
  }
}

#define IG_PV_DEF(D_, P, PT, Y, YT)                                                                               \
  IG_WEAK void ig_matmul_pv_##P##_##Y(const PT *p, const int8_t *v, int32_t t, int32_t s, int32_t heads,                \
                              int32_t kv_heads, int32_t head_dim, int32_t p_zp, int32_t v_zp, int32_t mult,       \
                              int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, YT *y) {            \
    pv_body(p, sizeof(PT), v, t, s, heads, kv_heads, head_dim, p_zp, v_zp, mult, shift, y_zp, act_min, act_max,  \
            y, sizeof(YT));                                                                                      \
  }
#define IG__PV_DEF_B(M, P, PT) IG_FOR_B(IG_PV_DEF, M, P, PT)
IG_FOR_NARROW(IG__PV_DEF_B, _)
