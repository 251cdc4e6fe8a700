/* silu for Cortex-M4/M7 (ARMv7E-M DSP): the portable 32-bit form (kernels/scalar/ig_silu.c) with SMMULR / SMMUL
 * intgap-provides: ig_silu_s8_s8 ig_silu_s8_s16 ig_silu_s8_s32 ig_silu_s16_s8 ig_silu_s16_s16 ig_silu_s16_s32
 * rescales (ig_dsp_ms) and the sigmoid of ig_dsp_sigmoid_q15 (SSAT/USAT clamps, three SMMLSR exp2 steps, two UDIV).
 * Plans that do not fit 32 bits (int32 input, huge multipliers) take the int64 form. */
#include "ig_armdsp_ops.h"
#include "ig_ops.h"

IG_DSP_INLINE void silu_loop(const void *x, int32_t xb, int32_t len, int32_t x_zp, ig_ms_t mi, int32_t in_mode,
                             ig_ms_t mo, int32_t out_mode, int32_t y_zp, int32_t lo, int32_t hi, void *y, int32_t yb) {
  for (int32_t i = 0; i < len; i++) {
    int32_t x12 = ig_dsp_ms(mi, ig_load(x, i, xb) - x_zp, in_mode);
    int32_t f = ig_mul_sig15(x12, ig_dsp_sigmoid_q15(x12));
    ig_store(y, i, ig_clamp(ig_dsp_ms(mo, f, out_mode) + y_zp, lo, hi), yb);
  }
}

IG_DSP_INLINE void silu_body(const void *x, int32_t xb, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                             int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                             void *y, int32_t yb) {
  ig_ms_t mi, mo;
  if (ig_dsp_gated_plan(xb, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, &mi, &mo)) {
    IG_DSP_GATED_DISPATCH(silu_loop, x, xb, len, x_zp, mi, mo, y_zp, act_min, act_max, y, yb);
    return;
  }
  for (int32_t i = 0; i < len; i++) {
    int64_t x12 = ig_clamp64(ig_mul_rshr64((int64_t)ig_load(x, i, xb) - x_zp, in_mult, in_shift), INT32_MIN,
                             INT32_MAX);
    int64_t f = ig_rshr64(x12 * ig_sigmoid_q15(x12), 15);
    ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(f, out_mult, out_shift) + y_zp, act_min, act_max), yb);
  }
}

#define IG_DSP_SILU_DEF(D_, X, XT, Y, YT)                                                                         \
  void ig_silu_##X##_##Y(const XT *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,             \
                         int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min, int32_t act_max,     \
                         YT *y) {                                                                               \
    silu_body(x, sizeof(XT), len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y,      \
              sizeof(YT));                                                                                       \
  }
#define IG__DSP_SILU_B(M, X, XT) IG_FOR_B(IG_DSP_SILU_DEF, M, X, XT)
IG_FOR_NARROW(IG__DSP_SILU_B, _)
