/* silu for AArch64 NEON: ig_neon_gated_act (ig_neon_ops.h), the sigmoid in lanes (ig_neon_sigmoid_q15: exp2
 * vectorized, one scalar UDIV per lane). int32 inputs (x - x_zp may leave int32) are the portable kernel's. */
#include "ig_neon_ops.h"

#define IG_GATED_BODY ig_neon_gated_act
#define IG_ENTRIES_SILU
#include "ig_entry_points.h"
