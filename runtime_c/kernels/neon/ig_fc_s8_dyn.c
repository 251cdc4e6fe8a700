/* fully_connected_dynamic with int8 per-channel weights (one group of K, unit group scale, no group offset) on
 * AArch64 NEON with SDOT: ig_fc_s8_blocked's loop (ig_neon_blocked_s8.h: the grouped kernels' blocked layout, 32
 * rows a block, the same SDOT schedule) on the row's int8 q from ig_dyn_quantize_*, the sums started at zero, then
 * the per-token requantization of the row's (mr, e) in the block's registers, as the int4 dynamic kernel does
 * (ig_fc_grouped_s8w4.c IG_G4_DYNRQ*): no int32 round trip, no identity requantization, no second pass.
 * The sums are exact in int32 (the lowering's bound: 127 sum |w| < 2^30, codegen/op_calls_quant.py
 * dynamic_on_grouped). ARMv8.0 keeps the grouped kernel and ig_dyn_requant_* (the lowering routes here only with
 * SDOT). Arrays (codegen/packing.py pack_fc_s8_dynamic): the weights blocked, bias / multipliers / shifts the
 * layer's own padded to the blocks; bias NULL: a layer without one. */
#include "ig_kernels.h"
#include "ig_neon_blocked_s8.h"
#include "ig_ops_quant.h"

#if defined(__ARM_FEATURE_DOTPROD)
/* The per-token requantization of one vector v<a> (four rows' sums), the values of ig_dyn_requant
 * (ig_fc_dynamic_parts.c rq4): m = rshr(mult mr, 15) as mult + SQRDMLAH(mult, X) with X = (mr - 2^15) 2^16 in v26
 * (exact: mult 2^15 divides by 2^15, |X| <= 2^30), multipliers in v<m>, shifts in v<s> (rows in order).
 * The 32-bit form, where every row's S = shift - e is at least 32 - j (shift_min, the layer's smallest shift, tells
 * per call; j = acc_shift, the left shift that the layer's accumulator bound leaves room for in int32: the lowering's
 * bound 127 sum |w| < 2^(31 - j)): with P = acc m = H 2^(31 - j) + L, 0 <= L < 2^(31 - j), k = S - 31 + j >= 1,
 * rshr(P, S) = floor((H + 2^(k - 1) + L / 2^(31 - j)) / 2^k) = rshr(H, k), as an integer plus a fraction below one
 * never crosses a multiple of 2^k; H = SQDMULH(acc 2^j, m) (SSHL by j in v31; no saturation: m >= 0), then SRSHL by
 * (e + 31 - j) - shift (e + 31 - j in v27), the bias by SQADD: a sum past int32 saturates, and stays past every clamp
 * of an int8 / int16 output or the int32 limits of an int32 one with y_zp 0 (the int32 outputs with a y_zp take the
 * int64 form). Five instructions per four rows, six with a bias (the static kernels: five). */
#define IG_D8_F_NB(a, m, s, b)                                                                                      \
  "sqrdmlah v" m ".4s, v" m ".4s, v26.4s\n\t" "sshl v" a ".4s, v" a ".4s, v31.4s\n\t"                               \
  "sqdmulh v" a ".4s, v" a ".4s, v" m ".4s\n\t" "sub v" s ".4s, v27.4s, v" s ".4s\n\t"                              \
  "srshl v" a ".4s, v" a ".4s, v" s ".4s\n\t"
#define IG_D8_F_BIAS(a, m, s, b) IG_D8_F_NB(a, m, s, b) "sqadd v" a ".4s, v" a ".4s, v" b ".4s\n\t"
/* ... as it is (int8 outputs: narrowed to int16 saturating, y_zp and the clamp in int16 as the static stores; an
 * int8 y_zp passes IG_ZP16_OK; the whole int16 / int32 range with y_zp 0: SQXTN / nothing is the clamp), then y_zp
 * and the clamp (int16 out: y_zp an int16, so a saturated value stays past the clamp), or the clamp alone (int32 out,
 * y_zp 0) */
