/* silu (quant/ops/elementwise.py): x * sigmoid(x) in Q12 with the integer sigmoid of ig_fixed64.h.
 *
 * Portable form, 32-bit throughout for int8 / int16 inputs: x12 = mul_rshr(x - zx, in_mult, in_shift) and the output
 * mul_rshr(f, out_mult, out_shift) are one 32 x 32 multiply each (ig_ms_t plans for the value ranges, made once per
 * call: |x - zx| < 2^bits, |f| <= max(|x12|, 1141) since silu >= -0.2785); the sigmoid is ig_sigmoid_q15_32 and
 * rshr(x12 s, 15) is ig_mul_sig15 (ig_activations.h). Plans that do not fit (int32 input, huge multipliers) take the
 * int64 form. */

#include "ig_activations.h"

#define IG_PORTABLE 1
#define IG_GATED_BODY ig_gated_portable
#define IG_ENTRIES_SILU
#include "ig_entry_points.h"
