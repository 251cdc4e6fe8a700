/* Unicorn backend test: one way to fail per case; the case number comes from the .ig_input section.
 *  1 invalid read   2 invalid write   3 illegal instruction   4 call to unmapped memory
 *  5 unsupported system call (Linux: getpid; semihosting: SYS_READC)   6 endless loop
 *  7 write to read-only memory (Linux targets: the code segment)   8 stack overflow by recursion
 *  9 a breakpoint that is not a semihosting call   10 a system call whose buffer is not mapped
 *  11 a halt (wfi) that never exits */
#include <stdint.h>
#include "ig_platform.h"

IG_INPUT_SECTION volatile uint32_t uc_case[4] = {0, 0, 0, 0};

#if defined(__aarch64__) || defined(__riscv)
#define UC_BAD_ADDR 0x90000000UL /* between the image and the stack */
#define UC_BAD_CODE UC_BAD_ADDR
#else
#define UC_BAD_ADDR 0x60000000UL /* no memory there on the MPS2 AN386 map */
#define UC_BAD_CODE (UC_BAD_ADDR | 1u) /* Thumb bit */
#endif

volatile uint32_t uc_sink;

__attribute__((noinline)) uint32_t uc_bad_read(void) { return *(volatile uint32_t *)UC_BAD_ADDR; }

__attribute__((noinline)) void uc_bad_write(uint32_t v) { *(volatile uint32_t *)UC_BAD_ADDR = v; }

__attribute__((noinline)) void uc_illegal(void) {
#if defined(__aarch64__)
  __asm__ volatile("udf #1");
#elif defined(__riscv)
  __asm__ volatile(".4byte 0xc0001073"); /* csrrw zero, cycle, zero: writes a read-only CSR */
#else
  __asm__ volatile("udf #1");
#endif
}

__attribute__((noinline)) void uc_call_unmapped(void) {
  void (*volatile f)(void) = (void (*)(void))(UC_BAD_CODE);
  f();
  uc_sink = 1;
}

__attribute__((noinline)) long uc_unsupported_call(void) {
#if defined(__aarch64__)
  register long x8 __asm__("x8") = 172; /* getpid */
  register long x0 __asm__("x0") = 0;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8) : "memory");
  return x0;
#elif defined(__riscv)
  register long a7 __asm__("a7") = 172; /* getpid */
  register long a0 __asm__("a0") = 0;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
  return a0;
#else
  register long r0 __asm__("r0") = 0x07; /* SYS_READC */
  register long r1 __asm__("r1") = 0;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
#endif
}

__attribute__((noinline)) void uc_spin_forever(void) {
  for (;;) uc_sink++;
}

__attribute__((noinline)) void uc_write_code(void) {
  *(volatile uint32_t *)(uintptr_t)&uc_write_code = 0;
}

__attribute__((noinline)) uint32_t uc_recurse(uint32_t n) {
  volatile uint32_t frame[16];
  frame[n & 15] = n;
  return uc_recurse(n + 1) + frame[(n + 3) & 15];
}

__attribute__((noinline)) void uc_breakpoint(void) {
#if defined(__aarch64__)
  __asm__ volatile("brk #1");
#elif defined(__riscv)
  __asm__ volatile("ebreak");
#else
  __asm__ volatile("bkpt 0x01");
#endif
}

__attribute__((noinline)) long uc_bad_buffer(void) {
#if defined(__aarch64__)
  register long x8 __asm__("x8") = 64; /* write(1, UC_BAD_ADDR, 8) */
  register long x0 __asm__("x0") = 1;
  register long x1 __asm__("x1") = (long)UC_BAD_ADDR;
  register long x2 __asm__("x2") = 8;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
#elif defined(__riscv)
  register long a7 __asm__("a7") = 64;
  register long a0 __asm__("a0") = 1;
  register long a1 __asm__("a1") = (long)UC_BAD_ADDR;
  register long a2 __asm__("a2") = 8;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory");
  return a0;
#else
  register long r0 __asm__("r0") = 0x04; /* SYS_WRITE0 of a string at an unmapped address */
  register long r1 __asm__("r1") = (long)UC_BAD_ADDR;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
#endif
}

__attribute__((noinline)) void uc_halt(void) {
  __asm__ volatile("wfi");
}

int main(void) {
  ig_write_str("before the fault\n");
  switch (uc_case[0]) {
    case 1: return (int)uc_bad_read();
    case 2: uc_bad_write(5); break;
    case 3: uc_illegal(); break;
    case 4: uc_call_unmapped(); break;
    case 5: return (int)uc_unsupported_call();
    case 6: uc_spin_forever(); break;
    case 7: uc_write_code(); break;
    case 8: return (int)uc_recurse(0);
    case 9: uc_breakpoint(); break;
    case 10: return (int)uc_bad_buffer();
    case 11: uc_halt(); break;
    default: break;
  }
  ig_write_str("no fault\n");
  return 0;
}
