/* The entry points of a family's grouped fully connected file (kernels/<family>/ig_fc_grouped_s8.c and
 * ig_fc_grouped_s8w4.c), included at its end. The file defines fc_blocked and fc_rows, one per weight layout of
 * codegen/packing.py grouped_layout, and ig_grouped_blocked, the same test as grouped_layout; IG_FC_GROUPED_W4 1
 * names the int4 entry points. One body for the int8 / int16 / int32 outputs (out_bytes a constant after inlining). */
#include "ig_kernels.h"

static inline __attribute__((always_inline)) void fc_grouped_layouts(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  if (ig_grouped_blocked(k_dim, group_size)) fc_blocked(IG_FC_GROUPED_PASS, y, out_bytes);
  else fc_rows(IG_FC_GROUPED_PASS, y, out_bytes);
}

#if IG_FC_GROUPED_W4
void ig_fc_grouped_s8w4(IG_FC_GROUPED_ARGS, int8_t *y) { fc_grouped_layouts(IG_FC_GROUPED_PASS, y, 1); }
void ig_fc_grouped_s8w4_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) { fc_grouped_layouts(IG_FC_GROUPED_PASS, y, 2); }
void ig_fc_grouped_s8w4_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) { fc_grouped_layouts(IG_FC_GROUPED_PASS, y, 4); }
#else
void ig_fc_grouped_s8(IG_FC_GROUPED_ARGS, int8_t *y) { fc_grouped_layouts(IG_FC_GROUPED_PASS, y, 1); }
void ig_fc_grouped_s8_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) { fc_grouped_layouts(IG_FC_GROUPED_PASS, y, 2); }
void ig_fc_grouped_s8_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) { fc_grouped_layouts(IG_FC_GROUPED_PASS, y, 4); }
#endif
