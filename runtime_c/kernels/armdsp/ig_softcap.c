/* softcap for Cortex-M4/M7 (ARMv7E-M DSP), quant/ops/softcap.py: the portable kernel's 32-bit plan
 * (ig_softcap_portable, ig_activations.h) with SMMULR / SMMUL rescales (ig_dsp_ms) and the sigmoid of
 * ig_dsp_sigmoid_q15 (ig_armdsp_ops.h), as the family's SiLU / GELU. Plans that do not fit 32 bits take the int64
 * form; int32 inputs are the portable kernel's. */
#include "ig_armdsp_ops.h"
#include "ig_ops.h"

IG_SOFTCAP_KERNEL(softcap_dsp, ig_dsp_ms, ig_dsp_sigmoid_q15)

#define IG_SOFTCAP_BODY softcap_dsp
#define IG_ENTRIES_SOFTCAP
#include "ig_entry_points.h"
