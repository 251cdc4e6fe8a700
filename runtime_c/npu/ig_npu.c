/* The intgap NPU's driver: fill a descriptor, start the job, poll until it is done (ig_npu.h, docs/npu.md). */
#include "ig_npu.h"

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

int32_t ig_npu_fc(const void *x, int32_t m, int32_t k, int32_t n, uint32_t flags, const int8_t *w,
                  const int32_t *bias, const int32_t *group_scale, int32_t group_size, const int32_t *multiplier,
                  const int32_t *shift, int32_t x_zero_point, int32_t y_zero_point, int32_t act_min, int32_t act_max,
                  int32_t tag, void *y) {
  ig_npu_desc_t d;
  d.magic = IG_NPU_DESC_MAGIC;
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
  d.group_size = group_scale ? group_size : k;
  d.x_zero_point = x_zero_point;
  d.y_zero_point = y_zero_point;
  d.act_min = act_min;
  d.act_max = act_max;
  d.output = ig_npu_addr(y);
  d.tag = tag;
  d.x_stride = 0;
  d.y_stride = 0;
  ig_npu_barrier();
  IG_NPU_REG(IG_NPU_REG_DESC) = ig_npu_addr(&d);
  IG_NPU_REG(IG_NPU_REG_CTRL) = IG_NPU_CTRL_START;
  uint32_t status;
  while ((status = IG_NPU_REG(IG_NPU_REG_STATUS)) == IG_NPU_STATUS_BUSY) {
  }
  ig_npu_barrier();
  return status == IG_NPU_STATUS_DONE ? 0 : (int32_t)IG_NPU_REG(IG_NPU_REG_ERROR);
}
