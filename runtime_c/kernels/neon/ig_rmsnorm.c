/* rmsnorm for AArch64 NEON, eight channels per step.
 * c = clamp(rshr(x - zp, pre_shift), +-(2^24 - 1)) in lanes, one of four ways fixed per call (loops for each):
 *   int16 with zp = pre_shift = 0: c = x (the squares by SMULL(2) of the int16 lanes, SADALP into int64);
 *   int8 / int16: SUB + SRSHL in int32 lanes (|x - zp| < 2^17: no clamp);
 *   int32, pre_shift <= 7: SQSUB (none when zp = 0) + SRSHL + clamp (where x - zp saturates, rshr(., pre_shift)
 *   is past the clamp too);
 *   int32, larger pre_shift: through int64 lanes and SQXTN.
 * int32 rows of at most IG_RMS_BUF channels keep c on the stack for the second pass. The sum of squares by
 * SMLAL(2) into int64 lanes; per element n = round_div(c 2^20, r) is ig_neon_rdiv20_dq (exact for |c| <= r < 2^30);
 * y = rshr(n gamma, shift) by SQDMULH(n 2^a, gamma) = floor(n gamma / 2^(31 - a)) and a rounding shift by the
 * rest (exact: rshr(P, s) = rshr(floor(P / 2^j), s - j) for j < s) when shift >= 22, else SMULL(2) + SRSHL +
 * SQXTN; SQADD y_zp, then SQXTN to int16 lanes (int8 / int16 outputs only) and the clamp there. Rows with
 * r >= 2^30 and the last channels % 8 take the portable per-element form. */
#include "ig_neon_ops.h"
#include "ig_ops.h"

#define IG_RMS_C_MAX ((1 << 24) - 1)
#define IG_RMS_BUF 2048

enum { RMS_RAW16, RMS_SMALL, RMS_S32, RMS_S32Z, RMS_WIDE }; /* input forms */
enum { RMS_Y_WIDE, RMS_Y_DMULH, RMS_Y_DMULH0 };             /* output forms (DMULH0: shift >= 32, a = 0) */

typedef struct {
  int32x4_t zp, npre, cmax;
  int64x2_t npre64;
  int32_t zp32;
} rms_in_t;

IG_NI int32x4_t rms_clamp(int32x4_t c, int32x4_t cmax) { return vminq_s32(vmaxq_s32(c, vnegq_s32(cmax)), cmax); }

/* c of x[i..i+8) */
IG_NI void rms_c8(const void *x, int32_t i, int32_t xb, const rms_in_t *p, int mode, int32x4_t *c0, int32x4_t *c1) {
  if (mode == RMS_WIDE) {
    for (int32_t h = 0; h < 2; h++) {
      int32x4_t v = vld1q_s32((const int32_t *)x + i + 4 * h);
      int64x2_t lo = vrshlq_s64(vsubl_s32(vget_low_s32(v), vdup_n_s32(p->zp32)), p->npre64);
      int64x2_t hi = vrshlq_s64(vsubl_high_s32(v, vdupq_n_s32(p->zp32)), p->npre64);
      *(h ? c1 : c0) = rms_clamp(vqmovn_high_s64(vqmovn_s64(lo), hi), p->cmax);
    }
    return;
  }
  ig_neon_load8(x, i, xb, c0, c1);
  if (mode == RMS_SMALL) {
    *c0 = vrshlq_s32(vsubq_s32(*c0, p->zp), p->npre);
    *c1 = vrshlq_s32(vsubq_s32(*c1, p->zp), p->npre);
  } else if (mode == RMS_S32) {
    *c0 = rms_clamp(vrshlq_s32(vqsubq_s32(*c0, p->zp), p->npre), p->cmax);
    *c1 = rms_clamp(vrshlq_s32(vqsubq_s32(*c1, p->zp), p->npre), p->cmax);
  } else if (mode == RMS_S32Z) {
    *c0 = rms_clamp(vrshlq_s32(*c0, p->npre), p->cmax);
    *c1 = rms_clamp(vrshlq_s32(*c1, p->npre), p->cmax);
  }
}

IG_NI int32_t rms_c1(const void *x, int32_t i, int32_t xb, int32_t x_zp, int32_t pre_shift) {
  return (int32_t)ig_clamp64(ig_rshr64((int64_t)ig_load(x, i, xb) - x_zp, pre_shift), -IG_RMS_C_MAX, IG_RMS_C_MAX);
}

