/* gelu (tanh form through the sigmoid) for RVV 1.0, vector-length agnostic: ig_rvv_gated_act with the polynomial of
 * u in lanes (ig_rvv_ops.h). int32 inputs are the portable kernel's. */
#include "ig_rvv_ops.h"

#define IG_GATED_BODY ig_rvv_gated_act
#define IG_ENTRIES_GELU
#include "ig_entry_points.h"
