/* Memory calibration kernels (benchmarks/memory_validation.py): a stream read, a copy and a pointer chase over a
 * static buffer of MB_BYTES bytes (set with -DMB_BYTES=...). The arguments come from the .ig_input section:
 *   mb_args[0] mode: 0 read, 1 copy, 2 pointer chase, 3 read of a constant array (on a microcontroller board: in
 *               flash, like a model's weights; its size is MB_ROM_BYTES)
 *   mb_args[1] bytes of the buffer to use (read: the array; copy: each of the two halves; chase: the ring)
 *   mb_args[2] passes over the buffer (read, copy) or chase steps
 *   mb_args[3] RVV only: 1 makes the reads (modes 0, 3) indexed loads with 64-bit offsets (vluxei64.v)
 * On RVV the read and the copy stream with unit-stride vector loads and stores, as a bandwidth kernel on a vector core
 * does (tinymembench's kernels are written per ISA): clang vectorises the scalar loops into indexed gathers and
 * scatters with 64-bit indices, which measure QEMU's per-element path instead (docs/platform-qemu.md). The other
 * targets compile exactly the scalar loops.
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

#ifdef __riscv_vector
#include <riscv_vector.h>

/* The read and the copy run whole registers at vl = VLMAX and the words past the last whole register as scalars,
 * so the read's loop holds no vsetvli (one ends a QEMU TB and costs a register read, for the real vl; clang still
 * puts one at the head of the copy's loop, which has no vector operation before it). */
__attribute__((always_inline)) static inline vuint64m1_t mb_load(const uint64_t *a, vuint64m1_t offsets, int gather,
                                                                 size_t vl) {
  return gather ? __riscv_vluxei64_v_u64m1(a, offsets, vl) : __riscv_vle64_v_u64m1(a, vl);
}

/* VLMAX of e64 at LMUL 1 from vlenb, not from a vsetvlmax: its mask-undisturbed vtype would make the compiler put a
 * vsetvli (which ends a QEMU TB and costs the counted run a register read) at the head of each loop. */
static inline size_t mb_vlmax(void) {
  size_t vlenb;
  __asm__("csrr %0, vlenb" : "=r"(vlenb));
  return vlenb / 8;
}

/* Sums the words lane-wise into one accumulator and reduces it at the end. gather: through indexed loads with
 * 64-bit byte offsets 0, 8, 16, ..., the same addresses. */
__attribute__((always_inline)) static inline uint64_t mb_read_rvv(const uint64_t *a, uint32_t words, uint32_t passes,
                                                                  int gather) {
  const size_t vlmax = mb_vlmax(), whole = words - words % vlmax;
  const vuint64m1_t offsets = __riscv_vsll_vx_u64m1(__riscv_vid_v_u64m1(vlmax), 3, vlmax);
  vuint64m1_t acc = __riscv_vmv_v_x_u64m1(0, vlmax);
  uint64_t tail = 0;
  for (uint32_t p = 0; p < passes; p++) {
    for (size_t i = 0; i < whole; i += vlmax)
      acc = __riscv_vadd_vv_u64m1(acc, mb_load(a + i, offsets, gather, vlmax), vlmax);
#pragma clang loop vectorize(disable)
    for (size_t i = whole; i < words; i++) tail += a[i];
  }
  return tail + __riscv_vmv_x_s_u64m1_u64(__riscv_vredsum_vs_u64m1_u64m1(acc, __riscv_vmv_s_x_u64m1(0, 1), vlmax));
}

__attribute__((noinline)) static uint64_t mb_read(const uint64_t *a, uint32_t words, uint32_t passes) {
  return mb_read_rvv(a, words, passes, 0);
}

__attribute__((noinline)) static uint64_t mb_read_gather(const uint64_t *a, uint32_t words, uint32_t passes) {
  return mb_read_rvv(a, words, passes, 1);
}

__attribute__((noinline)) static uint64_t mb_copy(uint64_t *dst, const uint64_t *src, uint32_t words, uint32_t passes) {
  const size_t vlmax = mb_vlmax(), whole = words - words % vlmax;
  for (uint32_t p = 0; p < passes; p++) {
    for (size_t i = 0; i < whole; i += vlmax)
      __riscv_vse64_v_u64m1(dst + i, __riscv_vle64_v_u64m1(src + i, vlmax), vlmax);
#pragma clang loop vectorize(disable)
    for (size_t i = whole; i < words; i++) dst[i] = src[i];
  }
  return dst[words - 1];
}
#define MB_READ(a, words, passes) (mb_args[3] == 1 ? mb_read_gather(a, words, passes) : mb_read(a, words, passes))
#else
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
#define MB_READ(a, words, passes) mb_read(a, words, passes)
#endif

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
    r = MB_READ(mb_buf, bytes / 8, passes);
  } else if (mode == 1) {
    bytes = bytes > MB_BYTES / 2 ? MB_BYTES / 2 : bytes;
    for (uint32_t i = 0; i < bytes / 8; i++) mb_buf[i] = i;
    r = mb_copy(mb_buf + bytes / 8, mb_buf, bytes / 8, passes);
  } else if (mode == 3) {
    r = MB_READ(mb_rom, MB_ROM_BYTES / 8, passes);
  } else {
    mb_ring((uintptr_t *)mb_buf, bytes / MB_LINE);
    r = mb_chase((uintptr_t)mb_buf, passes);
  }
  ig_write_hex(&r, sizeof r);
  return 0;
}
