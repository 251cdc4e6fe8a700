/* Every form of RVV 1.0 load and store the QEMU plugin feeds the memory simulator by one callback per instruction
 * (unit-stride of each width with a tail, strided with positive, negative, zero and element-size strides, mask,
 * whole-register, indexed with an index group wider than the data, a base register shared by accesses of a block)
 * and the forms it leaves to QEMU's per-element callbacks (masked, segment, fault-only-first, 64-bit indices).
 * Written in assembly so that every form appears whatever the compiler. Prints a checksum of the stored bytes. */
#include <stdint.h>
#include "ig_platform.h"

static uint8_t src[8192] __attribute__((aligned(64)));
static uint8_t dst[8192] __attribute__((aligned(64)));
static uint32_t idx32[64];
static uint8_t idx8[64];

int main(void) {
  for (int i = 0; i < 8192; i++) src[i] = (uint8_t)(i * 7 + 3);
  for (int i = 0; i < 64; i++) idx32[i] = (uint32_t)((i * 37) % 64) * 24 + 3;
  for (int i = 0; i < 64; i++) idx8[i] = (uint8_t)(((i * 11) % 32) * 8);
  size_t vl;
  for (int rep = 0; rep < 3; rep++) {
    __asm__ volatile("vsetvli %0, %1, e8, m4, ta, ma\n\tvle8.v v8, (%2)\n\tvse8.v v8, (%3)"
                     : "=&r"(vl) : "r"(100), "r"(src + 1), "r"(dst + 5) : "memory");
    __asm__ volatile("vsetvli %0, %1, e16, m2, ta, ma\n\tvle16.v v8, (%2)\n\tvse16.v v8, (%3)"
                     : "=&r"(vl) : "r"(37), "r"(src + 64), "r"(dst + 256) : "memory");
    __asm__ volatile("vsetvli %0, %1, e32, m1, ta, ma\n\tvle32.v v8, (%2)\n\tvse32.v v8, (%3)"
                     : "=&r"(vl) : "r"(11), "r"(src + 700), "r"(dst + 900) : "memory");
    __asm__ volatile("vsetvli %0, %1, e64, m8, ta, ma\n\tvle64.v v8, (%2)\n\tvse64.v v8, (%3)"
                     : "=&r"(vl) : "r"(50), "r"(src + 2048), "r"(dst + 2048) : "memory");
    __asm__ volatile("vsetvli %0, %1, e32, m2, ta, ma\n\tvlse32.v v8, (%2), %3\n\tvsse32.v v8, (%4), %5"
                     : "=&r"(vl) : "r"(20), "r"(src + 512), "r"(72L), "r"(dst + 4000), "r"(-136L) : "memory");
    __asm__ volatile("vsetvli %0, %1, e16, m1, ta, ma\n\tvlse16.v v8, (%2), zero\n\tvlse16.v v9, (%3), %4"
                     : "=&r"(vl) : "r"(9), "r"(src + 6000), "r"(src + 6101), "r"(2L) : "memory");
    __asm__ volatile("vsetvli %0, %1, e8, m8, ta, ma\n\tvlm.v v0, (%2)\n\tvsm.v v0, (%3)"
                     : "=&r"(vl) : "r"(200), "r"(src + 1000), "r"(dst + 1000) : "memory");
    __asm__ volatile("vl2re16.v v8, (%0)\n\tvs2r.v v8, (%1)\n\tvl4re64.v v16, (%2)\n\tvl1re8.v v4, (%0)"
                     : : "r"(src + 3000), "r"(dst + 3000), "r"(src + 5000) : "memory");
    __asm__ volatile("vsetvli %0, %1, e32, m4, ta, ma\n\tvle32.v v16, (%2)\n\t"
                     "vsetvli %0, %1, e8, m1, ta, ma\n\tvluxei32.v v8, (%3), v16\n\tvsoxei32.v v8, (%4), v16"
                     : "=&r"(vl) : "r"(13), "r"(idx32), "r"(src), "r"(dst + 5000) : "memory");
    __asm__ volatile("vsetvli %0, %1, e8, m1, ta, ma\n\tvle8.v v16, (%2)\n\t"
                     "vsetvli %0, %1, e64, m8, ta, ma\n\tvloxei8.v v8, (%3), v16\n\tvsuxei8.v v8, (%4), v16"
                     : "=&r"(vl) : "r"(7), "r"(idx8), "r"(src + 128), "r"(dst + 6000) : "memory");
    /* one base register for several accesses of a block: read once while only vector instructions that write no
     * integer register come between (vadd.vi, vmv.s.x), read again after vmv.x.s or addi writes it */
    uintptr_t p = (uintptr_t)(src + 1536);
    __asm__ volatile("vsetvli %0, %2, e64, m1, ta, ma\n\tvle64.v v8, (%1)\n\tvadd.vi v9, v8, 1\n\t"
                     "vle64.v v10, (%1)\n\tvmv.s.x v12, %3\n\tvmv.x.s %1, v12\n\tvse64.v v9, (%1)\n\t"
                     "addi %1, %1, 200\n\tvse64.v v10, (%1)"
                     : "=&r"(vl), "+&r"(p) : "r"(5), "r"(dst + 7680) : "memory");
    /* fed per element: masked, segment, fault-only-first */
    __asm__ volatile("vsetvli %0, %1, e16, m1, ta, ma\n\tvlm.v v0, (%2)\n\tvle16.v v8, (%3), v0.t\n\t"
                     "vse16.v v8, (%4), v0.t"
                     : "=&r"(vl) : "r"(8), "r"(src + 1), "r"(src + 300), "r"(dst + 7000) : "memory");
    __asm__ volatile("vsetvli %0, %1, e64, m2, ta, ma\n\tvid.v v16\n\tvsll.vi v16, v16, 5\n\t"
                     "vloxei64.v v8, (%2), v16\n\tvsuxei64.v v8, (%3), v16"
                     : "=&r"(vl) : "r"(6), "r"(src + 2600), "r"(dst + 2600) : "memory");
    __asm__ volatile("vsetvli %0, %1, e8, m1, ta, ma\n\tvlseg3e8.v v8, (%2)\n\tvsseg3e8.v v8, (%3)\n\t"
                     "vle8ff.v v12, (%2)"
                     : "=&r"(vl) : "r"(10), "r"(src + 400), "r"(dst + 7500) : "memory");
  }
  uint32_t sum = 0;
  for (int i = 0; i < 8192; i++) sum = sum * 31 + dst[i];
  ig_write_hex(&sum, sizeof sum);
  return 0;
}
