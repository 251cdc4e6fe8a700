/* Fully connected with group-wise integer scale factors, int4 weights in row pairs: AArch64 NEON. One body for
 * the int8 / int16 / int32 outputs.
 * Groups of a multiple of 32 (the blocked layout of ig_neon_common.h): 32 output rows (16 pairs) at a time. With
 * SDOT, per 16 bytes of four pairs one SSHR and two SDOT by element (the even rows exactly, and the raw bytes),
 * the odd rows decoded linearly inside the once-per-group scale step (no reduction, no per-group decode), the
 * whole block in one piece of assembly; ARMv8.0: the nibbles split (SSHR / AND) and multiplied by SMULL/SMLAL
 * against x's quad broadcast, 16 rows at a time.
 * Other group sizes: two pairs at a time, a reduction per group (ig_dot2pairs_s8w4). */
#include "ig_kernels.h"
#include "ig_neon_grouped.h"
#include "ig_neon_pairs_s8w4.h"
#include "ig_ops_quant.h"

#if defined(__ARM_FEATURE_DOTPROD)
/* One column quad of the 16 pairs (64 bytes in v<r0>..v<r3>, register j = pairs 4j..4j+3) against x's quad in lane
 * `lane` of v<xr>: E_j (v8-v11) += x . (b >> 4) (the even rows), R_j (v12-v15) += x . b (the raw bytes). */
#define IG_G4_QUAD(r0, r1, r2, r3, xr, lane)                                                                        \
  "sshr v28.16b, v" r0 ".16b, #4\n\t"                                                                               \
  "sdot v12.4s, v" r0 ".16b, v" xr ".4b[" lane "]\n\t" "sdot v8.4s, v28.16b, v" xr ".4b[" lane "]\n\t"              \
  "sshr v29.16b, v" r1 ".16b, #4\n\t"                                                                               \
  "sdot v13.4s, v" r1 ".16b, v" xr ".4b[" lane "]\n\t" "sdot v9.4s, v29.16b, v" xr ".4b[" lane "]\n\t"              \
  "sshr v28.16b, v" r2 ".16b, #4\n\t"                                                                               \
  "sdot v14.4s, v" r2 ".16b, v" xr ".4b[" lane "]\n\t" "sdot v10.4s, v28.16b, v" xr ".4b[" lane "]\n\t"             \
  "sshr v29.16b, v" r3 ".16b, #4\n\t"                                                                               \
  "sdot v15.4s, v" r3 ".16b, v" xr ".4b[" lane "]\n\t" "sdot v11.4s, v29.16b, v" xr ".4b[" lane "]\n\t"
#define IG_G4_LDA "ld1 {v4.16b - v7.16b}, [%[wp]], #64\n\t"
#define IG_G4_LDB "ld1 {v24.16b - v27.16b}, [%[wp]], #64\n\t"
#define IG_G4_QA(xr, lane) IG_G4_QUAD("4", "5", "6", "7", xr, lane)
#define IG_G4_QB(xr, lane) IG_G4_QUAD("24", "25", "26", "27", xr, lane)
/* 32 columns (x in v<x0>, v<x1>), the quads' bytes alternately in v4-v7 and v24-v27, each loaded two quads ahead */
#define IG_G4_CHUNK(x0, x1)                                                                                         \
  IG_G4_LDA IG_G4_LDB                                                                                               \
  IG_G4_QA(x0, "0") IG_G4_LDA IG_G4_QB(x0, "1") IG_G4_LDB                                                           \
  IG_G4_QA(x0, "2") IG_G4_LDA IG_G4_QB(x0, "3") IG_G4_LDB                                                           \
  IG_G4_QA(x1, "0") IG_G4_LDA IG_G4_QB(x1, "1") IG_G4_LDB                                                           \
  IG_G4_QA(x1, "2") IG_G4_QB(x1, "3")
/* end of a group, both grids: A += dA E, B += dB R (dA in v4-v7, dB in v24-v27, then 16 dB into v4-v7); A_j / B_j
 * (the even / odd rows of pairs 4j..4j+3) in v<16 + 2j> / v<17 + 2j> */
#define IG_G4_SCALED                                                                                                \
  "ld1 {v4.4s - v7.4s}, [%[sp]], #64\n\t"                                                                           \
  "ld1 {v24.4s - v27.4s}, [%[sp]], #64\n\t"                                                                         \
  "mla v16.4s, v8.4s, v4.4s\n\t" "mla v18.4s, v9.4s, v5.4s\n\t"                                                    \
  "mla v20.4s, v10.4s, v6.4s\n\t" "mla v22.4s, v11.4s, v7.4s\n\t"                                                  \
  "ld1 {v4.4s - v7.4s}, [%[sp]], #64\n\t"                                                                           \
  "mla v17.4s, v12.4s, v24.4s\n\t" "mla v19.4s, v13.4s, v25.4s\n\t"                                                \
  "mla v21.4s, v14.4s, v26.4s\n\t" "mla v23.4s, v15.4s, v27.4s\n\t"
/* B -= 16 dB E */
#define IG_G4_MLS_E                                                                                                 \
  "mls v17.4s, v8.4s, v4.4s\n\t" "mls v19.4s, v9.4s, v5.4s\n\t"                                                    \
  "mls v21.4s, v10.4s, v6.4s\n\t" "mls v23.4s, v11.4s, v7.4s\n\t"
