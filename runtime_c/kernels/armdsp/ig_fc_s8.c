/* Fully connected, int8 activations and weights: Cortex-M4/M7 DSP (SXTB16 + SMLAD), four output channels at a
 * time sharing the split activations; weights in this family's 4-row interleaved layout (ig_armdsp_common.h). */
#include "ig_armdsp_common.h"
#include "ig_kernels.h"

void ig_fc_s8(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult,
              const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,
              int32_t act_max, int8_t *y) {
  int32_t n = 0;
  for (; n + 4 <= n_dim; n += 4) {
    int32_t acc[4] = {bias[n], bias[n + 1], bias[n + 2], bias[n + 3]};
    ig_blk_dot_s8(x, w + (size_t)n * (size_t)k_dim, k_dim, 0, k_dim, acc);
    for (int32_t r = 0; r < 4; r++) y[n + r] = ig_output_s8(acc[r], mult[n + r], shift[n + r], y_zp, act_min, act_max);
  }
  for (; n < n_dim; n++) { /* the last N % 4 rows, row-major */
    const int8_t *w0 = w + (size_t)n * (size_t)k_dim, *xp = x;
    int32_t a0 = bias[n], k = 0;
    for (; k + 4 <= k_dim; k += 4, xp += 4, w0 += 4) {
      uint32_t xv = ig_ld32(xp), v = ig_ld32(w0);
      a0 = __smlad(__sxtb16(v), __sxtb16(xv), a0);
      a0 = __smlad(ig_sxtb16_ror8(v), ig_sxtb16_ror8(xv), a0);
    }
    for (; k < k_dim; k++) a0 += (int32_t)x[k] * *w0++;
    y[n] = ig_output_s8(a0, mult[n], shift[n], y_zp, act_min, act_max);
  }
}
