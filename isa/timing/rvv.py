"""RVV 1.0 core for rv64gcv: the SiFive-U74-like scalar core plus an in-order vector unit (the project's own
model: there is no public RVV scheduling model on this platform, see docs/platform.md).

The vector unit
* processes DLEN bits per cycle (``dlen``, default 128: one 128-bit lane group, as small application-class
  RVV cores have); an instruction over VLMAX = LMUL x VLEN / SEW elements keeps the unit busy
  ceil(VLMAX x SEW / DLEN) = LMUL x VLEN / DLEN cycles (at least 1). Widening/narrowing ops are charged at
  their source LMUL (an underestimate of 2x for the widened half).
* vl: a vector instruction runs the mean vl its governing vsetvli/vsetivli produced in the run (the QEMU plugin
  reads the vl CSR after every vsetvl*; RunResult.vl_sites), so a strip-mined loop's short tail is charged
  its occupancy. Still VLMAX: runs without measured vl (none of the sites executed, or a RunResult from
  before vl capture), instructions whose governing vsetvl is the register form `vsetvl` (vtype unknown
  statically) and whole-register moves/loads/stores (exact: they ignore vl). A site whose vl varies is
  charged at its mean rounded to a whole element, so occupancy (ceil(vl x SEW / DLEN)) is that of the mean
  vl, not the mean of the occupancies (see isa.decode_riscv.RVV_BYTES_ASSUMPTION).
* latency to a dependent vector instruction is the start-up latency only when ``chaining`` is on (the
  consumer starts on the first element group as soon as it is produced), else busy + start-up.
  Start-up: 2 for integer ALU and moves, 4 for multiply, MAC and FP, 4 for loads (L1 hit).
* vector loads/stores move ``mem_bytes_per_cycle`` (16) bytes per cycle; whole-register moves are exact.
* reductions: busy + log2(VLMAX) steps; vrgather/slides: 2 x busy; divides: 8 x busy (iterative, assumed).
* the scalar core issues vector instructions in order to the unit; a vector instruction waits for the unit,
  which is how a vector-bound loop's throughput appears. A scalar read of a vector result (vmv.x.s, vcpop)
  waits for the whole producing instruction.
All vector parameters are assumed (no vendor core is claimed); scalar ones are the U74-like model's.
"""
from __future__ import annotations

import math

from isa.insn import Insn
from isa.timing.engine import CoreModel, KindTiming, timing_model
from isa.timing.sifive_u74 import SCALAR_PIPES, _pair, extra_stall, scalar_kinds

DEFAULT_DLEN = 128
MEM_BYTES_PER_CYCLE = 16


def _adjust(ins: Insn, kt: KindTiming, m: CoreModel) -> KindTiming:
    v = ins.vec
    if v is None or v.op == "cfg":
        return kt
    dlen = m.params["dlen"]
    if v.op in ("load", "store"):
        nbytes = ins.load_bytes or ins.store_bytes
        busy = max(1, math.ceil(nbytes / m.params["mem_bytes_per_cycle"]))
        lat = 4
    else:
        busy = max(1, math.ceil(v.elements * v.sew / dlen))
        lat = {"alu": 2, "move": 2, "perm": 2, "mask": 2}.get(v.op, 4)
        if v.op == "red":
            lat += int(math.log2(max(v.elements, 1)))
        elif v.op == "perm":
            busy *= 2
        elif v.op in ("div", "fp_div"):
            busy *= 8
    scalar_result = any(w.startswith(("x", "f")) for w in ins.writes)
    if not m.params["chaining"] or scalar_result or v.op == "red":
        lat = busy + lat
    pipe = "vmem" if v.op in ("load", "store") else "valu"
    return KindTiming(pipe, lat, 1, busy)


@timing_model("rv64gcv", version=2)
def model(target=None) -> CoreModel:
    vlen = getattr(target, "vlen", None) or 128
    dlen = min(DEFAULT_DLEN, vlen)
    kinds = scalar_kinds()
    kinds.update({k: KindTiming("valu", 2) for k in ("vec_alu", "vec_mul", "vec_mac", "vec_div", "vec_fp")})
    kinds["vec_cfg"] = KindTiming("alu", 1)
    kinds["vec_load"] = KindTiming("vmem", 4)
    kinds["vec_store"] = KindTiming("vmem", 1)
    pipes = dict(SCALAR_PIPES, valu=1, vmem=1)
    return CoreModel(
        name=f"rvv-vlen{vlen}-dlen{dlen}",
        summary=f"U74-like scalar core + in-order vector unit: VLEN {vlen}, DLEN {dlen} bits/cycle, chaining, "
                f"vl = the measured mean per vsetvl site (else VLMAX), vector memory {MEM_BYTES_PER_CYCLE} B/cycle",
        issue_width=2, pipes=pipes, kinds=kinds, predictor="dynamic", taken_penalty=1.0, mispredict_penalty=4.0,
        return_stack=True, indirect_mispredict_rate=0.5, pair_rule=_pair, adjust=_adjust, extra_stall=extra_stall,
        params={"dlen": dlen, "vlen": vlen, "chaining": True, "mem_bytes_per_cycle": MEM_BYTES_PER_CYCLE},
        sources=("the project's own RVV model (all vector parameters assumed)",
                 "the sifive-u74 v2 model for the scalar part (latencies, pairing, load-to-address stall)"),
        bandwidth_bytes_per_cycle=float(MEM_BYTES_PER_CYCLE),
        bandwidth_note=f"vector memory port {MEM_BYTES_PER_CYCLE} B/cycle")
