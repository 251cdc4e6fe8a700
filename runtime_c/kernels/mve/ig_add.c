/* add with rescale for Armv8.1-M Helium. The definition's sum a am + b bm + K (K = 2^(shift-1) - za am - zb bm
 * + y_zp 2^shift, the portable kernel's constant) reaches 2^47; Helium has no 64-bit lanes, so each multiplier
 * and K are split at bit 15 (m = mh 2^15 + ml, 0 <= ml < 2^15):
 *   L = kl + a al + b bl            (|a|, |b| <= 2^15: |L| < 2^31)
 *   H = kh + a ah + b bh + (L >> 15)
 * and the sum is H 2^15 + (L mod 2^15), so for shift >= 15 the floor shift is H >> (shift - 15): four VMLA, one
 * VSHR, one VADD and one VSHL per four elements, exact when |H| < 2^31 (checked once per call from the input
 * widths, multipliers and K). Other parameters (int32 inputs, shift < 15, a y_zp that does not join K) take the
 * int64 form. */
#include "ig_binary64.h"
#include "ig_mve_ops.h"
#include "ig_ops.h"

typedef struct {
  int32_t al, ah, bl, bh, kl, kh, rsh;
} add_split_t;

/* 1 and the split when the lane form is exact */
static int add_plan(int32_t ab, int32_t bb, int32_t a_zp, int32_t b_zp, int32_t am, int32_t bm, int32_t shift,
                    int32_t y_zp, add_split_t *s) {
  if (ab > 2 || bb > 2 || shift < 15 || shift > 62) return 0;
  if (a_zp < -65536 || a_zp > 65536 || b_zp < -65536 || b_zp > 65536) return 0;
  if (y_zp != 0 && (shift > 46 || (y_zp < 0 ? -(int64_t)y_zp : y_zp) >= (1ll << (46 - shift)))) return 0;
  /* each term below 2^47: K is exact in int64 */
  int64_t k = (1ll << (shift - 1)) - (int64_t)a_zp * am - (int64_t)b_zp * bm + (int64_t)y_zp * (1ll << shift);
  s->al = am & 0x7fff;
  s->ah = am >> 15;
  s->bl = bm & 0x7fff;
  s->bh = bm >> 15;
  s->kl = (int32_t)(k & 0x7fff);
  int64_t kh = k >> 15;
  int64_t amax = 1ll << (8 * ab - 1), bmax = 1ll << (8 * bb - 1);
  int64_t hmax = (kh < 0 ? -kh : kh) + amax * (s->ah < 0 ? -(int64_t)s->ah : s->ah) +
                 bmax * (s->bh < 0 ? -(int64_t)s->bh : s->bh) + (1ll << 16);
  int64_t lmax = (1ll << 15) + amax * s->al + bmax * s->bl;
  if (hmax >= (1ll << 31) || lmax >= (1ll << 31)) return 0;
  s->kh = (int32_t)kh;
  s->rsh = shift - 15 > 31 ? 31 : shift - 15; /* |H| < 2^31: a shift by 31 is the floor of any larger one */
  return 1;
}

IG_MI int32x4_t add4(int32x4_t va, int32x4_t vb, const add_split_t *s, int32_t lo, int32_t hi) {
  int32x4_t l = vmlaq_n_s32(vmlaq_n_s32(vdupq_n_s32(s->kl), va, s->al), vb, s->bl);
  int32x4_t h = vmlaq_n_s32(vmlaq_n_s32(vdupq_n_s32(s->kh), va, s->ah), vb, s->bh);
  int32x4_t v = vshlq_r_s32(vaddq_s32(h, vshrq_n_s32(l, 15)), -s->rsh);
  return vminq_s32(vmaxq_s32(v, vdupq_n_s32(lo)), vdupq_n_s32(hi));
}

IG_MI void add_body(const void *a, int32_t ab, const void *b, int32_t bb, int32_t len, int32_t a_zp, int32_t b_zp,
                    int32_t am, int32_t bm, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                    int32_t yb) {
  add_split_t s;
  if (!add_plan(ab, bb, a_zp, b_zp, am, bm, shift, y_zp, &s)) {
    ig_add_elems64(a, ab, b, bb, 0, len, a_zp, b_zp, am, bm, shift, y_zp, act_min, act_max, y, yb);
    return;
  }
  int32_t i = 0;
  for (; i + 4 <= len; i += 4)
    ig_mve_store4u(y, i, add4(ig_mve_load4u(a, i, ab), ig_mve_load4u(b, i, bb), &s, act_min, act_max), yb);
  if (i < len) {
    mve_pred16_t p = vctp32q((uint32_t)(len - i));
    ig_mve_store4p(y, i, add4(ig_mve_load4(a, i, ab, p), ig_mve_load4(b, i, bb, p), &s, act_min, act_max), yb, p);
  }
}

#define IG_ENTRIES_ADD
#include "ig_entry_points.h"
