/* The head and row loops of the FP32 attention kernels (quant/ops/float_ops.py), shared by every family: each calls a
 * family's row function for one query row. Activations are [t, heads * head_dim] (k and v with kv_heads), scores
 * and probabilities [heads, t, s]; query head h reads key / value head h / group. */
#ifndef IG_ATTENTION_F32_H
#define IG_ATTENTION_F32_H
#include <stddef.h>
#include <stdint.h>

#include "ig_attention.h"

/* matmul_qk_f32, one query row qi against the s keys of its head (kh, rows kw apart): yr[j] = scale * qi . k_j */
typedef void ig_qk_row_f32_fn(const float *qi, const float *kh, int32_t kw, int32_t s, int32_t head_dim, float scale,
                              float *yr);

static inline __attribute__((always_inline)) void ig_qk_rows_f32(const float *q, const float *k, int32_t t,
                                                                  int32_t s, int32_t heads, int32_t kv_heads,
                                                                  int32_t head_dim, float scale, float *y,
                                                                  ig_qk_row_f32_fn *row) {
  const int32_t group = heads / kv_heads, qw = heads * head_dim, kw = kv_heads * head_dim;
  for (int32_t h = 0; h < heads; h++) {
    const float *kh = k + (size_t)(h / group) * (size_t)head_dim;
    for (int32_t i = 0; i < t; i++) {
      const float *qi = q + (size_t)i * (size_t)qw + (size_t)h * (size_t)head_dim;
      row(qi, kh, kw, s, head_dim, scale, y + ((size_t)h * (size_t)t + (size_t)i) * (size_t)s);
    }
  }
}

/* matmul_pv_f32, one probability row pr over the s value rows of its head (vh, rows vw apart): yr = pr . v */
typedef void ig_pv_row_f32_fn(const float *pr, const float *vh, int32_t vw, int32_t s, int32_t head_dim, float *yr);

static inline __attribute__((always_inline)) void ig_pv_rows_f32(const float *p, const float *v, int32_t t,
                                                                  int32_t s, int32_t heads, int32_t kv_heads,
                                                                  int32_t head_dim, float *y, ig_pv_row_f32_fn *row) {
  const int32_t group = heads / kv_heads, yw = heads * head_dim, vw = kv_heads * head_dim;
  for (int32_t h = 0; h < heads; h++) {
    const float *vh = v + (size_t)(h / group) * (size_t)head_dim;
    for (int32_t i = 0; i < t; i++) {
      const float *pr = p + ((size_t)h * (size_t)t + (size_t)i) * (size_t)s;
      row(pr, vh, vw, s, head_dim, y + (size_t)i * (size_t)yw + (size_t)h * (size_t)head_dim);
    }
  }
}

/* softmax_f32, one row of s scores of which the first `valid` are unmasked (ig_valid_keys) */
typedef void ig_softmax_row_f32_fn(const float *xr, float *yr, int32_t valid, int32_t s);

static inline __attribute__((always_inline)) void ig_softmax_rows_f32(const float *x, int32_t groups, int32_t t,
                                                                       int32_t s, int32_t causal, float *y,
                                                                       ig_softmax_row_f32_fn *row) {
  for (int32_t g = 0; g < groups; g++) {
    for (int32_t i = 0; i < t; i++) {
      size_t base = ((size_t)g * (size_t)t + (size_t)i) * (size_t)s;
      row(x + base, y + base, ig_valid_keys(causal, s, t, i), s);
    }
  }
}
#endif
