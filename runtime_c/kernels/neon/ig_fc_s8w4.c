/* Fully connected, int8 activations, int4 weights in row pairs (ig_kernels.h): AArch64 NEON. Each packed byte
 * is multiplied as it is and masked to its high nibble; no unpacking to one weight per byte. Without SDOT the
 * nibbles are split in registers instead (ig_neon_common.h). With SDOT sixteen rows (eight pairs) at a time,
 * then eight; without, eight; then four. One body for the int8 / int16 / int32 outputs. With SDOT the lowering
 * calls the grouped kernel with one group of K instead where its blocked layout takes the shape (as ig_fc_s8.c). */
#include "ig_kernels.h"
#include "ig_neon_pairs_s8w4.h"

IG_INLINE void fc_s8w4(IG_FC_ARGS, void *y, int32_t out_bytes) {
  const int8_t *w_pairs = w;
  int32_t n = 0, sx; /* sx: the sum of x over [0, k_dim rounded down to 16) */
#if defined(IG_NEON_HAVE_DOT4PAIRS)
  if (k_dim >= 64) { /* sixteen rows (eight pairs), then eight: the 64-byte steps, then the rest four at a time */
    const int32_t k64 = k_dim & ~63, kv = k64 + ((k_dim - k64) & ~15);
    const int32_t sx64 = ig_sum_s8(x, 0, k64), sx_rest = ig_sum_s8(x, k64, kv);
    sx = sx64 + sx_rest;
    for (; n + 16 <= n_dim; n += 16) { /* sixteen rows (eight pairs) at a time */
      const int8_t *p = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
      int32x4_t s0, s1, s2, s3;
      ig_dot8pairs_s8w4(x, p, k_dim, sx64, &s0, &s1, &s2, &s3);
      if (k64 < k_dim) {
        const size_t kd = (size_t)k_dim;
        s0 = vaddq_s32(s0, ig_dot2pairs_s8w4(x, p, p + kd, k64, k_dim, sx_rest));
        s1 = vaddq_s32(s1, ig_dot2pairs_s8w4(x, p + 2 * kd, p + 3 * kd, k64, k_dim, sx_rest));
        s2 = vaddq_s32(s2, ig_dot2pairs_s8w4(x, p + 4 * kd, p + 5 * kd, k64, k_dim, sx_rest));
        s3 = vaddq_s32(s3, ig_dot2pairs_s8w4(x, p + 6 * kd, p + 7 * kd, k64, k_dim, sx_rest));
      }
      int32x4x4_t b = vld1q_s32_x4(bias + n);
      ig_output8(vaddq_s32(s0, b.val[0]), vaddq_s32(s1, b.val[1]), mult + n, shift + n, y_zp, act_min, act_max,
                 ig_out_at(y, n, out_bytes), out_bytes);
      ig_output8(vaddq_s32(s2, b.val[2]), vaddq_s32(s3, b.val[3]), mult + n + 8, shift + n + 8, y_zp, act_min,
                 act_max, ig_out_at(y, n + 8, out_bytes), out_bytes);
    }
    for (; n + 8 <= n_dim; n += 8) {
      const int8_t *p = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
      int32x4_t lo, hi;
      ig_dot4pairs_s8w4(x, p, k_dim, &lo, &hi);
      lo = ig_decode2pairs(lo, sx64);
      hi = ig_decode2pairs(hi, sx64);
      if (k64 < k_dim) {
        lo = vaddq_s32(lo, ig_dot2pairs_s8w4(x, p, p + k_dim, k64, k_dim, sx_rest));
        hi = vaddq_s32(hi, ig_dot2pairs_s8w4(x, p + 2 * (size_t)k_dim, p + 3 * (size_t)k_dim, k64, k_dim, sx_rest));
      }
      int32x4x2_t b = vld1q_s32_x2(bias + n);
      ig_output8(vaddq_s32(lo, b.val[0]), vaddq_s32(hi, b.val[1]), mult + n, shift + n, y_zp, act_min, act_max,
                 ig_out_at(y, n, out_bytes), out_bytes);
    }
  } else {
    sx = ig_sum_s8(x, 0, k_dim & ~15);
  }
#elif defined(IG_NEON_HAVE_DOT4PAIRS_NIBBLES)
  if (k_dim >= 32) { /* eight rows (four pairs) at a time: the 32-byte steps, then the rest four rows at a time */
    const int32_t k32 = k_dim & ~31, kv = k32 + ((k_dim - k32) & ~15);
    const int32_t sx32 = ig_sum_s8(x, 0, k32), sx_rest = ig_sum_s8(x, k32, kv);
    sx = sx32 + sx_rest;
    for (; n + 8 <= n_dim; n += 8) {
      const int8_t *p = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
      int32x4_t lo, hi;
      ig_dot4pairs_nibbles(x, p, k_dim, sx32, &lo, &hi);
      if (k32 < k_dim) {
        lo = vaddq_s32(lo, ig_dot2pairs_s8w4(x, p, p + k_dim, k32, k_dim, sx_rest));
        hi = vaddq_s32(hi, ig_dot2pairs_s8w4(x, p + 2 * (size_t)k_dim, p + 3 * (size_t)k_dim, k32, k_dim, sx_rest));
      }
      int32x4x2_t b = vld1q_s32_x2(bias + n);
      ig_output8(vaddq_s32(lo, b.val[0]), vaddq_s32(hi, b.val[1]), mult + n, shift + n, y_zp, act_min, act_max,
                 ig_out_at(y, n, out_bytes), out_bytes);
    }
  } else {
    sx = ig_sum_s8(x, 0, k_dim & ~15);
  }
#endif
  for (; n < n_dim; n += 4) {
    int32_t count = n_dim - n < 4 ? n_dim - n : 4;
    const int8_t *p0 = w_pairs + (size_t)(n >> 1) * (size_t)k_dim;
    const int8_t *p1 = count > 2 ? p0 + k_dim : p0;
    int32x4_t acc = vaddq_s32(ig_dot2pairs_s8w4(x, p0, p1, 0, k_dim, sx), ig_load4_s32(bias + n, count));
    ig_output4(acc, mult + n, shift + n, y_zp, act_min, act_max, ig_out_at(y, n, out_bytes), count, out_bytes);
  }
}

void ig_fc_s8w4(IG_FC_ARGS, int8_t *y) { fc_s8w4(IG_FC_PASS, y, 1); }
void ig_fc_s8w4_to_s16(IG_FC_ARGS, int16_t *y) { fc_s8w4(IG_FC_PASS, y, 2); }
void ig_fc_s8w4_to_s32(IG_FC_ARGS, int32_t *y) { fc_s8w4(IG_FC_PASS, y, 4); }
