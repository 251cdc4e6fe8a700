/* Memory calibration kernels (benchmarks/memory_validation.py): a stream read, a copy and a pointer chase over a
 * static buffer of MB_BYTES bytes (set with -DMB_BYTES=...). The arguments come from the .ig_input section:
 *   mb_args[0] mode: 0 read, 1 copy, 2 pointer chase, 3 read of a constant array (on a microcontroller board: in
 *               flash, like a model's weights; its size is MB_ROM_BYTES)
 *   mb_args[1] bytes of the buffer to use (read: the array; copy: each of the two halves; chase: the ring)
 *   mb_args[2] passes over the buffer (read, copy) or chase steps
 * The validation runs each kernel twice with different pass / step counts and divides the difference of the
 * estimates by the difference of the work, so the set-up (filling the buffer, building the ring) cancels out.
 * The result is printed (as hex) so that the compiler cannot drop the loops. */
#include <stdint.h>
#include "ig_platform.h"

#ifndef MB_BYTES
#define MB_BYTES (16u << 20)
#endif
#ifndef MB_ROM_BYTES
#define MB_ROM_BYTES 4096u
#endif
#define MB_LINE 64u

IG_INPUT_SECTION volatile uint32_t mb_args[4] = {0, 4096, 1, 0};

static uint64_t mb_buf[MB_BYTES / 8] __attribute__((aligned(64)));
static const uint64_t mb_rom[MB_ROM_BYTES / 8] __attribute__((aligned(64))) = {1, 2, 3};

__attribute__((noinline)) static uint64_t mb_read(const uint64_t *a, uint32_t words, uint32_t passes) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (uint32_t p = 0; p < passes; p++)
    for (uint32_t i = 0; i < words; i += 4) {
      s0 += a[i];
      s1 += a[i + 1];
      s2 += a[i + 2];
      s3 += a[i + 3];
    }
  return s0 ^ s1 ^ s2 ^ s3;
}

__attribute__((noinline)) static uint64_t mb_copy(uint64_t *dst, const uint64_t *src, uint32_t words, uint32_t passes) {
  for (uint32_t p = 0; p < passes; p++)
    for (uint32_t i = 0; i < words; i += 4) {
      dst[i] = src[i];
      dst[i + 1] = src[i + 1];
      dst[i + 2] = src[i + 2];
      dst[i + 3] = src[i + 3];
    }
  return dst[words - 1];
}

/* A random cyclic permutation of the buffer's lines (Sattolo's algorithm): each line holds the address of the next. */
__attribute__((noinline)) static void mb_ring(uintptr_t *base, uint32_t lines) {
  const uint32_t stride = MB_LINE / sizeof(uintptr_t);
  for (uint32_t i = 0; i < lines; i++) base[i * stride] = i;
  uint32_t x = 12345u;
  for (uint32_t i = lines - 1; i > 0; i--) {
    x = x * 1103515245u + 12345u;
    uint32_t j = (x >> 8) % i;
    uintptr_t t = base[i * stride];
    base[i * stride] = base[j * stride];
    base[j * stride] = t;
  }
  for (uint32_t i = 0; i < lines; i++) base[i * stride] = (uintptr_t)&base[base[i * stride] * stride];
}

__attribute__((noinline)) static uintptr_t mb_chase(uintptr_t p, uint32_t steps) {
  for (uint32_t i = 0; i < steps; i++) p = *(volatile uintptr_t *)p;
  return p;
}

int main(void) {
  uint32_t mode = mb_args[0], bytes = mb_args[1], passes = mb_args[2];
  if (bytes > MB_BYTES || bytes < 256) bytes = MB_BYTES;
  uint64_t r = 0;
  if (mode == 0) {
    for (uint32_t i = 0; i < bytes / 8; i++) mb_buf[i] = i;
    r = mb_read(mb_buf, bytes / 8, passes);
  } else if (mode == 1) {
    bytes = bytes > MB_BYTES / 2 ? MB_BYTES / 2 : bytes;
    for (uint32_t i = 0; i < bytes / 8; i++) mb_buf[i] = i;
    r = mb_copy(mb_buf + bytes / 8, mb_buf, bytes / 8, passes);
  } else if (mode == 3) {
    r = mb_read(mb_rom, MB_ROM_BYTES / 8, passes);
  } else {
    mb_ring((uintptr_t *)mb_buf, bytes / MB_LINE);
    r = mb_chase((uintptr_t)mb_buf, passes);
  }
  ig_write_hex(&r, sizeof r);
  return 0;
}
