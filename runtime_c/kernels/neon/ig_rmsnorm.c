/* rmsnorm for AArch64 NEON.
 * c = clamp(rshr(x - zp, pre_shift), +-(2^24 - 1)) in lanes (SRSHL; int32 inputs through int64 lanes and SQXTN),
 * the sum of squares by SMLAL(2) into two int64 lanes; per element n = round_div(c 2^20, r) is ig_neon_rdiv20 (the
 * per-row reciprocal of ig_rdiv20, exact for |c| <= r < 2^30: the sum cannot wrap), y = rshr(n gamma, shift) by
 * SMULL(2) + SRSHL + SQXTN (any shift), SQADD y_zp, clamp, narrowing store. Rows with r >= 2^30 and the last
 * channels % 4 take the portable per-element form. */
#include "ig_neon_ops.h"
#include "ig_ops.h"

#define IG_RMS_C_MAX ((1 << 24) - 1)

IG_NI int32x4_t rms_c4(const void *x, int32_t i, int32_t xb, int32x4_t zp, int32x4_t npre, int64x2_t npre64,
                       int32_t zp32) {
  int32x4_t c;
  if (xb < 4) {
    c = vrshlq_s32(vsubq_s32(ig_neon_load4(x, i, xb), zp), npre); /* |x - zp| < 2^17: no overflow */
  } else {
    int32x4_t v = vld1q_s32((const int32_t *)x + i);
    int64x2_t lo = vrshlq_s64(vsubl_s32(vget_low_s32(v), vdup_n_s32(zp32)), npre64);
    int64x2_t hi = vrshlq_s64(vsubl_high_s32(v, vdupq_n_s32(zp32)), npre64);
    c = vqmovn_high_s64(vqmovn_s64(lo), hi);
  }
  return vminq_s32(vmaxq_s32(c, vdupq_n_s32(-IG_RMS_C_MAX)), vdupq_n_s32(IG_RMS_C_MAX));
}

IG_NI int32_t rms_c1(const void *x, int32_t i, int32_t xb, int32_t x_zp, int32_t pre_shift) {
  return (int32_t)ig_clamp64(ig_rshr64((int64_t)ig_load(x, i, xb) - x_zp, pre_shift), -IG_RMS_C_MAX, IG_RMS_C_MAX);
}

IG_NI void rmsnorm_body(const void *x, int32_t xb, int32_t rows, int32_t channels, const int32_t *gamma,
                        int32_t x_zp, int32_t pre_shift, int64_t eps, int32_t shift, int32_t y_zp, int32_t act_min,
                        int32_t act_max, void *y, int32_t yb) {
  int32x4_t zp = vdupq_n_s32(x_zp), npre = vdupq_n_s32(-pre_shift), zy = vdupq_n_s32(y_zp);
  int32x4_t lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
  int64x2_t npre64 = vdupq_n_s64(-pre_shift), nsh = vdupq_n_s64(-shift);
  int32x4_t zero = vdupq_n_s32(0);
  int32_t c4 = channels & ~3;
  for (int32_t r = 0; r < rows; r++) {
    int32_t base = r * channels;
    int64x2_t acc = vdupq_n_s64(0);
    for (int32_t i = 0; i < c4; i += 4) {
      int32x4_t c = rms_c4(x, base + i, xb, zp, npre, npre64, x_zp);
      acc = vmlal_s32(acc, vget_low_s32(c), vget_low_s32(c));
      acc = vmlal_high_s32(acc, c, c);
    }
    uint64_t ss = (uint64_t)eps + (uint64_t)vaddvq_s64(acc);
    for (int32_t i = c4; i < channels; i++) {
      int64_t c = rms_c1(x, base + i, xb, x_zp, pre_shift);
      ss += (uint64_t)(c * c);
    }
    int64_t root = ig_isqrt64((int64_t)ss);
    if (root < 1) root = 1;
    int32_t i = 0;
    if (root < (1 << 30)) {
      ig_rdiv20_t d = ig_rdiv20_prepare((uint32_t)root);
      for (; i < c4; i += 4) {
        int32x4_t n = ig_neon_rdiv20(rms_c4(x, base + i, xb, zp, npre, npre64, x_zp), d);
        int32x4_t v = vqaddq_s32(ig_neon_rshr_nbg(n, vld1q_s32(gamma + i), zero, nsh), zy);
        ig_neon_store4(y, base + i, ig_neon_clamp(v, lo, hi), yb);
      }
    }
    ig_divisor_t div = ig_divisor((uint64_t)root);
    for (; i < channels; i++) {
      int64_t n = ig_round_div_by((int64_t)rms_c1(x, base + i, xb, x_zp, pre_shift) * (1ll << 20), div);
      int64_t v = ig_rshr64(n * gamma[i], shift) + y_zp;
      ig_store(y, base + i, (int32_t)ig_clamp64(v, act_min, act_max), yb);
    }
  }
}

#define IG_ENTRIES_RMSNORM
#include "ig_entry_points.h"
