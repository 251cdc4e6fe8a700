/* Shared inline helpers of the RVV 1.0 kernels (ratified intrinsics API, ig_rvv_api.h). Vector-length agnostic: every
 * loop takes vl from vsetvl, so the same code is exact for VLEN 128, 256 and 512.
 * Dot products: int8 x int8 -> int16 products (VWMUL, exact: |product| <= 2^14), summed into an int32 element
 * by a widening reduction (VWREDSUM) that carries the running sum; at LMUL 4, one reduction per 64 MACs at
 * VLEN 128. Eight rows at a time (ig_dot8rows_s8, ig_dot4pairs_s8w4) in assembly: their eight accumulators are
 * the register group v0-v7, read out by one VRGATHER. Requantization is vectorized over a block of output
 * channels: VSMUL with round-to-nearest-up is exactly TFLite's saturating rounding doubling high multiply, VSSRA
 * with a sign fix-up the rounding divide. */
#ifndef IG_RVV_COMMON_H
#define IG_RVV_COMMON_H
#include <stdint.h>

#include "ig_rvv_api.h"

#include "ig_fixedpoint.h"
#include "ig_kernels.h"

/* Every helper is inlined into each entry point (the bodies are shared by the int8 / int16 / int32 variants): the
 * code stays that of one caller, and instruction counts are attributed to the kernel's own function. */
#define IG_INLINE static inline __attribute__((always_inline))

/* Every vector register, and memory: the clobbers of the hand-scheduled loops, which use all 32. */
#define IG_RVV_CLOBBERS_V                                                                                          \
  "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15",            \
      "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30",    \
      "v31", "memory"
/* v16.. = element 0 of each of v0..v7, an LMUL-8 group of `lanes` int32 lanes per register (%[lanes]). */
#define IG_RVV_GATHER8                                                                                             \
  "vsetivli zero, 8, e32, m8, ta, ma\n\t"                                                                          \
  "vid.v v8\n\t"                                                                                                   \
  "vmul.vx v8, v8, %[lanes]\n\t"                                                                                   \
  "vrgather.vv v16, v0, v8\n\t"

/* Output channels accumulated before one vectorized requantization pass. */
#define IG_RVV_BLOCK 64

/* Dot products of x[k0..k1) with four int8 rows. */
IG_INLINE void ig_dot4rows_s8(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                  const int8_t *w3, int32_t k0, int32_t k1, int32_t out[4]) {
  vint32m1_t a0 = __riscv_vmv_v_x_i32m1(0, 1), a1 = a0, a2 = a0, a3 = a0;
  const int8_t *xp = x + k0, *q0 = w0 + k0, *q1 = w1 + k0, *q2 = w2 + k0, *q3 = w3 + k0;
  for (size_t left = (size_t)(k1 - k0), vl; left > 0; left -= vl) {
    vl = __riscv_vsetvl_e8m4(left);
    vint8m4_t xv = __riscv_vle8_v_i8m4(xp, vl);
    a0 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(__riscv_vle8_v_i8m4(q0, vl), xv, vl), a0, vl);
    a1 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(__riscv_vle8_v_i8m4(q1, vl), xv, vl), a1, vl);
    a2 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(__riscv_vle8_v_i8m4(q2, vl), xv, vl), a2, vl);
    a3 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(__riscv_vle8_v_i8m4(q3, vl), xv, vl), a3, vl);
    xp += vl; q0 += vl; q1 += vl; q2 += vl; q3 += vl;
  }
  out[0] = __riscv_vmv_x_s_i32m1_i32(a0);
  out[1] = __riscv_vmv_x_s_i32m1_i32(a1);
  out[2] = __riscv_vmv_x_s_i32m1_i32(a2);
  out[3] = __riscv_vmv_x_s_i32m1_i32(a3);
}

