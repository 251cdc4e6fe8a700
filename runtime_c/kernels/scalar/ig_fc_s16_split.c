/* Fully connected with int16 activations on the int8 kernels (codegen/op_calls.py _fc_s16_split): x = 256 hi + lo
 * (+ 128 carry at the top of the range) with hi, lo int8, so sum x w = 256 sum hi w + sum lo w (+ 128 sum carry w),
 * each an int8 dot product that the target's SIMD kernel computes exactly; ig_fc_s16_finish adds them modulo 2^32 (exact: validation bounds the sum, quant/ops/
 * checks.py check_fully_connected_wide) and requantizes. */
#include "ig_fixedpoint.h"
#include "ig_ops.h"

/* x[k] = 256 hi[k] + 128 carry[k] + lo[k] with hi, lo int8, carry 0 or 1: hi = (x + 128) >> 8, lo = x - 256 hi in
 * [-128, 127], except for x >= 32640, where (x + 128) >> 8 = 128 does not fit int8: hi = 127, carry = 1 and
 * lo = x - 32640. Returns bit 0 set when some hi[k] is not 0 and bit 1 when some carry[k] is 1 (the hi and carry
 * products need not run otherwise). */
IG_WEAK int32_t ig_split_s16(const int16_t *x, int32_t k_dim, int8_t *hi, int8_t *carry, int8_t *lo) {
  int32_t any = 0, top = 0;
  for (int32_t k = 0; k < k_dim; k++) {
    int32_t h = ((int32_t)x[k] + 128) >> 8, c = h == 128;
    h -= c;
    hi[k] = (int8_t)h;
    carry[k] = (int8_t)c;
    lo[k] = (int8_t)((int32_t)x[k] - h * 256 - c * 128);
    any |= h;
    top |= c;
  }
  return (any != 0) | (top << 1);
}

static inline __attribute__((always_inline)) void finish(const int32_t *acc_hi, const int32_t *acc_carry,
                                                         const int32_t *acc_lo,
                                                         const int32_t *bias, const int32_t *mult,
                                                         const int32_t *shift, int32_t n_dim, int32_t y_zp,
                                                         int32_t act_min, int32_t act_max, void *y, int32_t yb) {
  for (int32_t n = 0; n < n_dim; n++) {
    uint32_t acc = (uint32_t)bias[n] + (uint32_t)acc_lo[n];
    if (acc_hi) acc += (uint32_t)acc_hi[n] << 8;
    if (acc_carry) acc += (uint32_t)acc_carry[n] << 7;
    ig_store(y, n, ig_output_i32((int32_t)acc, mult[n], shift[n], y_zp, act_min, act_max), yb);
  }
}

#define IG_FC_S16_FINISH_DEF(D_, Y, YT)                                                                           \
  IG_WEAK void ig_fc_s16_finish_##Y(const int32_t *acc_hi, const int32_t *acc_carry, const int32_t *acc_lo,        \
                                    const int32_t *bias,                                                         \
                                    const int32_t *mult, const int32_t *shift, int32_t n_dim, int32_t y_zp,      \
                                    int32_t act_min, int32_t act_max, YT *y) {                                   \
    finish(acc_hi, acc_carry, acc_lo, bias, mult, shift, n_dim, y_zp, act_min, act_max, y, sizeof(YT));                     \
  }
IG_FOR_A(IG_FC_S16_FINISH_DEF, _)
