/* mul with rescale for Armv8.1-M Helium: the portable kernel's 32-bit form in four lanes. Where the plan fits
 * (ig_mul_plan, ig_binary64.h: int8 / int16 inputs), P = (a - za)(b - zb) is one VMUL and rshr(P mult, shift) the
 * ig_ms_t form (ig_fixed64.h): VRMULH of the pre-shifted operands (shift <= 32) or VMULH,
 * add, shift (shift >= 33); then y_zp, clamp, predicated narrowing store. Otherwise the int64 form. */
#include "ig_binary64.h"
#include "ig_mve_ops.h"
#include "ig_ops.h"

IG_MI int32x4_t mul4(int32x4_t va, int32x4_t vb, int32_t a_zp, int32_t b_zp, ig_ms_t ms, int32_t mode, int32_t y_zp,
                     int32_t lo, int32_t hi) {
  int32x4_t v = vaddq_n_s32(ig_mve_ms(vmulq_s32(vsubq_n_s32(va, a_zp), vsubq_n_s32(vb, b_zp)), ms, mode), y_zp);
  return vminq_s32(vmaxq_s32(v, vdupq_n_s32(lo)), vdupq_n_s32(hi));
}

IG_MI void mul_loop(const void *a, int32_t ab, const void *b, int32_t bb, int32_t len, int32_t a_zp, int32_t b_zp,
                    ig_ms_t ms, int32_t mode, int32_t y_zp, int32_t lo, int32_t hi, void *y, int32_t yb) {
  int32_t i = 0;
  for (; i + 4 <= len; i += 4)
    ig_mve_store4u(y, i, mul4(ig_mve_load4u(a, i, ab), ig_mve_load4u(b, i, bb), a_zp, b_zp, ms, mode, y_zp, lo, hi),
                   yb);
  if (i < len) {
    mve_pred16_t p = vctp32q((uint32_t)(len - i));
    ig_mve_store4p(y, i, mul4(ig_mve_load4(a, i, ab, p), ig_mve_load4(b, i, bb, p), a_zp, b_zp, ms, mode, y_zp, lo, hi),
                   yb, p);
  }
}

IG_MI void mul_body(const void *a, int32_t ab, const void *b, int32_t bb, int32_t len, int32_t a_zp, int32_t b_zp,
                    int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                    int32_t yb) {
  ig_ms_t ms;
  int32_t mode = ig_mul_plan(ab, bb, a_zp, b_zp, mult, shift, y_zp, &ms);
  if (mode == IG_MS_FLOOR)
    mul_loop(a, ab, b, bb, len, a_zp, b_zp, ms, IG_MS_FLOOR, y_zp, act_min, act_max, y, yb);
  else if (mode == IG_MS_HR)
    mul_loop(a, ab, b, bb, len, a_zp, b_zp, ms, IG_MS_HR, y_zp, act_min, act_max, y, yb);
  else
    ig_mul_elems64(a, ab, b, bb, 0, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, yb);
}

#define IG_ENTRIES_MUL
#include "ig_entry_points.h"