/* sum of x[k0..k1) */
IG_INLINE int32_t ig_sum_s8(const int8_t *x, int32_t k0, int32_t k1) {
  vint32m1_t a = __riscv_vmv_v_x_i32m1(0, 1);
  const int8_t *xp = x + k0;
  for (size_t left = (size_t)(k1 - k0), vl; left > 0; left -= vl, xp += vl) {
    vl = __riscv_vsetvl_e8m4(left);
    a = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vsext_vf2_i16m8(__riscv_vle8_v_i8m4(xp, vl), vl), a, vl);
  }
  return __riscv_vmv_x_s_i32m1_i32(a);
}

/* Two int4 row pairs p0, p1 (ig_kernels.h layout) against x[k0..k1): the four rows' dot products, decoded from
 * the sums of x times the raw bytes and times the bytes masked to their high nibble. `sx` = sum of x[k0..k1). */
IG_INLINE void ig_dot2pairs_s8w4(const int8_t *x, const int8_t *p0, const int8_t *p1, int32_t k0, int32_t k1,
                                     int32_t sx, int32_t out[4]) {
  vint32m1_t h0 = __riscv_vmv_v_x_i32m1(0, 1), r0 = h0, h1 = h0, r1 = h0;
  const int8_t *xp = x + k0, *q0 = p0 + k0, *q1 = p1 + k0;
  for (size_t left = (size_t)(k1 - k0), vl; left > 0; left -= vl) {
    vl = __riscv_vsetvl_e8m4(left);
    vint8m4_t xv = __riscv_vle8_v_i8m4(xp, vl);
    vint8m4_t b0 = __riscv_vle8_v_i8m4(q0, vl), b1 = __riscv_vle8_v_i8m4(q1, vl);
    r0 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(b0, xv, vl), r0, vl);
    h0 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(__riscv_vand_vx_i8m4(b0, (int8_t)0xF0, vl), xv, vl), h0, vl);
    r1 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(b1, xv, vl), r1, vl);
    h1 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(__riscv_vand_vx_i8m4(b1, (int8_t)0xF0, vl), xv, vl), h1, vl);
    xp += vl; q0 += vl; q1 += vl;
  }
  int32_t hs0 = __riscv_vmv_x_s_i32m1_i32(h0), hs1 = __riscv_vmv_x_s_i32m1_i32(h1);
  out[0] = hs0 >> 4;
  out[1] = __riscv_vmv_x_s_i32m1_i32(r0) - hs0 - 8 * sx;
  out[2] = hs1 >> 4;
  out[3] = __riscv_vmv_x_s_i32m1_i32(r1) - hs1 - 8 * sx;
}

/* int32 elements per vector register (VLEN / 32): the distance, in elements of the group v0-v7 at LMUL 8, between
 * the first elements of v0, v1, ..., v7. */
IG_INLINE size_t ig_rvv_lanes32(void) { return __riscv_vsetvlmax_e32m1(); }

/* The per-channel kernel's weights (codegen/packing.py interleave_row_chunks): blocks of 8 rows (then 4, then
 * N mod 4), one after another; per block the chunks of IG_RVV_ROW_CHUNK columns (the last K mod 256 wide), in each
 * the block's rows' bytes of the chunk side by side (row r at r * width). Any vl reads a chunk's rows at the same
 * offset, so the layout does not depend on VLEN; the rows of a step lie within one chunk (8 x 256 bytes), which
 * the stream prefetcher follows as one stream (docs/memory-models.md). */
#define IG_RVV_ROW_CHUNK 256

/* Two rows' step: the rows' vl bytes (at q, then q + width) times x (v8-v11, e8m4), widening products into
 * v16-v23 and v24-v31, then reduced (e16m8) into element 0 of the row accumulators v<acc0>, v<acc1>. */
#define IG_RVV_2ROWS(acc0, acc1)                                                                                    \
  "vle8.v v12, (%[q])\n\t" "add %[q], %[q], %[width]\n\t" "vwmul.vv v16, v12, v8\n\t"                               \
  "vle8.v v12, (%[q])\n\t" "add %[q], %[q], %[width]\n\t" "vwmul.vv v24, v12, v8\n\t"                               \
  "vsetvli zero, zero, e16, m8, ta, ma\n\t"                                                                         \
  "vwredsum.vs v" acc0 ", v16, v" acc0 "\n\t" "vwredsum.vs v" acc1 ", v24, v" acc1 "\n\t"

