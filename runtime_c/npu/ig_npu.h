/* The intgap NPU's registers, job descriptor and C driver (docs/npu.md). The device model is isa/npu/
 * (descriptor.py holds the same numbers; tests/isa/test_npu_device.py checks they agree). 32-bit targets only:
 * the descriptor holds 32-bit addresses. */
#ifndef IG_NPU_H
#define IG_NPU_H

#include <stdint.h>

#ifndef IG_NPU_BASE
#define IG_NPU_BASE 0x48102000u /* isa/npu/config.py NPU_BASE */
#endif

/* registers: 32-bit words at these byte offsets from IG_NPU_BASE */
#define IG_NPU_REG_ID 0x00u
#define IG_NPU_REG_CONFIG 0x04u     /* rows | cols << 8 | weight-stationary << 16 */
#define IG_NPU_REG_DESC 0x08u       /* the descriptor's address */
#define IG_NPU_REG_CTRL 0x0Cu       /* write IG_NPU_CTRL_START to run the job DESC points at */
#define IG_NPU_REG_STATUS 0x10u
#define IG_NPU_REG_ERROR 0x14u      /* IG_NPU_ERR_* when STATUS is IG_NPU_STATUS_FAULT */
#define IG_NPU_REG_ERROR_INFO 0x18u /* the faulting address or value */
#define IG_NPU_REG_JOBS 0x1Cu       /* jobs completed */
#define IG_NPU_REG_CYCLES 0x20u     /* the last job's modelled cycles */

#define IG_NPU_ID 0x4E505501u
#define IG_NPU_CTRL_START 1u
#define IG_NPU_STATUS_IDLE 0u
#define IG_NPU_STATUS_BUSY 1u
#define IG_NPU_STATUS_DONE 2u
#define IG_NPU_STATUS_FAULT 3u

#define IG_NPU_ERR_MAGIC 1
#define IG_NPU_ERR_FLAGS 2
#define IG_NPU_ERR_SHAPE 3
#define IG_NPU_ERR_ADDRESS 4
#define IG_NPU_ERR_ALIGN 5
#define IG_NPU_ERR_SCRATCHPAD 6
#define IG_NPU_ERR_PARAMS 7
#define IG_NPU_ERR_REGISTER 8

/* descriptor flags: weights int8 row-major [n][k] or int4 row pairs (16 * w[2p] + w[2p + 1] + 8 per byte, the
 * CPU kernels' layout) or int8 k-major (IG_NPU_WT: w[n][k] at k * w_stride + n, attention's value cache); bias,
 * multiplier and shift as arrays or (IG_NPU_RQ_SCALAR) one value each in their words; inputs int8 or int16;
 * outputs int8, int16 or int32 */
#define IG_NPU_W4 (1u << 0)
#define IG_NPU_WT (1u << 1)
#define IG_NPU_RQ_SCALAR (1u << 2)
#define IG_NPU_IN_S16 (1u << 4)
#define IG_NPU_OUT_S16 (1u << 8)
#define IG_NPU_OUT_S32 (2u << 8)
#define IG_NPU_DESC_MAGIC 0x314A4E49u /* "INJ1" */

/* y[r][c] = clamp(requantize(bias[c] + sum_g (group_scale[c][g] * sum_{k in g} (x[r][k] - x_zero_point)
 *                                                                    * (w[c][k] - w_zero_point)
 *                                             + group_offset[c][g] * sum_{k in g} (x[r][k] - x_zero_point)),
 *                            multiplier[c], shift[c]) + y_zero_point, act_min, act_max)
 * group_scale 0: scale 1; group_offset 0: no offsets (symmetric weights); both 0: one group of k. Strides (in elements) 0: rows of k inputs, n
 * outputs, and k weights (n with IG_NPU_WT). */
typedef struct {
  uint32_t magic, flags;
  int32_t m, k, n;
  uint32_t input, weights, bias, multiplier, shift, group_scale;
  int32_t group_size, x_zero_point, y_zero_point, act_min, act_max;
  uint32_t output;
  int32_t tag, x_stride, y_stride, w_stride, w_zero_point;
  uint32_t group_offset;
} ig_npu_desc_t;

/* Runs the job `d` describes (magic filled here) and waits for it (polls STATUS): 0, or IG_NPU_ERR_*. */
int32_t ig_npu_run(ig_npu_desc_t *d);

/* Runs one job and waits for it (polls STATUS): 0, or the device's IG_NPU_ERR_* code. */
int32_t ig_npu_fc(const void *x, int32_t m, int32_t k, int32_t n, uint32_t flags, const int8_t *w,
                  const int32_t *bias, const int32_t *group_scale, const int32_t *group_offset, int32_t group_size,
                  const int32_t *multiplier, const int32_t *shift, int32_t x_zero_point, int32_t y_zero_point,
                  int32_t act_min, int32_t act_max, int32_t tag, void *y);

/* One row q [k] (int8, zero point 0) against weights [n][k] (flags: IG_NPU_W4 or 0) with group scales and offsets,
 * no bias: the exact int32 accumulators into acc [n] (the identity requantization: |acc| < 2^30). The matrix work of
 * fully_connected_dynamic; the core quantizes the row and requantizes acc per token around it. */
int32_t ig_npu_fc_acc(const int8_t *q, int32_t k, int32_t n, uint32_t flags, const int8_t *w,
                      const int32_t *group_scale, const int32_t *group_offset, int32_t group_size, int32_t tag,
                      int32_t *acc);

/* Attention on the NPU (quant/ops/attention.py), one job per KV head at decode (t = 1: the group's query vectors
 * are adjacent) or per query head, the key / value cache as the weights (rows kv_heads * head_dim apart, their own
 * zero point), the requantization per tensor. out_flags: IG_NPU_OUT_*; matmul_pv's also IG_NPU_IN_S16 for int16
 * probabilities. 0, or the device's IG_NPU_ERR_* code. */
int32_t ig_npu_matmul_qk(const int8_t *q, const int8_t *k, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                         int32_t head_dim, int32_t q_zero_point, int32_t k_zero_point, int32_t multiplier,
                         int32_t shift, int32_t y_zero_point, int32_t act_min, int32_t act_max, uint32_t out_flags,
                         int32_t tag, void *y);
int32_t ig_npu_matmul_pv(const void *p, const int8_t *v, int32_t t, int32_t s, int32_t heads, int32_t kv_heads,
                         int32_t head_dim, int32_t p_zero_point, int32_t v_zero_point, int32_t multiplier,
                         int32_t shift, int32_t y_zero_point, int32_t act_min, int32_t act_max, uint32_t flags,
                         int32_t tag, void *y);

#endif
