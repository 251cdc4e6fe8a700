"""Invariant 4: where Unicorn and QEMU both run an ELF, outputs and instruction counts are identical."""
import numpy as np
import pytest

import isa
from isa.attribution import per_function
from isa.elf import load_elf
from intgap.pipeline import build_program
from quant import reference as R
from tests.e2e.conftest import make_graphs

BOTH = [t.name for t in isa.TARGETS.values() if set(t.backends) == {"unicorn", "qemu"}]


@pytest.mark.parametrize("precision", ["int8", "fp32"])
@pytest.mark.parametrize("target_name", BOTH)
def test_same_elf_same_outputs_and_counts(target_name, precision, workdir):
    target = isa.get_target(target_name)
    _, fg, q = make_graphs((64, 64, 32, 10), seed=2)
    graph = q if precision == "int8" else fg
    x = np.random.default_rng(2).standard_normal((2, 64)).astype(np.float32)
    inputs = R.quantize_input(q, x) if precision == "int8" else x
    built = build_program(graph, target, workdir / "agree" / target_name / precision, max_tokens=2)
    elf = built.elf
    runs = {b: isa.run(elf, target, b, inputs=built.program.encode_forward(inputs)) for b in ("unicorn", "qemu")}
    u, qm = runs["unicorn"], runs["qemu"]
    assert u.exit_code == qm.exit_code == 0
    assert u.stdout == qm.stdout
    assert u.instructions == qm.instructions > 0
    img = load_elf(elf)
    assert per_function(u.blocks, img, target.arch) == per_function(qm.blocks, img, target.arch)