/* v<acc>, v<acc + 2>, ... op= v<r>..v<r + 3> times lane `cl` of v30 (C_sx or 8 C_sx) */
#define IG_G4_BY_CSX(op, a0, a1, a2, a3, r0, r1, r2, r3, cl)                                                        \
  op " v" a0 ".4s, v" r0 ".4s, v30.s[" cl "]\n\t" op " v" a1 ".4s, v" r1 ".4s, v30.s[" cl "]\n\t"                    \
  op " v" a2 ".4s, v" r2 ".4s, v30.s[" cl "]\n\t" op " v" a3 ".4s, v" r3 ".4s, v30.s[" cl "]\n\t"
/* the symmetric grid: B -= dB (8 C_sx) - 16 dB E (8 C_sx in lane `cl` of v30) */
#define IG_G4_GROUP(cl)                                                                                             \
  IG_G4_SCALED IG_G4_BY_CSX("mls", "17", "19", "21", "23", "24", "25", "26", "27", cl) IG_G4_MLS_E
/* fully_connected_asym's group offsets (ig_fc_grouped_asym_s8w4): 80 int32 per group, dA, dB, 16 dB, dOA,
 * 8 dB - dOB (dO: the offsets' differences, codegen/packing.py neon_asym_scales) and C_sx itself in lane `cl` of
 * v30: A += dA E + dOA C_sx, B += dB R - 16 dB E - (8 dB - dOB) C_sx. Two loads and four MLA more than
 * IG_G4_GROUP, in place of a pass over every row and group per call (ig_offset_bias). */
#define IG_G4_GROUP_ASYM(cl)                                                                                        \
  IG_G4_SCALED "ld1 {v24.4s - v27.4s}, [%[sp]], #64\n\t" IG_G4_MLS_E "ld1 {v4.4s - v7.4s}, [%[sp]], #64\n\t"        \
  IG_G4_BY_CSX("mla", "16", "18", "20", "22", "24", "25", "26", "27", cl)                                           \
  IG_G4_BY_CSX("mls", "17", "19", "21", "23", "4", "5", "6", "7", cl)
/* A / B from the bias (A_0 B_0 A_1 B_1 ... in the layout's order), E / R = 0 */
#define IG_G4_INIT                                                                                                  \
  "ld1 {v16.4s - v19.4s}, [%[bias]], #64\n\t" "ld1 {v20.4s - v23.4s}, [%[bias]], #64\n\t"                          \
  "movi v8.4s, #0\n\t" "movi v9.4s, #0\n\t" "movi v10.4s, #0\n\t" "movi v11.4s, #0\n\t"                            \
  "movi v12.4s, #0\n\t" "movi v13.4s, #0\n\t" "movi v14.4s, #0\n\t" "movi v15.4s, #0\n\t"
/* fully_connected_dynamic: the sums from 0 (the bias comes after the per-token scale), four loads of 64 zero bytes
 * in place of sixteen MOVI */
#define IG_G4_INIT_ZERO                                                                                             \
  "ld1 {v16.4s - v19.4s}, [%[zeros]]\n\t" "ld1 {v20.4s - v23.4s}, [%[zeros]]\n\t"                                  \
  "ld1 {v8.4s - v11.4s}, [%[zeros]]\n\t" "ld1 {v12.4s - v15.4s}, [%[zeros]]\n\t"
static const int32_t ig_zeros64[16] __attribute__((aligned(16))) = {0};
/* one group of 32 columns (grp: IG_G4_GROUP or IG_G4_GROUP_ASYM) */
#define IG_G4_ONE(grp) "ld1 {v0.16b, v1.16b}, [%[xp]], #32\n\t" "ldr s30, [%[cp]], #4\n\t" IG_G4_CHUNK("0", "1") grp("0")
/* all groups (of 32): two at a time (x, 8 C_sx and the loop once per two), an odd one first */
#define IG_G4_LOOP32(grp)                                                                                           \
  "tbz %[odd], #0, 1f\n\t" IG_G4_ONE(grp) "1:\n\t"                                                                  \
  "cbz %[g], 3f\n\t"                                                                                                \
  "2:\n\t"                                                                                                          \
  "ld1 {v0.16b - v3.16b}, [%[xp]], #64\n\t"                                                                         \
  "ldr d30, [%[cp]], #8\n\t"                                                                                        \
  IG_G4_CHUNK("0", "1") grp("0") IG_G4_CHUNK("2", "3") grp("1")                                                     \
  "subs %[g], %[g], #1\n\t"                                                                                         \
  "b.ne 2b\n\t"                                                                                                     \
  "3:\n\t"
/* all groups of 64: x's 64 bytes in one load, the group's C_sx, both chunks and the group step, the loop once per
 * group (IG_G4_LOOP's chunk loop would cost six instructions more per group) */
#define IG_G4_LOOP64(grp)                                                                                           \
  "1:\n\t" "ld1 {v0.16b - v3.16b}, [%[xp]], #64\n\t" "ldr s30, [%[cp]], #4\n\t"                                  \
  IG_G4_CHUNK("0", "1") IG_G4_CHUNK("2", "3") grp("0") "subs %[g], %[g], #1\n\t" "b.ne 1b\n\t"
/* all groups (of 32 x odd columns: %[odd] chunks of 32 each) */
#define IG_G4_LOOP(grp)                                                                                             \
  "1:\n\t" "ldr s30, [%[cp]], #4\n\t" "mov %[c], %[odd]\n\t" "2:\n\t"                                               \
  "ld1 {v0.16b, v1.16b}, [%[xp]], #32\n\t" IG_G4_CHUNK("0", "1") "subs %[c], %[c], #1\n\t"                          \
  "b.ne 2b\n\t" grp("0") "subs %[g], %[g], #1\n\t" "b.ne 1b\n\t"