/* One row's paired step: its 2 vl bytes (a whole-register load of VLEN bytes, v24-v31) times x (v8-v15): the low
 * half by VWMUL, the high half by VWMACC into the same int16 products (|w| <= 127, |x| <= 128: two products fit),
 * then one reduction (e16m8) into v<acc>: half the reductions of two plain steps. */
#define IG_RVV_ROW_PAIRED(acc)                                                                                      \
  "vl8re8.v v24, (%[q])\n\t" "add %[q], %[q], %[width]\n\t"                                                         \
  "vwmul.vv v16, v24, v8\n\t" "vwmacc.vv v16, v12, v28\n\t"                                                         \
  "vsetvli zero, zero, e16, m8, ta, ma\n\t" "vwredsum.vs v" acc ", v16, v" acc "\n\t"
#define IG_RVV_E8M4 "vsetvli zero, zero, e8, m4, ta, ma\n\t"

/* The bytes of a paired step of ig_dot8rows_s8: two vectors at e8m4, VLEN bytes. */
IG_INLINE size_t ig_rvv_pair_bytes(void) { return 2 * __riscv_vsetvlmax_e8m4(); }

/* Whether every chunk of a k_dim-column block fits one vector at e8m4 (ig_dot8rows_wide_s8). */
IG_INLINE int ig_rows_fit_vector(int32_t k_dim, size_t pair) {
  return pair / 2 >= IG_RVV_ROW_CHUNK || (size_t)k_dim <= pair / 2;
}

/* ig_dot8rows_s8 where every chunk fits one vector (vm = VLMAX at e8m4 >= IG_RVV_ROW_CHUNK, VLEN >= 512, or
 * k_dim <= vm): each chunk is one plain step of vl = its width, after which the pointer is at the next chunk; per
 * step 9 loads, 8 VWMUL, 8 VWREDSUM, 8 VSETVLI, 14 scalar (3 more than whole rows: the chunk's width). */
IG_INLINE void ig_dot8rows_wide_s8(const int8_t *x, const int8_t *w, int32_t k_dim, size_t lanes, int32_t *out) {
  const int8_t *xp = x, *q = w;
  size_t left = (size_t)k_dim, width;
  const size_t chunk = IG_RVV_ROW_CHUNK;
  __asm__ volatile(
      "vsetvli %[width], zero, e32, m8, ta, ma\n\t"
      "vmv.v.i v0, 0\n\t" /* the eight row accumulators v0-v7 */
      "1:\n\t"
      "mv %[width], %[chunk]\n\t"
      "bgeu %[left], %[chunk], 2f\n\t"
      "mv %[width], %[left]\n\t"
      "2:\n\t"
      "vsetvli %[width], %[width], e8, m4, ta, ma\n\t" /* vl = width: at most VLMAX */
      "vle8.v v8, (%[xp])\n\t"
      IG_RVV_2ROWS("0", "1") IG_RVV_E8M4 IG_RVV_2ROWS("2", "3") IG_RVV_E8M4 IG_RVV_2ROWS("4", "5") IG_RVV_E8M4
      IG_RVV_2ROWS("6", "7")
      "add %[xp], %[xp], %[width]\n\t"
      "sub %[left], %[left], %[width]\n\t"
      "bnez %[left], 1b\n\t"
      IG_RVV_GATHER8
      "vse32.v v16, (%[out])\n\t"
      : [xp] "+r"(xp), [q] "+r"(q), [left] "+r"(left), [width] "=&r"(width)
      : [lanes] "r"(lanes), [out] "r"(out), [chunk] "r"(chunk)
      : IG_RVV_CLOBBERS_V);
}

