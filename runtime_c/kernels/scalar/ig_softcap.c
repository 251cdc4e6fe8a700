/* softcap (quant/ops/softcap.py): c tanh(x / c) as the integer tanh 2 sigmoid(2u) - 1 of ig_fixed64.h's sigmoid:
 * ig_softcap_portable (ig_activations.h), 32-bit rescales and sigmoid where the plan fits, else the definition's
 * int64 steps. Portable C: mve links it, and every family for int32 inputs. */
#include "ig_activations.h"
#include "ig_ops.h"

#define IG_SOFTCAP_DEF(D_, X, XT, Y, YT)                                                                          \
  IG_WEAK void ig_softcap_##X##_##Y(const XT *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,   \
                                    int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,          \
                                    int32_t act_max, YT *y) {                                                    \
    ig_softcap_portable(x, sizeof(XT), len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, \
                        y, sizeof(YT));                                                                           \
  }
IG_FOR_2(IG_SOFTCAP_DEF)
