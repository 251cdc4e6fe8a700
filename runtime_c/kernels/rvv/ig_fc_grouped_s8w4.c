/* Fully connected with group-wise integer scale factors, int4 weights in row pairs: RVV 1.0, vector-length
 * agnostic. One body for the int8 / int16 / int32 outputs.
 * Groups of a multiple of 4 (the blocked layout of ig_rvv_common.h): vl row pairs at a time, one pair per element;
 * per two columns one segment load, per column the nibbles split (VSRA / VAND) and multiplied by x[k] into int16
 * sums (VWMACC.VX), every 16 columns multiplied by the rows' int16 group scales into int32 (VWMACC.VV): no
 * reduction, no unpacking in memory. Other group sizes: two pairs at a time, a reduction per group. */
#include "ig_kernels.h"
#include "ig_rvv_common.h"

/* Two columns of the vl pairs (bytes in v0/v2 after the segment load, x[k] in a0 / a1): even rows b >> 4 into the
 * int16 sums v24-v27, odd rows b & 15 (= w + 8) into v28-v31; MUL is vwmul for a segment's first column. */
#define IG_G4R_COL(field, xr, mul_hi, mul_lo)                                                                       \
  "vsra.vi v4, v" field ", 4\n\t" "vand.vi v6, v" field ", 15\n\t" mul_hi "\n\t" mul_lo "\n\t"
#define IG_G4R_FIRST(field, xr) IG_G4R_COL(field, xr, "vwmul.vx v24, v4, " xr, "vwmul.vx v28, v6, " xr)
#define IG_G4R_NEXT(field, xr) IG_G4R_COL(field, xr, "vwmacc.vx v24, " xr ", v4", "vwmacc.vx v28, " xr ", v6")
/* four columns: two segment loads */
#define IG_G4R_LOAD2(o0, o1) "vlseg2e8.v v0, (%[wp])\n\t" "add %[wp], %[wp], %[ws]\n\t" "lb a0, " o0 "(%[xp])\n\t" "lb a1, " o1 "(%[xp])\n\t"

/* acc[2i] / acc[2i + 1] (i < vl) = the grouped sums of the even / odd rows of vl pairs of a block: w = the slice's
 * first bytes (a block's column pair is ws = 2 W bytes), s = the slice's first even-row scale (int16; the odd rows'
 * are sb = 2 W bytes further, a group's scales sg = 4 W bytes apart), csx8[g] = 8 * the sum of x over group g. Per
 * 4 columns and vl pairs: 2 segment loads, 4 x loads, 4 VSRA, 4 VAND, 8 VWMUL/VWMACC, 6 scalar instructions; per
 * 16 columns 2 scale loads, 2 VWMACC.VV, 2 VSETVLI; per group VSEXT and VNMSAC for 8 sum(x). */
IG_INLINE void ig_grouped_slice_s8w4(const int8_t *x, const int8_t *w, const int16_t *s, const int32_t *csx8,
                                     int64_t groups, int64_t group_size, size_t ws, size_t sb, size_t sg, size_t vl,
                                     int32_t *acc) {
  const int8_t *xp = x, *wp = w;
  const int16_t *sp = s;
  const int32_t *cp = csx8;
  int64_t g = groups, rem, t;
  const size_t st = 8;
  __asm__ volatile(
      "vsetvli zero, %[vl], e32, m8, ta, ma\n\t"
      "vmv.v.i v8, 0\n\t" /* the even rows' accumulators */
      "vmv.v.i v16, 0\n\t" /* the odd rows' */
      "1:\n\t"
      "mv %[rem], %[gs]\n\t"
      "2:\n\t" /* a segment of at most 16 columns (int16 sums hold 16 products of |w| <= 15, |x| <= 128) */
      "li %[t], 16\n\t"
      "bgeu %[rem], %[t], 3f\n\t"
      "mv %[t], %[rem]\n\t"
      "3:\n\t"
      "sub %[rem], %[rem], %[t]\n\t"
      "srli %[t], %[t], 2\n\t"
      "vsetvli zero, %[vl], e8, m2, ta, ma\n\t"
      IG_G4R_LOAD2("0", "1") IG_G4R_FIRST("0", "a0") IG_G4R_NEXT("2", "a1")
      IG_G4R_LOAD2("2", "3") IG_G4R_NEXT("0", "a0") IG_G4R_NEXT("2", "a1")
      "addi %[xp], %[xp], 4\n\t"
      "addi %[t], %[t], -1\n\t"
      "beqz %[t], 5f\n\t"
      "4:\n\t"
      IG_G4R_LOAD2("0", "1") IG_G4R_NEXT("0", "a0") IG_G4R_NEXT("2", "a1")
      IG_G4R_LOAD2("2", "3") IG_G4R_NEXT("0", "a0") IG_G4R_NEXT("2", "a1")
      "addi %[xp], %[xp], 4\n\t"
      "addi %[t], %[t], -1\n\t"
      "bnez %[t], 4b\n\t"
      "5:\n\t" /* the segment's int16 sums times the group's scales */
      "vsetvli zero, %[vl], e16, m4, ta, ma\n\t"
      "add %[t], %[sp], %[sb]\n\t"
      "vle16.v v0, (%[sp])\n\t"
      "vle16.v v4, (%[t])\n\t"
      "vwmacc.vv v8, v0, v24\n\t"
      "vwmacc.vv v16, v4, v28\n\t"
      "bnez %[rem], 2b\n\t"
      /* the group's end: odd rows -= 8 sum(x) * their scales (still in v4) */
      "vsetvli zero, %[vl], e32, m8, ta, ma\n\t"
      "vsext.vf2 v24, v4\n\t"
      "lw %[t], 0(%[cp])\n\t"
      "addi %[cp], %[cp], 4\n\t"
      "add %[sp], %[sp], %[sg]\n\t"
      "vnmsac.vx v16, %[t], v24\n\t"
      "addi %[g], %[g], -1\n\t"
      "bnez %[g], 1b\n\t"
      "addi %[t], %[acc], 4\n\t"
      "vsse32.v v8, (%[acc]), %[st]\n\t"
      "vsse32.v v16, (%[t]), %[st]\n\t"
      : [xp] "+r"(xp), [wp] "+r"(wp), [sp] "+r"(sp), [cp] "+r"(cp), [g] "+r"(g), [rem] "=&r"(rem), [t] "=&r"(t)
      : [gs] "r"(group_size), [ws] "r"(ws), [sb] "r"(sb), [sg] "r"(sg), [vl] "r"(vl), [acc] "r"(acc), [st] "r"(st)
      : "a0", "a1", IG_RVV_CLOBBERS_V);
}
#undef IG_G4R_COL
#undef IG_G4R_FIRST
#undef IG_G4R_NEXT
#undef IG_G4R_LOAD2

