/* The entry points of the ops that kernel families implement (declared in ig_ops.h), written out: the one table of
 * their definitions. Every family's ig_<op>.c defines its kernel body and then IG_ENTRIES_<OP> and includes this
 * file, which defines that op's entry points around the body; with IG_PORTABLE 1 (kernels/scalar/) they are weak,
 * so that a family's file overrides them, and include the variants only the portable kernel has. Which family's
 * file defines which entry point (what codegen links): kernels/kernel_table.tsv. */
#include <stdint.h>

#include "ig_fixedpoint.h"
#include "ig_ops.h"

#if IG_PORTABLE
#define IG_ENTRY_LINKAGE IG_WEAK
#else
#define IG_ENTRY_LINKAGE
#endif

#ifdef IG_ENTRIES_ADD /* ig_add.c: add_body, add (quant/ops/elementwise.py) */
IG_ENTRY_LINKAGE void ig_add_s8_s8_s8(const int8_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                      int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                      int32_t act_max, int8_t *y) {
  add_body(a, 1, b, 1, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_add_s8_s8_s16(const int8_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                       int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                       int32_t act_max, int16_t *y) {
  add_body(a, 1, b, 1, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_add_s8_s8_s32(const int8_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                       int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                       int32_t act_max, int32_t *y) {
  add_body(a, 1, b, 1, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_add_s8_s16_s8(const int8_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                       int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                       int32_t act_max, int8_t *y) {
  add_body(a, 1, b, 2, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_add_s8_s16_s16(const int8_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                        int32_t act_max, int16_t *y) {
  add_body(a, 1, b, 2, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_add_s8_s16_s32(const int8_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                        int32_t act_max, int32_t *y) {
  add_body(a, 1, b, 2, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_add_s8_s32_s8(const int8_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                       int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                       int32_t act_max, int8_t *y) {
  add_body(a, 1, b, 4, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_add_s8_s32_s16(const int8_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                        int32_t act_max, int16_t *y) {
  add_body(a, 1, b, 4, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_add_s8_s32_s32(const int8_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                        int32_t act_max, int32_t *y) {
  add_body(a, 1, b, 4, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_add_s16_s8_s8(const int16_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                       int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                       int32_t act_max, int8_t *y) {
  add_body(a, 2, b, 1, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_add_s16_s8_s16(const int16_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                        int32_t act_max, int16_t *y) {
  add_body(a, 2, b, 1, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_add_s16_s8_s32(const int16_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                        int32_t act_max, int32_t *y) {
  add_body(a, 2, b, 1, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_add_s16_s16_s8(const int16_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                        int32_t act_max, int8_t *y) {
  add_body(a, 2, b, 2, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_add_s16_s16_s16(const int16_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp,
                                         int32_t act_min, int32_t act_max, int16_t *y) {
  add_body(a, 2, b, 2, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_add_s16_s16_s32(const int16_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp,
                                         int32_t act_min, int32_t act_max, int32_t *y) {
  add_body(a, 2, b, 2, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_add_s16_s32_s8(const int16_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                        int32_t act_max, int8_t *y) {
  add_body(a, 2, b, 4, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_add_s16_s32_s16(const int16_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp,
                                         int32_t act_min, int32_t act_max, int16_t *y) {
  add_body(a, 2, b, 4, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_add_s16_s32_s32(const int16_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp,
                                         int32_t act_min, int32_t act_max, int32_t *y) {
  add_body(a, 2, b, 4, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_add_s32_s8_s8(const int32_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                       int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                       int32_t act_max, int8_t *y) {
  add_body(a, 4, b, 1, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_add_s32_s8_s16(const int32_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                        int32_t act_max, int16_t *y) {
  add_body(a, 4, b, 1, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_add_s32_s8_s32(const int32_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                        int32_t act_max, int32_t *y) {
  add_body(a, 4, b, 1, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_add_s32_s16_s8(const int32_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                        int32_t act_max, int8_t *y) {
  add_body(a, 4, b, 2, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_add_s32_s16_s16(const int32_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp,
                                         int32_t act_min, int32_t act_max, int16_t *y) {
  add_body(a, 4, b, 2, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_add_s32_s16_s32(const int32_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp,
                                         int32_t act_min, int32_t act_max, int32_t *y) {
  add_body(a, 4, b, 2, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_add_s32_s32_s8(const int32_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                        int32_t act_max, int8_t *y) {
  add_body(a, 4, b, 4, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_add_s32_s32_s16(const int32_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp,
                                         int32_t act_min, int32_t act_max, int16_t *y) {
  add_body(a, 4, b, 4, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_add_s32_s32_s32(const int32_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t a_mult, int32_t b_mult, int32_t shift, int32_t y_zp,
                                         int32_t act_min, int32_t act_max, int32_t *y) {
  add_body(a, 4, b, 4, len, a_zp, b_zp, a_mult, b_mult, shift, y_zp, act_min, act_max, y, 4);
}
#endif /* IG_ENTRIES_ADD */

#ifdef IG_ENTRIES_MUL /* ig_mul.c: mul_body, mul (quant/ops/elementwise.py) */
IG_ENTRY_LINKAGE void ig_mul_s8_s8_s8(const int8_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                      int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                      int8_t *y) {
  mul_body(a, 1, b, 1, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_mul_s8_s8_s16(const int8_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                       int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                       int16_t *y) {
  mul_body(a, 1, b, 1, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_mul_s8_s8_s32(const int8_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                       int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                       int32_t *y) {
  mul_body(a, 1, b, 1, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_mul_s8_s16_s8(const int8_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                       int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                       int8_t *y) {
  mul_body(a, 1, b, 2, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_mul_s8_s16_s16(const int8_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                        int16_t *y) {
  mul_body(a, 1, b, 2, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_mul_s8_s16_s32(const int8_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                        int32_t *y) {
  mul_body(a, 1, b, 2, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_mul_s16_s8_s8(const int16_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                       int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                       int8_t *y) {
  mul_body(a, 2, b, 1, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_mul_s16_s8_s16(const int16_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                        int16_t *y) {
  mul_body(a, 2, b, 1, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_mul_s16_s8_s32(const int16_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                        int32_t *y) {
  mul_body(a, 2, b, 1, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_mul_s16_s16_s8(const int16_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                        int8_t *y) {
  mul_body(a, 2, b, 2, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_mul_s16_s16_s16(const int16_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                         int16_t *y) {
  mul_body(a, 2, b, 2, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_mul_s16_s16_s32(const int16_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                         int32_t *y) {
  mul_body(a, 2, b, 2, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 4);
}
#if IG_PORTABLE /* only the portable kernel has these */
IG_ENTRY_LINKAGE void ig_mul_s8_s32_s8(const int8_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                       int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                       int8_t *y) {
  mul_body(a, 1, b, 4, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_mul_s8_s32_s16(const int8_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                        int16_t *y) {
  mul_body(a, 1, b, 4, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_mul_s8_s32_s32(const int8_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                        int32_t *y) {
  mul_body(a, 1, b, 4, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_mul_s16_s32_s8(const int16_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                        int8_t *y) {
  mul_body(a, 2, b, 4, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_mul_s16_s32_s16(const int16_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                         int16_t *y) {
  mul_body(a, 2, b, 4, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_mul_s16_s32_s32(const int16_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                         int32_t *y) {
  mul_body(a, 2, b, 4, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_mul_s32_s8_s8(const int32_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                       int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                       int8_t *y) {
  mul_body(a, 4, b, 1, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_mul_s32_s8_s16(const int32_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                        int16_t *y) {
  mul_body(a, 4, b, 1, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_mul_s32_s8_s32(const int32_t *a, const int8_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                        int32_t *y) {
  mul_body(a, 4, b, 1, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_mul_s32_s16_s8(const int32_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                        int8_t *y) {
  mul_body(a, 4, b, 2, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_mul_s32_s16_s16(const int32_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                         int16_t *y) {
  mul_body(a, 4, b, 2, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_mul_s32_s16_s32(const int32_t *a, const int16_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                         int32_t *y) {
  mul_body(a, 4, b, 2, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_mul_s32_s32_s8(const int32_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                        int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                        int8_t *y) {
  mul_body(a, 4, b, 4, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_mul_s32_s32_s16(const int32_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                         int16_t *y) {
  mul_body(a, 4, b, 4, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_mul_s32_s32_s32(const int32_t *a, const int32_t *b, int32_t len, int32_t a_zp, int32_t b_zp,
                                         int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                         int32_t *y) {
  mul_body(a, 4, b, 4, len, a_zp, b_zp, mult, shift, y_zp, act_min, act_max, y, 4);
}
#endif
#endif /* IG_ENTRIES_MUL */

#ifdef IG_ENTRIES_LAYERNORM /* ig_layernorm.c: layernorm_body, layernorm (quant/ops/norm.py) */
IG_ENTRY_LINKAGE void ig_layernorm_s8_s8(const int8_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                         const int32_t *beta, int32_t x_zp, int32_t eps_hi, uint32_t eps_lo,
                                         int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y) {
  layernorm_body(x, 1, rows, channels, gamma, beta, x_zp, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_layernorm_s8_s16(const int8_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                          const int32_t *beta, int32_t x_zp, int32_t eps_hi, uint32_t eps_lo,
                                          int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int16_t *y) {
  layernorm_body(x, 1, rows, channels, gamma, beta, x_zp, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_layernorm_s16_s8(const int16_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                          const int32_t *beta, int32_t x_zp, int32_t eps_hi, uint32_t eps_lo,
                                          int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y) {
  layernorm_body(x, 2, rows, channels, gamma, beta, x_zp, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_layernorm_s16_s16(const int16_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                           const int32_t *beta, int32_t x_zp, int32_t eps_hi, uint32_t eps_lo,
                                           int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int16_t *y) {
  layernorm_body(x, 2, rows, channels, gamma, beta, x_zp, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 2);
}
#if IG_PORTABLE /* only the portable kernel has these */
IG_ENTRY_LINKAGE void ig_layernorm_s8_s32(const int8_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                          const int32_t *beta, int32_t x_zp, int32_t eps_hi, uint32_t eps_lo,
                                          int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int32_t *y) {
  layernorm_body(x, 1, rows, channels, gamma, beta, x_zp, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_layernorm_s16_s32(const int16_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                           const int32_t *beta, int32_t x_zp, int32_t eps_hi, uint32_t eps_lo,
                                           int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int32_t *y) {
  layernorm_body(x, 2, rows, channels, gamma, beta, x_zp, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_layernorm_s32_s8(const int32_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                          const int32_t *beta, int32_t x_zp, int32_t eps_hi, uint32_t eps_lo,
                                          int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y) {
  layernorm_body(x, 4, rows, channels, gamma, beta, x_zp, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_layernorm_s32_s16(const int32_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                           const int32_t *beta, int32_t x_zp, int32_t eps_hi, uint32_t eps_lo,
                                           int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int16_t *y) {
  layernorm_body(x, 4, rows, channels, gamma, beta, x_zp, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_layernorm_s32_s32(const int32_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                           const int32_t *beta, int32_t x_zp, int32_t eps_hi, uint32_t eps_lo,
                                           int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int32_t *y) {
  layernorm_body(x, 4, rows, channels, gamma, beta, x_zp, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 4);
}
#endif
#endif /* IG_ENTRIES_LAYERNORM */

#ifdef IG_ENTRIES_RMSNORM /* ig_rmsnorm.c: rmsnorm_body, rmsnorm (quant/ops/norm.py) */
IG_ENTRY_LINKAGE void ig_rmsnorm_s8_s8(const int8_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                       int32_t x_zp, int32_t pre_shift, int32_t eps_hi, uint32_t eps_lo,
                                       int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y) {
  rmsnorm_body(x, 1, rows, channels, gamma, x_zp, pre_shift, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_rmsnorm_s8_s16(const int8_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                        int32_t x_zp, int32_t pre_shift, int32_t eps_hi, uint32_t eps_lo,
                                        int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int16_t *y) {
  rmsnorm_body(x, 1, rows, channels, gamma, x_zp, pre_shift, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_rmsnorm_s16_s8(const int16_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                        int32_t x_zp, int32_t pre_shift, int32_t eps_hi, uint32_t eps_lo,
                                        int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y) {
  rmsnorm_body(x, 2, rows, channels, gamma, x_zp, pre_shift, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_rmsnorm_s16_s16(const int16_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                         int32_t x_zp, int32_t pre_shift, int32_t eps_hi, uint32_t eps_lo,
                                         int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int16_t *y) {
  rmsnorm_body(x, 2, rows, channels, gamma, x_zp, pre_shift, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_rmsnorm_s32_s8(const int32_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                        int32_t x_zp, int32_t pre_shift, int32_t eps_hi, uint32_t eps_lo,
                                        int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int8_t *y) {
  rmsnorm_body(x, 4, rows, channels, gamma, x_zp, pre_shift, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_rmsnorm_s32_s16(const int32_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                         int32_t x_zp, int32_t pre_shift, int32_t eps_hi, uint32_t eps_lo,
                                         int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int16_t *y) {
  rmsnorm_body(x, 4, rows, channels, gamma, x_zp, pre_shift, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 2);
}
#if IG_PORTABLE /* only the portable kernel has these */
IG_ENTRY_LINKAGE void ig_rmsnorm_s8_s32(const int8_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                        int32_t x_zp, int32_t pre_shift, int32_t eps_hi, uint32_t eps_lo,
                                        int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int32_t *y) {
  rmsnorm_body(x, 1, rows, channels, gamma, x_zp, pre_shift, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_rmsnorm_s16_s32(const int16_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                         int32_t x_zp, int32_t pre_shift, int32_t eps_hi, uint32_t eps_lo,
                                         int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int32_t *y) {
  rmsnorm_body(x, 2, rows, channels, gamma, x_zp, pre_shift, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_rmsnorm_s32_s32(const int32_t *x, int32_t rows, int32_t channels, const int32_t *gamma,
                                         int32_t x_zp, int32_t pre_shift, int32_t eps_hi, uint32_t eps_lo,
                                         int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max, int32_t *y) {
  rmsnorm_body(x, 4, rows, channels, gamma, x_zp, pre_shift, IG_EPS64(eps_hi, eps_lo), shift, y_zp, act_min,
      act_max, y, 4);
}
#endif
#endif /* IG_ENTRIES_RMSNORM */

#ifdef IG_ENTRIES_ROPE /* ig_rope.c: rope_body, rope (quant/ops/rope.py) */
IG_ENTRY_LINKAGE int32_t ig_rope_s8_s8(const int8_t *x, int32_t rows, const int32_t *positions, const int16_t *cos_t,
                                       const int16_t *sin_t, int32_t n_positions, int32_t heads, int32_t head_dim,
                                       int32_t x_zp, int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                       int32_t act_max, int8_t *y) {
  return rope_body(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, x_zp, mult, shift, y_zp,
      act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE int32_t ig_rope_s8_s16(const int8_t *x, int32_t rows, const int32_t *positions,
                                        const int16_t *cos_t, const int16_t *sin_t, int32_t n_positions,
                                        int32_t heads, int32_t head_dim, int32_t x_zp, int32_t mult, int32_t shift,
                                        int32_t y_zp, int32_t act_min, int32_t act_max, int16_t *y) {
  return rope_body(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, x_zp, mult, shift, y_zp,
      act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE int32_t ig_rope_s8_s32(const int8_t *x, int32_t rows, const int32_t *positions,
                                        const int16_t *cos_t, const int16_t *sin_t, int32_t n_positions,
                                        int32_t heads, int32_t head_dim, int32_t x_zp, int32_t mult, int32_t shift,
                                        int32_t y_zp, int32_t act_min, int32_t act_max, int32_t *y) {
  return rope_body(x, rows, positions, cos_t, sin_t, n_positions, heads, head_dim, x_zp, mult, shift, y_zp,
      act_min, act_max, y, 4);
}
#endif /* IG_ENTRIES_ROPE */

#ifdef IG_ENTRIES_MATMUL_QK /* ig_matmul_qk.c: qk_body, matmul_qk (quant/ops/attention.py) */
IG_ENTRY_LINKAGE void ig_matmul_qk_s8_s8(const int8_t *q, const int8_t *k, int32_t t, int32_t s, int32_t heads,
                                         int32_t kv_heads, int32_t head_dim, int32_t q_zp, int32_t k_zp,
                                         int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                         int8_t *y) {
  qk_body(q, k, t, s, heads, kv_heads, head_dim, q_zp, k_zp, mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_matmul_qk_s8_s16(const int8_t *q, const int8_t *k, int32_t t, int32_t s, int32_t heads,
                                          int32_t kv_heads, int32_t head_dim, int32_t q_zp, int32_t k_zp,
                                          int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                          int32_t act_max, int16_t *y) {
  qk_body(q, k, t, s, heads, kv_heads, head_dim, q_zp, k_zp, mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_matmul_qk_s8_s32(const int8_t *q, const int8_t *k, int32_t t, int32_t s, int32_t heads,
                                          int32_t kv_heads, int32_t head_dim, int32_t q_zp, int32_t k_zp,
                                          int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                          int32_t act_max, int32_t *y) {
  qk_body(q, k, t, s, heads, kv_heads, head_dim, q_zp, k_zp, mult, shift, y_zp, act_min, act_max, y, 4);
}
#endif /* IG_ENTRIES_MATMUL_QK */

#ifdef IG_ENTRIES_MATMUL_PV /* ig_matmul_pv.c: pv_body, matmul_pv (quant/ops/attention.py) */
IG_ENTRY_LINKAGE void ig_matmul_pv_s8_s8(const int8_t *p, const int8_t *v, int32_t t, int32_t s, int32_t heads,
                                         int32_t kv_heads, int32_t head_dim, int32_t p_zp, int32_t v_zp,
                                         int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min, int32_t act_max,
                                         int8_t *y) {
  pv_body(p, 1, v, t, s, heads, kv_heads, head_dim, p_zp, v_zp, mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_matmul_pv_s8_s16(const int8_t *p, const int8_t *v, int32_t t, int32_t s, int32_t heads,
                                          int32_t kv_heads, int32_t head_dim, int32_t p_zp, int32_t v_zp,
                                          int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                          int32_t act_max, int16_t *y) {
  pv_body(p, 1, v, t, s, heads, kv_heads, head_dim, p_zp, v_zp, mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_matmul_pv_s8_s32(const int8_t *p, const int8_t *v, int32_t t, int32_t s, int32_t heads,
                                          int32_t kv_heads, int32_t head_dim, int32_t p_zp, int32_t v_zp,
                                          int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                          int32_t act_max, int32_t *y) {
  pv_body(p, 1, v, t, s, heads, kv_heads, head_dim, p_zp, v_zp, mult, shift, y_zp, act_min, act_max, y, 4);
}
IG_ENTRY_LINKAGE void ig_matmul_pv_s16_s8(const int16_t *p, const int8_t *v, int32_t t, int32_t s, int32_t heads,
                                          int32_t kv_heads, int32_t head_dim, int32_t p_zp, int32_t v_zp,
                                          int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                          int32_t act_max, int8_t *y) {
  pv_body(p, 2, v, t, s, heads, kv_heads, head_dim, p_zp, v_zp, mult, shift, y_zp, act_min, act_max, y, 1);
}
IG_ENTRY_LINKAGE void ig_matmul_pv_s16_s16(const int16_t *p, const int8_t *v, int32_t t, int32_t s, int32_t heads,
                                           int32_t kv_heads, int32_t head_dim, int32_t p_zp, int32_t v_zp,
                                           int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                           int32_t act_max, int16_t *y) {
  pv_body(p, 2, v, t, s, heads, kv_heads, head_dim, p_zp, v_zp, mult, shift, y_zp, act_min, act_max, y, 2);
}
IG_ENTRY_LINKAGE void ig_matmul_pv_s16_s32(const int16_t *p, const int8_t *v, int32_t t, int32_t s, int32_t heads,
                                           int32_t kv_heads, int32_t head_dim, int32_t p_zp, int32_t v_zp,
                                           int32_t mult, int32_t shift, int32_t y_zp, int32_t act_min,
                                           int32_t act_max, int32_t *y) {
  pv_body(p, 2, v, t, s, heads, kv_heads, head_dim, p_zp, v_zp, mult, shift, y_zp, act_min, act_max, y, 4);
}
#endif /* IG_ENTRIES_MATMUL_PV */

#ifdef IG_ENTRIES_SOFTMAX /* ig_softmax.c: sm_body, softmax (quant/ops/attention.py) */
IG_ENTRY_LINKAGE void ig_softmax_s8_s8(const int8_t *x, int32_t groups, int32_t t, int32_t s, int32_t causal,
                                       int32_t in_mult, int32_t in_shift, int8_t *y) {
  sm_body(x, 1, groups, t, s, causal, in_mult, in_shift, y, 1);
}
IG_ENTRY_LINKAGE void ig_softmax_s8_s16(const int8_t *x, int32_t groups, int32_t t, int32_t s, int32_t causal,
                                        int32_t in_mult, int32_t in_shift, int16_t *y) {
  sm_body(x, 1, groups, t, s, causal, in_mult, in_shift, y, 2);
}
IG_ENTRY_LINKAGE void ig_softmax_s16_s8(const int16_t *x, int32_t groups, int32_t t, int32_t s, int32_t causal,
                                        int32_t in_mult, int32_t in_shift, int8_t *y) {
  sm_body(x, 2, groups, t, s, causal, in_mult, in_shift, y, 1);
}
IG_ENTRY_LINKAGE void ig_softmax_s16_s16(const int16_t *x, int32_t groups, int32_t t, int32_t s, int32_t causal,
                                         int32_t in_mult, int32_t in_shift, int16_t *y) {
  sm_body(x, 2, groups, t, s, causal, in_mult, in_shift, y, 2);
}
#endif /* IG_ENTRIES_SOFTMAX */

#ifdef IG_ENTRIES_GELU /* ig_gelu.c: IG_GATED_BODY (ig_activations.h), gelu (quant/ops/elementwise.py) */
IG_ENTRY_LINKAGE void ig_gelu_s8_s8(const int8_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                    int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                    int32_t act_max, int8_t *y) {
  IG_GATED_BODY(x, 1, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 1, 1);
}
IG_ENTRY_LINKAGE void ig_gelu_s8_s16(const int8_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                     int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                     int32_t act_max, int16_t *y) {
  IG_GATED_BODY(x, 1, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 2, 1);
}
IG_ENTRY_LINKAGE void ig_gelu_s8_s32(const int8_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                     int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                     int32_t act_max, int32_t *y) {
  IG_GATED_BODY(x, 1, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 4, 1);
}
IG_ENTRY_LINKAGE void ig_gelu_s16_s8(const int16_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                     int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                     int32_t act_max, int8_t *y) {
  IG_GATED_BODY(x, 2, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 1, 1);
}
IG_ENTRY_LINKAGE void ig_gelu_s16_s16(const int16_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                      int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                      int32_t act_max, int16_t *y) {
  IG_GATED_BODY(x, 2, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 2, 1);
}
IG_ENTRY_LINKAGE void ig_gelu_s16_s32(const int16_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                      int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                      int32_t act_max, int32_t *y) {
  IG_GATED_BODY(x, 2, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 4, 1);
}
#if IG_PORTABLE /* only the portable kernel has these */
IG_ENTRY_LINKAGE void ig_gelu_s32_s8(const int32_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                     int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                     int32_t act_max, int8_t *y) {
  IG_GATED_BODY(x, 4, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 1, 1);
}
IG_ENTRY_LINKAGE void ig_gelu_s32_s16(const int32_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                      int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                      int32_t act_max, int16_t *y) {
  IG_GATED_BODY(x, 4, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 2, 1);
}
IG_ENTRY_LINKAGE void ig_gelu_s32_s32(const int32_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                      int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                      int32_t act_max, int32_t *y) {
  IG_GATED_BODY(x, 4, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 4, 1);
}
#endif
#endif /* IG_ENTRIES_GELU */

#ifdef IG_ENTRIES_SILU /* ig_silu.c: IG_GATED_BODY (ig_activations.h), silu (quant/ops/elementwise.py) */
IG_ENTRY_LINKAGE void ig_silu_s8_s8(const int8_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                    int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                    int32_t act_max, int8_t *y) {
  IG_GATED_BODY(x, 1, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 1, 0);
}
IG_ENTRY_LINKAGE void ig_silu_s8_s16(const int8_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                     int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                     int32_t act_max, int16_t *y) {
  IG_GATED_BODY(x, 1, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 2, 0);
}
IG_ENTRY_LINKAGE void ig_silu_s8_s32(const int8_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                     int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                     int32_t act_max, int32_t *y) {
  IG_GATED_BODY(x, 1, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 4, 0);
}
IG_ENTRY_LINKAGE void ig_silu_s16_s8(const int16_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                     int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                     int32_t act_max, int8_t *y) {
  IG_GATED_BODY(x, 2, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 1, 0);
}
IG_ENTRY_LINKAGE void ig_silu_s16_s16(const int16_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                      int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                      int32_t act_max, int16_t *y) {
  IG_GATED_BODY(x, 2, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 2, 0);
}
IG_ENTRY_LINKAGE void ig_silu_s16_s32(const int16_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                      int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                      int32_t act_max, int32_t *y) {
  IG_GATED_BODY(x, 2, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 4, 0);
}
#if IG_PORTABLE /* only the portable kernel has these */
IG_ENTRY_LINKAGE void ig_silu_s32_s8(const int32_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                     int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                     int32_t act_max, int8_t *y) {
  IG_GATED_BODY(x, 4, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 1, 0);
}
IG_ENTRY_LINKAGE void ig_silu_s32_s16(const int32_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                      int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                      int32_t act_max, int16_t *y) {
  IG_GATED_BODY(x, 4, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 2, 0);
}
IG_ENTRY_LINKAGE void ig_silu_s32_s32(const int32_t *x, int32_t len, int32_t x_zp, int32_t in_mult, int32_t in_shift,
                                      int32_t out_mult, int32_t out_shift, int32_t y_zp, int32_t act_min,
                                      int32_t act_max, int32_t *y) {
  IG_GATED_BODY(x, 4, len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, 4, 0);
}
#endif
#endif /* IG_ENTRIES_SILU */

#ifdef IG_ENTRIES_SOFTCAP /* ig_softcap.c: IG_SOFTCAP_BODY, softcap (quant/ops/softcap.py) */
#define IG_SOFTCAP_ENTRY(D_, X, XT, Y, YT)                                                                         \
  IG_ENTRY_LINKAGE void ig_softcap_##X##_##Y(const XT *x, int32_t len, int32_t x_zp, int32_t in_mult,              \
                                             int32_t in_shift, int32_t out_mult, int32_t out_shift, int32_t y_zp,  \
                                             int32_t act_min, int32_t act_max, YT *y) {                           \
    IG_SOFTCAP_BODY(x, sizeof(XT), len, x_zp, in_mult, in_shift, out_mult, out_shift, y_zp, act_min, act_max, y, \
                    sizeof(YT));                                                                                  \
  }
#define IG__SOFTCAP_ENTRY_B(M, X, XT) IG_FOR_B(IG_SOFTCAP_ENTRY, M, X, XT)
IG_FOR_NARROW(IG__SOFTCAP_ENTRY_B, _)
#if IG_PORTABLE /* only the portable kernel has these */
IG_FOR_B(IG_SOFTCAP_ENTRY, _, s32, int32_t)
#endif
#endif /* IG_ENTRIES_SOFTCAP */
