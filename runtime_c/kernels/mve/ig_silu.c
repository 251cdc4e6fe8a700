/* silu for Armv8.1-M Helium: ig_mve_gated_act (ig_mve_ops.h), the whole element in four int32 lanes (the rescales
 * VRMULH / VMULH, the sigmoid's exp2 by VRMULH steps and its division by a Newton reciprocal with an exact
 * remainder correction), the last len % 4 elements tail-predicated. int32 inputs are the portable kernel's. */
#include "ig_mve_ops.h"

#define IG_GATED_BODY ig_mve_gated_act
#define IG_ENTRIES_SILU
#include "ig_entry_points.h"