/* requantize the block: multipliers into v0-v7, shifts into v8-v15 (the layout's order), temporaries v24-v27 */
#define IG_G4_RQ_LOAD                                                                                               \
  "ld1 {v0.4s - v3.4s}, [%[mult]], #64\n\t" "ld1 {v4.4s - v7.4s}, [%[mult]], #64\n\t"                              \
  "ld1 {v8.4s - v11.4s}, [%[shift]], #64\n\t" "ld1 {v12.4s - v15.4s}, [%[shift]], #64\n\t"
#define IG_G4_RQ_ALL(rq)                                                                                            \
  IG_G4_RQ_LOAD                                                                                                     \
  rq("16", "0", "8", "24", "17", "1", "9", "25") rq("18", "2", "10", "26", "19", "3", "11", "27")                   \
  rq("20", "4", "12", "24", "21", "5", "13", "25") rq("22", "6", "14", "26", "23", "7", "15", "27")
/* the stores: raw accumulators in the layout's order; outputs in row order (ST2 interleaves A_j and B_j) */
#define IG_G4_STORE_RAW "st1 {v16.4s - v19.4s}, [%[y]], #64\n\t" "st1 {v20.4s - v23.4s}, [%[y]], #64\n\t"
#define IG_G4_STORE_S32                                                                                             \
  IG_RQ_CONSTANTS IG_G4_RQ_ALL(IG_RQR2) "st2 {v16.4s, v17.4s}, [%[y]], #32\n\t" "st2 {v18.4s, v19.4s}, [%[y]], #32\n\t" \
  "st2 {v20.4s, v21.4s}, [%[y]], #32\n\t" "st2 {v22.4s, v23.4s}, [%[y]], #32\n\t"
#define IG_G4_ST16(a, b) "xtn v8.4h, v" a ".4s\n\t" "xtn v9.4h, v" b ".4s\n\t" "st2 {v8.4h, v9.4h}, [%[y]], #16\n\t"
#define IG_G4_STORE_S16                                                                                             \
  IG_RQ_CONSTANTS IG_G4_RQ_ALL(IG_RQR2) IG_G4_ST16("16", "17") IG_G4_ST16("18", "19") IG_G4_ST16("20", "21")        \
  IG_G4_ST16("22", "23")
/* int8: narrowed saturating to int16 (16 rows: even rows in v8, odd rows in v9), y_zp and the clamp in int16 */
#define IG_G4_ST8(a0, b0, a1, b1)                                                                                   \
  "sqxtn v8.4h, v" a0 ".4s\n\t" "sqxtn v9.4h, v" b0 ".4s\n\t" "sqxtn2 v8.8h, v" a1 ".4s\n\t"                        \
  "sqxtn2 v9.8h, v" b1 ".4s\n\t" IG_ZPCLAMP16("8", "9")                                                             \
  "xtn v8.8b, v8.8h\n\t" "xtn v9.8b, v9.8h\n\t" "st2 {v8.8b, v9.8b}, [%[y]], #16\n\t"
#define IG_G4_STORE_S8                                                                                              \
  IG_RQ_CONSTANTS16 IG_G4_RQ_ALL(IG_RQR2_CORE) IG_G4_ST8("16", "17", "18", "19") IG_G4_ST8("20", "21", "22", "23")
/* (any y_zp: y_zp and the clamp in int32) */
#define IG_G4_ST8W(a0, b0, a1, b1)                                                                                  \
  "xtn v8.4h, v" a0 ".4s\n\t" "xtn v9.4h, v" b0 ".4s\n\t" "xtn2 v8.8h, v" a1 ".4s\n\t" "xtn2 v9.8h, v" b1 ".4s\n\t"   \
  "xtn v8.8b, v8.8h\n\t" "xtn v9.8b, v9.8h\n\t" "st2 {v8.8b, v9.8b}, [%[y]], #16\n\t"
#define IG_G4_STORE_S8W                                                                                             \
  IG_RQ_CONSTANTS IG_G4_RQ_ALL(IG_RQR2) IG_G4_ST8W("16", "17", "18", "19") IG_G4_ST8W("20", "21", "22", "23")
/* fully_connected_dynamic's per-token requantization of one vector v<a> (four rows' exact accumulators), the same
 * values as ig_dyn_requant (kernels/neon/ig_fc_dynamic_parts.c rq4): m = rshr(mult mr, 15) as one SQRDMLAH,
 * m + rshr(mult X, 31) with X = (mr - 2^15) 2^16 in v24 (exact: mult 2^31 is a multiple of 2^31, |X| <= 2^30),
 * then rshr(acc m, shift - e) (SMULL, SRSHL by e - shift, e in v25) into v12 / v13; multipliers in v<m> (the
 * layout's order), shifts in v<s> in the order 0 2 1 3 (codegen/op_calls_quant.py): SRSHL's 64-bit lanes shift by
 * their low byte, so e - shift of rows 0 and 1 in int32 lanes 0 and 2 serve SMULL's lanes as they are, and one
 * USHR #32 brings rows 2 and 3 there (no SXTL pair); temporaries v12-v15. */
#define IG_G4_DYNRQ_NB(a, m, s, b) /* SQRDMLAH: ARMv8.1 RDM, in every core with SDOT (ARMv8.2 on) */             \
  "sqrdmlah v" m ".4s, v" m ".4s, v24.4s\n\t" "sub v14.4s, v25.4s, v" s ".4s\n\t" "ushr v15.2d, v14.2d, #32\n\t"  \
  IG_DYN64_MUL(a, m)
/* ... + the bias (in v<b>, the layout's order) in int64; a layer without one (Llama's) passes bias 0 and skips
 * its loads and these two SADDW */
