/* Inline helpers of the transformer-op kernels for ARMv7E-M (Cortex-M4/M7, DSP extension). Exact forms of the
 * 32-bit helpers of ig_fixed64.h:
 *   SMMULR  rd = (rn * rm + 2^31) >> 32             = ig_mulhr32(rn, rm)            (one instruction)
 *   SMMLSR  rd = (ra 2^32 - rn * rm + 2^31) >> 32   = ra + ig_mulhr32(-rn, rm)       (rshr(-rn rm, 32), exact)
 *   SMMUL   rd = (rn * rm) >> 32                    = ig_mulh32(rn, rm)
 *   USAT / SSAT with a shifted operand saturate (x >> k) in one instruction.
 * Register-specified shifts use the bottom byte of the count: a logical shift by 32..255 gives 0, which the exp2
 * below relies on (so its count needs no clamp). */
#ifndef IG_ARMDSP_OPS_H
#define IG_ARMDSP_OPS_H
#include <arm_acle.h>
#include <stdint.h>

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
#endif