#define IG_D8_F(core, a, m, s, b) core(a, m, s, b)
#define IG_D8_F16(core, a, m, s, b)                                                                                 \
  core(a, m, s, b) "sqadd v" a ".4s, v" a ".4s, v28.4s\n\t"                                                         \
  "smax v" a ".4s, v" a ".4s, v29.4s\n\t" "smin v" a ".4s, v" a ".4s, v30.4s\n\t"
#define IG_D8_F32(core, a, m, s, b)                                                                                 \
  core(a, m, s, b) "smax v" a ".4s, v" a ".4s, v29.4s\n\t" "smin v" a ".4s, v" a ".4s, v30.4s\n\t"
/* The int64 form (any S in [0, 62]): rshr(acc m, S) as SMULL pairs and SRSHL by e - shift (e in v27) on 64-bit
 * lanes, which shift by their low byte (ZIP1 / ZIP2 put rows 0, 1 and 2, 3 there), into v12 / v13; temporaries
 * v12-v15; the bias and y_zp added in int64 */
#define IG_D8_W_NB(a, m, s, b)                                                                                      \
  "sqrdmlah v" m ".4s, v" m ".4s, v26.4s\n\t" "sub v14.4s, v27.4s, v" s ".4s\n\t"                                   \
  "zip2 v15.4s, v14.4s, v14.4s\n\t" "zip1 v14.4s, v14.4s, v14.4s\n\t" IG_DYN64_MUL(a, m)
#define IG_D8_W_BIAS(a, m, s, b) IG_D8_W_NB(a, m, s, b) IG_DYN64_BIAS(b)
/* ... + y_zp (v28) in int64, SQXTN, the clamp (v29 / v30): every output type */
#define IG_D8_W(core, a, m, s, b) core(a, m, s, b) IG_DYN64_OUT(a, "28", "29", "30")
/* four vectors (16 rows): their multipliers (v0-v3), shifts (v4-v7) and (ldb) biases (v8-v11) loaded */
#define IG_D8_LDB "ld1 {v8.4s - v11.4s}, [%[bias]], #64\n\t"
#define IG_D8_HALF(rq, core, ldb, a0, a1, a2, a3)                                                                   \
  "ld1 {v0.4s - v3.4s}, [%[mult]], #64\n\t" "ld1 {v4.4s - v7.4s}, [%[shift]], #64\n\t" ldb                          \
  rq(core, a0, "0", "4", "8") rq(core, a1, "1", "5", "9") rq(core, a2, "2", "6", "10") rq(core, a3, "3", "7", "11")
#define IG_D8_ALL(rq, core, ldb)                                                                                    \
  IG_D8_HALF(rq, core, ldb, "18", "19", "20", "21") IG_D8_HALF(rq, core, ldb, "22", "23", "24", "25")
/* the stores, rows in order (ig_neon_grouped.h IG_G8_*) */
#define IG_D8_ST16 "st1 {v0.8h - v3.8h}, [%[y]], #64\n\t"
#define IG_D8_S8(core, ldb)                                                                                         \
  IG_D8_ALL(IG_D8_F, core, ldb) IG_G8_NARROW16("sqxtn", "sqxtn2") IG_ZPCLAMP16("0", "1") IG_ZPCLAMP16("2", "3")     \
  IG_G8_NARROW8
