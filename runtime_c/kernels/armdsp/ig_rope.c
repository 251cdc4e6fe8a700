/* rope for Cortex-M4/M7 (ARMv7E-M DSP): each rotation pair is one SMUSD and one SMUADX.
 * Four pairs at a time: one LDR of x[i..i+4) and one of x[i+d/2..i+d/2+4), SXTB16 (and ROR 8) and SSUB16 of the
 * zero point give the int16 lanes a - zp and b - zp (|.| <= 255), PKHBT / PKHTB pair them as (a, b) and the tables
 * as (cos, sin); SMUSD gives a cos - b sin, SMUADX b cos + a sin (int32, exact). Requantization: ig_dsp_rqs_apply
 * (SMMULR, SSAT) for a whole int8 / int16 output range, ig_dsp_rq_fast (|acc| < 2^24 with a left shift below 6),
 * else ig_output_i32. (head_dim / 2) % 4 pairs are per element. */
#include "ig_armdsp_ops.h"
#include "ig_ops.h"

IG_DSP_INLINE uint32_t pkhbt16(uint32_t lo, uint32_t hi) { /* (lo.bottom, hi.bottom) */
  uint32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
  return r;
}
IG_DSP_INLINE uint32_t pkhtb16(uint32_t hi, uint32_t lo) { /* (lo.top, hi.top) */
  uint32_t r;
  __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(hi), "r"(lo));
  return r;
}
IG_DSP_INLINE int32_t smusd(uint32_t a, uint32_t b) {
  int32_t r;
  __asm__("smusd %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
IG_DSP_INLINE int32_t smuadx(uint32_t a, uint32_t b) {
  int32_t r;
  __asm__("smuadx %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}

IG_DSP_INLINE int32_t rope_rows(const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t,
                                const int16_t *sin_t, int32_t n_positions, int32_t heads, int32_t head_dim,
                                int32_t x_zp, ig_rq_t rq, int32_t fast, void *y, int32_t yb) {
  ig_dsp_rqs_t rqs = ig_dsp_rqs(rq, yb);
  int32_t half = head_dim / 2, width = heads * head_dim, h4 = half & ~3;
  uint32_t zp2 = ((uint32_t)x_zp & 0xffffu) * 0x10001u;
  for (int32_t r = 0; r < rows; r++) {
    int32_t p = positions[r];
    if (p < 0 || p >= n_positions) return 1;
    const int16_t *c = cos_t + (size_t)p * (size_t)half, *s = sin_t + (size_t)p * (size_t)half;
    for (int32_t h = 0; h < heads; h++) {
      int32_t base = r * width + h * head_dim;
      const int8_t *xa = x + base, *xb = xa + half;
      int32_t i = 0;
      for (; i < h4; i += 4) {
        uint32_t wa = ig_ld32u(xa + i), wb = ig_ld32u(xb + i);
        uint32_t a02 = __ssub16(__sxtb16(wa), zp2), a13 = __ssub16(ig_dsp_sxtb16_ror8(wa), zp2);
        uint32_t b02 = __ssub16(__sxtb16(wb), zp2), b13 = __ssub16(ig_dsp_sxtb16_ror8(wb), zp2);
        uint32_t c01 = ig_ld32u(c + i), c23 = ig_ld32u(c + i + 2), s01 = ig_ld32u(s + i), s23 = ig_ld32u(s + i + 2);
        uint32_t cs0 = pkhbt16(c01, s01), cs1 = pkhtb16(s01, c01), cs2 = pkhbt16(c23, s23), cs3 = pkhtb16(s23, c23);
        uint32_t p0 = pkhbt16(a02, b02), p2 = pkhtb16(b02, a02), p1 = pkhbt16(a13, b13), p3 = pkhtb16(b13, a13);
        int32_t lo0 = smusd(p0, cs0), lo1 = smusd(p1, cs1), lo2 = smusd(p2, cs2), lo3 = smusd(p3, cs3);
        int32_t hi0 = smuadx(p0, cs0), hi1 = smuadx(p1, cs1), hi2 = smuadx(p2, cs2), hi3 = smuadx(p3, cs3);
        if (fast == 2) {
          ig_store(y, base + i, ig_dsp_rqs_apply(rqs, lo0, yb), yb);
          ig_store(y, base + i + 1, ig_dsp_rqs_apply(rqs, lo1, yb), yb);
          ig_store(y, base + i + 2, ig_dsp_rqs_apply(rqs, lo2, yb), yb);
          ig_store(y, base + i + 3, ig_dsp_rqs_apply(rqs, lo3, yb), yb);
          ig_store(y, base + half + i, ig_dsp_rqs_apply(rqs, hi0, yb), yb);
          ig_store(y, base + half + i + 1, ig_dsp_rqs_apply(rqs, hi1, yb), yb);
          ig_store(y, base + half + i + 2, ig_dsp_rqs_apply(rqs, hi2, yb), yb);
          ig_store(y, base + half + i + 3, ig_dsp_rqs_apply(rqs, hi3, yb), yb);
        } else if (fast) {
          ig_store(y, base + i, ig_dsp_rq_fast(rq, lo0), yb);
          ig_store(y, base + i + 1, ig_dsp_rq_fast(rq, lo1), yb);
          ig_store(y, base + i + 2, ig_dsp_rq_fast(rq, lo2), yb);
          ig_store(y, base + i + 3, ig_dsp_rq_fast(rq, lo3), yb);
          ig_store(y, base + half + i, ig_dsp_rq_fast(rq, hi0), yb);
          ig_store(y, base + half + i + 1, ig_dsp_rq_fast(rq, hi1), yb);
          ig_store(y, base + half + i + 2, ig_dsp_rq_fast(rq, hi2), yb);
          ig_store(y, base + half + i + 3, ig_dsp_rq_fast(rq, hi3), yb);
        } else {
          int32_t lo[4] = {lo0, lo1, lo2, lo3}, hi[4] = {hi0, hi1, hi2, hi3};
          for (int32_t k = 0; k < 4; k++) {
            ig_store(y, base + i + k, ig_rq_apply(rq, lo[k]), yb);
            ig_store(y, base + half + i + k, ig_rq_apply(rq, hi[k]), yb);
          }
        }
      }
      for (; i < half; i++) {
        int32_t a = xa[i] - x_zp, b = xb[i] - x_zp, ci = c[i], si = s[i];
        ig_store(y, base + i, ig_rq_apply(rq, a * ci - b * si), yb);
        ig_store(y, base + i + half, ig_rq_apply(rq, b * ci + a * si), yb);
      }
    }
  }
  return 0;
}

IG_DSP_INLINE int32_t rope_body(const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t,
                                const int16_t *sin_t, int32_t n_positions, int32_t heads, int32_t head_dim,
                                int32_t x_zp, int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                int32_t act_max, void *y, int32_t yb) {
  ig_rq_t rq = ig_rq_prepare(mult, shift, y_zp, act_min, act_max, 2ull * 255u * 32768u);
  if (yb < 4 && ig_dsp_rqs(rq, yb).ok && rq.right) /* a whole int8 / int16 output range: SSAT */
    return rope_rows(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, x_zp, rq, 2, y, yb);
  if (rq.fast)
    return rope_rows(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, x_zp, rq, 1, y, yb);
  return rope_rows(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, x_zp, rq, 0, y, yb);
}

#define IG_ENTRIES_ROPE
#include "ig_entry_points.h"