#define IG_G4_DYNRQ_CORE(a, m, s, b) IG_G4_DYNRQ_NB(a, m, s, b) IG_DYN64_BIAS(b)
/* int32 out: + y_zp in int64 (v26), SQXTN, clamp (act_min / act_max in v27 / v28) */
#define IG_G4_DYNRQ(core, a, m, s, b) core(a, m, s, b) IG_DYN64_OUT(a, "26", "27", "28")
/* int16 out: SQXTN, then y_zp (v26) by SQADD in int32 and the clamp (v27 / v28): a value past int32 stays past the
 * int16 clamp after adding an int16 y_zp, so the bytes are those of the int64 sum */
#define IG_G4_DYNRQ16(core, a, m, s, b)                                                                             \
  core(a, m, s, b) "sqxtn v" a ".2s, v12.2d\n\t" "sqxtn2 v" a ".4s, v13.2d\n\t"                                     \
  "sqadd v" a ".4s, v" a ".4s, v26.4s\n\t"                                                                          \
  "smax v" a ".4s, v" a ".4s, v27.4s\n\t" "smin v" a ".4s, v" a ".4s, v28.4s\n\t"
/* int8 out: SQXTN only; IG_G4_ST8 narrows to int16 saturating and adds y_zp / clamps in int16, as the static outputs
 * do (an int8 output's y_zp is an int8 value, quant/ops/checks.py: IG_ZP16_OK holds); also int32 out with y_zp 0
 * and the whole int32 range (SQXTN is the clamp) and int16 out with y_zp 0 and the whole range (IG_G4_SQST16) */
#define IG_G4_DYNRQ8(core, a, m, s, b)                                                                              \
  core(a, m, s, b) "sqxtn v" a ".2s, v12.2d\n\t" "sqxtn2 v" a ".4s, v13.2d\n\t"
/* four vectors (16 rows): their multipliers, shifts and (ldb) biases loaded, each requantized by rq with core */
#define IG_G4_DYN_LDB "ld1 {v8.4s - v11.4s}, [%[bias]], #64\n\t"
#define IG_G4_DYN_HALF(rq, core, ldb, a0, b0, a1, b1)                                                               \
  "ld1 {v0.4s - v3.4s}, [%[mult]], #64\n\t" "ld1 {v4.4s - v7.4s}, [%[shift]], #64\n\t" ldb                          \
  rq(core, a0, "0", "4", "8") rq(core, b0, "1", "5", "9") rq(core, a1, "2", "6", "10") rq(core, b1, "3", "7", "11")
#define IG_G4_DYN_ALL(rq, core, ldb)                                                                                \
  "dup v24.4s, %w[mrx]\n\t" "dup v25.4s, %w[e]\n\t"                                                                 \
  IG_G4_DYN_HALF(rq, core, ldb, "16", "17", "18", "19") IG_G4_DYN_HALF(rq, core, ldb, "20", "21", "22", "23")
#define IG_G4_DYN_CLAMP32 "dup v27.4s, %w[lo]\n\t" "dup v28.4s, %w[hi]\n\t"
#define IG_G4_STORE_DYN16(core, ldb)                                                                                \
  "dup v26.4s, %w[zp]\n\t" IG_G4_DYN_CLAMP32 IG_G4_DYN_ALL(IG_G4_DYNRQ16, core, ldb)                                 \
  IG_G4_ST16("16", "17") IG_G4_ST16("18", "19") IG_G4_ST16("20", "21") IG_G4_ST16("22", "23")
/* int16 out, y_zp 0 and the whole int16 range: the narrowing stores saturate (SQXTN twice is the clamp) */
#define IG_G4_SQST16(a, b)                                                                                          \
  "sqxtn v8.4h, v" a ".4s\n\t" "sqxtn v9.4h, v" b ".4s\n\t" "st2 {v8.4h, v9.4h}, [%[y]], #16\n\t"
#define IG_G4_STORE_DYN16F(core, ldb)                                                                               \
  IG_G4_DYN_ALL(IG_G4_DYNRQ8, core, ldb) IG_G4_SQST16("16", "17") IG_G4_SQST16("18", "19")                          \
  IG_G4_SQST16("20", "21") IG_G4_SQST16("22", "23")
#define IG_G4_STORE_DYN8(core, ldb)                                                                                 \
  IG_G4_DYN_ALL(IG_G4_DYNRQ8, core, ldb) IG_RQ_CONSTANTS16 IG_G4_ST8("16", "17", "18", "19")                        \
  IG_G4_ST8("20", "21", "22", "23")
#define IG_G4_ST32                                                                                                  \
  "st2 {v16.4s, v17.4s}, [%[y]], #32\n\t" "st2 {v18.4s, v19.4s}, [%[y]], #32\n\t"                                   \
  "st2 {v20.4s, v21.4s}, [%[y]], #32\n\t" "st2 {v22.4s, v23.4s}, [%[y]], #32\n\t"
#define IG_G4_STORE_DYN32(core, ldb)                                                                                \
  "dup v26.2d, %x[zp64]\n\t" IG_G4_DYN_CLAMP32 IG_G4_DYN_ALL(IG_G4_DYNRQ, core, ldb) IG_G4_ST32
/* int32 out, y_zp 0 and the whole int32 range (the residual stream's layers): no y_zp add, no clamp */
#define IG_G4_STORE_DYN32F(core, ldb) IG_G4_DYN_ALL(IG_G4_DYNRQ8, core, ldb) IG_G4_ST32
/* the operands up to the inputs' end (the dynamic requantization's own follow only where it runs) */
#define IG_G4_OPS                                                                                                   \
  : [xp] "=&r"(xp), [wp] "+r"(wp), [sp] "+r"(sp), [cp] "=&r"(cp), [g] "=&r"(g), [c] "=&r"(c), [bias] "+r"(bias),   \
    [mult] "+r"(mult), [shift] "+r"(shift), [y] "+r"(y), [nb] "+r"(nb)                                              \
  : [x] "r"(x), [csx] "r"(csx), [pairs] "r"(pairs), [odd] "r"(odd), [zp] "r"(y_zp), [lo] "r"(act_min),             \
    [hi] "r"(act_max)