/* Dot products of x[0..k_dim) with a block of eight int8 rows (IG_RVV_ROW_CHUNK layout), written to out[0..8).
 * Per chunk, steps of 2 vl columns while that many are left (VWMACC pairs: VLEN 128 and 256, where
 * 2 vl <= 256), then steps of at most vl; each step reads its x once and the eight rows' bytes in order.
 * Per paired step (16 vl MACs): 9 loads, 8 VWMUL, 8 VWMACC, 8 VWREDSUM, 16 VSETVLI, 16 scalar; per plain step
 * (8 vl MACs): 9 loads, 8 VWMUL, 8 VWREDSUM, 8 VSETVLI, 14 scalar; per chunk 8 scalar. Where every chunk fits one
 * vector, ig_dot8rows_wide_s8 (ig_rows_fit_vector). lanes = ig_rvv_lanes32(), pair = ig_rvv_pair_bytes(). */
IG_INLINE void ig_dot8rows_s8(const int8_t *x, const int8_t *w, int32_t k_dim, size_t lanes, size_t pair,
                              int32_t *out) {
  const int8_t *xp = x, *cb = w, *q;
  size_t left = (size_t)k_dim, width, off, vl, t;
  const size_t chunk = IG_RVV_ROW_CHUNK;
  __asm__ volatile(
      "vsetvli %[vl], zero, e32, m8, ta, ma\n\t"
      "vmv.v.i v0, 0\n\t" /* the eight row accumulators v0-v7 */
      "1:\n\t" /* a chunk of width = min(left, chunk) columns at cb */
      "mv %[width], %[chunk]\n\t"
      "bgeu %[left], %[chunk], 2f\n\t"
      "mv %[width], %[left]\n\t"
      "2:\n\t"
      "sub %[left], %[left], %[width]\n\t"
      "li %[off], 0\n\t"
      "3:\n\t" /* a step at column off of the chunk: row 0 at cb + off */
      "add %[q], %[cb], %[off]\n\t"
      "sub %[t], %[width], %[off]\n\t"
      "bltu %[t], %[pair], 4f\n\t"
      "vl8re8.v v8, (%[xp])\n\t"
      "vsetvli %[vl], zero, e8, m4, ta, ma\n\t"
      IG_RVV_ROW_PAIRED("0") IG_RVV_E8M4 IG_RVV_ROW_PAIRED("1") IG_RVV_E8M4 IG_RVV_ROW_PAIRED("2") IG_RVV_E8M4
      IG_RVV_ROW_PAIRED("3") IG_RVV_E8M4 IG_RVV_ROW_PAIRED("4") IG_RVV_E8M4 IG_RVV_ROW_PAIRED("5") IG_RVV_E8M4
      IG_RVV_ROW_PAIRED("6") IG_RVV_E8M4 IG_RVV_ROW_PAIRED("7")
      "mv %[vl], %[pair]\n\t"
      "j 5f\n\t"
      "4:\n\t"
      "vsetvli %[vl], %[t], e8, m4, ta, ma\n\t"
      "vle8.v v8, (%[xp])\n\t"
      IG_RVV_2ROWS("0", "1") IG_RVV_E8M4 IG_RVV_2ROWS("2", "3") IG_RVV_E8M4 IG_RVV_2ROWS("4", "5") IG_RVV_E8M4
      IG_RVV_2ROWS("6", "7")
      "5:\n\t"
      "add %[xp], %[xp], %[vl]\n\t"
      "add %[off], %[off], %[vl]\n\t"
      "bne %[off], %[width], 3b\n\t"
      "slli %[t], %[width], 3\n\t" /* the next chunk: after the block's eight rows of this one */
      "add %[cb], %[cb], %[t]\n\t"
      "bnez %[left], 1b\n\t"
      /* out[r] = element 0 of v<r> = element r * lanes of the group v0-v7 */
      IG_RVV_GATHER8
      "vse32.v v16, (%[out])\n\t"
      : [xp] "+r"(xp), [cb] "+r"(cb), [q] "=&r"(q), [left] "+r"(left), [width] "=&r"(width), [off] "=&r"(off),
        [vl] "=&r"(vl), [t] "=&r"(t)
      : [lanes] "r"(lanes), [out] "r"(out), [chunk] "r"(chunk), [pair] "r"(pair)
      : IG_RVV_CLOBBERS_V);
}

