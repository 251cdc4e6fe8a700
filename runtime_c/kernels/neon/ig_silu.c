/* silu for AArch64 NEON: ig_neon_gated_fast (ig_neon_ops.h): both rescales in two instructions, the sigmoid's
 * exponent and division in lanes, f = max(x, 0) - a + rshr(a s, 15) with no sign or large-|x| select, eight lanes
 * per step; rescales that do not fit take ig_neon_gated_act (any multiplier). int32 inputs are the portable
 * kernel's. */
#include "ig_neon_ops.h"

#define IG_GATED_BODY ig_neon_gated_fast
#define IG_ENTRIES_SILU
#include "ig_entry_points.h"