#define IG_G4_DYN_INPUTS                                                                                            \
  , [mrx] "r"((mr - 32768) * 65536), [e] "r"(e), [zp64] "r"((int64_t)y_zp), [zeros] "r"(ig_zeros64)
#define IG_G4_CLOBBERS                                                                                              \
  : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16",   \
    "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "cc",  \
    "memory"
/* nb blocks one after the other (x and C_sx restart, everything else walks on) */
#define IG_G4_ASM_INIT(init, loop, store, inputs)                                                                   \
  __asm__ volatile("0:\n\t" "mov %[xp], %[x]\n\t" "mov %[cp], %[csx]\n\t" "mov %[g], %[pairs]\n\t" init loop        \
                   store "subs %[nb], %[nb], #1\n\t" "b.ne 0b\n\t" IG_G4_OPS inputs IG_G4_CLOBBERS)
#define IG_G4_ASM(loop, store) IG_G4_ASM_INIT(IG_G4_INIT, loop, store, )
#define IG_G4_ASM_DYN(loop, store) IG_G4_ASM_INIT(IG_G4_INIT_ZERO, loop, store, IG_G4_DYN_INPUTS)

/* the dynamic outputs of one loop with one requantization core: int8, int16 (whole range and y_zp 0, or any),
 * int32 (whole range and y_zp 0, or any) */
#define IG_G4_DYN_OUTS(loop, core, ldb)                                                                             \
  if (out_bytes == 1) IG_G4_ASM_DYN(loop, IG_G4_STORE_DYN8(core, ldb));                                             \
  else if (out_bytes == 2 && y_zp == 0 && act_min == INT16_MIN && act_max == INT16_MAX)                              \
    IG_G4_ASM_DYN(loop, IG_G4_STORE_DYN16F(core, ldb));                                                             \
  else if (out_bytes == 2) IG_G4_ASM_DYN(loop, IG_G4_STORE_DYN16(core, ldb));                                       \
  else if (y_zp == 0 && act_min == INT32_MIN && act_max == INT32_MAX)                                                \
    IG_G4_ASM_DYN(loop, IG_G4_STORE_DYN32F(core, ldb));                                                             \
  else IG_G4_ASM_DYN(loop, IG_G4_STORE_DYN32(core, ldb));
/* the outputs of one loop (IG_G4_LOOP32 / IG_G4_LOOP of a group step): the five static, or the dynamic with the
 * bias or without (bias 0) */
#define IG_G4_OUTS(loop)                                                                                            \
  if (!dyn) {                                                                                                       \
    if (out_bytes == 1 && IG_ZP16_OK(y_zp)) IG_G4_ASM(loop, IG_G4_STORE_S8);                                        \
    else if (out_bytes == 1) IG_G4_ASM(loop, IG_G4_STORE_S8W);                                                     \
    else if (out_bytes == 2) IG_G4_ASM(loop, IG_G4_STORE_S16);                                                     \
    else if (out_bytes == 4) IG_G4_ASM(loop, IG_G4_STORE_S32);                                                     \
    else IG_G4_ASM(loop, IG_G4_STORE_RAW);                                                                         \
  } else if (bias) {                                                                                                \
    IG_G4_DYN_OUTS(loop, IG_G4_DYNRQ_CORE, IG_G4_DYN_LDB)                                                           \
  } else {                                                                                                          \
    IG_G4_DYN_OUTS(loop, IG_G4_DYNRQ_NB, )                                                                          \
  }
/* nb blocks of 32 rows from the block at w (scales s, bias / mult / shift of the layout; csx = ig_grouped_csx8)
 * over all groups, requantized and stored to y as int8 / int16 / int32 (out_bytes 1, 2, 4), or their raw int32
 * accumulators in the layout's order (out_bytes 0). Per group of 32 columns and 32 rows (1024 MACs): 8 weight
 * loads, 32 SSHR, 64 SDOT, 3 scale loads, 16 MLA/MLS, and once per two groups an x load, a C_sx load and the loop;
 * per block: 2 bias loads, 8 MOVI, 4 parameter loads and 64 instructions requantizing, 8-14 storing. asym: the
 * group step IG_G4_GROUP_ASYM (csx = C_sx); dyn: the sums from 0 and fully_connected_dynamic's requantization
 * (IG_G4_DYNRQ, mantissa mr and exponent e of the row) with bias / mult / shift the layer's own (bias 0: none). */
