/* softcap for AArch64 NEON (quant/ops/softcap.py): z = mul_rshr(x - x_zp, in_mult, in_shift) saturated to int32
 * (SMULL + SRSHL + SQXTN), the sigmoid in lanes (ig_neon_sigmoid_q15, ig_neon_ops.h), t = 2 s - 2^15, the output
 * rescale plus y_zp in int64 lanes, the clamp; the last len % 4 elements in the int64 form. int32 inputs are the
 * portable kernel's. */
#include "ig_neon_ops.h"
#include "ig_ops.h"

IG_NI void softcap_neon(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                        int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                        int32_t yb) {
  int64x2_t zy64 = vdupq_n_s64(y_zp), nin = vdupq_n_s64(-in_shift), nout = vdupq_n_s64(-out_shift);
  int32x4_t zx = vdupq_n_s32(x_zp), lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
  int32_t i = 0;
  for (; i + 4 <= len; i += 4) {
    int32x4_t z = ig_neon_mul_rshr_sat(vsubq_s32(ig_neon_load4(x, i, xb), zx), in_mult, nin);
    int32x4_t t = vsubq_s32(vshlq_n_s32(ig_neon_sigmoid_q15(z), 1), vdupq_n_s32(1 << 15));
    ig_neon_store4(y, i, ig_neon_clamp(ig_neon_mul_rshr_zp_sat(t, out_mult, nout, zy64), lo, hi), yb);
  }
  ig_softcap64(x, xb, i, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, yb);
}

#define IG_SOFTCAP_BODY softcap_neon
#define IG_ENTRIES_SOFTCAP
#include "ig_entry_points.h"
