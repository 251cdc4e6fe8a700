/* gelu for Cortex-M4/M7 (ARMv7E-M DSP): the portable 32-bit form (ig_activations.h) with SMMULR / SMMUL rescales
 * (ig_dsp_ms), the sigmoid of ig_dsp_sigmoid_q15 (SSAT/USAT clamps, three SMMLSR exp2 steps, two UDIV), and the
 * polynomial's three rounded high products as SMMULR (exact for the clamped |xc| <= 2^15): ig_dsp_gated_act in
 * ig_armdsp_ops.h. Plans that do not fit 32 bits (huge multipliers) take the int64 form. */
#include "ig_armdsp_ops.h"

#define IG_GATED_BODY ig_dsp_gated_act
#define IG_ENTRIES_GELU
#include "ig_entry_points.h"
