/* The intgap NPU's driver: fill a descriptor, start the job, poll until it is done (ig_npu.h, docs/npu.md). */
#include "ig_npu.h"

#include <stddef.h>

typedef char ig_npu_needs_32bit_addresses[sizeof(void *) == 4 ? 1 : -1];

#define IG_NPU_REG(off) (*(volatile uint32_t *)(uintptr_t)(IG_NPU_BASE + (off)))

/* The descriptor's stores must reach memory before START, and the device's outputs be read after DONE. */
static inline void ig_npu_barrier(void) {
#if defined(__arm__)
  __asm__ volatile("dmb" ::: "memory");
#elif defined(__riscv)
  __asm__ volatile("fence" ::: "memory");
#else
  __asm__ volatile("" ::: "memory");
#endif
}

static uint32_t ig_npu_addr(const void *p) { return (uint32_t)(uintptr_t)p; }

int32_t ig_npu_run(ig_npu_desc_t *d) {
  d->magic = IG_NPU_DESC_MAGIC;
  ig_npu_barrier();
  IG_NPU_REG(IG_NPU_REG_DESC) = ig_npu_addr(d);
  IG_NPU_REG(IG_NPU_REG_CTRL) = IG_NPU_CTRL_START;
  uint32_t status;
  while ((status = IG_NPU_REG(IG_NPU_REG_STATUS)) == IG_NPU_STATUS_BUSY) {
  }
  ig_npu_barrier();
  return status == IG_NPU_STATUS_DONE ? 0 : (int32_t)IG_NPU_REG(IG_NPU_REG_ERROR);
}

/* a descriptor with every field 0 but the output range and the tag */
static void ig_npu_clear(ig_npu_desc_t *d, int32_t y_zero_point, int32_t act_min, int32_t act_max, int32_t tag) {
  uint32_t *w = (uint32_t *)d;
  for (size_t i = 0; i < sizeof *d / sizeof *w; i++) w[i] = 0;
  d->y_zero_point = y_zero_point;
  d->act_min = act_min;
  d->act_max = act_max;
  d->tag = tag;
}

int32_t ig_npu_fc(const void *x, int32_t m, int32_t k, int32_t n, uint32_t flags, const int8_t *w,
                  const int32_t *bias, const int32_t *group_scale, const int32_t *group_offset, int32_t group_size,
                  const int32_t *multiplier, const int32_t *shift, int32_t x_zero_point, int32_t y_zero_point,
                  int32_t act_min, int32_t act_max, int32_t tag, void *y) {
  ig_npu_desc_t d;
  ig_npu_clear(&d, y_zero_point, act_min, act_max, tag);
  d.flags = flags;
  d.m = m;
  d.k = k;
  d.n = n;
  d.input = ig_npu_addr(x);
  d.weights = ig_npu_addr(w);
  d.bias = ig_npu_addr(bias);
  d.multiplier = ig_npu_addr(multiplier);
  d.shift = ig_npu_addr(shift);
  d.group_scale = ig_npu_addr(group_scale);
  d.group_offset = ig_npu_addr(group_offset);
  d.group_size = group_scale || group_offset ? group_size : k;
  d.x_zero_point = x_zero_point;
  d.output = ig_npu_addr(y);
  return ig_npu_run(&d);
}

int32_t ig_npu_fc_acc(const int8_t *q, int32_t k, int32_t n, uint32_t flags, const int8_t *w,
                      const int32_t *group_scale, const int32_t *group_offset, int32_t group_size, int32_t tag,
                      int32_t *acc) {
  ig_npu_desc_t d;
  ig_npu_clear(&d, 0, INT32_MIN, INT32_MAX, tag);
  d.flags = (flags & IG_NPU_W4) | IG_NPU_RQ_SCALAR | IG_NPU_OUT_S32;
  d.m = 1;
  d.k = k;
  d.n = n;
  d.input = ig_npu_addr(q);
  d.weights = ig_npu_addr(w);
  d.multiplier = 1u << 30; /* with shift 1: requantize(acc) == acc for |acc| < 2^30 */
  d.shift = 1;
  d.group_scale = ig_npu_addr(group_scale);
  d.group_offset = ig_npu_addr(group_offset);
  d.group_size = group_scale || group_offset ? group_size : k;
  d.output = ig_npu_addr(acc);
  return ig_npu_run(&d);
}