#define IG_D8_S16F(core, ldb) IG_D8_ALL(IG_D8_F, core, ldb) IG_G8_NARROW16("sqxtn", "sqxtn2") IG_D8_ST16
#define IG_D8_S16(core, ldb) IG_D8_ALL(IG_D8_F16, core, ldb) IG_G8_NARROW16("xtn", "xtn2") IG_D8_ST16
#define IG_D8_S32F(core, ldb) IG_D8_ALL(IG_D8_F, core, ldb) IG_G8_STORE_RAW
#define IG_D8_S32(core, ldb) IG_D8_ALL(IG_D8_F32, core, ldb) IG_G8_STORE_RAW
#define IG_D8_W8(core, ldb) IG_D8_ALL(IG_D8_W, core, ldb) IG_G8_NARROW16("xtn", "xtn2") IG_G8_NARROW8
#define IG_D8_W16(core, ldb) IG_D8_ALL(IG_D8_W, core, ldb) IG_G8_NARROW16("xtn", "xtn2") IG_D8_ST16
#define IG_D8_W32(core, ldb) IG_D8_ALL(IG_D8_W, core, ldb) IG_G8_STORE_RAW
/* the constants of the stores (once per call): y_zp, act_min, act_max in v28-v30 */
#define IG_D8_C32 "dup v28.4s, %w[zp]\n\t" "dup v29.4s, %w[lo]\n\t" "dup v30.4s, %w[hi]\n\t"
#define IG_D8_C64 "dup v28.2d, %x[zp64]\n\t" "dup v29.4s, %w[lo]\n\t" "dup v30.4s, %w[hi]\n\t"
/* nb blocks one after the other (x restarts, everything else walks on); the sums from zero (two loads of 64 zero
 * bytes), X, e (+ 31 - j in the 32-bit form) and j in v26, v27, v31 */
