/* RVV 1.0 vector add with clang-16's __riscv_ intrinsics, strip-mined with vsetvl. */
#include <stdint.h>
#include <riscv_vector.h>
#include "ig_platform.h"

#define N 37

static int32_t a[N], b[N], c[N];

int main(void) {
  for (int i = 0; i < N; i++) { a[i] = i * 3 - 50; b[i] = 1000 - i * i; }
  size_t vl;
  for (size_t i = 0; i < N; i += vl) {
    vl = __riscv_vsetvl_e32m1(N - i);
    vint32m1_t va = __riscv_vle32_v_i32m1(a + i, vl);
    vint32m1_t vb = __riscv_vle32_v_i32m1(b + i, vl);
    __riscv_vse32_v_i32m1(c + i, __riscv_vadd_vv_i32m1(va, vb, vl), vl);
  }
  ig_write_hex(c, sizeof c);
  size_t vlmax = __riscv_vsetvlmax_e32m1();
  ig_write_hex(&vlmax, sizeof vlmax);
  return 0;
}
