/* Fully connected with int16 activations on the int8 kernels (codegen/op_calls.py _fc_s16_split): x = 256 hi + lo
 * (+ 128 carry at the top of the range) with hi, lo int8, so sum x w = 256 sum hi w + sum lo w (+ 128 sum carry w),
 * each an int8 dot product that the target's SIMD kernel computes exactly; the hi and carry products go into the
 * bias of the lo product (ig_fc_s16_bias, modulo 2^32; exact: validation bounds the sum, quant/ops/checks.py
 * check_fully_connected_wide), whose kernel requantizes. */
#include "ig_fixedpoint.h"
#include "ig_ops.h"

/* x[k] = 256 hi[k] + 128 carry[k] + lo[k] with hi, lo int8, carry 0 or 1: hi = (x + 128) >> 8, lo = x - 256 hi in
 * [-128, 127], except for x >= 32640, where (x + 128) >> 8 = 128 does not fit int8: hi = 127, carry = 1 and
 * lo = x - 32640. Returns bit 0 set when some hi[k] is not 0 and bit 1 when some carry[k] is 1 (the hi and carry
 * products need not run otherwise). */
/* (branch-free, so that the compilers vectorize it: GCC only when asked, below -O3) */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("tree-vectorize")))
#endif
IG_WEAK int32_t ig_split_s16(const int16_t *x, int32_t k_dim, int8_t *hi, int8_t *carry, int8_t *lo) {
  int32_t any = 0, top = 0;
  for (int32_t k = 0; k < k_dim; k++) {
    int32_t v = x[k], h = (v + 128) >> 8, c = h == 128;
    h -= c;
    hi[k] = (int8_t)h;
    carry[k] = (int8_t)c;
    lo[k] = (int8_t)(v - h * 256 - c * 128);
    any |= h;
    top |= c;
  }
  return (any != 0) | (top << 1);
}

/* out[i] = bias[i] + factor[i] * (256 acc_hi[row[i]] + 128 acc_carry[row[i]]) modulo 2^32, or bias[i] where
 * row[i] = -1 (a padding row of the kernel's layout); acc_hi / acc_carry may be NULL (all 0). */
IG_WEAK void ig_fc_s16_bias(const int32_t *acc_hi, const int32_t *acc_carry, const int32_t *bias, const int32_t *row,
                            const int32_t *factor, int32_t rows, int32_t *out) {
  for (int32_t i = 0; i < rows; i++) {
    uint32_t v = 0;
    int32_t r = row[i];
    if (r >= 0) {
      if (acc_hi) v += (uint32_t)acc_hi[r] << 8;
      if (acc_carry) v += (uint32_t)acc_carry[r] << 7;
    }
    out[i] = (int32_t)((uint32_t)bias[i] + (uint32_t)factor[i] * v);
  }
}