static int32_t ig_npu_bytes(uint32_t type_bits) { return type_bits == 2u ? 4 : (int32_t)type_bits + 1; }

/* One attention job per step of `per` query heads: x rows of the heads (t rows each, or at t = 1 one row per
 * head), the KV head's cache rows as the weights, y as the op lays it out. pv: x is p [heads][t][s], the weights
 * the value columns (k-major), y [t][heads * hd]; qk: x is q [t][heads * hd], y [heads][t][s]. */
static int32_t ig_npu_attention(int32_t pv, const void *x, const int8_t *kv, int32_t t, int32_t s, int32_t heads,
                                int32_t kv_heads, int32_t hd, int32_t x_zp, int32_t kv_zp, int32_t multiplier,
                                int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, uint32_t flags,
                                int32_t tag, void *y) {
  int32_t group = heads / kv_heads, per = t == 1 ? group : 1, kvw = kv_heads * hd;
  int32_t xb = ig_npu_bytes((flags >> 4) & 3u), yb = ig_npu_bytes((flags >> 8) & 3u);
  for (int32_t h = 0; h < heads; h += per) {
    ig_npu_desc_t d;
    ig_npu_clear(&d, y_zp, act_min, act_max, tag);
    d.flags = flags | IG_NPU_RQ_SCALAR | (pv ? IG_NPU_WT : 0u);
    d.m = t * per;
    d.k = pv ? s : hd;
    d.n = pv ? hd : s;
    d.weights = ig_npu_addr(kv + (size_t)(h / group) * (size_t)hd);
    d.w_stride = kvw;
    d.w_zero_point = kv_zp;
    d.multiplier = (uint32_t)multiplier;
    d.shift = (uint32_t)shift;
    d.x_zero_point = x_zp;
    size_t xo = pv ? (size_t)h * (size_t)t * (size_t)s : (size_t)h * (size_t)hd;
    size_t yo = pv ? (size_t)h * (size_t)hd : (size_t)h * (size_t)t * (size_t)s;
    d.input = ig_npu_addr((const int8_t *)x + xo * (size_t)xb);
    d.output = ig_npu_addr((int8_t *)y + yo * (size_t)yb);
    d.x_stride = pv ? s : (t == 1 ? hd : heads * hd);
    d.y_stride = pv ? (t == 1 ? hd : heads * hd) : s;
    int32_t e = ig_npu_run(&d);
    if (e) return e;
  }
  return 0;
}

int32_t ig_npu_matmul_qk(const int8_t *q, const int8_t *k, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                         int32_t head_dim, int32_t q_zero_point, int32_t k_zero_point, int32_t multiplier,
                         int32_t shift, int32_t y_zero_point, int32_t act_min, int32_t act_max, uint32_t out_flags,
                         int32_t tag, void *y) {
  return ig_npu_attention(0, q, k, t, s, heads, kv_heads, head_dim, q_zero_point, k_zero_point, multiplier, shift,
                          y_zero_point, act_min, act_max, out_flags, tag, y);
}

int32_t ig_npu_matmul_pv(const void *p, const int8_t *v, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                         int32_t head_dim, int32_t p_zero_point, int32_t v_zero_point, int32_t multiplier,
                         int32_t shift, int32_t y_zero_point, int32_t act_min, int32_t act_max, uint32_t flags,
                         int32_t tag, void *y) {
  return ig_npu_attention(1, p, v, t, s, heads, kv_heads, head_dim, p_zero_point, v_zero_point, multiplier, shift,
                          y_zero_point, act_min, act_max, flags, tag, y);
}
