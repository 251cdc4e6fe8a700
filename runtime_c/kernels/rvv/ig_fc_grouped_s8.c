/* Fully connected with group-wise integer scale factors, int8 weights: RVV 1.0, vector-length agnostic. One body
 * for the int8 / int16 / int32 outputs.
 * Groups of a multiple of 4 (the blocked layout of ig_rvv_common.h): vl rows at a time, one row per element; per
 * column quad one segment load, then per column the weights sign-extended (VSEXT) and multiplied by x[k] into the
 * rows' cumulative int32 sums (VWMACC.VX), once per group multiplied by the scale differences (VMACC): no
 * reduction. Other group sizes: four rows at a time, a reduction per group (ig_dot4rows_s8). */
#include "ig_kernels.h"
#include "ig_rvv_common.h"

/* acc[0..vl) = the grouped sums of vl rows of a block: w = the slice's first bytes (a block's column quad is
 * ws = 4 W bytes), s = its first scale (a group's scales are ss = 4 W bytes apart). Per column quad and vl rows:
 * 1 segment load, 4 x loads, 4 VSEXT, 4 VWMACC, 4 scalar instructions; per group 1 scale load, 1 VMACC, 4 more. */
IG_INLINE void ig_grouped_slice_s8(const int8_t *x, const int8_t *w, const int32_t *s, int64_t groups,
                                   int64_t quads, size_t ws, size_t ss, size_t vl, int32_t *acc) {
  const int8_t *xp = x, *wp = w;
  const int32_t *sp = s;
  int64_t g = groups, q;
  __asm__ volatile(
      "vsetvli zero, %[vl], e32, m8, ta, ma\n\t"
      "vmv.v.i v8, 0\n\t" /* C: the cumulative sums */
      "vmv.v.i v16, 0\n\t" /* the accumulators */
      "1:\n\t"
      "vsetvli zero, %[vl], e16, m4, ta, ma\n\t"
      "mv %[q], %[quads]\n\t"
      "2:\n\t"
      "vlseg4e8.v v0, (%[wp])\n\t" /* columns 4k..4k+3 in v0, v2, v4, v6 (EMUL 2) */
      "add %[wp], %[wp], %[ws]\n\t"
      "lb t0, 0(%[xp])\n\t" "lb t1, 1(%[xp])\n\t" "lb t2, 2(%[xp])\n\t" "lb t3, 3(%[xp])\n\t"
      "addi %[xp], %[xp], 4\n\t"
      "vsext.vf2 v24, v0\n\t" "vsext.vf2 v28, v2\n\t"
      "vwmacc.vx v8, t0, v24\n\t"
      "vsext.vf2 v24, v4\n\t"
      "vwmacc.vx v8, t1, v28\n\t"
      "vsext.vf2 v28, v6\n\t"
      "vwmacc.vx v8, t2, v24\n\t"
      "addi %[q], %[q], -1\n\t"
      "vwmacc.vx v8, t3, v28\n\t"
      "bnez %[q], 2b\n\t"
      "vsetvli zero, %[vl], e32, m8, ta, ma\n\t"
      "vle32.v v0, (%[sp])\n\t"
      "add %[sp], %[sp], %[ss]\n\t"
      "addi %[g], %[g], -1\n\t"
      "vmacc.vv v16, v0, v8\n\t"
      "bnez %[g], 1b\n\t"
      "vse32.v v16, (%[acc])\n\t"
      : [xp] "+r"(xp), [wp] "+r"(wp), [sp] "+r"(sp), [g] "+r"(g), [q] "=&r"(q)
      : [quads] "r"(quads), [ws] "r"(ws), [ss] "r"(ss), [vl] "r"(vl), [acc] "r"(acc)
      : "t0", "t1", "t2", "t3", IG_RVV_CLOBBERS_V);
}

/* The blocked layout (ig_rvv_common.h). */
IG_INLINE void fc_blocked(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  int32_t acc[IG_GROUPED_BLOCK];
  const int64_t groups = k_dim / group_size, quads = group_size / 4;
  const size_t vlmax = __riscv_vsetvlmax_e16m4();
  ig_rvv_set_vxrm_rnu();
  const int8_t *wb = w;
  const int32_t *sb = group_scale_t;
  for (int32_t n0 = 0; n0 < n_dim; n0 += IG_GROUPED_BLOCK) {
    const size_t width = n_dim - n0 < IG_GROUPED_BLOCK ? (size_t)(n_dim - n0) : IG_GROUPED_BLOCK;
    for (size_t r = 0; r < width; r += vlmax) {
      size_t vl = width - r < vlmax ? width - r : vlmax;
      ig_grouped_slice_s8(x, wb + 4 * r, sb + r, groups, quads, 4 * width, 4 * width, vl, acc + r);
    }
    ig_output_block(acc, n0, (int32_t)width, bias, mult, shift, y_zp, act_min, act_max, y, out_bytes);
    wb += width * (size_t)k_dim;
    sb += width * (size_t)groups;
  }
}

/* Row-major weights, group scales transposed to [G, N]: four rows at a time, a reduction per group. */
IG_INLINE void fc_rows(IG_FC_GROUPED_ARGS, void *y, int32_t out_bytes) {
  int32_t acc[IG_RVV_BLOCK];
  int32_t groups = k_dim / group_size;
  ig_rvv_set_vxrm_rnu();
  for (int32_t n0 = 0; n0 < n_dim; n0 += IG_RVV_BLOCK) {
    int32_t count = n_dim - n0 < IG_RVV_BLOCK ? n_dim - n0 : IG_RVV_BLOCK;
    for (int32_t i = 0; i < count; i += 4) {
      int32_t n = n0 + i, rows = count - i < 4 ? count - i : 4, s[4];
      const int8_t *w0 = w + (size_t)n * (size_t)k_dim;
      const int8_t *w1 = rows > 1 ? w0 + k_dim : w0, *w2 = rows > 2 ? w1 + k_dim : w1, *w3 = rows > 3 ? w2 + k_dim : w2;
      int32_t a[4] = {0, 0, 0, 0};
      for (int32_t g = 0; g < groups; g++) {
        ig_dot4rows_s8(x, w0, w1, w2, w3, g * group_size, (g + 1) * group_size, s);
        const int32_t *gs = group_scale_t + (size_t)g * (size_t)n_dim + n;
        for (int32_t r = 0; r < rows; r++) a[r] = ig_wadd(a[r], ig_wmul(s[r], gs[r]));
      }
      for (int32_t r = 0; r < rows; r++) acc[i + r] = a[r];
    }
    ig_output_block(acc, n0, count, bias, mult, shift, y_zp, act_min, act_max, y, out_bytes);
  }
}

#define IG_FC_GROUPED_W4 0
#include "ig_fc_grouped_entries.h"