IG_INLINE void ig_grouped_blocks_s8w4(const int8_t *x, const int8_t *w, const int32_t *s, const int32_t *csx,
                                      int64_t groups, int64_t chunks, int64_t nb, const int32_t *bias,
                                      const int32_t *mult, const int32_t *shift, int32_t y_zp, int32_t act_min,
                                      int32_t act_max, void *y, int32_t out_bytes, int32_t asym, int32_t dyn,
                                      int32_t mr, int32_t e) {
  const int8_t *xp, *wp = w;
  const int32_t *sp = s, *cp;
  int64_t g, c, pairs = groups >> 1, odd = groups;
  if (chunks == 1) {
    if (asym) { IG_G4_OUTS(IG_G4_LOOP32(IG_G4_GROUP_ASYM)) }
    else { IG_G4_OUTS(IG_G4_LOOP32(IG_G4_GROUP)) }
  } else if (chunks == 2 && (asym || dyn)) { /* (the symmetric static kernel keeps its code: the default's counts) */
    pairs = groups;
    if (asym) { IG_G4_OUTS(IG_G4_LOOP64(IG_G4_GROUP_ASYM)) }
    else { IG_G4_OUTS(IG_G4_LOOP64(IG_G4_GROUP)) }
  } else {
    pairs = groups;
    odd = chunks; /* the chunks per group */
    if (asym) { IG_G4_OUTS(IG_G4_LOOP(IG_G4_GROUP_ASYM)) }
    else { IG_G4_OUTS(IG_G4_LOOP(IG_G4_GROUP)) }
  }
}
#undef IG_G4_OUTS
#undef IG_G4_DYN_OUTS
#undef IG_G4_DYNRQ_NB
#undef IG_G4_DYN_LDB
#undef IG_G4_ST32
#undef IG_G4_STORE_DYN32F
#undef IG_G4_DYNRQ
#undef IG_G4_DYNRQ_CORE
#undef IG_G4_DYNRQ16
#undef IG_G4_DYNRQ8
#undef IG_G4_DYN_CLAMP32
#undef IG_G4_DYN_HALF
#undef IG_G4_DYN_ALL
#undef IG_G4_STORE_DYN16
#undef IG_G4_STORE_DYN16F
#undef IG_G4_SQST16
#undef IG_G4_STORE_DYN8
#undef IG_G4_STORE_DYN32
#undef IG_G4_INIT_ZERO
#undef IG_G4_ASM_INIT
#undef IG_G4_ASM_DYN
#undef IG_G4_DYN_INPUTS
#undef IG_G4_CLOBBERS
#undef IG_G4_GROUP_ASYM
#undef IG_G4_SCALED
#undef IG_G4_MLS_E
#undef IG_G4_BY_CSX
#undef IG_G4_QUAD
#undef IG_G4_LDA
#undef IG_G4_LDB
#undef IG_G4_QA
#undef IG_G4_QB
#undef IG_G4_CHUNK
#undef IG_G4_GROUP
#undef IG_G4_INIT
#undef IG_G4_ONE
#undef IG_G4_LOOP32
#undef IG_G4_LOOP
#undef IG_G4_LOOP64
#undef IG_G4_RQ_LOAD
#undef IG_G4_RQ_ALL
#undef IG_G4_STORE_S8W
#undef IG_G4_ST8W
#undef IG_G4_STORE_RAW
#undef IG_G4_STORE_S32
#undef IG_G4_ST16
#undef IG_G4_STORE_S16
#undef IG_G4_ST8
#undef IG_G4_STORE_S8
#undef IG_G4_OPS
#undef IG_G4_ASM
#else
/* ARMv8.0: one column quad of 8 pairs (the block's half: 32 bytes per quad at a stride of 64) against x's quad
 * broadcast (DUP v4): even rows b >> 4 (SSHR), odd rows b & 15 = w + 8 (AND, mask in v30), SMULL (first quad of
 * the chunk) / SMLAL into int16 lanes (8 products of |w| <= 15 and |x| <= 128 fit): v8/v9 even rows of pairs 0-1
 * / 2-3, v10/v11 their odd rows, v12-v15 the same for pairs 4-7. */
#define IG_G4_QUAD(xr, lane, mul, mul2)                                                                             \
  "ld1 {v2.16b, v3.16b}, [%[wp]], %[ws]\n\t"                                                                        \
  "dup v4.4s, v" xr ".s[" lane "]\n\t"                                                                              \
  "sshr v5.16b, v2.16b, #4\n\t" "and v6.16b, v2.16b, v30.16b\n\t"                                                   \
  "sshr v7.16b, v3.16b, #4\n\t" "and v29.16b, v3.16b, v30.16b\n\t"                                                  \
  mul " v8.8h, v5.8b, v4.8b\n\t" mul2 " v9.8h, v5.16b, v4.16b\n\t"                                                  \
  mul " v10.8h, v6.8b, v4.8b\n\t" mul2 " v11.8h, v6.16b, v4.16b\n\t"                                                \
  mul " v12.8h, v7.8b, v4.8b\n\t" mul2 " v13.8h, v7.16b, v4.16b\n\t"                                                \
  mul " v14.8h, v29.8b, v4.8b\n\t" mul2 " v15.8h, v29.16b, v4.16b\n\t"
#define IG_G4_Q0(xr, lane) IG_G4_QUAD(xr, lane, "smull", "smull2")
#define IG_G4_Q(xr, lane) IG_G4_QUAD(xr, lane, "smlal", "smlal2")
/* 32 columns (x in v0, v1), then the int16 sums into the cumulative int32 sums v16-v23 (SADALP) */
#define IG_G4_CHUNK                                                                                                 \
  "ld1 {v0.16b, v1.16b}, [%[xp]], #32\n\t"                                                                          \
  IG_G4_Q0("0", "0") IG_G4_Q("0", "1") IG_G4_Q("0", "2") IG_G4_Q("0", "3")                                          \
  IG_G4_Q("1", "0") IG_G4_Q("1", "1") IG_G4_Q("1", "2") IG_G4_Q("1", "3")                                           \
  "sadalp v16.4s, v8.8h\n\t" "sadalp v17.4s, v9.8h\n\t" "sadalp v18.4s, v10.8h\n\t" "sadalp v19.4s, v11.8h\n\t"   \
  "sadalp v20.4s, v12.8h\n\t" "sadalp v21.4s, v13.8h\n\t" "sadalp v22.4s, v14.8h\n\t" "sadalp v23.4s, v15.8h\n\t"
