/* argmax over a row (greedy decoding) for RVV 1.0, vector-length agnostic: the first largest, as the portable kernel.
 * One pass over pairs of LMUL-8 chunks (VMAX of the two, VREDMAX to the pair's largest), then single chunks to the
 * end (the last one shorter); a block whose largest is strictly above the running best becomes the place to search
 * from (the best's first occurrence is in the earliest block that reached it); VMSEQ + VFIRST find it there. */
#include <stdint.h>

#include "ig_rvv_api.h"
#include "ig_ops.h"

/* a block whose largest is strictly above the best so far: the new best and where to search */
static inline __attribute__((always_inline)) void ig_argmax_keep(int32_t v, size_t i, int32_t *best, size_t *at) {
  if (v > *best) {
    *best = v;
    *at = i;
  }
}

#define IG_RVV_ARGMAX_DEF(X, XT, E, B, XMIN)                                                                      \
  int32_t ig_argmax_##X(const XT *x, int32_t len) {                                                               \
    if (len <= 0) return 0;                                                                                       \
    size_t n = (size_t)len, i = 0, at = 0, vlmax = __riscv_vsetvlmax_e##E##m8();                                  \
    int32_t best = XMIN;                                                                                          \
    vint##E##m1_t init = __riscv_vmv_s_x_i##E##m1((XT)(XMIN), 1);                                                 \
    for (; i + 2 * vlmax <= n; i += 2 * vlmax) {                                                                  \
      vint##E##m8_t v = __riscv_vmax_vv_i##E##m8(__riscv_vle##E##_v_i##E##m8(x + i, vlmax),                       \
                                                 __riscv_vle##E##_v_i##E##m8(x + i + vlmax, vlmax), vlmax);       \
      int32_t m = __riscv_vmv_x_s_i##E##m1_i##E(__riscv_vredmax_vs_i##E##m8_i##E##m1(v, init, vlmax));            \
      ig_argmax_keep(m, i, &best, &at);                                                                              \
    }                                                                                                             \
    for (size_t vl; i < n; i += vl) {                                                                             \
      vl = __riscv_vsetvl_e##E##m8(n - i);                                                                        \
      vint##E##m8_t v = __riscv_vle##E##_v_i##E##m8(x + i, vl);                                                   \
      int32_t m = __riscv_vmv_x_s_i##E##m1_i##E(__riscv_vredmax_vs_i##E##m8_i##E##m1(v, init, vl));               \
      ig_argmax_keep(m, i, &best, &at);                                                                              \
    }                                                                                                             \
    for (size_t vl;; at += vl) { /* ends within the block found: it holds the best */                            \
      vl = __riscv_vsetvl_e##E##m8(n - at);                                                                       \
      vint##E##m8_t v = __riscv_vle##E##_v_i##E##m8(x + at, vl);                                                  \
      long f = __riscv_vfirst_m_b##B(__riscv_vmseq_vx_i##E##m8_b##B(v, (XT)best, vl), vl);                        \
      if (f >= 0) return (int32_t)(at + (size_t)f);                                                               \
    }                                                                                                             \
  }

IG_RVV_ARGMAX_DEF(s8, int8_t, 8, 1, INT8_MIN)
IG_RVV_ARGMAX_DEF(s16, int16_t, 16, 2, INT16_MIN)
IG_RVV_ARGMAX_DEF(s32, int32_t, 32, 4, INT32_MIN)
