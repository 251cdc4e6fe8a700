/* silu for RVV 1.0, vector-length agnostic: ig_rvv_gated_act (ig_rvv_ops.h). int32 inputs (x - x_zp may leave
 * int32) are the portable kernel's. */
#include "ig_rvv_ops.h"

#define IG_GATED_BODY ig_rvv_gated_act
#define IG_ENTRIES_SILU
#include "ig_entry_points.h"
