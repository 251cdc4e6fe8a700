/* Cortex-M (code and data share the board's SRAM): calls a 2-instruction routine that lives in .data,
 * rewrites it with the same bytes between rounds (QEMU then drops and re-translates its block), and calls it
 * again. The counting plugin must give the re-translated block the same counter: one block at q_code,
 * executed Q_ROUNDS x Q_CALLS times. */
#include "ig_platform.h"

#define Q_ROUNDS 3
#define Q_CALLS 10

__attribute__((aligned(4))) unsigned short q_code[2] = {0x3001u /* adds r0, #1 */, 0x4770u /* bx lr */};

int main(void) {
  typedef unsigned int (*fn_t)(unsigned int);
  unsigned int v = 0;
  for (int r = 0; r < Q_ROUNDS; r++) {
    fn_t fn = (fn_t)((unsigned int)q_code | 1u);
    for (int i = 0; i < Q_CALLS; i++) v = fn(v);
    *(volatile unsigned short *)&q_code[0] = 0x3001u; /* same bytes: still self-modifying code to QEMU */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
  }
  ig_write_hex(&v, sizeof v);
  return 0;
}
