/* Fully connected, FP32: the portable baseline. Four output rows at a time share each load of x, each row has
 * its own accumulator (four independent dependency chains). Where the target has a fused multiply-add
 * instruction (__FP_FAST_FMAF: FPv4/FPv5 on Cortex-M4F/M7, F on RV64GC) the MAC is one fused instruction;
 * without an FPU (Cortex-M4, RV32IMC) it is a multiply and an add, each a soft-float helper call. */
#include "ig_fixedpoint.h"
#include "ig_kernels.h"

#if defined(__FP_FAST_FMAF)
#define IG_MAC(acc, a, b) __builtin_fmaf((a), (b), (acc))
#else
#define IG_MAC(acc, a, b) ((acc) + (a) * (b))
#endif

IG_WEAK void ig_fc_f32(const float *x, const float *w, const float *b, int32_t k_dim, int32_t n_dim, int relu, float *y) {
  int32_t n = 0;
  for (; n + 4 <= n_dim; n += 4) {
    const float *r0 = w + (size_t)n * (size_t)k_dim, *r1 = r0 + k_dim, *r2 = r1 + k_dim, *r3 = r2 + k_dim;
    float a0 = b[n], a1 = b[n + 1], a2 = b[n + 2], a3 = b[n + 3];
    for (int32_t k = 0; k < k_dim; k++) {
      float xk = x[k];
      a0 = IG_MAC(a0, xk, r0[k]);
      a1 = IG_MAC(a1, xk, r1[k]);
      a2 = IG_MAC(a2, xk, r2[k]);
      a3 = IG_MAC(a3, xk, r3[k]);
    }
    y[n] = (relu && a0 < 0.0f) ? 0.0f : a0;
    y[n + 1] = (relu && a1 < 0.0f) ? 0.0f : a1;
    y[n + 2] = (relu && a2 < 0.0f) ? 0.0f : a2;
    y[n + 3] = (relu && a3 < 0.0f) ? 0.0f : a3;
  }
  for (; n < n_dim; n++) {
    const float *row = w + (size_t)n * (size_t)k_dim;
    float acc = b[n];
    for (int32_t k = 0; k < k_dim; k++) acc = IG_MAC(acc, x[k], row[k]);
    y[n] = (relu && acc < 0.0f) ? 0.0f : acc;
  }
}
