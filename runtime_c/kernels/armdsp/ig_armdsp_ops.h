/* Inline helpers of the transformer-op kernels for ARMv7E-M (Cortex-M4/M7, DSP extension). Exact forms of the
 * 32-bit helpers of ig_fixed64.h:
 *   SMMULR  rd = (rn * rm + 2^31) >> 32             = ig_mulhr32(rn, rm)            (one instruction)
 *   SMMLSR  rd = (ra 2^32 - rn * rm + 2^31) >> 32   = ra + ig_mulhr32(-rn, rm)       (rshr(-rn rm, 32), exact)
 *   SMMUL   rd = (rn * rm) >> 32                    = ig_mulh32(rn, rm)
 *   SMMLAR  rd = (ra 2^32 + rn * rm + 2^31) >> 32   = ra + ig_mulhr32(rn, rm)        (rshr(rn rm, 32), exact)
 *   USAT / SSAT with a shifted operand saturate (x >> k) in one instruction.
 * Register-specified shifts use the bottom byte of the count: a logical shift by 32..255 gives 0, which the exp2
 * below relies on (so its count needs no clamp). */
#ifndef IG_ARMDSP_OPS_H
#define IG_ARMDSP_OPS_H
#include <arm_acle.h>
#include <stdint.h>

#include "ig_activations.h"
#include "ig_fixed64.h"
#include "ig_fixedpoint.h"

#define IG_DSP_INLINE static inline __attribute__((always_inline))