typedef struct {
  int32x4_t zy, a, nk;
  int16x8_t lo16, hi16;
  int64x2_t nsh;
} rms_out_t;

/* y of eight normalized values n (dmulh: the SQDMULH form) */
IG_NI void rms_y8(int32x4_t n0, int32x4_t n1, const int32_t *gamma, const rms_out_t *o, int dmulh, void *y,
                  int32_t i, int32_t yb) {
  int32x4_t g0 = vld1q_s32(gamma), g1 = vld1q_s32(gamma + 4), v0, v1;
  if (dmulh == RMS_Y_DMULH0) {
    v0 = vrshlq_s32(vqdmulhq_s32(n0, g0), o->nk);
    v1 = vrshlq_s32(vqdmulhq_s32(n1, g1), o->nk);
  } else if (dmulh == RMS_Y_DMULH) {
    v0 = vrshlq_s32(vqdmulhq_s32(vshlq_s32(n0, o->a), g0), o->nk);
    v1 = vrshlq_s32(vqdmulhq_s32(vshlq_s32(n1, o->a), g1), o->nk);
  } else {
    int32x4_t zero = vdupq_n_s32(0);
    v0 = ig_neon_rshr_nbg(n0, g0, zero, o->nsh);
    v1 = ig_neon_rshr_nbg(n1, g1, zero, o->nsh);
  }
  v0 = vqaddq_s32(v0, o->zy);
  v1 = vqaddq_s32(v1, o->zy);
  int16x8_t h = vminq_s16(vmaxq_s16(vqmovn_high_s32(vqmovn_s32(v0), v1), o->lo16), o->hi16);
  if (yb == 2)
    vst1q_s16((int16_t *)y + i, h);
  else
    vst1_s8((int8_t *)y + i, vmovn_s16(h));
}

/* one row's sum of squares over the first c8 channels (c into buf when buf) */
IG_NI uint64_t rms_sumsq(const void *x, int32_t xb, int32_t c8, const rms_in_t *p, int mode, int32_t *buf) {
  int64x2_t acc = vdupq_n_s64(0), acc1 = vdupq_n_s64(0);
  for (int32_t i = 0; i < c8; i += 8) {
    if (mode == RMS_RAW16) { /* |x| <= 2^15: each square fits int32 */
      int16x8_t v = vld1q_s16((const int16_t *)x + i);
      acc = vpadalq_s32(acc, vmull_s16(vget_low_s16(v), vget_low_s16(v)));
      acc1 = vpadalq_s32(acc1, vmull_high_s16(v, v));
      continue;
    }
    int32x4_t c0, c1;
    rms_c8(x, i, xb, p, mode, &c0, &c1);
    if (buf) {
      vst1q_s32(buf + i, c0);
      vst1q_s32(buf + i + 4, c1);
    }
    acc = vmlal_s32(acc, vget_low_s32(c0), vget_low_s32(c0));
    acc1 = vmlal_high_s32(acc1, c0, c0);
    acc = vmlal_s32(acc, vget_low_s32(c1), vget_low_s32(c1));
    acc1 = vmlal_high_s32(acc1, c1, c1);
  }
  return (uint64_t)vaddvq_s64(vaddq_s64(acc, acc1));
}

/* one call's arguments */
typedef struct {
  const void *x;
  int32_t xb, rows, channels;
  const int32_t *gamma;
  int32_t x_zp, pre_shift;
  int64_t eps;
  int32_t shift, y_zp, act_min, act_max;
  void *y;
  int32_t yb;
} rms_call_t;

