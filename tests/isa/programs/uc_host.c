/* A program that tries to reach the host: the runner must refuse (Unicorn) or sandbox (QEMU) it.
 * .ig_input holds the case word and a NUL-terminated host path or command (the test fills it in).
 *  1 create a host file and write to it (Linux: openat + write; Cortex-M: semihosting SYS_OPEN + SYS_WRITE)
 *  2 run a host shell command (Cortex-M: semihosting SYS_SYSTEM; Linux: execve of /bin/sh -c) */
#include <stdint.h>
#include "ig_platform.h"

IG_INPUT_SECTION volatile struct {
  uint32_t which;
  uint32_t pad[3];
  char text[240];
} uc_host_input = {0, {0, 0, 0}, {0}};

__attribute__((unused)) static uint32_t text_length(void) {
  uint32_t n = 0;
  while (n < sizeof uc_host_input.text && uc_host_input.text[n]) n++;
  return n;
}

#if defined(__aarch64__) || defined(__riscv)
static long sys(long nr, long a, long b, long c, long d) {
#if defined(__aarch64__)
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
#else
  register long a7 __asm__("a7") = nr;
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  register long a3 __asm__("a3") = d;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2), "r"(a3) : "memory");
  return a0;
#endif
}

__attribute__((noinline)) long uc_host_create(void) {
  /* openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, 0644), then write */
  long fd = sys(56, -100, (long)uc_host_input.text, 01 | 0100 | 01000, 0644);
  static const char msg[] = "written by the guest\n";
  sys(64, fd, (long)msg, sizeof msg - 1, 0);
  return fd;
}

__attribute__((noinline)) long uc_host_command(void) {
  static char sh[] = "/bin/sh", dash_c[] = "-c";
  char *argv[] = {sh, dash_c, (char *)uc_host_input.text, 0};
  char *envp[] = {0};
  return sys(221, (long)sh, (long)argv, (long)envp, 0); /* execve */
}
#else
static long semi(long op, const volatile void *arg) {
  register long r0 __asm__("r0") = op;
  register const volatile void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

__attribute__((noinline)) long uc_host_create(void) {
  uint32_t open_block[3] = {(uint32_t)uc_host_input.text, 4 /* "w" */, text_length()};
  long handle = semi(0x01, open_block); /* SYS_OPEN */
  static const char msg[] = "written by the guest\n";
  uint32_t write_block[3] = {(uint32_t)handle, (uint32_t)msg, sizeof msg - 1};
  semi(0x05, write_block); /* SYS_WRITE */
  return handle;
}

__attribute__((noinline)) long uc_host_command(void) {
  uint32_t block[2] = {(uint32_t)uc_host_input.text, text_length()};
  return semi(0x12, block); /* SYS_SYSTEM */
}
#endif

int main(void) {
  long r = 0;
  if (uc_host_input.which == 1) r = uc_host_create();
  if (uc_host_input.which == 2) r = uc_host_command();
  ig_write_hex(&r, 4);
  return 0;
}
