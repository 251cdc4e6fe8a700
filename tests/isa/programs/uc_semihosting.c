/* Unicorn backend test, semihosting targets (bare-metal Cortex-M): the calls and QEMU 7.2's exit codes.
 * The case number comes from the .ig_input section. Cases 8 and 9 touch the System Control Space (CPACR). */
#include <stdint.h>
#include "ig_platform.h"

IG_INPUT_SECTION volatile uint32_t uc_case[4] = {0, 0, 0, 0};

static uint32_t semihost(uint32_t op, const void *arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

#define SYS_OPEN 0x01
#define SYS_WRITEC 0x03
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_READC 0x07
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_INTERNAL_ERROR 0x20024u

static void writec(char c) { semihost(SYS_WRITEC, &c); }

static uint32_t open_tt(uint32_t mode) {
  uint32_t block[3] = {(uint32_t)(uintptr_t)":tt", mode, 3};
  return semihost(SYS_OPEN, block);
}

static uint32_t write_handle(uint32_t handle, const char *s, uint32_t n) {
  uint32_t block[3] = {handle, (uint32_t)(uintptr_t)s, n};
  return semihost(SYS_WRITE, block);
}

int main(void) {
  uint32_t c = uc_case[0];
  if (c == 1) { /* SYS_WRITEC, then SYS_EXIT with the normal reason: status 0 */
    writec('o'); writec('k'); writec('\n');
    semihost(SYS_EXIT, (const void *)ADP_STOPPED_APPLICATION_EXIT);
  } else if (c == 2) { /* SYS_EXIT with another reason: status 1 */
    semihost(SYS_EXIT, (const void *)ADP_STOPPED_INTERNAL_ERROR);
  } else if (c == 3) { /* SYS_EXIT_EXTENDED, normal reason: status = subcode & 0xff */
    uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, 300};
    semihost(SYS_EXIT_EXTENDED, block);
  } else if (c == 4) { /* SYS_EXIT_EXTENDED, another reason: status 1 whatever the subcode */
    uint32_t block[2] = {ADP_STOPPED_INTERNAL_ERROR, 0};
    semihost(SYS_EXIT_EXTENDED, block);
  } else if (c == 5) { /* SYS_OPEN(":tt") handles as QEMU numbers them, SYS_WRITE to stdout and stderr */
    uint32_t h[3] = {open_tt(0), open_tt(4), open_tt(8)};
    uint32_t left[2] = {write_handle(h[1], "to stdout\n", 10), write_handle(h[2], "to stderr\n", 10)};
    ig_write_hex(h, sizeof h);
    ig_write_hex(left, sizeof left);
    ig_sys_exit(0);
  } else if (c == 6) { /* SYS_WRITE to a handle nobody opened */
    write_handle(1, "lost\n", 5);
  } else if (c == 7) { /* an operation the runner does not implement */
    semihost(SYS_READC, 0);
  } else if (c == 8) { /* enable CP10/CP11 in CPACR, as start-up code for a core with an FPU does */
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
    *cpacr |= 0xFu << 20;
    uint32_t v = *cpacr;
    ig_write_hex(&v, sizeof v);
    ig_sys_exit(0);
  } else if (c == 9) { /* a System Control Space register the runner does not model (SysTick CSR) */
    uint32_t v = *(volatile uint32_t *)0xE000E010u;
    ig_write_hex(&v, sizeof v);
  }
  ig_write_str("no case\n");
  return 0;
}
