/* The run-time half of fully_connected_asym (quant/ops/linear_quant.py) on the grouped kernels: with int8 input
 * the layer is the grouped fully connected layer of its group scales plus the term
 * sum_g group_offset[n, g] * sum_{k in g} x[k], which depends on x and so is added to the bias at run time
 * (codegen/op_calls_quant.py). Portable C for every family: it is N * K / group_size multiply-accumulates against
 * the layer's N * K: blocks of 16 rows in the compilers' generic vectors where the core has SIMD (NEON, RVV), of
 * four rows in registers where it has not. All sums modulo 2^32 like the reference's accumulator. */
#include "ig_fixedpoint.h"
#include "ig_ops_quant.h"

IG_WEAK void ig_group_sums_s8(const int8_t *x, int32_t k_dim, int32_t group_size, int32_t *t) {
  for (int32_t g = 0, k = 0; k < k_dim; g++) {
    int32_t s = 0; /* |s| <= 128 * group_size */
    for (int32_t end = k + group_size; k < end; k++) s += x[k];
    t[g] = s;
  }
}

#if defined(__ARM_NEON) || defined(__riscv_vector)
/* four lanes of uint32 as the compilers' generic vectors (NEON / RVV registers), loads through memcpy */
typedef uint32_t ig_u32x4 __attribute__((vector_size(16)));

static inline ig_u32x4 ig_load_u32x4(const int32_t *p) {
  ig_u32x4 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

/* rows [0, rows rounded down to 16): four vectors of four rows, t[g] broadcast */
static inline int32_t offset_bias_blocks(const int32_t *t, int32_t groups, const int32_t *offset,
                                         const int32_t *bias, int32_t rows, int32_t *out) {
  int32_t i = 0;
  for (; i + 16 <= rows; i += 16) {
    ig_u32x4 a0 = ig_load_u32x4(bias + i), a1 = ig_load_u32x4(bias + i + 4), a2 = ig_load_u32x4(bias + i + 8),
             a3 = ig_load_u32x4(bias + i + 12);
    const int32_t *o = offset + i;
    for (int32_t g = 0; g < groups; g++, o += rows) {
      uint32_t tg = (uint32_t)t[g];
      a0 += ig_load_u32x4(o) * tg;
      a1 += ig_load_u32x4(o + 4) * tg;
      a2 += ig_load_u32x4(o + 8) * tg;
      a3 += ig_load_u32x4(o + 12) * tg;
    }
    __builtin_memcpy(out + i, &a0, sizeof a0);
    __builtin_memcpy(out + i + 4, &a1, sizeof a1);
    __builtin_memcpy(out + i + 8, &a2, sizeof a2);
    __builtin_memcpy(out + i + 12, &a3, sizeof a3);
  }
  return i;
}
#else
/* rows [0, rows rounded down to 4): four accumulators in registers (scalar cores) */
static inline int32_t offset_bias_blocks(const int32_t *t, int32_t groups, const int32_t *offset,
                                         const int32_t *bias, int32_t rows, int32_t *out) {
  int32_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    uint32_t a0 = (uint32_t)bias[i], a1 = (uint32_t)bias[i + 1], a2 = (uint32_t)bias[i + 2], a3 = (uint32_t)bias[i + 3];
    const int32_t *o = offset + i;
    for (int32_t g = 0; g < groups; g++, o += rows) {
      uint32_t tg = (uint32_t)t[g];
      a0 += (uint32_t)o[0] * tg;
      a1 += (uint32_t)o[1] * tg;
      a2 += (uint32_t)o[2] * tg;
      a3 += (uint32_t)o[3] * tg;
    }
    out[i] = (int32_t)a0;
    out[i + 1] = (int32_t)a1;
    out[i + 2] = (int32_t)a2;
    out[i + 3] = (int32_t)a3;
  }
  return i;
}
#endif

IG_WEAK void ig_offset_bias(const int32_t *t, int32_t groups, const int32_t *offset, const int32_t *bias,
                            int32_t rows, int32_t *out) {
  for (int32_t i = offset_bias_blocks(t, groups, offset, bias, rows, out); i < rows; i++) {
    uint32_t acc = (uint32_t)bias[i];
    for (int32_t g = 0; g < groups; g++) acc += (uint32_t)offset[(size_t)g * (size_t)rows + (size_t)i] * (uint32_t)t[g];
    out[i] = (int32_t)acc;
  }
}
