/* Unicorn backend test: hardware floating point runs when the target has an FPU (RISC-V mstatus.FS set by
 * the runner) and is an illegal instruction when it has none. */
#include "ig_platform.h"

volatile double uc_d = 1.25;
volatile float uc_f = 2.5f;

int main(void) {
  int r = (int)(uc_d * 8.0) + (int)(uc_f * 2.0f); /* 10 + 5 */
  ig_write_hex(&r, sizeof r);
  return 0;
}
