/* Kernel entry points. Every kernel family (kernels/<family>/) implements the same signatures and must
 * match quant/reference.py bit for bit; kernels/scalar/ is the portable definition in C. */
#ifndef IG_KERNELS_H
#define IG_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/* y[n] = clamp(requant(bias[n] + sum_k x[k] * w[n*k_dim + k], mult[n], shift[n]) + y_zp, act_min, act_max).
 * `bias` already holds b - x_zp * sum_k w[n, k] (folded at code generation), so x is used as stored. */
void ig_fc_s8(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult,
              const int32_t *shift, int32_t k_dim, int32_t n_dim, int32_t y_zp, int32_t act_min,
              int32_t act_max, int8_t *y);

void ig_relu_s8(const int8_t *x, int32_t len, int8_t zero_point, int8_t *y);

/* y[n] = sum_k x[k] * w[n*k_dim + k] + b[n], then max(y, 0) if relu. */
void ig_fc_f32(const float *x, const float *w, const float *b, int32_t k_dim, int32_t n_dim, int relu, float *y);

void ig_relu_f32(const float *x, int32_t len, float *y);
#endif