/* Dot products of x[0..k_dim) with a block of h <= 4 int8 rows (IG_RVV_ROW_CHUNK layout), written to
 * out[0..h): per chunk and step of vl columns, x once and the rows' bytes in order. */
IG_INLINE void ig_dot4rows_blk(const int8_t *x, const int8_t *w, int32_t k_dim, int32_t h, int32_t out[4]) {
  vint32m1_t a0 = __riscv_vmv_v_x_i32m1(0, 1), a1 = a0, a2 = a0, a3 = a0;
  for (int32_t c0 = 0; c0 < k_dim; c0 += IG_RVV_ROW_CHUNK) {
    const size_t width = (size_t)(k_dim - c0 < IG_RVV_ROW_CHUNK ? k_dim - c0 : IG_RVV_ROW_CHUNK);
    const int8_t *q = w + (size_t)c0 * (size_t)h, *xp = x + c0;
    for (size_t off = 0, vl; off < width; off += vl) {
      vl = __riscv_vsetvl_e8m4(width - off);
      vint8m4_t xv = __riscv_vle8_v_i8m4(xp + off, vl);
      a0 = __riscv_vwredsum_vs_i16m8_i32m1(__riscv_vwmul_vv_i16m8(__riscv_vle8_v_i8m4(q + off, vl), xv, vl), a0, vl);
      if (h > 1)
        a1 = __riscv_vwredsum_vs_i16m8_i32m1(
            __riscv_vwmul_vv_i16m8(__riscv_vle8_v_i8m4(q + width + off, vl), xv, vl), a1, vl);
      if (h > 2)
        a2 = __riscv_vwredsum_vs_i16m8_i32m1(
            __riscv_vwmul_vv_i16m8(__riscv_vle8_v_i8m4(q + 2 * width + off, vl), xv, vl), a2, vl);
      if (h > 3)
        a3 = __riscv_vwredsum_vs_i16m8_i32m1(
            __riscv_vwmul_vv_i16m8(__riscv_vle8_v_i8m4(q + 3 * width + off, vl), xv, vl), a3, vl);
    }
  }
  out[0] = __riscv_vmv_x_s_i32m1_i32(a0);
  out[1] = __riscv_vmv_x_s_i32m1_i32(a1);
  out[2] = __riscv_vmv_x_s_i32m1_i32(a2);
  out[3] = __riscv_vmv_x_s_i32m1_i32(a3);
}

/* One pair's step: its bytes (at q) times x (v8-v11) as they are (into v<raw>) and masked to the high nibble
 * (into v<hi>), both reduced (e16m8) into element 0 of the accumulators. */
#define IG_RVV_PAIR(q, hi, raw)                                                                                     \
  "vle8.v v12, (%[" q "])\n\t" "vwmul.vv v16, v12, v8\n\t"                                                          \
  "vand.vi v12, v12, -16\n\t" "vwmul.vv v24, v12, v8\n\t"                                                           \
  "vsetvli zero, zero, e16, m8, ta, ma\n\t"                                                                         \
  "vwredsum.vs v" raw ", v16, v" raw "\n\t" "vwredsum.vs v" hi ", v24, v" hi "\n\t"

/* Four int4 row pairs (eight rows; pair r at p + r * k_dim) against x[0..k_dim): the eight rows' dot products,
 * decoded (ig_kernels.h; sx = sum of x[0..k_dim)), written to out[0..8). Per step of vl bytes: 5 loads,
 * 4 VAND, 8 VWMUL, 8 VWREDSUM, 8 VSETVLI, 7 scalar instructions; lanes = ig_rvv_lanes32(). The decode runs on
 * eight int32 at LMUL 2, which VLEN >= 128 (the V extension's minimum, Zvl128b) holds. */
