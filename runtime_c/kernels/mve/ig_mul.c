/* mul with rescale for Armv8.1-M Helium: the portable kernel's 32-bit form in four lanes. Where the plan fits
 * (ig_mul_plan, ig_binary64.h: int8 / int16 inputs), P = (a - za)(b - zb) is one VMUL and rshr(P mult, shift) the
 * ig_ms_t form (ig_fixed64.h): VRMULH of the pre-shifted operands (shift <= 32) or VMULH,
 * add, shift (shift >= 33); then y_zp, clamp, predicated narrowing store. Otherwise the int64 form. */
#include "ig_binary64.h"
#include "ig_mve_ops.h"
#include "ig_ops.h"

IG_MI void mul_loop(const void *a, int32_t ab, const void *b, int32_t bb, int32_t len, int32_t a_zp, int32_t b_zp,
                    ig_ms_t ms, int32_t mode, int32_t y_zp, int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  int32x4_t lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
  for (int32_t i = 0; i < len; i += 4) {
    mve_pred16_t p = vctp32q((uint32_t)(len - i));
    int32x4_t pr = vmulq_s32(vsubq_n_s32(ig_mve_load4(a, i, ab, p), a_zp), vsubq_n_s32(ig_mve_load4(b, i, bb, p), b_zp));
    int32x4_t v = vaddq_n_s32(ig_mve_ms(pr, ms, mode), y_zp);
    ig_mve_store4p(y, i, vminq_s32(vmaxq_s32(v, lo), hi), yb, p);
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
