/* softcap for Cortex-M4/M7 (ARMv7E-M DSP), quant/ops/softcap.py: the portable kernel's 32-bit plan
 * (ig_softcap_portable, ig_activations.h) with SMMULR / SMMUL rescales (ig_dsp_ms) and the sigmoid of
 * ig_dsp_sigmoid_q15 (ig_armdsp_ops.h), as the family's SiLU / GELU. Plans that do not fit 32 bits take the int64
 * form; int32 inputs are the portable kernel's. */
#include "ig_armdsp_ops.h"
#include "ig_ops.h"

IG_DSP_INLINE void softcap_dsp_loop(const void *x, int32_t xb, int32_t len, int32_t x_zp, ig_ms_t mi,
                                    int32_t in_mode, ig_ms_t mo, int32_t out_mode, int32_t y_zp, int32_t lo,
                                    int32_t hi, void *y, int32_t yb, int unused) {
  (void)unused;
  for (int32_t i = 0; i < len; i++) {
    int32_t t = 2 * ig_dsp_sigmoid_q15(ig_dsp_ms(mi, ig_load(x, i, xb) - x_zp, in_mode)) - (1 << 15);
    ig_store(y, i, ig_clamp(ig_dsp_ms(mo, t, out_mode) + y_zp, lo, hi), yb);
  }
}

IG_DSP_INLINE void softcap_dsp(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult,
                               int32_t in_shift, int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                               int32_t act_max, void *y, int32_t yb) {
  ig_ms_t mi, mo;
  if (ig_gated_plan(xb, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, 1u << 15, &mi, &mo))
    IG_GATED_DISPATCH(softcap_dsp_loop, x, xb, len, x_zp, mi, mo, y_zp, act_min, act_max, y, yb, 0);
  else
    ig_softcap64(x, xb, 0, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, yb);
}

#define IG_SOFTCAP_DSP(D_, X, XT, Y, YT)                                                                          \
  void ig_softcap_##X##_##Y(const XT *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,           \
                            int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max,  \
                            YT *y) {                                                                              \
    softcap_dsp(x, sizeof(XT), len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y,     \
                sizeof(YT));                                                                                      \
  }
#define IG__SOFTCAP_B(M, X, XT) IG_FOR_B(IG_SOFTCAP_DSP, M, X, XT)
IG_FOR_NARROW(IG__SOFTCAP_B, _)
