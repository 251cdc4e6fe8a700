/* argmax over a row (greedy decoding) for AArch64 NEON: the first largest, as the portable kernel.
 * One pass over blocks of sixteen vectors: SMAX folds a block into one vector, SMAXV to its largest value; a block
 * whose largest is strictly above the running best becomes the block to search (so the final best's first
 * occurrence is in the earliest block that reached it). Then single vectors, then the last elements one by one,
 * and a scalar search of the chosen block for the first element equal to the best. */
#include <arm_neon.h>

#include "ig_fixedpoint.h"
#include "ig_ops.h"

/* the lanewise largest of sixteen vectors from p */
/* a block whose largest is strictly above the best so far: the new best and where to search */
static inline __attribute__((always_inline)) void ig_argmax_keep(int32_t v, int32_t i, int32_t *best, int32_t *at) {
  if (v > *best) {
    *best = v;
    *at = i;
  }
}

#define IG_MAX4(SFX, p) IG_MAX4_OF(SFX, vld1q_##SFX##_x4(p))
#define IG_MAX4_OF(SFX, q) vmaxq_##SFX(vmaxq_##SFX((q).val[0], (q).val[1]), vmaxq_##SFX((q).val[2], (q).val[3]))
#define IG_MAX16(SFX, p, LANES)                                                                                      \
  vmaxq_##SFX(vmaxq_##SFX(IG_MAX4(SFX, p), IG_MAX4(SFX, (p) + 4 * (LANES))),                                         \
              vmaxq_##SFX(IG_MAX4(SFX, (p) + 8 * (LANES)), IG_MAX4(SFX, (p) + 12 * (LANES))))

#define IG_NEON_ARGMAX_DEF(X, XT, V, SFX, LANES, XMIN)                                                               \
  int32_t ig_argmax_##X(const XT *x, int32_t len) {                                                                  \
    int32_t best = XMIN, at = 0, i = 0;                                                                              \
    for (; i + 16 * (LANES) <= len; i += 16 * (LANES)) {                                                             \
      V##_t m = IG_MAX16(SFX, x + i, LANES);                                                                         \
      int32_t v = vmaxvq_##SFX(m);                                                                                   \
      ig_argmax_keep(v, i, &best, &at);                                                                              \
    }                                                                                                                \
    for (; i + (LANES) <= len; i += (LANES)) {                                                                       \
      int32_t v = vmaxvq_##SFX(vld1q_##SFX(x + i));                                                                  \
      ig_argmax_keep(v, i, &best, &at);                                                                              \
    }                                                                                                                \
    for (; i < len; i++) {                                                                                           \
      at = x[i] > best ? i : at;                                                                                     \
      best = x[i] > best ? x[i] : best;                                                                              \
    }                                                                                                                \
    if (len <= 0) return 0;                                                                                          \
    while (x[at] != best) at++; /* ends inside the chosen block: it holds the best */                                \
    return at;                                                                                                       \
  }

IG_NEON_ARGMAX_DEF(s8, int8_t, int8x16, s8, 16, INT8_MIN)
IG_NEON_ARGMAX_DEF(s16, int16_t, int16x8, s16, 8, INT16_MIN)
IG_NEON_ARGMAX_DEF(s32, int32_t, int32x4, s32, 4, INT32_MIN)
