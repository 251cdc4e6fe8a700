/* gelu (tanh form through the sigmoid) for Armv8.1-M Helium: ig_mve_gated_act with the polynomial of u in lanes
 * (ig_mve_ops.h). int32 inputs are the portable kernel's. */
#include "ig_mve_ops.h"

#define IG_GATED_BODY ig_mve_gated_act
#define IG_ENTRIES_GELU
#include "ig_entry_points.h"