/* end of a group: E / L of pairs 0-3 and 4-7 (ADDP), A += dA E, B += dB L - dB (8 C_sx) */
#define IG_G4_GROUP                                                                                                 \
  "addp v8.4s, v16.4s, v17.4s\n\t" "addp v9.4s, v18.4s, v19.4s\n\t"                                                \
  "addp v10.4s, v20.4s, v21.4s\n\t" "addp v11.4s, v22.4s, v23.4s\n\t"                                              \
  "ld1 {v5.4s, v6.4s}, [%[sa]], %[ss]\n\t"                                                                          \
  "ld1 {v28.4s, v29.4s}, [%[sb]], %[ss]\n\t"                                                                        \
  "ldr s4, [%[cp]], #4\n\t"                                                                                         \
  "mla %[a0].4s, v8.4s, v5.4s\n\t" "mla %[a1].4s, v10.4s, v6.4s\n\t"                                               \
  "mla %[b0].4s, v9.4s, v28.4s\n\t" "mla %[b1].4s, v11.4s, v29.4s\n\t"                                             \
  "mls %[b0].4s, v28.4s, v4.s[0]\n\t" "mls %[b1].4s, v29.4s, v4.s[0]\n\t"
#define IG_G4_ZERO                                                                                                  \
  "movi v30.16b, #0x0f\n\t"                                                                                         \
  "movi v16.4s, #0\n\t" "movi v17.4s, #0\n\t" "movi v18.4s, #0\n\t" "movi v19.4s, #0\n\t"                          \
  "movi v20.4s, #0\n\t" "movi v21.4s, #0\n\t" "movi v22.4s, #0\n\t" "movi v23.4s, #0\n\t"
#define IG_G4_OUTPUTS                                                                                               \
  [xp] "+r"(xp), [wp] "+r"(wp), [sa] "+r"(sa), [sb] "+r"(sb), [cp] "+r"(cp), [g] "+r"(g), [c] "=&r"(c),            \
      [a0] "+w"(*a0), [a1] "+w"(*a1), [b0] "+w"(*b0), [b1] "+w"(*b1)
#define IG_G4_CLOBBERS                                                                                              \
  "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16",     \
      "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v28", "v29", "v30", "v31", "cc", "memory"

/* The 8 pairs of a block's half (w, s: its first bytes / scales): a0, a1 (even rows of pairs 0-3, 4-7) and b0, b1
 * (odd rows) += the grouped sums. Per group of 32 columns (512 MACs): 9 loads, 8 DUP, 32 SSHR/AND, 64 SMULL/SMLAL,
 * 8 SADALP, 4 ADDP, 3 scale loads, 6 MLA/MLS, 2 loop instructions. */
IG_INLINE void ig_grouped_half_s8w4(const int8_t *x, const int8_t *w, const int32_t *s, const int32_t *csx,
                                    int64_t groups, int64_t chunks, int32x4_t *a0, int32x4_t *a1, int32x4_t *b0,
                                    int32x4_t *b1) {
  const int8_t *xp = x, *wp = w;
  const int32_t *sa = s, *sb = s + 16, *cp = csx;
  int64_t g = groups, c = chunks;
  const int64_t ws = 64, ss = 48 * 4;
  if (chunks == 1) {
    __asm__ volatile(IG_G4_ZERO "1:\n\t" IG_G4_CHUNK IG_G4_GROUP "subs %[g], %[g], #1\n\t" "b.ne 1b\n\t"
                     : IG_G4_OUTPUTS : [ws] "r"(ws), [ss] "r"(ss) : IG_G4_CLOBBERS);
  } else {
    __asm__ volatile(IG_G4_ZERO "1:\n\t" "mov %[c], %[chunks]\n\t" "2:\n\t" IG_G4_CHUNK "subs %[c], %[c], #1\n\t"
                     "b.ne 2b\n\t" IG_G4_GROUP "subs %[g], %[g], #1\n\t" "b.ne 1b\n\t"
                     : IG_G4_OUTPUTS : [chunks] "r"(chunks), [ws] "r"(ws), [ss] "r"(ss) : IG_G4_CLOBBERS);
  }
}
#undef IG_G4_QUAD
#undef IG_G4_Q0
#undef IG_G4_Q
#undef IG_G4_CHUNK
#undef IG_G4_GROUP
#undef IG_G4_ZERO
#undef IG_G4_OUTPUTS
#undef IG_G4_CLOBBERS
#endif

/* The blocked layout (ig_neon_common.h). SDOT only: asym, fully_connected_asym's group offsets in the scale stream
 * (IG_G4_GROUP_ASYM: 80 int32 per block and group), which reads C_sx rather than 8 C_sx; dyn, fully_connected_
 * dynamic's per-token requantization (row quantized with mantissa mr and exponent e; bias, mult and shift its
 * own, in the layout's order) on the exact accumulators, int8 / int16 / int32 out. */
