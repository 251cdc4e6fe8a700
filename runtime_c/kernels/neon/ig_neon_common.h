/* Shared inline helpers of the AArch64 NEON kernels. With the dot product extension (__ARM_FEATURE_DOTPROD,
 * ARMv8.2 cores such as Cortex-A55) the MACs are SDOT; without it (ARMv8.0, Cortex-A53) widening SMULL/SMLAL
 * products pairwise-accumulated into int32 (SADALP). Requantization is vectorized with SQRDMULH, which computes
 * exactly TFLite's saturating rounding doubling high multiply, and a rounding shift with the sign fix-up that
 * turns its round-half-up into round-half-away-from-zero (ig_fixedpoint.h is the definition). The microkernels, by
 * weight layout: ig_neon_rows_s8.h (int8 rows), ig_neon_pairs_s8w4.h (int4 row pairs), ig_neon_grouped.h (the
 * grouped kernels' blocked layout). */
#ifndef IG_NEON_COMMON_H
#define IG_NEON_COMMON_H
#include <arm_neon.h>
#include <stdint.h>

#include "ig_fixedpoint.h"
#include "ig_kernels.h"

/* Every helper is inlined into each entry point (the bodies are shared by the int8 / int16 / int32 variants): the
 * code stays that of one caller, and instruction counts are attributed to the kernel's own function. */
#define IG_INLINE static inline __attribute__((always_inline))

/* acc += 4-way dot products of int8 lanes; products of weights in [-127, 127] (the IR's int8 range). */
IG_INLINE int32x4_t ig_dot16(int32x4_t acc, int8x16_t w, int8x16_t x) {
#if defined(__ARM_FEATURE_DOTPROD)
  return vdotq_s32(acc, w, x);
#else
  /* |w| <= 127: two products sum to at most 2 * 128 * 127 < 2^15, so one SMLAL2 into int16 is exact */
  int16x8_t p = vmull_s8(vget_low_s8(w), vget_low_s8(x));
  p = vmlal_high_s8(p, w, x);
  return vpadalq_s16(acc, p);
#endif
}

/* The same for operands over the whole int8 range (the packed int4 bytes): no int16 pair sums. */
IG_INLINE int32x4_t ig_dot16_full(int32x4_t acc, int8x16_t w, int8x16_t x) {
#if defined(__ARM_FEATURE_DOTPROD)
  return vdotq_s32(acc, w, x);
#else
  acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(w), vget_low_s8(x)));
  return vpadalq_s16(acc, vmull_high_s8(w, x));
#endif
}

/* [sum0, sum1, sum2, sum3] of four lane accumulators. */
IG_INLINE int32x4_t ig_reduce4(int32x4_t a0, int32x4_t a1, int32x4_t a2, int32x4_t a3) {
  return vpaddq_s32(vpaddq_s32(a0, a1), vpaddq_s32(a2, a3));
}

/* The output stage of four accumulators (ig_output_i32, vectorized): requantize, add y_zp saturating (as the
 * definition's int64 sum then the clamp: act_min / act_max lie inside int32), clamp to [act_min, act_max]. */
IG_INLINE int32x4_t ig_requant4(int32x4_t acc, int32x4_t m, int32x4_t sh, int32_t y_zp, int32_t act_min,
                                    int32_t act_max) {
  int32x4_t zero = vdupq_n_s32(0);
  int32x4_t right = vminq_s32(sh, zero); /* -(right shift) */
  int32x4_t v = vshlq_s32(acc, vmaxq_s32(sh, zero)); /* wrapping left shift, as the reference */
  v = vqrdmulhq_s32(v, m);
  v = vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, right), 31)); /* -1 for negative values when shifting right */
  v = vrshlq_s32(v, right);
  v = vqaddq_s32(v, vdupq_n_s32(y_zp));
  return vminq_s32(vmaxq_s32(v, vdupq_n_s32(act_min)), vdupq_n_s32(act_max));
}

/* Element n of an int8 / int16 / int32 output array (out_bytes 1, 2 or 4, a constant after inlining). */
IG_INLINE void *ig_out_at(void *y, int32_t n, int32_t out_bytes) {
  return (char *)y + (size_t)n * (size_t)out_bytes;
}

