/* add with rescale for AArch64 NEON: the portable algorithm (kernels/scalar/ig_add.c), two 64-bit lanes per
 * product.
 * acc = K + a am + b bm with K = 2^(shift-1) - za am - zb bm + y_zp 2^shift (the sum fits int64): SMLAL(2) by
 * element into K, SSHL by -shift (the floor shift), SQXTN to int32 (saturating: the clamp to [act_min, act_max]
 * inside int32 then gives the definition's clamp), SMAX / SMIN, narrowing store; eight elements per step. When
 * y_zp 2^shift would not fit beside the sum, the portable loop. */
#include "ig_neon_ops.h"
#include "ig_binary64.h"
#include "ig_ops.h"

IG_NI void add_body(const void *a, int32_t ab, const void *b, int32_t bb, int32_t len, int32_t a_zp, int32_t b_zp,
                    int32_t am, int32_t bm, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                    int32_t yb) {
  uint64_t half = shift ? 1ull << (shift - 1) : 0;
  uint64_t bound = ((1ull << (8 * ab)) - 1) * (uint64_t)(uint32_t)am + ((1ull << (8 * bb)) - 1) * (uint64_t)(uint32_t)bm +
                   half;
  int32_t fold = y_zp == 0 || (shift <= 30 && bound < (1ull << 62));
  if (!fold) {
    ig_add_elems64(a, ab, b, bb, 0, len, a_zp, b_zp, am, bm, shift, y_zp, act_min, act_max, y, yb);
    return;
  }
  int64_t k = (int64_t)(half - (uint64_t)((int64_t)a_zp * am) - (uint64_t)((int64_t)b_zp * bm) +
                        (uint64_t)((int64_t)y_zp * (int64_t)(1ull << shift)));
  int64x2_t kv = vdupq_n_s64(k), nsh = vdupq_n_s64(-shift);
  int32x4_t lo = vdupq_n_s32(act_min), hi = vdupq_n_s32(act_max);
  int32_t i = 0;
  for (; i + 8 <= len; i += 8) {
    int32x4_t a0, a1, b0, b1;
    ig_neon_load8(a, i, ab, &a0, &a1);
    ig_neon_load8(b, i, bb, &b0, &b1);
    int64x2_t p0 = vmlal_n_s32(vmlal_n_s32(kv, vget_low_s32(a0), am), vget_low_s32(b0), bm);
    int64x2_t p1 = vmlal_high_n_s32(vmlal_high_n_s32(kv, a0, am), b0, bm);
    int64x2_t p2 = vmlal_n_s32(vmlal_n_s32(kv, vget_low_s32(a1), am), vget_low_s32(b1), bm);
    int64x2_t p3 = vmlal_high_n_s32(vmlal_high_n_s32(kv, a1, am), b1, bm);
    int32x4_t v0 = vqmovn_high_s64(vqmovn_s64(vshlq_s64(p0, nsh)), vshlq_s64(p1, nsh));
    int32x4_t v1 = vqmovn_high_s64(vqmovn_s64(vshlq_s64(p2, nsh)), vshlq_s64(p3, nsh));
    ig_neon_store8(y, i, ig_neon_clamp(v0, lo, hi), ig_neon_clamp(v1, lo, hi), yb);
  }
  for (; i < len; i++) {
    int64_t acc = k + (int64_t)ig_load(a, i, ab) * am + (int64_t)ig_load(b, i, bb) * bm;
    ig_store(y, i, (int32_t)ig_clamp64(acc >> shift, act_min, act_max), yb);
  }
}

#define IG_ENTRIES_ADD
#include "ig_entry_points.h"