IG_INLINE void fc_blocked_sets(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes, int32_t asym, int32_t dyn, int32_t mr,
                               int32_t e) {
  const int32_t groups = k_dim / group_size;
  const int64_t chunks = group_size / 32;
  const size_t wblock = (size_t)k_dim * (IG_GROUPED_ROWS / 2), sblock = (size_t)groups * (asym ? 80 : 48);
  int32_t csx[IG_GROUPED_MAX_GROUPS];
  ig_grouped_csx8(x, group_size, groups, csx);
#if defined(__ARM_FEATURE_DOTPROD)
  if (asym) /* exact: |8 C_sx| <= 8 * 128 * K < 2^31 */
    for (int32_t g = 0; g < groups; g++) csx[g] >>= 3;
  const int32_t full = n_dim / IG_GROUPED_ROWS, n = full * IG_GROUPED_ROWS;
  if (full > 0)
    ig_grouped_blocks_s8w4(x, w, group_scale_t, csx, groups, chunks, full, bias, mult, shift, y_zp, act_min,
                           act_max, y, out_bytes, asym, dyn, mr, e);
  if (n < n_dim && dyn) { /* the padded block's outputs, then the rows that exist */
    int8_t out[IG_GROUPED_ROWS * 4] __attribute__((aligned(16)));
    ig_grouped_blocks_s8w4(x, w + full * wblock, group_scale_t + full * sblock, csx, groups, chunks, 1,
                           bias ? bias + n : bias, mult + n, shift + n, y_zp, act_min, act_max, out, out_bytes, asym,
                           1, mr, e);
    __builtin_memcpy(ig_out_at(y, n, out_bytes), out, (size_t)(n_dim - n) * (size_t)out_bytes);
  } else if (n < n_dim) { /* the last rows: the raw accumulators of the (padded) block, then requantized */
    int32_t acc[IG_GROUPED_ROWS];
    ig_grouped_blocks_s8w4(x, w + full * wblock, group_scale_t + full * sblock, csx, groups, chunks, 1, bias + n, 0,
                           0, 0, 0, 0, acc, 0, asym, 0, 0, 0);
    int32x4_t a[4], b[4];
    for (int32_t j = 0; j < 4; j++) {
      a[j] = vld1q_s32(acc + 8 * j);
      b[j] = vld1q_s32(acc + 8 * j + 4);
    }
    ig_grouped_output32_pairs(a, b, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes),
                              n_dim - n, out_bytes);
  }
#else
  (void)asym, (void)dyn, (void)mr, (void)e;
  const int8_t *wb = w;
  const int32_t *sb = group_scale_t;
  for (int32_t n = 0; n < n_dim; n += IG_GROUPED_ROWS, wb += wblock, sb += sblock) {
    int32_t count = n_dim - n < IG_GROUPED_ROWS ? n_dim - n : IG_GROUPED_ROWS;
    int32x4_t a[4], b[4];
    IG_UNROLL for (int32_t j = 0; j < 4; j++) {
      a[j] = vld1q_s32(bias + n + 8 * j);
      b[j] = vld1q_s32(bias + n + 8 * j + 4);
    }
    ig_grouped_half_s8w4(x, wb, sb, csx, groups, chunks, &a[0], &a[1], &b[0], &b[1]);
    ig_grouped_half_s8w4(x, wb + 32, sb + 8, csx, groups, chunks, &a[2], &a[3], &b[2], &b[3]);
    ig_grouped_output32_pairs(a, b, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), count,
                              out_bytes);
  }
#endif
}

IG_INLINE void fc_blocked(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  fc_blocked_sets(IG_FC_GROUPED_PASS, y, out_bytes, 0, 0, 0, 0);
}

/* Row pairs, group scales transposed to [G, N]: four output channels (two pairs) at a time. */
IG_INLINE void fc_rows(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  const int8_t *w_pairs = w;
  int32_t groups = k_dim / group_size;
  for (int32_t n = 0; n < n_dim; n += 4) {
    int32_t count = n_dim - n < 4 ? n_dim - n : 4;
    const int8_t *p0 = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
    const int8_t *p1 = count > 2 ? p0 + k_dim : p0;
    int32x4_t acc = ig_load4_s32(bias + n, count);
    for (int32_t g = 0; g < groups; g++) {
      int32_t k0 = g * group_size;
      int32x4_t s = ig_dot2pairs_s8w4(x, p0, p1, k0, k0 + group_size, ig_sum_s8(x, k0, k0 + (group_size & ~15)));
      acc = vmlaq_s32(acc, s, ig_load4_s32(group_scale_t + (size_t)g * (size_t)n_dim + n, count));
    }
    ig_output4(acc, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), count, out_bytes);
  }
}

#define IG_FC_GROUPED_W4 1
#include "ig_fc_grouped_entries.h"

#if defined(__ARM_FEATURE_DOTPROD)
/* fully_connected_asym (int4, int8 x, the blocked layout) with its group offsets inside the scales
 * (codegen/op_calls_quant.py, packing.py neon_asym_scales): the offset term sum_g o[n, g] sum_{k in g} x[k] costs
 * per group of 32 rows two loads and four MLA in the group step rather than a pass per call. */
void ig_fc_grouped_asym_s8w4(IG_FC_GROUPED_ARGS, int8_t *y) { fc_blocked_sets(IG_FC_GROUPED_PASS, y, 1, 1, 0, 0, 0); }
void ig_fc_grouped_asym_s8w4_to_s16(IG_FC_GROUPED_ARGS, int16_t *y) {
  fc_blocked_sets(IG_FC_GROUPED_PASS, y, 2, 1, 0, 0, 0);
}
void ig_fc_grouped_asym_s8w4_to_s32(IG_FC_GROUPED_ARGS, int32_t *y) {
  fc_blocked_sets(IG_FC_GROUPED_PASS, y, 4, 1, 0, 0, 0);
}
/* fully_connected_dynamic on the row's int8 q (ig_dyn_quantize_*), with or without group offsets, requantized per
 * token in the block's registers (IG_G4_DYNRQ) rather than stored as int32 and requantized by ig_dyn_requant_*;
 * bias NULL: a layer without bias (codegen/op_calls_quant.py passes 0 where every bias is 0) */
IG_INLINE void fc_dynamic(IG_FC_GROUPED_ARGS, int32_t mr, int32_t e, void *y, int32_t out_bytes, int32_t asym) {
  fc_blocked_sets(IG_FC_GROUPED_PASS, y, out_bytes, asym, 1, mr, e);
}
#include "ig_fc_dynamic_entries.h"
#endif
