/* Profile test: "layer" functions as codegen names them (ig_layer_<i>_<name>), each calling its own kernel,
 * so the gprof-style inclusive counts are exact: layer 0 calls tg_kernel_a twice, layer 1 calls tg_kernel_b
 * once. */
#include <stdint.h>
#include "ig_platform.h"

IG_INPUT_SECTION volatile uint32_t tg_n[4] = {50, 0, 0, 0};

__attribute__((noinline)) uint32_t tg_kernel_a(uint32_t n, uint32_t x) {
  for (uint32_t i = 0; i < n; i++) x = x * 1664525u + 1013904223u;
  return x;
}

__attribute__((noinline)) uint32_t tg_kernel_b(uint32_t n, uint32_t x) {
  for (uint32_t i = 0; i < n; i++) x ^= x << 3;
  return x;
}

__attribute__((noinline)) uint32_t ig_layer_0_fc(uint32_t x) {
  return tg_kernel_a(tg_n[0], x) + tg_kernel_a(tg_n[0] + 1, x + 1);
}

__attribute__((noinline)) uint32_t ig_layer_1_relu(uint32_t x) { return tg_kernel_b(tg_n[0] * 3, x); }

int main(void) {
  uint32_t r = ig_layer_1_relu(ig_layer_0_fc(7));
  ig_write_hex(&r, sizeof r);
  return 0;
}
