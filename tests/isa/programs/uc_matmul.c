/* Unicorn backend speed program: an int8 x int8 -> int32 matrix product repeated a number of times taken from
 * the .ig_input section (memory traffic, calls and short loops, unlike uc_loop.c's single tight loop). */
#include <stdint.h>
#include "ig_platform.h"

#define UC_N 32

IG_INPUT_SECTION volatile uint32_t uc_reps[4] = {1, 0, 0, 0};

static int8_t uc_a[UC_N * UC_N], uc_b[UC_N * UC_N];
static int32_t uc_c[UC_N * UC_N];

__attribute__((noinline)) void uc_matmul_s8(const int8_t *a, const int8_t *b, int32_t *c, int n) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      int32_t acc = 0;
      for (int k = 0; k < n; k++) acc += a[i * n + k] * b[k * n + j];
      c[i * n + j] = acc;
    }
}

int main(void) {
  uint32_t x = 1;
  for (int i = 0; i < UC_N * UC_N; i++) {
    x = x * 1103515245u + 12345u;
    uc_a[i] = (int8_t)(x >> 16);
    uc_b[i] = (int8_t)(x >> 24);
  }
  uint32_t sum = 0;
  for (uint32_t r = 0; r < uc_reps[0]; r++) {
    uc_a[r % (UC_N * UC_N)] += 1;
    uc_matmul_s8(uc_a, uc_b, uc_c, UC_N);
    for (int i = 0; i < UC_N * UC_N; i++) sum = sum * 31u + (uint32_t)uc_c[i];
  }
  ig_write_hex(&sum, sizeof sum);
  return 0;
}
