/* Bare-metal Cortex-M start-up: vector table at address 0, .bss cleared, main, semihosting exit.
 * Runs on QEMU's mps2-an386 board and under Unicorn with the same memory map (isa/targets.py). */
#include "ig_platform.h"

extern unsigned int __stack_top, __bss_start__, __bss_end__;
int main(void);
#if defined(IG_BOARD_INIT)
void ig_board_init(void); /* a board memory map's start-up work: board_init.c of `intgap compile --board` */
#endif

#define SYS_WRITE0 0x04
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static int semihost(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void ig_sys_write(const char *buf, size_t len) {
  char chunk[65];
  while (len) {
    size_t n = len < 64 ? len : 64;
    for (size_t i = 0; i < n; i++) chunk[i] = buf[i];
    chunk[n] = 0;
    semihost(SYS_WRITE0, chunk);
    buf += n;
    len -= n;
  }
}

void ig_sys_exit(int status) {
  unsigned int block[2] = {ADP_STOPPED_APPLICATION_EXIT, (unsigned int)status};
  for (;;) semihost(SYS_EXIT_EXTENDED, block);
}

/* Cores with an FPU (built with -mfloat-abi=hard/softfp) come out of reset with CP10/CP11 disabled: any FP
 * instruction would fault (NOCP). Grant full access in CPACR (ARMv7-M ARM B3.2.20, 0xE000ED88) before
 * any FP instruction, then DSB/ISB so that the next instruction sees it. Reset_Handler itself must not
 * use FP registers before this, so it is the first thing it does and the helper is not inlined into code
 * that the compiler could schedule FP work around. */
#if defined(__ARM_FP)
#define IG_CPACR (*(volatile unsigned int *)0xE000ED88u)
static void __attribute__((noinline)) ig_enable_fpu(void) {
  IG_CPACR |= (0xFu << 20); /* CP10 and CP11: full access */
  __asm__ volatile("dsb\n\tisb" ::: "memory");
}
#endif

void Reset_Handler(void) {
#if defined(__ARM_FP)
  ig_enable_fpu();
#endif
#if defined(IG_BOARD_INIT)
  ig_board_init();
#endif
  for (unsigned int *p = &__bss_start__; p < &__bss_end__; p++) *p = 0;
  ig_sys_exit(main());
}

/* Any fault ends the run with a distinct status instead of spinning forever. */
void Fault_Handler(void) {
  ig_write_str("ig: hard fault\n");
  ig_sys_exit(134);
}

__attribute__((section(".isr_vector"), used)) void (*const ig_vectors[16])(void) = {
    (void (*)(void))&__stack_top, Reset_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, Fault_Handler, 0, 0, 0, 0,
    Fault_Handler, Fault_Handler, 0, Fault_Handler, Fault_Handler,
};
