/* The ratified RVV intrinsics API (v0.12 / v1.0: clang >= 17, e.g. Debian 13's clang-19) on every compiler the
 * project supports. The kernels call the fixed-point intrinsics in their ratified form, with the rounding mode as
 * an explicit argument (IG_RNU: round to nearest, ties up; the only mode the kernels use). clang-16 (Debian 12's
 * newest) implements the v0.11 API, whose fixed-point intrinsics take no rounding-mode argument and read vxrm:
 * there the four-argument calls below map to the three-argument ones, and ig_rvv_set_vxrm_rnu() (called by every
 * kernel that uses them, before the first) sets vxrm to rnu. With the ratified API the compiler writes vxrm itself
 * and ig_rvv_set_vxrm_rnu() emits nothing. The inline-assembly dot products use no fixed-point instruction. */
#ifndef IG_RVV_API_H
#define IG_RVV_API_H
#include <riscv_vector.h>

#if defined(__riscv_v_intrinsic) && __riscv_v_intrinsic >= 12000
#define IG_RNU __RISCV_VXRM_RNU
static inline __attribute__((always_inline)) void ig_rvv_set_vxrm_rnu(void) {}
#else
#define IG_RNU 0
static inline __attribute__((always_inline)) void ig_rvv_set_vxrm_rnu(void) { __asm__ volatile("csrwi vxrm, 0"); }
#define __riscv_vnclip_wx_i32m2(a, s, rm, vl) __riscv_vnclip_wx_i32m2((a), (s), (vl))
#define __riscv_vsmul_vv_i32m2(a, b, rm, vl) __riscv_vsmul_vv_i32m2((a), (b), (vl))
#define __riscv_vsmul_vv_i32m4(a, b, rm, vl) __riscv_vsmul_vv_i32m4((a), (b), (vl))
#define __riscv_vsmul_vx_i32m2(a, b, rm, vl) __riscv_vsmul_vx_i32m2((a), (b), (vl))
#define __riscv_vssra_vv_i32m4(a, s, rm, vl) __riscv_vssra_vv_i32m4((a), (s), (vl))
#define __riscv_vssra_vx_i32m2(a, s, rm, vl) __riscv_vssra_vx_i32m2((a), (s), (vl))
#define __riscv_vssra_vx_i64m4(a, s, rm, vl) __riscv_vssra_vx_i64m4((a), (s), (vl))
#define __riscv_vssra_vv_i64m4(a, s, rm, vl) __riscv_vssra_vv_i64m4((a), (s), (vl))
#define __riscv_vssrl_vv_u32m2(a, s, rm, vl) __riscv_vssrl_vv_u32m2((a), (s), (vl))
#define __riscv_vssrl_vx_u32m2(a, s, rm, vl) __riscv_vssrl_vx_u32m2((a), (s), (vl))
#endif

#endif
