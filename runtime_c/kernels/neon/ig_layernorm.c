/* layernorm for AArch64 NEON.
 * The row sum (int32 lanes), d = C c - sum (MLS), the sum of squares by SMLAL(2) into int64 lanes, n = round_div(
 * d 2^20, r) by ig_neon_rdiv20 (exact for |d| <= r < 2^30: checked once per call that the sum of squares cannot
 * wrap, else the portable loop), y = rshr(n gamma + beta, shift) by SMLAL(2) onto beta + SRSHL + SQXTN, SQADD
 * y_zp, clamp, narrowing store. The last channels % 4 and rows with r >= 2^30 are per element. */
#include "ig_neon_ops.h"
#include "ig_norm64.h"
#include "ig_ops.h"

IG_NI void layernorm_body(const void *x, int32_t xb, int32_t rows, int32_t channels, const int32_t *gamma,
                          const int32_t *beta, int32_t x_zp, int64_t eps, int32_t shift, int32_t y_zp,
                          int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  int32_t ok = ig_ln_fits32(xb, channels, eps);
  int32x4_t zp = vdupq_n_s32(x_zp), zy = vdupq_n_s32(y_zp), lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
  int64x2_t nsh = vdupq_n_s64(-shift);
  int32_t c4 = channels & ~3;
  for (int32_t r = 0; r < rows; r++) {
    int32_t base = r * channels;
    if (!ok) { /* the definition as written */
      ig_ln_stats64_t st = ig_ln_stats64(x, xb, base, channels, x_zp, eps);
      ig_ln_y64(x, xb, base, channels, gamma, beta, x_zp, st.sum, ig_isqrt64((int64_t)st.ss), 0, shift, y_zp,
                act_min, act_max, y, yb);
      continue;
    }
    int32x4_t sv = vdupq_n_s32(0);
    for (int32_t i = 0; i < c4; i += 4) sv = vaddq_s32(sv, vsubq_s32(ig_neon_load4(x, base + i, xb), zp));
    int32_t sum = vaddvq_s32(sv);
    for (int32_t i = c4; i < channels; i++) sum += ig_load(x, base + i, xb) - x_zp;
    int32x4_t sumv = vdupq_n_s32(sum), cv = vdupq_n_s32(channels);
    int64x2_t acc = vdupq_n_s64(0);
    for (int32_t i = 0; i < c4; i += 4) {
      int32x4_t d = vmlaq_s32(vnegq_s32(sumv), vsubq_s32(ig_neon_load4(x, base + i, xb), zp), cv);
      acc = vmlal_s32(acc, vget_low_s32(d), vget_low_s32(d));
      acc = vmlal_high_s32(acc, d, d);
    }
    uint64_t ss = (uint64_t)eps + (uint64_t)vaddvq_s64(acc);
    for (int32_t i = c4; i < channels; i++) {
      int64_t d = (int64_t)channels * (ig_load(x, base + i, xb) - x_zp) - sum;
      ss += (uint64_t)(d * d);
    }
    int64_t root = ig_isqrt64((int64_t)ss);
    if (root < 1) root = 1;
    int32_t i = 0;
    if (root < (1 << 30)) {
      ig_rdiv20_t dv = ig_rdiv20_prepare((uint32_t)root);
      for (; i < c4; i += 4) {
        int32x4_t d = vmlaq_s32(vnegq_s32(sumv), vsubq_s32(ig_neon_load4(x, base + i, xb), zp), cv);
        int32x4_t n = ig_neon_rdiv20(d, dv);
        int32x4_t v = vqaddq_s32(ig_neon_rshr_nbg(n, vld1q_s32(gamma + i), vld1q_s32(beta + i), nsh), zy);
        ig_neon_store4(y, base + i, ig_neon_clamp(v, lo, hi), yb);
      }
    }
    ig_ln_y64(x, xb, base, channels, gamma, beta, x_zp, sum, root, i, shift, y_zp, act_min, act_max, y, yb);
  }
}

#define IG_ENTRIES_LAYERNORM
#include "ig_entry_points.h"
