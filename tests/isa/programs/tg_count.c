/* Targets/profile test: a loop written in assembly so that its dynamic counts are known analytically.
 * tg_sum_words(n, p) runs its loop body exactly n times (n >= 1, taken from .ig_input); per iteration:
 *   Thumb-2 : ldr (4 bytes loaded), add, subs, bne                    = 4 instructions
 *   Armv6-M : ldmia (4 bytes loaded), adds, subs, bne                  = 4 instructions
 *   AArch64 : ldr w (4 bytes loaded), add, subs, b.ne                 = 4 instructions
 *   RISC-V  : lw (4 bytes loaded), addi, add, addi, bnez              = 5 instructions
 * so two runs with n1 and n2 trips differ by exactly (n2 - n1) x body instructions, all in tg_sum_words. */
#include <stdint.h>
#include "ig_platform.h"

IG_INPUT_SECTION volatile uint32_t tg_trips[4] = {8, 0, 0, 0};
static uint32_t tg_words[1024];

__attribute__((noinline)) uint32_t tg_sum_words(uint32_t n, const uint32_t *p) {
  uint32_t acc = 0, tmp;
#if defined(__thumb__) && !defined(__thumb2__)
  __asm__ volatile(".syntax unified\n\t"
                   "1: ldmia %[p]!, {%[t]}\n\t"
                   "adds %[a], %[a], %[t]\n\t"
                   "subs %[n], %[n], #1\n\t"
                   "bne 1b"
                   : [a] "+l"(acc), [n] "+l"(n), [p] "+l"(p), [t] "=&l"(tmp) : : "cc", "memory");
#elif defined(__thumb__)
  __asm__ volatile("1: ldr %[t], [%[p]], #4\n\t"
                   "add %[a], %[a], %[t]\n\t"
                   "subs %[n], %[n], #1\n\t"
                   "bne 1b"
                   : [a] "+r"(acc), [n] "+r"(n), [p] "+r"(p), [t] "=&r"(tmp) : : "cc", "memory");
#elif defined(__aarch64__)
  uint64_t n64 = n;
  __asm__ volatile("1: ldr %w[t], [%[p]], #4\n\t"
                   "add %w[a], %w[a], %w[t]\n\t"
                   "subs %[n], %[n], #1\n\t"
                   "b.ne 1b"
                   : [a] "+r"(acc), [n] "+r"(n64), [p] "+r"(p), [t] "=&r"(tmp) : : "cc", "memory");
#elif defined(__riscv)
  __asm__ volatile(".option push\n\t.option norvc\n\t"
                   "1: lw %[t], 0(%[p])\n\t"
                   "addi %[p], %[p], 4\n\t"
                   "add %[a], %[a], %[t]\n\t"
                   "addi %[n], %[n], -1\n\t"
                   "bnez %[n], 1b\n\t"
                   ".option pop"
                   : [a] "+r"(acc), [n] "+r"(n), [p] "+r"(p), [t] "=&r"(tmp) : : "memory");
#else
#error "tg_count.c: no loop for this architecture"
#endif
  return acc;
}

int main(void) {
  for (int i = 0; i < 1024; i++) tg_words[i] = (uint32_t)i * 2654435761u;
  uint32_t n = tg_trips[0];
  if (n < 1 || n > 1024) n = 1;
  uint32_t r = tg_sum_words(n, tg_words);
  ig_write_hex(&r, sizeof r);
  return 0;
}
