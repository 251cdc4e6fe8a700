/* Fully connected, FP32 on ARMv7E-M. With a single-precision FPU (Cortex-M4F FPv4-SP, Cortex-M7 FPv5-SP,
 * __ARM_FP & 4) the baseline is hand-scheduled: four output rows at a time, eight k per step, loaded with
 * VLDMIA (eight floats in one instruction) and accumulated with VFMA.F32 into four accumulators; 39
 * instructions per 32 MACs. Without an FPU (Cortex-M4) the portable kernel runs in soft-float. */
#include "ig_kernels.h"

#if defined(__ARM_FP) && (__ARM_FP & 4)

/* acc[0..3] += the dot products of x[0..8*steps) with four rows; the pointers advance past what was read. */
static inline void ig_dot4rows8_f32(const float **x, const float **q0, const float **q1, const float **q2,
                                    const float **q3, int32_t steps, float *a0, float *a1, float *a2, float *a3) {
  const float *xp = *x, *p0 = *q0, *p1 = *q1, *p2 = *q2, *p3 = *q3;
  float c0 = *a0, c1 = *a1, c2 = *a2, c3 = *a3;
  __asm__ volatile(
      "1:\n\t"
      "vldmia %[xp]!, {s0-s7}\n\t"
      "vldmia %[p0]!, {s8-s15}\n\t"
      "vldmia %[p1]!, {s16-s23}\n\t"
      "vfma.f32 %[c0], s0, s8\n\t"  "vfma.f32 %[c1], s0, s16\n\t"
      "vfma.f32 %[c0], s1, s9\n\t"  "vfma.f32 %[c1], s1, s17\n\t"
      "vfma.f32 %[c0], s2, s10\n\t" "vfma.f32 %[c1], s2, s18\n\t"
      "vfma.f32 %[c0], s3, s11\n\t" "vfma.f32 %[c1], s3, s19\n\t"
      "vfma.f32 %[c0], s4, s12\n\t" "vfma.f32 %[c1], s4, s20\n\t"
      "vfma.f32 %[c0], s5, s13\n\t" "vfma.f32 %[c1], s5, s21\n\t"
      "vfma.f32 %[c0], s6, s14\n\t" "vfma.f32 %[c1], s6, s22\n\t"
      "vfma.f32 %[c0], s7, s15\n\t" "vfma.f32 %[c1], s7, s23\n\t"
      "vldmia %[p2]!, {s8-s15}\n\t"
      "vldmia %[p3]!, {s16-s23}\n\t"
      "vfma.f32 %[c2], s0, s8\n\t"  "vfma.f32 %[c3], s0, s16\n\t"
      "vfma.f32 %[c2], s1, s9\n\t"  "vfma.f32 %[c3], s1, s17\n\t"
      "vfma.f32 %[c2], s2, s10\n\t" "vfma.f32 %[c3], s2, s18\n\t"
      "vfma.f32 %[c2], s3, s11\n\t" "vfma.f32 %[c3], s3, s19\n\t"
      "vfma.f32 %[c2], s4, s12\n\t" "vfma.f32 %[c3], s4, s20\n\t"
      "vfma.f32 %[c2], s5, s13\n\t" "vfma.f32 %[c3], s5, s21\n\t"
      "vfma.f32 %[c2], s6, s14\n\t" "vfma.f32 %[c3], s6, s22\n\t"
      "vfma.f32 %[c2], s7, s15\n\t" "vfma.f32 %[c3], s7, s23\n\t"
      "subs %[n], %[n], #1\n\t"
      "bne 1b\n\t"
      : [xp] "+r"(xp), [p0] "+r"(p0), [p1] "+r"(p1), [p2] "+r"(p2), [p3] "+r"(p3), [n] "+r"(steps),
        [c0] "+t"(c0), [c1] "+t"(c1), [c2] "+t"(c2), [c3] "+t"(c3)
      :
      : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15",
        "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "cc", "memory");
  *x = xp; *q0 = p0; *q1 = p1; *q2 = p2; *q3 = p3;
  *a0 = c0; *a1 = c1; *a2 = c2; *a3 = c3;
}

static inline float ig_relu_if(float v, int relu) { return (relu && v < 0.0f) ? 0.0f : v; }

void ig_fc_f32(const float *x, const float *w, const float *b, int32_t k_dim, int32_t n_dim, int relu, float *y) {
  const int32_t steps = k_dim >> 3, kmain = steps << 3;
  int32_t n = 0;
  for (; n + 4 <= n_dim; n += 4) {
    const float *q0 = w + (size_t)n * (size_t)k_dim, *q1 = q0 + k_dim, *q2 = q1 + k_dim, *q3 = q2 + k_dim;
    const float *xp = x;
    float a0 = b[n], a1 = b[n + 1], a2 = b[n + 2], a3 = b[n + 3];
    if (steps) ig_dot4rows8_f32(&xp, &q0, &q1, &q2, &q3, steps, &a0, &a1, &a2, &a3);
    for (int32_t k = kmain; k < k_dim; k++) {
      float xk = *xp++;
      a0 = __builtin_fmaf(xk, *q0++, a0); a1 = __builtin_fmaf(xk, *q1++, a1);
      a2 = __builtin_fmaf(xk, *q2++, a2); a3 = __builtin_fmaf(xk, *q3++, a3);
    }
    y[n] = ig_relu_if(a0, relu); y[n + 1] = ig_relu_if(a1, relu);
    y[n + 2] = ig_relu_if(a2, relu); y[n + 3] = ig_relu_if(a3, relu);
  }
  for (; n < n_dim; n++) {
    const float *row = w + (size_t)n * (size_t)k_dim;
    float acc = b[n];
    for (int32_t k = 0; k < k_dim; k++) acc = __builtin_fmaf(x[k], row[k], acc);
    y[n] = ig_relu_if(acc, relu);
  }
}

#else
#include "../scalar/ig_fc_f32.c"
#endif
