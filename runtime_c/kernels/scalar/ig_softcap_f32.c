/* softcap, FP32 (quant/ops/softcap.py softcap_f32): c tanh(x / c), tanh(u) = sign(u) (1 - E) / (1 + E) with
 * E = exp(-2 |u|) from ig_mathf.h (no overflow for any u). Portable C. */
#include "ig_fixedpoint.h"
#include "ig_mathf.h"
#include "ig_ops_f32.h"

IG_WEAK void ig_softcap_f32(const float *x, int32_t len, float cap, float *y) {
  for (int32_t i = 0; i < len; i++) {
    float u = x[i] / cap;
    uint32_t b = ig_f32_bits(u);
    float e = ig_expf(-2.0f * ig_bits_f32(b & 0x7fffffffu));
    float t = (1.0f - e) / (1.0f + e);
    y[i] = cap * ((b >> 31) ? -t : t);
  }
}
