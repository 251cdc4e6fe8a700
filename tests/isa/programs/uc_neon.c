/* Unicorn backend test, AArch64: FP/SIMD must not trap (CPACR_EL1.FPEN) and sdot must exist (CPU "max"). */
#include <arm_neon.h>
#include <stdint.h>
#include "ig_platform.h"

IG_INPUT_SECTION volatile int8_t uc_a[16] = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12, 13, -14, 15, -16};
volatile float uc_f = 1.5f;

int main(void) {
  int8x16_t a = vld1q_s8((const int8_t *)uc_a);
  int32x4_t d = vdotq_s32(vdupq_n_s32(0), a, a); /* sdot: sums of 4 squares */
  int32_t out[5];
  vst1q_s32(out, d);
  out[4] = (int32_t)(uc_f * 4.0f); /* 6 */
  ig_write_hex(out, sizeof out);
  return 0;
}
