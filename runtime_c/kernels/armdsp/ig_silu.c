/* silu for Cortex-M4/M7 (ARMv7E-M DSP): the portable 32-bit form (ig_activations.h) with SMMULR / SMMUL rescales
 * (ig_dsp_ms) and the sigmoid of ig_dsp_sigmoid_q15 (SSAT/USAT clamps, three SMMLSR exp2 steps, two UDIV):
 * ig_dsp_gated_act in ig_armdsp_ops.h. Plans that do not fit 32 bits (huge multipliers) take the int64 form. */
#include "ig_armdsp_ops.h"

#define IG_GATED_BODY ig_dsp_gated_act
#define IG_ENTRIES_SILU
#include "ig_entry_points.h"