IG_DSP_INLINE int32_t ig_smmulr(int32_t a, int32_t b) {
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
IG_DSP_INLINE int32_t ig_smmul(int32_t a, int32_t b) {
  int32_t r;
  __asm__("smmul %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
IG_DSP_INLINE int32_t ig_smmlsr(int32_t a, int32_t b, int32_t acc) {
  int32_t r;
  __asm__("smmlsr %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
IG_DSP_INLINE int32_t ig_smmlar(int32_t a, int32_t b, int32_t acc) {
  int32_t r;
  __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
/* floor(a b / 2^32), unsigned (UMULL's high word) */
IG_DSP_INLINE uint32_t ig_umulh(uint32_t a, uint32_t b) {
  uint32_t lo, hi;
  __asm__("umull %0, %1, %2, %3" : "=r"(lo), "=r"(hi) : "r"(a), "r"(b));
  return hi;
}
/* x >> n for n in [0, 255] (0 for n >= 32), the register-shift semantics */
IG_DSP_INLINE uint32_t ig_lsr_reg(uint32_t x, uint32_t n) {
  uint32_t r;
  __asm__("lsr %0, %1, %2" : "=r"(r) : "r"(x), "r"(n));
  return r;
}
/* min(x >> 5, 2^15 - 1) for x >= 0, and min(x >> 12, 255) */
IG_DSP_INLINE uint32_t ig_usat15_asr5(uint32_t x) {
  uint32_t r;
  __asm__("usat %0, #15, %1, asr #5" : "=r"(r) : "r"(x));
  return r;
}
IG_DSP_INLINE uint32_t ig_usat8_asr12(uint32_t x) {
  uint32_t r;
  __asm__("usat %0, #8, %1, asr #12" : "=r"(r) : "r"(x));
  return r;
}

/* exp2_q20(-t) from t9 = t + 9 * 2^16, 0 <= t < 2^23 - 9 * 2^16 (ig_exp2_q20_t without its t <= IG_EXP2_T_MAX
 * condition: for 22 <= z < 119 the final shift count 9 + z >= 31 leaves p <= 2^30 at 0, the definition's 0). The
 * 9 carried in t9 makes t9 >> 16 the shift count; three SMMLSR steps. */
IG_DSP_INLINE uint32_t ig_dsp_exp2_t9(uint32_t t9) {
  int32_t g = (int32_t)((t9 << 16) >> 1); /* (t & 0xffff) << 15 = -(f 2^15) */
  int32_t p = ig_smmlsr(g, (int32_t)(2 * IG_EXP2_C3), (int32_t)IG_EXP2_C2);
  p = ig_smmlsr(g, p << 1, (int32_t)IG_EXP2_C1);
  p = ig_smmlsr(g, p << 1, (int32_t)IG_EXP2_C0);
  return (ig_lsr_reg((uint32_t)p, t9 >> 16) + 1) >> 1;
}
#define IG_DSP_T9 (9 << 16)

/* min(x, 2^23 - 1) for x >= 0 */
IG_DSP_INLINE uint32_t ig_usat23(int32_t x) {
  uint32_t r;
  __asm__("usat %0, #23, %1" : "=r"(r) : "r"(x));
  return r;
}

/* bytes 1 and 3 of v sign-extended to two int16 lanes (SXTB16 with ROR #8); __sxtb16(v) gives bytes 0 and 2 */
IG_DSP_INLINE uint32_t ig_dsp_sxtb16_ror8(uint32_t v) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}

/* ig_rq_fast (ig_fixed64.h) with SMMULR and a saturating clamp */
IG_DSP_INLINE int32_t ig_dsp_rq_fast(ig_rq_t p, int32_t acc) {
  int32_t x = ig_smmulr((int32_t)((uint32_t)acc << p.l1), p.m);
  x = (x + p.half - (int32_t)(((uint32_t)x >> 31) & (uint32_t)p.nmask)) >> p.right;
  x += p.zp;
  return x < p.lo ? p.lo : (x > p.hi ? p.hi : x);
}

IG_DSP_INLINE uint32_t ig_ld32u(const void *p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4); /* LDR: unaligned access is allowed on ARMv7-M */
  return v;
}
/* ig_ms_apply (ig_fixed64.h) with SMMULR for the HR plan (mode a constant after inlining) */
IG_DSP_INLINE int32_t ig_dsp_ms(ig_ms_t p, int32_t v, int32_t mode) {
  if (mode == IG_MS_HR) return ig_smmulr((int32_t)((uint32_t)v << p.a), p.m);
  if (mode == IG_MS_FLOOR) return (ig_smmul(v, p.m) + p.c) >> p.k;
  return ig_ms_apply(p, v, mode);
}

IG_DSP_INLINE int32_t ig_dsp_ssat18(int32_t x) {
  int32_t r;
  __asm__("ssat %0, #18, %1" : "=r"(r) : "r"(x));
  return r;
}
IG_DSP_INLINE uint32_t ig_dsp_usat17(int32_t x) {
  uint32_t r;
  __asm__("usat %0, #17, %1" : "=r"(r) : "r"(x));
  return r;
}

/* sigmoid_q15(z) (quant/ops/fixed.py) for any int32 z: a = min(|z|, 2^17 - 1) instead of min(|z|, 2^16) (every
 * a >= 59620 gives t past 21 2^16, where e is 0 either way), t9 = 9 2^16 - ((512 - 23637 a) >> 10) (< 2^23 - 9 2^16:
 * ig_dsp_exp2_t9's range), the division by two UDIV (ig_udiv36_by21) */
IG_DSP_INLINE int32_t ig_dsp_sigmoid_q15(int32_t z) {
  int32_t zc = ig_dsp_ssat18(z);
  int32_t a = (int32_t)ig_dsp_usat17(zc < 0 ? -zc : zc);
  uint32_t t9 = (uint32_t)(IG_DSP_T9 - ((512 - a * IG_LOG2E_Q14) >> 10));
  uint32_t den = (1u << 20) + ig_dsp_exp2_t9(t9);
  int32_t sg = (int32_t)ig_udiv36_by21((1ull << 35) + (den >> 1), den);
  return z >= 0 ? sg : (1 << 15) - sg;
}
/* ig_rq_fast for an output clamped to the whole int8 / int16 range with a right shift of 1..23: y_zp joins the
 * rounding constant before the shift (adding y_zp 2^right commutes with the floor shift) and SSAT is the clamp:
 * x = SMMULR(acc << l1, m); y = SSAT((x + 2^(right-1) + y_zp 2^right - (x < 0)) >> right) (ig_dsp_rqs_apply, right
 * >= 1) or SSAT(x + y_zp) (ig_dsp_rqs_apply0, right = 0). ok = 0 otherwise. */
typedef struct {
  int32_t ok, m, l1, right, k;
} ig_dsp_rqs_t;

IG_DSP_INLINE ig_dsp_rqs_t ig_dsp_rqs(ig_rq_t rq, int32_t yb) {
  ig_dsp_rqs_t r = {0, rq.m, rq.l1, rq.right, 0};
  int32_t full = yb == 1 ? rq.lo == -128 && rq.hi == 127 : yb == 2 ? rq.lo == -32768 && rq.hi == 32767 : 0;
  int32_t zmag = rq.zp < 0 ? -rq.zp : rq.zp;
  if (rq.fast && full && rq.right <= 23 && ((int64_t)zmag << rq.right) < (1ll << 29)) {
    r.ok = 1;
    r.k = rq.half + (int32_t)((uint32_t)rq.zp << rq.right);
  }
  return r;
}

IG_DSP_INLINE int32_t ig_dsp_rqs_apply(ig_dsp_rqs_t q, int32_t acc, int32_t yb) {
  int32_t x = ig_smmulr((int32_t)((uint32_t)acc << q.l1), q.m);
  int32_t v = (x + q.k - (int32_t)((uint32_t)x >> 31)) >> q.right, r; /* right >= 1 */
  if (yb == 1) __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(v));
  else __asm__("ssat %0, #16, %1" : "=r"(r) : "r"(v));
  return r;
}

/* the same for right = 0 (a left shift or none): no rounding, y = SSAT(x + y_zp) */
IG_DSP_INLINE int32_t ig_dsp_rqs_apply0(ig_dsp_rqs_t q, int32_t acc, int32_t yb) {
  int32_t v = ig_smmulr((int32_t)((uint32_t)acc << q.l1), q.m) + q.k, r;
  if (yb == 1) __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(v));
  else __asm__("ssat %0, #16, %1" : "=r"(r) : "r"(v));
  return r;
}
/* gelu's u (ig_gelu_u32, ig_activations.h) with the polynomial's three rounded high products as SMMULR */
IG_DSP_INLINE int32_t ig_dsp_gelu_u(int32_t x12) {
  int32_t xc = x12 < -32768 ? -32768 : (x12 > 32768 ? 32768 : x12);
  int32_t q = (xc * xc + 2048) >> 12;
  int32_t x3 = ig_smmulr(q << 12, xc * 256);
  int32_t w = xc + ig_smmulr(x3 * 512, IG_GELU_C3_Q16 << 7);
  return ig_smmulr(w * 8192, IG_GELU_K_Q14 << 5);
}

/* gelu (gelu = 1) or silu: ig_gated_loop32 with SMMULR / SMMUL rescales and the sigmoid of ig_dsp_sigmoid_q15 */
IG_DSP_INLINE void ig_dsp_gated_loop(const void *x, int32_t xb, int32_t len, int32_t x_zp, ig_ms_t mi,
                                     int32_t in_mode, ig_ms_t mo, int32_t out_mode, int32_t y_zp, int32_t lo,
                                     int32_t hi, void *y, int32_t yb, int gelu) {
  for (int32_t i = 0; i < len; i++) {
    int32_t x12 = ig_dsp_ms(mi, ig_load(x, i, xb) - x_zp, in_mode);
    int32_t f = ig_mul_sig15(x12, ig_dsp_sigmoid_q15(gelu ? ig_dsp_gelu_u(x12) : x12));
    ig_store(y, i, ig_clamp(ig_dsp_ms(mo, f, out_mode) + y_zp, lo, hi), yb);
  }
}

/* The kernel: the 32-bit loop when the plan fits (ig_gated_plan, |f| <= |x12|), else the int64 form. */
IG_DSP_INLINE void ig_dsp_gated_act(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult,
                                    int32_t in_shift, int32_t out_mult, int32_t out_shift, int32_t y_zp,
                                    int32_t act_min, int32_t act_max, void *y, int32_t yb, int gelu) {
  IG_GATED_ACT(ig_dsp_gated_loop, 0, x, xb, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min,
               act_max, y, yb, gelu);
}

#endif
