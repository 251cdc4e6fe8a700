/* Element functions of the 128-bit vectors that arm_neon.h (AArch64 NEON) and arm_mve.h (Helium) spell alike, for
 * the kernels both families write the same way; each family keeps its tails and the rest of its body. */
#ifndef IG_Q128_H
#define IG_Q128_H
#include <stdint.h>
#if defined(__aarch64__)
#include <arm_neon.h>
#else
#include <arm_mve.h>
#endif

/* The row extremes of the int16-input fully_connected_dynamic quantization (ig_fc_dynamic_parts.c; SMAX / SMIN,
 * VMAX.S16 / VMIN.S16): mx / mn lane-wise max / min with x[0 .. k) for the returned k, n rounded down to a multiple
 * of 8; the family's tail takes x[k .. n). */
static inline __attribute__((always_inline)) int32_t ig_q128_extremes_s16(const int16_t *x, int32_t n, int16x8_t *mx,
                                                                           int16x8_t *mn) {
  int32_t k = 0;
  for (; k + 8 <= n; k += 8) {
    int16x8_t v = vld1q_s16(x + k);
    *mx = vmaxq_s16(*mx, v);
    *mn = vminq_s16(*mn, v);
  }
  return k;
}

/* Sixteen int32 as four vectors (four LDR Q / VLDRW, four STR Q / VSTRW): the 16-row blocks of accumulators */
static inline __attribute__((always_inline)) int32x4x4_t ig_q128_load16_s32(const int32_t *p) {
  int32x4x4_t v = {{vld1q_s32(p), vld1q_s32(p + 4), vld1q_s32(p + 8), vld1q_s32(p + 12)}};
  return v;
}
static inline __attribute__((always_inline)) void ig_q128_store16_s32(int32_t *p, int32x4x4_t v) {
  vst1q_s32(p, v.val[0]);
  vst1q_s32(p + 4, v.val[1]);
  vst1q_s32(p + 8, v.val[2]);
  vst1q_s32(p + 12, v.val[3]);
}
#endif
