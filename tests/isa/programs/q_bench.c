/* Speed benchmark: an int8 x int8 -> int32 matrix product repeated q_reps times (patched into .ig_input),
 * about 0.2 M instructions per repetition on the scalar targets. Prints a checksum. */
#include "ig_platform.h"

#define M 24
#define K 32
#define N 24

IG_INPUT_SECTION volatile unsigned int q_reps = 100;

static signed char a[M][K], b[K][N];
static int c[M][N];

__attribute__((noinline)) static void matmul(void) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      int acc = c[i][j];
      for (int k = 0; k < K; k++) acc += a[i][k] * b[k][j];
      c[i][j] = acc >> 1;
    }
}

int main(void) {
  for (int i = 0; i < M; i++)
    for (int k = 0; k < K; k++) a[i][k] = (signed char)(i * 7 + k * 3 - 100);
  for (int k = 0; k < K; k++)
    for (int j = 0; j < N; j++) b[k][j] = (signed char)(k * 5 - j * 11 + 17);
  unsigned int reps = q_reps;
  for (unsigned int r = 0; r < reps; r++) matmul();
  unsigned int sum = 0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) sum = sum * 31u + (unsigned int)c[i][j];
  ig_write_hex(&sum, sizeof sum);
  return 0;
}
