/* The largest and smallest of a row of int16 in eight lanes, in the 128-bit vectors arm_neon.h (AArch64 NEON) and
 * arm_mve.h (Helium) spell alike (SMAX / SMIN, VMAX.S16 / VMIN.S16): the extremes loop of the int16-input
 * fully_connected_dynamic quantization (kernels/{neon,mve}/ig_fc_dynamic_parts.c), each family keeping its tail. */
#ifndef IG_S16X8_EXTREMES_H
#define IG_S16X8_EXTREMES_H
#include <stdint.h>
#if defined(__aarch64__)
#include <arm_neon.h>
#else
#include <arm_mve.h>
#endif

/* mx / mn lane-wise max / min with x[0 .. k) for the returned k, n rounded down to a multiple of 8 */
static inline __attribute__((always_inline)) int32_t ig_s16x8_extremes(const int16_t *x, int32_t n, int16x8_t *mx,
                                                                        int16x8_t *mn) {
  int32_t k = 0;
  for (; k + 8 <= n; k += 8) {
    int16x8_t v = vld1q_s16(x + k);
    *mx = vmaxq_s16(*mx, v);
    *mn = vminq_s16(*mn, v);
  }
  return k;
}
#endif