/* Requantizes four accumulators and stores the first `count` outputs as int8, int16 or int32 (out_bytes 1, 2, 4:
 * a constant after inlining, so each entry point has only its own store). The clamped values lie inside the
 * output type: the narrowing is exact (int16: SQXTN, int8: two XTN). */
IG_INLINE void ig_output4(int32x4_t acc, const int32_t *mult, const int32_t *shift,
                                                             int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                                                             int32_t count, int32_t out_bytes) {
  int32x4_t m, sh;
  if (count == 4) {
    m = vld1q_s32(mult);
    sh = vld1q_s32(shift);
  } else {
    int32_t mt[4] = {0, 0, 0, 0}, st[4] = {0, 0, 0, 0};
    for (int32_t i = 0; i < count; i++) { mt[i] = mult[i]; st[i] = shift[i]; }
    m = vld1q_s32(mt);
    sh = vld1q_s32(st);
  }
  int32x4_t v = ig_requant4(acc, m, sh, y_zp, act_min, act_max);
  if (out_bytes == 1) {
    int8x8_t b = vmovn_s16(vcombine_s16(vmovn_s32(v), vdup_n_s16(0)));
    if (count == 4) {
      vst1_lane_s32((int32_t *)y, vreinterpret_s32_s8(b), 0);
    } else {
      int8_t t[8];
      vst1_s8(t, b);
      for (int32_t i = 0; i < count; i++) ((int8_t *)y)[i] = t[i];
    }
  } else if (out_bytes == 2) {
    int16x4_t h = vqmovn_s32(v);
    if (count == 4) {
      vst1_s16((int16_t *)y, h);
    } else {
      int16_t t[4];
      vst1_s16(t, h);
      for (int32_t i = 0; i < count; i++) ((int16_t *)y)[i] = t[i];
    }
  } else {
    if (count == 4) {
      vst1q_s32((int32_t *)y, v);
    } else {
      int32_t t[4];
      vst1q_s32(t, v);
      for (int32_t i = 0; i < count; i++) ((int32_t *)y)[i] = t[i];
    }
  }
}

/* Requantizes eight accumulators (lo: outputs 0-3, hi: 4-7) and stores them as int8, int16 or int32 (out_bytes
 * 1, 2 or 4): as two ig_output4 with the parameters loaded in pairs and one narrowing chain. */
IG_INLINE void ig_output8(int32x4_t lo, int32x4_t hi, const int32_t *mult, const int32_t *shift, int32_t y_zp,
                          int32_t act_min, int32_t act_max, void *y, int32_t out_bytes) {
  int32x4x2_t m = vld1q_s32_x2(mult), sh = vld1q_s32_x2(shift);
  int32x4_t v0 = ig_requant4(lo, m.val[0], sh.val[0], y_zp, act_min, act_max);
  int32x4_t v1 = ig_requant4(hi, m.val[1], sh.val[1], y_zp, act_min, act_max);
  if (out_bytes == 1) {
    vst1_s8((int8_t *)y, vmovn_s16(vcombine_s16(vmovn_s32(v0), vmovn_s32(v1))));
  } else if (out_bytes == 2) {
    vst1q_s16((int16_t *)y, vcombine_s16(vqmovn_s32(v0), vqmovn_s32(v1)));
  } else {
    int32x4x2_t v = {{v0, v1}};
    vst1q_s32_x2((int32_t *)y, v);
  }
}

/* The int8 output stage (the int8 entry points). */
IG_INLINE void ig_output4_s8(int32x4_t acc, const int32_t *mult, const int32_t *shift, int32_t y_zp,
                                 int32_t act_min, int32_t act_max, int8_t *y, int32_t count) {
  ig_output4(acc, mult, shift, y_zp, act_min, act_max, y, count, 1);
}

/* Loads 4 (or fewer, zero-filled) int32 values. */
IG_INLINE int32x4_t ig_load4_s32(const int32_t *p, int32_t count) {
  if (count == 4) return vld1q_s32(p);
  int32_t t[4] = {0, 0, 0, 0};
  for (int32_t i = 0; i < count; i++) t[i] = p[i];
  return vld1q_s32(t);
}
#endif
