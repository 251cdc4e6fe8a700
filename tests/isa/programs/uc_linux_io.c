/* Unicorn backend test, Linux-style targets: write to fd 1 and 2, exit_group, write to another fd. */
#include <stdint.h>
#include "ig_platform.h"

IG_INPUT_SECTION volatile uint32_t uc_case[4] = {0, 0, 0, 0};

static long uc_syscall3(long nr, long a, long b, long c) {
#if defined(__aarch64__)
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
#else
  register long a7 __asm__("a7") = nr;
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory");
  return a0;
#endif
}

int main(void) {
  if (uc_case[0] == 1) {
    int32_t n[2];
    n[0] = (int32_t)uc_syscall3(64, 1, (long)"to stdout\n", 10);
    n[1] = (int32_t)uc_syscall3(64, 2, (long)"to stderr\n", 10);
    ig_write_hex(n, sizeof n);
    uc_syscall3(94, 300, 0, 0); /* exit_group: status 300 & 0xff = 44 */
  } else if (uc_case[0] == 2) {
    uc_syscall3(64, 3, (long)"x", 1);
  }
  return 0;
}
