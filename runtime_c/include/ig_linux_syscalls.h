/* ig_platform.h's output and exit over Linux system calls, for the Linux user-mode platforms (QEMU user mode).
 * AArch64 and RISC-V share the generic system call numbers (write 64, exit 93) and pass the number and three
 * arguments in registers, the result in the first; the including platform file names its trap instruction and
 * those registers (IG_SYS_TRAP, IG_SYS_NR, IG_SYS_A0 .. IG_SYS_A2). */
#ifndef IG_LINUX_SYSCALLS_H
#define IG_LINUX_SYSCALLS_H
#include "ig_platform.h"

static long syscall3(long nr, long a, long b, long c) {
  register long r_nr __asm__(IG_SYS_NR) = nr;
  register long r0 __asm__(IG_SYS_A0) = a;
  register long r1 __asm__(IG_SYS_A1) = b;
  register long r2 __asm__(IG_SYS_A2) = c;
  __asm__ volatile(IG_SYS_TRAP : "+r"(r0) : "r"(r_nr), "r"(r1), "r"(r2) : "memory");
  return r0;
}

void ig_sys_write(const char *buf, size_t len) { syscall3(64, 1, (long)buf, (long)len); }

void ig_sys_exit(int status) {
  for (;;) syscall3(93, status, 0, 0);
}
#endif