/* The blocked layout (ig_rvv_common.h). */
IG_INLINE void fc_blocked(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  int32_t acc[2 * IG_GROUPED_BLOCK], csx8[IG_GROUPED_MAX_GROUPS];
  const int64_t groups = k_dim / group_size;
  const int32_t pairs = (n_dim + 1) / 2;
  const size_t vlmax = __riscv_vsetvlmax_e8m2();
  ig_rvv_set_vxrm_rnu();
  for (int64_t g = 0; g < groups; g++)
    csx8[g] = (int32_t)((uint32_t)ig_sum_s8(x, (int32_t)(g * group_size), (int32_t)((g + 1) * group_size)) << 3);
  const int8_t *wb = w;
  const int16_t *sb = (const int16_t *)group_scale_t;
  for (int32_t p0 = 0; p0 < pairs; p0 += IG_GROUPED_BLOCK) {
    const size_t width = pairs - p0 < IG_GROUPED_BLOCK ? (size_t)(pairs - p0) : IG_GROUPED_BLOCK;
    for (size_t r = 0; r < width; r += vlmax) {
      size_t vl = width - r < vlmax ? width - r : vlmax;
      ig_grouped_slice_s8w4(x, wb + 2 * r, sb + r, csx8, groups, group_size, 2 * width, 2 * width, 4 * width, vl,
                            acc + 2 * r);
    }
    int32_t n0 = 2 * p0, count = n_dim - n0 < 2 * (int32_t)width ? n_dim - n0 : 2 * (int32_t)width;
    ig_output_block(acc, n0, count, bias, mult, shift, y_zp, act_min, act_max, y, out_bytes);
    wb += width * (size_t)k_dim;
    sb += 2 * width * (size_t)groups;
  }
}

/* Row pairs, group scales transposed to [G, N]: four rows (two pairs) at a time, a reduction per group. */
IG_INLINE void fc_rows(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  const int8_t *w_pairs = w;
  int32_t acc[IG_RVV_BLOCK];
  int32_t groups = k_dim / group_size;
  ig_rvv_set_vxrm_rnu();
  for (int32_t n0 = 0; n0 < n_dim; n0 += IG_RVV_BLOCK) {
    int32_t count = n_dim - n0 < IG_RVV_BLOCK ? n_dim - n0 : IG_RVV_BLOCK;
    for (int32_t i = 0; i < count; i += 4) {
      int32_t n = n0 + i, rows = count - i < 4 ? count - i : 4, s[4];
      const int8_t *p0 = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
      const int8_t *p1 = rows > 2 ? p0 + k_dim : p0;
      int32_t a[4] = {0, 0, 0, 0};
      for (int32_t g = 0; g < groups; g++) {
        int32_t k0 = g * group_size, k1 = k0 + group_size;
        ig_dot2pairs_s8w4(x, p0, p1, k0, k1, ig_sum_s8(x, k0, k1), s);
        const int32_t *gs = group_scale_t + (size_t)g * (size_t)n_dim + n;
        for (int32_t r = 0; r < rows; r++) a[r] = ig_wadd(a[r], ig_wmul(s[r], gs[r]));
      }
      for (int32_t r = 0; r < rows; r++) acc[i + r] = a[r];
    }
    ig_output_block(acc, n0, count, bias, mult, shift, y_zp, act_min, act_max, y, out_bytes);
  }
}

#define IG_FC_GROUPED_W4 1
#include "ig_fc_grouped_entries.h"
