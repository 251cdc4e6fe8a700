/* rmsnorm for Armv8.1-M Helium: for int8 / int16 inputs c = rshr(x - zp, pre_shift) in four int32 lanes (VRSHL;
 * |c| < 2^17, inside the definition's clamp), the sum of squares by VMLALDAVA into a 64-bit scalar pair (exact,
 * tail lanes predicated off), the root once per row (ig_isqrt64); per element n = round_div(c 2^20, r) is
 * ig_rdiv20 in lanes (the row's reciprocal: VMULH.U32, one remainder compare), y = rshr(n gamma, shift) the
 * portable kernel's 32-bit forms (shift >= 33: VMULH, add, shift; 22..32: VRMULH of n << (32 - shift)), y_zp,
 * clamp, predicated narrowing store. int32 inputs with zero point 0 likewise (c clamped to +-(2^24 - 1) in lanes).
 * Rows with r >= 2^30, shifts below 22, pre-shifts above 31 and int32 inputs with a zero point take the int64
 * form (ig_norm64.h). */
#include "ig_mve_ops.h"
#include "ig_norm64.h"
#include "ig_ops.h"

/* c of four elements: int8 / int16 x - zp (|.| < 2^17, no clamp needed); int32 x with zp 0, clamped (VRSHL
 * rounds without overflow) */
/* c of four elements (xv as loaded): int8 / int16 x - zp (|.| < 2^17, no clamp needed); int32 x with zp 0,
 * clamped (VRSHL rounds without overflow) */
IG_MI int32x4_t rms_c4(int32x4_t xv, int32_t xb, int32_t x_zp, int32_t pre_shift) {
  if (xb < 4) return vrshlq_n_s32(vsubq_n_s32(xv, x_zp), -pre_shift);
  int32x4_t c = vrshlq_n_s32(xv, -pre_shift);
  return vminq_s32(vmaxq_s32(c, vdupq_n_s32(-(int32_t)IG_NORM_C_MAX)), vdupq_n_s32((int32_t)IG_NORM_C_MAX));
}

/* y of four elements from their c and gamma */
IG_MI int32x4_t rms_y4(int32x4_t c, int32x4_t g, ig_rdiv20_t d, int32_t shift, int32_t y_zp, int32_t lo, int32_t hi,
                       int32_t floor) {
  int32x4_t n = ig_mve_rdiv20(c, d), v;
  if (floor) v = vshlq_r_s32(vaddq_n_s32(vmulhq_s32(n, g), 1 << (shift - 33)), 32 - shift);
  else v = vrmulhq_s32(vshlq_r_s32(n, 32 - shift), g);
  return vminq_s32(vmaxq_s32(vaddq_n_s32(v, y_zp), vdupq_n_s32(lo)), vdupq_n_s32(hi));
}

IG_MI void rms_row(const void *x, int32_t xb, int32_t base, int32_t channels, const int32_t *gamma, int32_t x_zp,
                   int32_t pre_shift, ig_rdiv20_t d, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                   void *y, int32_t yb, int32_t floor) {
  int32_t i = 0;
  for (; i + 4 <= channels; i += 4) {
    int32x4_t c = rms_c4(ig_mve_load4u(x, base + i, xb), xb, x_zp, pre_shift);
    ig_mve_store4u(y, base + i, rms_y4(c, vld1q_s32(gamma + i), d, shift, y_zp, act_min, act_max, floor), yb);
  }
  if (i < channels) {
    mve_pred16_t p = vctp32q((uint32_t)(channels - i));
    int32x4_t c = rms_c4(ig_mve_load4(x, base + i, xb, p), xb, x_zp, pre_shift);
    ig_mve_store4p(y, base + i, rms_y4(c, vldrwq_z_s32(gamma + i, p), d, shift, y_zp, act_min, act_max, floor), yb, p);
  }
}

IG_MI void rmsnorm_body(const void *x, int32_t xb, int32_t rows, int32_t channels, const int32_t *gamma,
                        int32_t x_zp, int32_t pre_shift, int64_t eps, int32_t shift, int32_t y_zp, int32_t act_min,
                        int32_t act_max, void *y, int32_t yb) {
  int32_t lane_c = pre_shift <= 31 && (xb < 4 || x_zp == 0);
  int32_t lanes = lane_c && shift >= 22 && y_zp > -(1 << 30) && y_zp < (1 << 30);
  for (int32_t r = 0; r < rows; r++) {
    int32_t base = r * channels;
    int64_t ss = eps;
    if (lane_c) {
      int32_t i = 0;
      for (; i + 4 <= channels; i += 4) {
        int32x4_t c = rms_c4(ig_mve_load4u(x, base + i, xb), xb, x_zp, pre_shift);
        ss = vmlaldavaq_s32(ss, c, c);
      }
      if (i < channels) {
        mve_pred16_t p = vctp32q((uint32_t)(channels - i));
        int32x4_t c = rms_c4(ig_mve_load4(x, base + i, xb, p), xb, x_zp, pre_shift);
        ss = vmlaldavaq_p_s32(ss, c, c, p);
      }
    } else {
      for (int32_t i = 0; i < channels; i++) {
        int64_t c = ig_norm_c64(x, base + i, xb, x_zp, pre_shift);
        ss += c * c;
      }
    }
    int64_t root = ig_isqrt64(ss);
    if (root < 1) root = 1;
    if (!lanes || root >= (1 << 30)) {
      ig_rms_row64(x, xb, base, channels, gamma, x_zp, pre_shift, root, shift, y_zp, act_min, act_max, y, yb);
      continue;
    }
    ig_rdiv20_t d = ig_rdiv20_prepare((uint32_t)root);
    if (shift >= 33) rms_row(x, xb, base, channels, gamma, x_zp, pre_shift, d, shift, y_zp, act_min, act_max, y, yb, 1);
    else rms_row(x, xb, base, channels, gamma, x_zp, pre_shift, d, shift, y_zp, act_min, act_max, y, yb, 0);
  }
}

#define IG_ENTRIES_RMSNORM
#include "ig_entry_points.h"
