/* Unicorn backend test: output, exit status, a short loop (tests/isa/test_unicorn_backend.py). */
#include "ig_platform.h"

volatile int uc_n = 10;

int main(void) {
  unsigned s = 0;
  for (int i = 0; i < uc_n; i++) s += (unsigned)(i * i);
  ig_write_str("hello from intgap\n");
  ig_write_hex(&s, sizeof s); /* 285 = 0x11d, little-endian bytes */
  return 7;
}
