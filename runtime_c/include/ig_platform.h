/* What the platform layer gives a program: output bytes, exit with a status. Implemented per
 * platform (Linux-style system calls, or Arm semihosting on bare-metal Cortex-M). */
#ifndef IG_PLATFORM_H
#define IG_PLATFORM_H
#include <stddef.h>

void ig_sys_write(const char *buf, size_t len);
__attribute__((noreturn)) void ig_sys_exit(int status);

/* Writes `len` bytes as lowercase hex followed by '\n' (text survives every output channel). */
void ig_write_hex(const void *data, size_t len);
void ig_write_str(const char *s);

/* Input bytes live in this section; the runner patches them into the ELF before a run. */
#define IG_INPUT_SECTION __attribute__((section(".ig_input"), aligned(16), used))
#endif