IG_INLINE void ig_dot4pairs_s8w4(const int8_t *x, const int8_t *p, int32_t k_dim, int32_t sx, size_t lanes,
                                 int32_t *out) {
  const size_t kd = (size_t)k_dim;
  const int8_t *xp = x, *q0 = p, *q1 = q0 + kd, *q2 = q1 + kd, *q3 = q2 + kd;
  size_t left = kd, vl;
  int32_t sx8 = (int32_t)((uint32_t)sx << 3);
  __asm__ volatile(
      "vsetvli %[vl], zero, e32, m8, ta, ma\n\t"
      "vmv.v.i v0, 0\n\t" /* v<2r> = masked (16 S_even), v<2r+1> = raw sums of pair r */
      "1:\n\t"
      "vsetvli %[vl], %[left], e8, m4, ta, ma\n\t"
      "vle8.v v8, (%[xp])\n\t"
      IG_RVV_PAIR("q0", "0", "1")
      "vsetvli zero, zero, e8, m4, ta, ma\n\t"
      IG_RVV_PAIR("q1", "2", "3")
      "vsetvli zero, zero, e8, m4, ta, ma\n\t"
      IG_RVV_PAIR("q2", "4", "5")
      "vsetvli zero, zero, e8, m4, ta, ma\n\t"
      IG_RVV_PAIR("q3", "6", "7")
      "add %[xp], %[xp], %[vl]\n\t" "add %[q0], %[q0], %[vl]\n\t" "add %[q1], %[q1], %[vl]\n\t"
      "add %[q2], %[q2], %[vl]\n\t" "add %[q3], %[q3], %[vl]\n\t"
      "sub %[left], %[left], %[vl]\n\t"
      "bnez %[left], 1b\n\t"
      /* g = [16 S_even0, S_raw0, 16 S_even1, S_raw1, ...] (element 0 of v0..v7), then decoded: even lanes
       * S_even = g >> 4, odd lanes S_odd = S_raw - 16 S_even - 8 sx */
      IG_RVV_GATHER8
      "vsetivli zero, 8, e32, m2, ta, ma\n\t"
      "vslide1up.vx v18, v16, zero\n\t"
      "vsub.vv v18, v16, v18\n\t"
      "vsub.vx v18, v18, %[sx8]\n\t"
      "vsra.vi v16, v16, 4\n\t"
      "vid.v v20\n\t"
      "vand.vi v20, v20, 1\n\t"
      "vmsne.vi v0, v20, 0\n\t"
      "vmerge.vvm v16, v16, v18, v0\n\t"
      "vse32.v v16, (%[out])\n\t"
      : [xp] "+r"(xp), [q0] "+r"(q0), [q1] "+r"(q1), [q2] "+r"(q2), [q3] "+r"(q3), [left] "+r"(left),
        [vl] "=&r"(vl)
      : [lanes] "r"(lanes), [out] "r"(out), [sx8] "r"(sx8)
      : IG_RVV_CLOBBERS_V);
}
#undef IG_RVV_2ROWS
#undef IG_RVV_ROW_PAIRED
#undef IG_RVV_E8M4
#undef IG_RVV_PAIR

/* Output channels n0 .. n0 + count of a fully connected layer from their accumulators acc[0..count):
 * y[n] = clamp(requant(acc[n - n0] + bias[n], mult[n], shift[n]) + y_zp, act_min, act_max) (the sum wraps, as the
 * reference's int32 accumulator), stored as int8, int16 or int32 (out_bytes 1, 2 or 4, a constant after inlining).
 * y_zp is added saturating, as the definition's int64 sum followed by the clamp (act_min / act_max lie inside
 * int32); the clamped values lie inside the output type, so the narrowing (VNCVT, one per halving) is exact. */
