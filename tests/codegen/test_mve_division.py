"""The Helium sigmoid's division (ig_mve_div35, runtime_c/kernels/mve/ig_mve_ops.h: a Newton reciprocal and one
remainder correction, since Helium has no vector divide) equals the scalar floor division of the definition
(ig_udiv36_by21) for every divisor the sigmoid can make, 2^20 <= den <= 2^21, run on cortex-m55 under QEMU."""
import isa
from toolchain import build_elf
from toolchain.build import RUNTIME_C

SRC = r"""
#include "ig_mve_ops.h"
#include "ig_platform.h"
/* every den of [2^20, 2^21] four lanes at a time; prints the number of lanes that differ and the first den */
int main(void) {
  uint32_t bad = 0, first = 0;
  for (uint32_t d0 = 1u << 20; d0 <= (1u << 21); d0 += 4) {
    uint32x4_t den = vminq_u32(vaddq_u32(vdupq_n_u32(d0), vidupq_n_u32(0, 1)), vdupq_n_u32(1u << 21));
    uint32_t d[4], q[4];
    vst1q_u32(d, den);
    vst1q_u32(q, vreinterpretq_u32_s32(ig_mve_div35(den)));
    for (int k = 0; k < 4; k++)
      if (q[k] != ig_udiv36_by21((1ull << 35) + (d[k] >> 1), d[k]) && !bad++) first = d[k];
  }
  uint32_t out[2] = {bad, first};
  ig_write_hex(out, sizeof out);
  ig_sys_exit(0);
}
"""


def test_mve_division_is_exact_for_every_divisor(tmp_path):
    t = isa.get_target("cortex-m55")
    (tmp_path / "div.c").write_text(SRC)
    build_elf([tmp_path / "div.c"], t, tmp_path / "div.elf", include_dirs=(RUNTIME_C / "kernels" / "mve",))
    r = isa.run(tmp_path / "div.elf", t)
    assert r.exit_code == 0
    assert r.stdout.strip() == b"00000000" * 2, r.stdout
