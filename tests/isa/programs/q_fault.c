/* Faults on purpose: -DQ_FAULT=1 reads an unmapped address, -DQ_FAULT=2 executes an undefined instruction. */
#include "ig_platform.h"

#ifndef Q_FAULT
#define Q_FAULT 1
#endif
#ifndef Q_BAD_ADDR
#define Q_BAD_ADDR 0x60000000u
#endif

__attribute__((noinline)) unsigned int q_crash(void) {
#if Q_FAULT == 1
  return *(volatile unsigned int *)(__UINTPTR_TYPE__)Q_BAD_ADDR;
#else
#if defined(__aarch64__)
  __asm__ volatile(".inst 0x00000000");
#elif defined(__riscv)
  __asm__ volatile(".word 0x00000000");
#else
  __asm__ volatile("udf #0");
#endif
  return 0;
#endif
}

int main(void) {
  ig_write_str("before\n");
  unsigned int v = q_crash();
  ig_write_hex(&v, sizeof v);
  return 0;
}
