/* Profile test: single-precision float only. Hard float on an FPv4-SP/FPv5-SP Cortex-M, soft-float helper
 * calls (__aeabi_fmul, __aeabi_fadd, ...) on the Cortex-M4 without FPU. */
#include "ig_platform.h"

volatile float tg_x[16];

__attribute__((noinline)) float tg_dot(const volatile float *x, int n) {
  float acc = 0.0f;
  for (int i = 0; i < n; i++) acc += x[i] * 1.5f;
  return acc;
}

int main(void) {
  for (int i = 0; i < 16; i++) tg_x[i] = (float)i;
  int r = (int)tg_dot(tg_x, 16); /* 1.5 * 120 = 180 */
  ig_write_hex(&r, sizeof r);
  return 0;
}