#define IG_D8_ASM(consts, store)                                                                                    \
  __asm__ volatile("dup v26.4s, %w[mrx]\n\t" "dup v27.4s, %w[e]\n\t" "dup v31.4s, %w[j]\n\t" consts               \
                   "0:\n\t" "mov %[xp], %[x]\n\t"                                                                   \
                   "ld1 {v18.4s - v21.4s}, [%[zeros]]\n\t" "ld1 {v22.4s - v25.4s}, [%[zeros]]\n\t"                   \
                   IG_PC_SUMS store "subs %[nb], %[nb], #1\n\t" "b.ne 0b\n\t"                                       \
                   : [xp] "=&r"(xp), [wp] "+r"(wp), [c] "=&r"(c), [bias] "+r"(bias), [mult] "+r"(mult),            \
                     [shift] "+r"(shift), [y] "+r"(y), [nb] "+r"(nb)                                                \
                   : IG_PC_SUMS_INPUTS, [zp] "r"(y_zp), [zp64] "r"((int64_t)y_zp), [lo] "r"(act_min),               \
                     [hi] "r"(act_max), [mrx] "r"((mr - 32768) * 65536), [e] "r"(fast ? e + 31 - acc_shift : e),    \
                     [j] "r"(acc_shift), [zeros] "r"(ig_dyn_zeros64)                                                \
                   : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", \
                     "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27",     \
                     "v28", "v29", "v30", "v31", "cc", "memory")
/* the 32-bit form's outputs; the int64 form's (one per output type) */
#define IG_D8_OUTS(core, ldb)                                                                                       \
  if (out_bytes == 1) IG_D8_ASM(IG_RQ_CONSTANTS16, IG_D8_S8(core, ldb));                                           \
  else if (out_bytes == 2 && !y_zp && act_min == INT16_MIN && act_max == INT16_MAX)                                  \
    IG_D8_ASM("", IG_D8_S16F(core, ldb));                                                                           \
  else if (out_bytes == 2) IG_D8_ASM(IG_D8_C32, IG_D8_S16(core, ldb));                                             \
  else if (act_min == INT32_MIN && act_max == INT32_MAX) IG_D8_ASM("", IG_D8_S32F(core, ldb));                       \
  else IG_D8_ASM(IG_D8_C32, IG_D8_S32(core, ldb));
#define IG_D8_WOUTS(core, ldb)                                                                                      \
  if (out_bytes == 1) IG_D8_ASM(IG_D8_C64, IG_D8_W8(core, ldb));                                                   \
  else if (out_bytes == 2) IG_D8_ASM(IG_D8_C64, IG_D8_W16(core, ldb));                                             \
  else IG_D8_ASM(IG_D8_C64, IG_D8_W32(core, ldb));

static const int32_t ig_dyn_zeros64[16] __attribute__((aligned(16))) = {0};

/* nb blocks of 32 rows from the block at w, requantized per token and stored to y as int8 / int16 / int32
 * (out_bytes 1, 2, 4); the 32-bit form where shift_min - e >= 32 - acc_shift */
IG_INLINE void ig_dyn_blocks_s8(const int8_t *x, const int8_t *w, int64_t chunks, int64_t nb, const int32_t *bias,
                                const int32_t *mult, const int32_t *shift, int32_t shift_min, int32_t acc_shift,
                                int32_t y_zp, int32_t act_min, int32_t act_max, int32_t mr, int32_t e, void *y,
                                int32_t out_bytes) {
  const int8_t *xp, *wp = w;
  int64_t c;
  const int fast = shift_min - e >= 32 - acc_shift && (out_bytes < 4 || !y_zp);
  if (fast && bias) { IG_D8_OUTS(IG_D8_F_BIAS, IG_D8_LDB) }
  else if (fast) { IG_D8_OUTS(IG_D8_F_NB, ) }
  else if (bias) { IG_D8_WOUTS(IG_D8_W_BIAS, IG_D8_LDB) }
  else { IG_D8_WOUTS(IG_D8_W_NB, ) }
}
#undef IG_D8_F_NB
#undef IG_D8_F_BIAS
#undef IG_D8_F
#undef IG_D8_F16
#undef IG_D8_F32
#undef IG_D8_W_NB
#undef IG_D8_W_BIAS
#undef IG_D8_W
#undef IG_D8_LDB
#undef IG_D8_HALF
#undef IG_D8_ALL
#undef IG_D8_ST16
#undef IG_D8_S8
#undef IG_D8_S16F
#undef IG_D8_S16
#undef IG_D8_S32F
#undef IG_D8_S32
#undef IG_D8_W8
#undef IG_D8_W16
#undef IG_D8_W32
#undef IG_D8_C32
#undef IG_D8_C64
#undef IG_D8_ASM
#undef IG_D8_OUTS
#undef IG_D8_WOUTS

/* K a multiple of 32; the last N mod 32 rows: their padded block into a buffer, then the rows that exist */
IG_INLINE void fc_s8_dyn(IG_FC_S8_DYN_ARGS, void *y, int32_t out_bytes) {
  const int32_t full = n_dim / IG_GROUPED_ROWS, n = full * IG_GROUPED_ROWS;
  const int64_t chunks = k_dim / 32;
  if (full > 0)
    ig_dyn_blocks_s8(q, w, chunks, full, bias, mult, shift, shift_min, acc_shift, y_zp, act_min, act_max, mr, e, y,
                     out_bytes);
  if (n < n_dim) {
    int8_t out[IG_GROUPED_ROWS * 4] __attribute__((aligned(16)));
    ig_dyn_blocks_s8(q, w + (size_t)n * (size_t)k_dim, chunks, 1, bias ? bias + n : bias, mult + n, shift + n,
                     shift_min, acc_shift, y_zp, act_min, act_max, mr, e, out, out_bytes);
    __builtin_memcpy(ig_out_at(y, n, out_bytes), out, (size_t)(n_dim - n) * (size_t)out_bytes);
  }
}

void ig_fc_s8_dyn(IG_FC_S8_DYN_ARGS, int8_t *y) { fc_s8_dyn(IG_FC_S8_DYN_PASS, y, 1); }
void ig_fc_s8_dyn_to_s16(IG_FC_S8_DYN_ARGS, int16_t *y) { fc_s8_dyn(IG_FC_S8_DYN_PASS, y, 2); }
void ig_fc_s8_dyn_to_s32(IG_FC_S8_DYN_ARGS, int32_t *y) { fc_s8_dyn(IG_FC_S8_DYN_PASS, y, 4); }
#endif
