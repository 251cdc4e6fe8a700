/* argmax over a row (greedy decoding) for Helium (MVE, Cortex-M55): the first largest, as the portable kernel.
 * One pass over blocks of sixteen vectors: VMAX folds a block into one vector, VMAXV to its largest value; a block
 * whose largest is strictly above the running best becomes the block to search (the best's first occurrence is in
 * the earliest block that reached it). Then single vectors, the last len % lanes by one tail-predicated step
 * (VMAXV under a VCTP predicate), and a scalar search of the chosen block. */
#include <arm_mve.h>

#include "ig_fixedpoint.h"
#include "ig_ops.h"

/* the lanewise largest of eight vectors from p */
/* a block whose largest is strictly above the best so far: the new best and where to search */
static inline __attribute__((always_inline)) void ig_argmax_keep(int32_t v, int32_t i, int32_t *best, int32_t *at) {
  if (v > *best) {
    *best = v;
    *at = i;
  }
}

#define IG_MVE_MAX8(SFX, LD, p, LANES)                                                                               \
  vmaxq_##SFX(vmaxq_##SFX(vmaxq_##SFX(LD(p), LD((p) + (LANES))),                                                     \
                          vmaxq_##SFX(LD((p) + 2 * (LANES)), LD((p) + 3 * (LANES)))),                                \
              vmaxq_##SFX(vmaxq_##SFX(LD((p) + 4 * (LANES)), LD((p) + 5 * (LANES))),                                 \
                          vmaxq_##SFX(LD((p) + 6 * (LANES)), LD((p) + 7 * (LANES)))))

#define IG_MVE_ARGMAX_DEF(X, XT, V, SFX, LD, LDZ, CTP, LANES, XMIN)                                                  \
  int32_t ig_argmax_##X(const XT *x, int32_t len) {                                                                  \
    int32_t best = XMIN, at = 0, i = 0;                                                                              \
    for (; i + 16 * (LANES) <= len; i += 16 * (LANES)) {                                                             \
      V m = vmaxq_##SFX(IG_MVE_MAX8(SFX, LD, x + i, LANES), IG_MVE_MAX8(SFX, LD, x + i + 8 * (LANES), LANES));       \
      int32_t v = vmaxvq_##SFX((XT)(XMIN), m);                                                                       \
      ig_argmax_keep(v, i, &best, &at);                                                                              \
    }                                                                                                                \
    for (; i < len; i += (LANES)) {                                                                                  \
      mve_pred16_t pr = CTP((uint32_t)(len - i));                                                                    \
      int32_t v = vmaxvq_p_##SFX((XT)(XMIN), LDZ(x + i, pr), pr);                                                    \
      ig_argmax_keep(v, i, &best, &at);                                                                              \
    }                                                                                                                \
    if (len <= 0) return 0;                                                                                          \
    while (x[at] != best) at++; /* ends inside the chosen block: it holds the best */                                \
    return at;                                                                                                       \
  }

IG_MVE_ARGMAX_DEF(s8, int8_t, int8x16_t, s8, vldrbq_s8, vldrbq_z_s8, vctp8q, 16, INT8_MIN)
IG_MVE_ARGMAX_DEF(s16, int16_t, int16x8_t, s16, vldrhq_s16, vldrhq_z_s16, vctp16q, 8, INT16_MIN)
IG_MVE_ARGMAX_DEF(s32, int32_t, int32x4_t, s32, vldrwq_s32, vldrwq_z_s32, vctp32q, 4, INT32_MIN)
