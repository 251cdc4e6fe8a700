/* add with rescale for RVV 1.0, vector-length agnostic.
 * acc = K + a am + b bm in int64 lanes (VWMUL, VWMACC), K = -za am - zb bm + y_zp 2^shift (the sum fits int64),
 * then VNCLIP by shift (round-to-nearest-up: the definition's rshr, saturated to int32; the clamp to [act_min,
 * act_max] inside int32 then gives the definition's clamp), VMAX / VMIN, narrowing store. When y_zp 2^shift would
 * not fit beside the sum, the portable loop. */
#include "ig_rvv_ops.h"
#include "ig_binary64.h"
#include "ig_ops.h"

IG_RI void add_body(const void *a, int32_t ab, const void *b, int32_t bb, int32_t len, int32_t a_zp, int32_t b_zp,
                    int32_t am, int32_t bm, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, void *y,
                    int32_t yb) {
  uint64_t half = shift ? 1ull << (shift - 1) : 0;
  uint64_t bound = ((1ull << (8 * ab)) - 1) * (uint64_t)(uint32_t)am + ((1ull << (8 * bb)) - 1) * (uint64_t)(uint32_t)bm +
                   half;
  if (!(y_zp == 0 || (shift <= 30 && bound < (1ull << 62)))) {
    ig_add_elems64(a, ab, b, bb, 0, len, a_zp, b_zp, am, bm, shift, y_zp, act_min, act_max, y, yb);
    return;
  }
  int64_t k = (int64_t)(0 - (uint64_t)((int64_t)a_zp * am) - (uint64_t)((int64_t)b_zp * bm) +
                        (uint64_t)((int64_t)y_zp * (int64_t)(1ull << shift)));
  ig_rvv_set_vxrm_rnu();
  for (size_t i = 0, vl; i < (size_t)len; i += vl) {
    vl = __riscv_vsetvl_e32m2((size_t)len - i);
    vint64m4_t acc = __riscv_vwmacc_vx_i64m4(__riscv_vmv_v_x_i64m4(k, vl), am, ig_rvv_ld(a, i, ab, vl), vl);
    acc = __riscv_vwmacc_vx_i64m4(acc, bm, ig_rvv_ld(b, i, bb, vl), vl);
    vint32m2_t v = __riscv_vnclip_wx_i32m2(acc, (size_t)shift, IG_RNU, vl);
    ig_rvv_st(y, i, ig_rvv_clamp(v, act_min, act_max, vl), yb, vl);
  }
}

#define IG_ENTRIES_ADD
#include "ig_entry_points.h"
