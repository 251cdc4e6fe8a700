/* mul with rescale for AArch64 NEON.
 * Where |(a - za)(b - zb)| < 2^31 (int8 / int16 inputs; checked once per call), P = (a - za)(b - zb) is one MUL
 * per four lanes and rshr(P mult, shift) is SMULL(2) + SRSHL by -shift (a rounding shift without overflow) +
 * y_zp added in int64, SQXTN: exact for every multiplier and shift, saturated to int32; then clamp, narrowing
 * store.
 * Otherwise the portable int64 loop. */
#include "ig_neon_ops.h"
#include "ig_ops.h"

IG_NI void mul_body(const void *a, int32_t ab, const void *b, int32_t bb, int32_t len, int32_t a_zp, int32_t b_zp,
                    int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                    int32_t yb) {
  uint64_t ra = (1ull << (8 * ab - 1)) + (uint64_t)(a_zp < 0 ? -(int64_t)a_zp : a_zp);
  uint64_t rb = (1ull << (8 * bb - 1)) + (uint64_t)(b_zp < 0 ? -(int64_t)b_zp : b_zp);
  int32_t i = 0;
  if (ab < 4 && bb < 4 && ra * rb < (1ull << 31)) {
    int32x4_t za = vdupq_n_s32(a_zp), zb = vdupq_n_s32(b_zp);
    int64x2_t zy64 = vdupq_n_s64(y_zp);
    int32x4_t lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
    int64x2_t nsh = vdupq_n_s64(-shift);
    for (; i + 8 <= len; i += 8) {
      int32x4_t a0, a1, b0, b1;
      ig_neon_load8(a, i, ab, &a0, &a1);
      ig_neon_load8(b, i, bb, &b0, &b1);
      int32x4_t p0 = vmulq_s32(vsubq_s32(a0, za), vsubq_s32(b0, zb));
      int32x4_t p1 = vmulq_s32(vsubq_s32(a1, za), vsubq_s32(b1, zb));
      int32x4_t v0 = ig_neon_mul_rshr_zp_sat(p0, mult, nsh, zy64);
      int32x4_t v1 = ig_neon_mul_rshr_zp_sat(p1, mult, nsh, zy64);
      ig_neon_store8(y, i, ig_neon_clamp(v0, lo, hi), ig_neon_clamp(v1, lo, hi), yb);
    }
  }
  for (; i < len; i++) {
    int64_t prod = ((int64_t)ig_load(a, i, ab) - a_zp) * ((int64_t)ig_load(b, i, bb) - b_zp);
    ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(prod, mult, shift) + y_zp, act_min, act_max), yb);
  }
}

#define IG_ENTRIES_MUL
#include "ig_entry_points.h"
