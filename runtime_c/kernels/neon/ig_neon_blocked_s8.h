/* The SDOT loop of the blocked per-channel int8 kernels (ig_fc_s8.c ig_fc_s8_blocked*, ig_fc_s8_dyn.c): one block
 * of 32 output rows (the grouped kernels' blocked layout, ig_neon_grouped.h) against the int8 row x, sums in v18-v25
 * (rows 4j..4j+3 in v<18 + j>), started by the caller's assembly. Operands: xp, wp, c (registers the loop walks),
 * and IG_PC_SUMS_INPUTS. Labels 2-6 are the loop's. */
#ifndef IG_NEON_BLOCKED_S8_H
#define IG_NEON_BLOCKED_S8_H
#include "ig_neon_grouped.h"

#if defined(__ARM_FEATURE_DOTPROD)
/* The chunks run in pairs with one 64-byte load of x (v0-v3) each, three pairs per loop step (the odd chunk and
 * the pairs short of a multiple of three first); weights in v10-v17 (quad halves A: v10-v13, B: v14-v17), sums in
 * v18-v25 starting from the bias. Per six chunks of a block (6144 MACs): 99 loads, 384 SDOT, 2 loop instructions
 * (the grouped kernel with one group: 102, 384 and 12, and per block 21 more: MOVI, the group's scale loads and
 * MLA, its loop). */
#define IG_PC_LDA "ld1 {v10.16b - v13.16b}, [%[wp]], #64\n\t"
#define IG_PC_LDB "ld1 {v14.16b - v17.16b}, [%[wp]], #64\n\t"
#define IG_PC_SDA(xr, lane) IG_SDOT4("18", "19", "20", "21", "10", "11", "12", "13", xr, lane)
#define IG_PC_SDB(xr, lane) IG_SDOT4("22", "23", "24", "25", "14", "15", "16", "17", xr, lane)
#define IG_PC_QUAD(xr, lane) IG_PC_LDB IG_PC_SDA(xr, lane) IG_PC_LDA IG_PC_SDB(xr, lane)
#define IG_PC_QLAST(xr, lane) IG_PC_LDB IG_PC_SDA(xr, lane) IG_PC_SDB(xr, lane)
#define IG_PC_X4(xr) IG_PC_QUAD(xr, "0") IG_PC_QUAD(xr, "1") IG_PC_QUAD(xr, "2")
/* one chunk (x in v0, v1), then pairs (x in v0-v3) */
#define IG_PC_CHUNK                                                                                                 \
  "ld1 {v0.16b, v1.16b}, [%[xp]], #32\n\t" IG_PC_LDA IG_PC_X4("0") IG_PC_QUAD("0", "3") IG_PC_X4("1")              \
  IG_PC_QLAST("1", "3")
#define IG_PC_PAIR                                                                                                  \
  "ld1 {v0.16b - v3.16b}, [%[xp]], #64\n\t" IG_PC_LDA IG_PC_X4("0") IG_PC_QUAD("0", "3") IG_PC_X4("1")             \
  IG_PC_QUAD("1", "3") IG_PC_X4("2") IG_PC_QUAD("2", "3") IG_PC_X4("3")
/* the sums of one block: the odd chunk, the pairs short of a multiple of three, then three pairs a step */
#define IG_PC_SUMS                                                                                                  \
  "tbz %[chunks], #0, 3f\n\t" IG_PC_CHUNK "3:\n\t" "mov %[c], %[rem]\n\t" "cbz %[c], 5f\n\t"                    \
  "6:\n\t" IG_PC_PAIR "subs %[c], %[c], #1\n\t" IG_PC_QLAST("3", "3") "b.ne 6b\n\t"                               \
  "5:\n\t" "mov %[c], %[triples]\n\t" "cbz %[c], 4f\n\t"                                                        \
  "2:\n\t" IG_PC_PAIR IG_PC_QLAST("3", "3") IG_PC_PAIR IG_PC_QLAST("3", "3") IG_PC_PAIR                             \
  "subs %[c], %[c], #1\n\t" IG_PC_QLAST("3", "3") "b.ne 2b\n\t" "4:\n\t"
/* its inputs: x (the block's row restarts there) and the chunk counts of chunks = K / 32 */
#define IG_PC_SUMS_INPUTS                                                                                           \
  [x] "r"(x), [chunks] "r"(chunks), [rem] "r"((chunks >> 1) % 3), [triples] "r"((chunks >> 1) / 3)
/* the sums times a per-row factor (lsc, 32 int32 per block): ig_fc_s8_blocked's 2^left shift, ig_fc_s8_dyn's one
 * group scale */
#define IG_PC_LSHIFT                                                                                                \
  "ld1 {v0.4s - v3.4s}, [%[lsc]], #64\n\t" "ld1 {v4.4s - v7.4s}, [%[lsc]], #64\n\t"                                \
  "mul v18.4s, v18.4s, v0.4s\n\t" "mul v19.4s, v19.4s, v1.4s\n\t" "mul v20.4s, v20.4s, v2.4s\n\t"                 \
  "mul v21.4s, v21.4s, v3.4s\n\t" "mul v22.4s, v22.4s, v4.4s\n\t" "mul v23.4s, v23.4s, v5.4s\n\t"                 \
  "mul v24.4s, v24.4s, v6.4s\n\t" "mul v25.4s, v25.4s, v7.4s\n\t"
#endif
#endif
