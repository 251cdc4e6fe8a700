/* The fully_connected_dynamic entry points of a family's grouped int4 file (ig_ops_quant.h IG_FC_GROUPED_DYN_DECL),
 * included at its end: the file defines fc_dynamic(IG_FC_GROUPED_ARGS, mr, e, y, out_bytes, asym), its grouped
 * kernel with the per-token requantization of (mr, e) in the registers. One body for the int8 / int16 / int32
 * outputs and the plain / asymmetric weights (out_bytes and asym constants after inlining). */
#define IG_FC_DYNAMIC_ENTRY(NAME, YT, BYTES, ASYM)                                                                \
  void NAME(IG_FC_GROUPED_ARGS, int32_t mr, int32_t e, YT *y) { fc_dynamic(IG_FC_GROUPED_PASS, mr, e, y, BYTES, ASYM); }
IG_FC_DYNAMIC_ENTRY(ig_fc_grouped_dyn_s8w4, int8_t, 1, 0)
IG_FC_DYNAMIC_ENTRY(ig_fc_grouped_dyn_s8w4_to_s16, int16_t, 2, 0)
IG_FC_DYNAMIC_ENTRY(ig_fc_grouped_dyn_s8w4_to_s32, int32_t, 4, 0)
IG_FC_DYNAMIC_ENTRY(ig_fc_grouped_dyn_asym_s8w4, int8_t, 1, 1)
IG_FC_DYNAMIC_ENTRY(ig_fc_grouped_dyn_asym_s8w4_to_s16, int16_t, 2, 1)
IG_FC_DYNAMIC_ENTRY(ig_fc_grouped_dyn_asym_s8w4_to_s32, int32_t, 4, 1)
#undef IG_FC_DYNAMIC_ENTRY