/* row r in input form `mode`, output form `form`; c of the first pass kept in buf when buf */
IG_NI void rms_row(const rms_call_t *a, int32_t r, const rms_in_t *p, int mode, const rms_out_t *o, int form,
                   int32_t *buf) {
  int32_t xb = a->xb, yb = a->yb, channels = a->channels, c8 = channels & ~7;
  const void *x = (const char *)a->x + (size_t)r * channels * xb;
  void *y = (char *)a->y + (size_t)r * channels * yb;
  uint64_t ss = (uint64_t)a->eps + rms_sumsq(x, xb, c8, p, mode, buf);
  for (int32_t i = c8; i < channels; i++) {
    int64_t c = rms_c1(x, i, xb, a->x_zp, a->pre_shift);
    ss += (uint64_t)(c * c);
  }
  int64_t root = ig_neon_isqrt64(ss);
  if (root < 1) root = 1;
  int32_t i = 0;
  if (root < (1 << 30)) {
    ig_neon_rdiv_t d = ig_neon_rdiv_prepare((uint32_t)root);
    for (; i < c8; i += 8) {
      int32x4_t c0, c1;
      if (buf) {
        c0 = vld1q_s32(buf + i);
        c1 = vld1q_s32(buf + i + 4);
      } else {
        rms_c8(x, i, xb, p, mode, &c0, &c1);
      }
      rms_y8(ig_neon_rdiv20_dq(c0, &d), ig_neon_rdiv20_dq(c1, &d), a->gamma + i, o, form, y, i, yb);
    }
  }
  ig_divisor_t div = ig_divisor((uint64_t)root);
  for (; i < channels; i++) {
    int64_t n = ig_round_div_by((int64_t)rms_c1(x, i, xb, a->x_zp, a->pre_shift) * (1ll << 20), div);
    int64_t v = ig_rshr64(n * a->gamma[i], a->shift) + a->y_zp;
    ig_store(y, i, (int32_t)ig_clamp64(v, a->act_min, a->act_max), yb);
  }
}

IG_NI void rms_rows(const rms_call_t *a, const rms_in_t *p, int mode, const rms_out_t *o, int form, int32_t *buf) {
  for (int32_t r = 0; r < a->rows; r++) rms_row(a, r, p, mode, o, form, buf);
}

/* the output form of the shift (loops for each: the SQDMULH forms where the shift allows) */
IG_NI void rms_forms(const rms_call_t *a, const rms_in_t *p, int mode, const rms_out_t *o, int32_t *buf) {
  if (a->shift >= 32 && a->shift <= 62)
    rms_rows(a, p, mode, o, RMS_Y_DMULH0, buf);
  else if (a->shift >= 22 && a->shift <= 62)
    rms_rows(a, p, mode, o, RMS_Y_DMULH, buf);
  else
    rms_rows(a, p, mode, o, RMS_Y_WIDE, buf);
}

IG_NI void rmsnorm_body(const void *x, int32_t xb, int32_t rows, int32_t channels, const int32_t *gamma,
                        int32_t x_zp, int32_t pre_shift, int64_t eps, int32_t shift, int32_t y_zp, int32_t act_min,
                        int32_t act_max, void *y, int32_t yb) {
  rms_call_t a = {x, xb, rows, channels, gamma, x_zp, pre_shift, eps, shift, y_zp, act_min, act_max, y, yb};
  rms_in_t p = {vdupq_n_s32(x_zp), vdupq_n_s32(-pre_shift), vdupq_n_s32(IG_RMS_C_MAX), vdupq_n_s64(-pre_shift), x_zp};
  int32_t ylo = yb == 1 ? -128 : -32768, yhi = yb == 1 ? 127 : 32767; /* int8 / int16 outputs only */
  ylo = act_min > ylo ? act_min : ylo;
  yhi = act_max < yhi ? act_max : yhi;
  int32_t sa = shift < 32 ? 32 - shift : 0; /* n 2^sa < 2^31 for sa <= 10 (|n| <= 2^20) */
  rms_out_t o = {vdupq_n_s32(y_zp), vdupq_n_s32(sa), vdupq_n_s32(31 - sa - shift), vdupq_n_s16((int16_t)ylo),
                 vdupq_n_s16((int16_t)yhi), vdupq_n_s64(-shift)};
  /* every input form a constant below: each is its own copy of the row loops */
  if (xb == 2 && x_zp == 0 && pre_shift == 0) {
    rms_forms(&a, &p, RMS_RAW16, &o, 0);
  } else if (xb < 4) {
    rms_forms(&a, &p, RMS_SMALL, &o, 0);
  } else {
    /* int32: c on the stack between the passes; rows longer than that, and the int64 input form, in one output
     * form only */
    int32_t buf[IG_RMS_BUF];
    if (channels > IG_RMS_BUF)
      rms_rows(&a, &p, RMS_WIDE, &o, RMS_Y_WIDE, 0);
    else if (pre_shift > 7)
      rms_rows(&a, &p, RMS_WIDE, &o, RMS_Y_WIDE, buf);
    else if (x_zp == 0)
      rms_forms(&a, &p, RMS_S32Z, &o, buf);
    else
      rms_forms(&a, &p, RMS_S32, &o, buf);
  }
}

#define IG_ENTRIES_RMSNORM
#include "ig_entry_points.h"
