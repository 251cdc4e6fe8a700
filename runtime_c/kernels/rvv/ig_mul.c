/* mul with rescale for RVV 1.0, vector-length agnostic.
 * Where |(a - za)(b - zb)| < 2^31 (int8 / int16 inputs; checked once per call), P = (a - za)(b - zb) is one VMUL and
 * rshr(P mult, shift) + y_zp is VWMUL + VSSRA (int64 lanes) + VADD + VNCLIP (exact, saturated), clamp, narrowing
 * store. Otherwise the portable int64 loop. */
#include "ig_rvv_ops.h"
#include "ig_ops.h"

IG_RI void mul_body(const void *a, int32_t ab, const void *b, int32_t bb, int32_t len, int32_t a_zp, int32_t b_zp,
                    int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                    int32_t yb) {
  uint64_t ra = (1ull << (8 * ab - 1)) + (uint64_t)(a_zp < 0 ? -(int64_t)a_zp : a_zp);
  uint64_t rb = (1ull << (8 * bb - 1)) + (uint64_t)(b_zp < 0 ? -(int64_t)b_zp : b_zp);
  if (!(ra * rb < (1ull << 31))) {
    for (int32_t i = 0; i < len; i++) {
      int64_t prod = ((int64_t)ig_load(a, i, ab) - a_zp) * ((int64_t)ig_load(b, i, bb) - b_zp);
      ig_store(y, i, (int32_t)ig_clamp64(ig_mul_rshr64(prod, mult, shift) + y_zp, act_min, act_max), yb);
    }
    return;
  }
  ig_rvv_set_vxrm_rnu();
  for (size_t i = 0, vl; i < (size_t)len; i += vl) {
    vl = __riscv_vsetvl_e32m2((size_t)len - i);
    vint32m2_t p = __riscv_vmul_vv_i32m2(__riscv_vsub_vx_i32m2(ig_rvv_ld(a, i, ab, vl), a_zp, vl),
                                         __riscv_vsub_vx_i32m2(ig_rvv_ld(b, i, bb, vl), b_zp, vl), vl);
    ig_rvv_st(y, i, ig_rvv_clamp(ig_rvv_mul_rshr_zp_sat(p, mult, shift, y_zp, vl), act_min, act_max, vl), yb, vl);
  }
}

#define IG_ENTRIES_MUL
#include "ig_entry_points.h"
