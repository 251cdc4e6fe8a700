/* RVV speed benchmark: int32 matrix product vectorized along the output row with vmacc.vx, repeated
 * q_reps times (patched into .ig_input). Prints a checksum that a scalar loop checks. */
#include <stddef.h>
#include <riscv_vector.h>
#include "ig_platform.h"

#define M 24
#define K 32
#define N 24

IG_INPUT_SECTION volatile unsigned int q_reps = 10;

static int a[M][K], b[K][N], c[M][N], ref[M][N];

__attribute__((noinline)) static void matmul_rvv(void) {
  for (int i = 0; i < M; i++) {
    size_t vl;
    for (size_t j = 0; j < N; j += vl) {
      vl = __riscv_vsetvl_e32m2(N - j);
      vint32m2_t acc = __riscv_vmv_v_x_i32m2(0, vl);
      for (int k = 0; k < K; k++)
        acc = __riscv_vmacc_vx_i32m2(acc, a[i][k], __riscv_vle32_v_i32m2(&b[k][j], vl), vl);
      __riscv_vse32_v_i32m2(&c[i][j], acc, vl);
    }
  }
}

int main(void) {
  for (int i = 0; i < M; i++)
    for (int k = 0; k < K; k++) a[i][k] = i * 7 + k * 3 - 100;
  for (int k = 0; k < K; k++)
    for (int j = 0; j < N; j++) b[k][j] = k * 5 - j * 11 + 17;
  unsigned int reps = q_reps;
  for (unsigned int r = 0; r < reps; r++) matmul_rvv();
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      int acc = 0;
      for (int k = 0; k < K; k++) acc += a[i][k] * b[k][j];
      ref[i][j] = acc;
    }
  unsigned int sum = 0, bad = 0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      sum = sum * 31u + (unsigned int)c[i][j];
      bad += c[i][j] != ref[i][j];
    }
  ig_write_hex(&sum, sizeof sum);
  return bad ? 1 : 0;
}