IG_INLINE void ig_output_block(const int32_t *acc, int32_t n0, int32_t count, const int32_t *bias,
                               const int32_t *mult, const int32_t *shift, int32_t y_zp, int32_t act_min,
                               int32_t act_max, void *y, int32_t out_bytes) {
  char *yb = (char *)y + (size_t)n0 * (size_t)out_bytes;
  bias += n0, mult += n0, shift += n0;
  for (size_t left = (size_t)count, vl; left > 0;
       left -= vl, acc += vl, bias += vl, mult += vl, shift += vl, yb += vl * out_bytes) {
    vl = __riscv_vsetvl_e32m4(left);
    vint32m4_t a = __riscv_vadd_vv_i32m4(__riscv_vle32_v_i32m4(acc, vl), __riscv_vle32_v_i32m4(bias, vl), vl);
    vint32m4_t sh = __riscv_vle32_v_i32m4(shift, vl);
    vint32m4_t left_sh = __riscv_vmax_vx_i32m4(sh, 0, vl);
    vint32m4_t neg_right = __riscv_vmin_vx_i32m4(sh, 0, vl); /* -(right shift) */
    a = __riscv_vsll_vv_i32m4(a, __riscv_vreinterpret_v_i32m4_u32m4(left_sh), vl); /* wraps, as the reference */
    a = __riscv_vsmul_vv_i32m4(a, __riscv_vle32_v_i32m4(mult, vl), IG_RNU, vl);
    /* -1 for negative values that are shifted right: round-half-up becomes round-half-away-from-zero */
    a = __riscv_vsadd_vv_i32m4(a, __riscv_vsra_vx_i32m4(__riscv_vand_vv_i32m4(a, neg_right, vl), 31, vl), vl);
    a = __riscv_vssra_vv_i32m4(a, __riscv_vreinterpret_v_i32m4_u32m4(__riscv_vneg_v_i32m4(neg_right, vl)), IG_RNU, vl);
    a = __riscv_vsadd_vx_i32m4(a, y_zp, vl);
    a = __riscv_vmin_vx_i32m4(__riscv_vmax_vx_i32m4(a, act_min, vl), act_max, vl);
    if (out_bytes == 4) {
      __riscv_vse32_v_i32m4((int32_t *)yb, a, vl);
    } else {
      vint16m2_t h = __riscv_vncvt_x_x_w_i16m2(a, vl);
      if (out_bytes == 2) __riscv_vse16_v_i16m2((int16_t *)yb, h, vl);
      else __riscv_vse8_v_i8m1((int8_t *)yb, __riscv_vncvt_x_x_w_i8m1(h, vl), vl);
    }
  }
}

/* ---------------------------------------------------------------- grouped fully connected, blocked layout
 * The layout codegen/packing.py gives the grouped kernels of this family when group_size is a multiple of 4 and
 * there are at most IG_GROUPED_MAX_GROUPS groups (ig_grouped_blocked; else the row layouts of ig_kernels.h with the
 * scales transposed to [G, N]). Vector-length agnostic: blocks of IG_GROUPED_BLOCK rows (int8) or row pairs (int4),
 * the last block narrower (W = what is left, no padding); a kernel runs a block in slices of vl rows / pairs.
 *   int8: per block, for each column quad the W rows' 4 bytes (a segment load VLSEG4E8 gives the quad's four
 *     columns in four registers, one row per element); per block and group the W rows' scale differences
 *     d_g = s_g - s_{g+1} (s_G = 0, int32): the int32 sums are cumulative over the groups, acc = sum_g d_g C_g.
 *   int4: the row pairs of ig_kernels.h (byte 16 w[2p] + w[2p+1] + 8), per block for each column pair the W
 *     pairs' 2 bytes (VLSEG2E8); per block and group the scales as int16, the W pairs' even rows then odd rows.
 *     Nibbles split in registers (VSRA: the even row, VAND 15: the odd row + 8), multiplied by x[k] (VWMACC.VX)
 *     into int16 sums of at most 16 columns, which are multiplied by the int16 scales into int32 (VWMACC.VV);
 *     the odd rows' 8 sum(x) once per group.
 * A row's outputs are its lane of a vector: no reduction per group. */
#define IG_GROUPED_MAX_GROUPS 1024
#define IG_GROUPED_BLOCK 128

/* Whether (k_dim, group_size) has the blocked layout (codegen/packing.py grouped_layout: the same test). */
IG_INLINE int ig_grouped_blocked(int32_t k_dim, int32_t group_size) {
  return group_size % 4 == 0 && k_dim / group_size <= IG_GROUPED_MAX_GROUPS;
}
#endif
