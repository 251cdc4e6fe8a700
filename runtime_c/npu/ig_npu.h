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
 * CPU kernels' layout); inputs int8 or int16; outputs int8, int16 or int32 */
#define IG_NPU_W4 (1u << 0)
#define IG_NPU_IN_S16 (1u << 4)
#define IG_NPU_OUT_S16 (1u << 8)
#define IG_NPU_OUT_S32 (2u << 8)
#define IG_NPU_DESC_MAGIC 0x314A4E49u /* "INJ1" */

/* y[r][c] = clamp(requantize(bias[c] + sum_g group_scale[c][g] * sum_{k in g} (x[r][k] - x_zero_point) * w[c][k],
 *                            multiplier[c], shift[c]) + y_zero_point, act_min, act_max)
 * group_scale 0: one group of k with scale 1 (per-channel weights). Strides 0: rows of k inputs / n outputs. */
typedef struct {
  uint32_t magic, flags;
  int32_t m, k, n;
  uint32_t input, weights, bias, multiplier, shift, group_scale;
  int32_t group_size, x_zero_point, y_zero_point, act_min, act_max;
  uint32_t output;
  int32_t tag, x_stride, y_stride;
} ig_npu_desc_t;

/* Runs one job and waits for it (polls STATUS): 0, or the device's IG_NPU_ERR_* code. */
int32_t ig_npu_fc(const void *x, int32_t m, int32_t k, int32_t n, uint32_t flags, const int8_t *w,
                  const int32_t *bias, const int32_t *group_scale, int32_t group_size, const int32_t *multiplier,
                  const int32_t *shift, int32_t x_zero_point, int32_t y_zero_point, int32_t act_min, int32_t act_max,
                  int32_t tag, void *y);

#endif
