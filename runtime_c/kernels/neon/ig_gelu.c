/* gelu (tanh form through the sigmoid) for AArch64 NEON: ig_neon_gated_fast (ig_neon_ops.h) with the polynomial
 * of u in lanes (ig_neon_gelu_u) and the sigmoid of |u|; rescales that do not fit take ig_neon_gated_act. int32
 * inputs are the portable kernel's. */
#include "ig_neon_ops.h"

#define IG_GATED_BODY ig_neon_gated_fast
#define IG_ENTRIES_GELU
#include "ig_entry_points.h"
