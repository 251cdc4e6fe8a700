/* A loop whose trip count is patched into the ELF's .ig_input section before the run: between N and N + k
 * trips the instruction count must change by exactly k x (instructions of the loop body), read from the
 * disassembly of q_kernel. The same ELF runs with every trip count, so nothing else changes. */
#include "ig_platform.h"

IG_INPUT_SECTION volatile unsigned int q_trips = 100;

__attribute__((noinline)) unsigned int q_kernel(volatile unsigned int *trips) {
  unsigned int n = *trips, acc = 0x12345u;
#pragma GCC unroll 1
  for (unsigned int i = 0; i < n; i++) acc = acc * 2654435761u + i;
  return acc;
}

int main(void) {
  unsigned int acc = q_kernel(&q_trips);
  ig_write_hex(&acc, sizeof acc);
  return (int)(acc & 0x3f);
}
