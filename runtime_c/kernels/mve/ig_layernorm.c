/* layernorm for Armv8.1-M Helium, int8 / int16 inputs: c = x - zp in four int32 lanes, the row sum by VADDVA and
 * the sum of squares of d = C c - sum by VMLALDAVA (64-bit scalar pair; tail lanes predicated off), the root once
 * per row; n = round_div(d 2^20, r) is ig_rdiv20 in lanes (ig_mve_rdiv20).
 * y = rshr(n gamma + beta, shift) needs the 52-bit n gamma: Helium has no 64-bit lanes, so its two words are
 * VMULH.S32 (high) and VMUL (low), beta and 2^(shift-1) are added to the pair with their carries (an unsigned
 * compare of the low word and one predicated add each), and the shift reads the pair: the high word alone for
 * shift >= 32, (lo >> shift) | (hi << (32 - shift)) for 21 <= shift < 32 (the result fits int32, as in the
 * portable kernel). Then y_zp, clamp, predicated narrowing store. Rows with r >= 2^30, shifts below 21 and sums of
 * squares that could wrap take the int64 form (ig_norm64.h). */
#include "ig_mve_ops.h"
#include "ig_norm64.h"
#include "ig_ops.h"

/* (hi, lo) + (addh, addl), lo and addl unsigned words */
IG_MI void ln_add64(int32x4_t *hi, uint32x4_t *lo, int32x4_t addh, uint32x4_t addl) {
  uint32x4_t s = vaddq_u32(*lo, addl);
  int32x4_t h = vaddq_s32(*hi, addh);
  *hi = vaddq_m_n_s32(h, h, 1, vcmphiq_u32(*lo, s)); /* the carry: s < lo */
  *lo = s;
}

/* y of four elements from their d = C c - sum, gamma and beta */
IG_MI int32x4_t ln_y4(int32x4_t d, int32x4_t g, int32x4_t b, ig_rdiv20_t dv, int32_t shift, int32_t y_zp, int32_t lo,
                      int32_t hi, int32_t high_only) {
  uint64_t half = 1ull << (shift - 1);
  int32x4_t n = ig_mve_rdiv20(d, dv);
  int32x4_t h = vmulhq_s32(n, g);
  uint32x4_t l = vreinterpretq_u32_s32(vmulq_s32(n, g));
  ln_add64(&h, &l, vshrq_n_s32(b, 31), vreinterpretq_u32_s32(b));
  ln_add64(&h, &l, vdupq_n_s32((int32_t)(half >> 32)), vdupq_n_u32((uint32_t)half));
  int32x4_t v;
  if (high_only) v = vshlq_r_s32(h, 32 - shift);
  else v = vreinterpretq_s32_u32(vorrq_u32(vshlq_r_u32(l, -shift), vreinterpretq_u32_s32(vshlq_r_s32(h, 32 - shift))));
  return vminq_s32(vmaxq_s32(vaddq_n_s32(v, y_zp), vdupq_n_s32(lo)), vdupq_n_s32(hi));
}

/* d = C (x - zp) - sum of four elements as loaded */
IG_MI int32x4_t ln_d4(int32x4_t xv, int32_t x_zp, int32_t channels, int32_t sum) {
  return vsubq_n_s32(vmulq_n_s32(vsubq_n_s32(xv, x_zp), channels), sum);
}

IG_MI void ln_row(const void *x, int32_t xb, int32_t base, int32_t channels, const int32_t *gamma,
                  const int32_t *beta, int32_t x_zp, int32_t sum, ig_rdiv20_t dv, int32_t shift, int32_t y_zp,
                  int32_t act_min, int32_t act_max, void *y, int32_t yb, int32_t high_only) {
  int32_t i = 0;
  for (; i + 4 <= channels; i += 4) {
    int32x4_t d = ln_d4(ig_mve_load4u(x, base + i, xb), x_zp, channels, sum);
    ig_mve_store4u(y, base + i, ln_y4(d, vld1q_s32(gamma + i), vld1q_s32(beta + i), dv, shift, y_zp, act_min,
                                      act_max, high_only), yb);
  }
  if (i < channels) {
    mve_pred16_t p = vctp32q((uint32_t)(channels - i));
    int32x4_t d = ln_d4(ig_mve_load4(x, base + i, xb, p), x_zp, channels, sum);
    ig_mve_store4p(y, base + i, ln_y4(d, vldrwq_z_s32(gamma + i, p), vldrwq_z_s32(beta + i, p), dv, shift, y_zp,
                                      act_min, act_max, high_only), yb, p);
  }
}

IG_MI void layernorm_body(const void *x, int32_t xb, int32_t rows, int32_t channels, const int32_t *gamma,
                          const int32_t *beta, int32_t x_zp, int64_t eps, int32_t shift, int32_t y_zp,
                          int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  /* |c| <= 2^bits - 1, |d| <= 2 C max|c|: the sum of squares C d^2 + eps stays below 2^63 (no wrap, so r >= |d|) */
  uint64_t cmax = (1ull << (8 * xb)) - 1, dmax = 2ull * (uint64_t)channels * cmax;
  int32_t lanes = xb < 4 && shift >= 21 && shift <= 62 && dmax < (1ull << 31) && (uint64_t)eps < (1ull << 62) &&
                  dmax * dmax < ((1ull << 62) - (uint64_t)eps) / (uint64_t)(channels > 0 ? channels : 1);
  for (int32_t r = 0; r < rows; r++) {
    int32_t base = r * channels;
    if (!lanes) {
      ig_ln_row64(x, xb, base, channels, gamma, beta, x_zp, eps, shift, y_zp, act_min, act_max, y, yb);
      continue;
    }
    int32_t sum = 0, i = 0, tail = channels & 3;
    mve_pred16_t p = vctp32q((uint32_t)tail);
    for (; i + 4 <= channels; i += 4) sum = vaddvaq_s32(sum, vsubq_n_s32(ig_mve_load4u(x, base + i, xb), x_zp));
    if (tail) sum = vaddvaq_p_s32(sum, vsubq_n_s32(ig_mve_load4(x, base + i, xb, p), x_zp), p);
    int64_t ss = eps;
    for (i = 0; i + 4 <= channels; i += 4) {
      int32x4_t d = ln_d4(ig_mve_load4u(x, base + i, xb), x_zp, channels, sum);
      ss = vmlaldavaq_s32(ss, d, d);
    }
    if (tail) {
      int32x4_t d = ln_d4(ig_mve_load4(x, base + i, xb, p), x_zp, channels, sum);
      ss = vmlaldavaq_p_s32(ss, d, d, p);
    }
    int64_t root = ig_isqrt64(ss);
    if (root < 1) root = 1;
    if (root >= (1 << 30)) {
      ig_ln_row64(x, xb, base, channels, gamma, beta, x_zp, eps, shift, y_zp, act_min, act_max, y, yb);
      continue;
    }
    ig_rdiv20_t dv = ig_rdiv20_prepare((uint32_t)root);
    if (shift >= 32)
      ln_row(x, xb, base, channels, gamma, beta, x_zp, sum, dv, shift, y_zp, act_min, act_max, y, yb, 1);
    else
      ln_row(x, xb, base, channels, gamma, beta, x_zp, sum, dv, shift, y_zp, act_min, act_max, y, yb, 0);
  }
}

#define IG_ENTRIES_LAYERNORM
#include "ig_entry_points.h"
