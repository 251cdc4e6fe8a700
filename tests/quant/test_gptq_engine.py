"""GPTQ's faster host path gives the same bytes: the JIT kernel of a block's column loop against numpy's loop, the
Hessian factor shared by the layers that read one input, and the BLAS thread setting (quant/host_threads.py)."""
import numpy as np
import pytest
from threadpoolctl import threadpool_info

from quant import gptq
from quant import reference as R
from quant.errors import QuantError
from quant.hf_capture import capture_hf, sequence_inputs
from quant.host_threads import blas_threads
from quant.jit.gptq_ir import gptq_block
from quant.observers import calibrate, fc_inputs
from quant.transformer_ptq import QuantConfig
from tests.quant.test_gptq_residual import gptq_rounding
from tests.tiny_models import tiny_llama


def _block(seed: int, n: int, nb: int, bits: int, asym: bool):
    rng = np.random.default_rng(seed)
    lo, hi = (-8, 7) if bits == 4 else (-127, 127)
    step = rng.uniform(0.01, 0.1, (n, nb))
    step[0] = 0.0                                            # a row whose step is 0 (an all-zero group)
    off = rng.uniform(-0.2, 0.2, (n, nb)) if asym else np.zeros((n, nb))
    w = off + step * rng.integers(lo - 3, hi + 4, (n, nb)) + step * rng.choice([0.0, 0.5, -0.5, 0.37], (n, nb))
    w[1, :nb // 2] = off[1, :nb // 2] + step[1, :nb // 2] * 2.5  # exact rounding ties (half to even)
    a = rng.standard_normal((nb, nb)) * 0.2
    u = np.triu(a) + np.diag(rng.uniform(0.5, 2.0, nb))
    return w, step, off, np.where(step > 0, step, 1.0), u, lo, hi


@pytest.mark.parametrize("bits,asym", [(8, False), (4, False), (4, True), (8, True)])
@pytest.mark.parametrize("seed", range(3))
def test_the_block_kernel_gives_numpy_loops_bytes(seed, bits, asym):
    for n, nb in ((2, 1), (5, 3), (33, 128), (70, 17)):
        w, step, off, safe, u, lo, hi = _block(seed, n, nb, bits, asym)
        wa, wb = w.copy(), w.copy()
        qa, ea = gptq_block(wa, step, off, safe, u, lo, hi)
        qb, eb = gptq.block_numpy(wb, step, off, safe, u, lo, hi)
        assert qa.tobytes() == qb.tobytes() and ea.tobytes() == eb.tobytes() and wa.tobytes() == wb.tobytes()
        assert qb.min() >= lo and qb.max() <= hi and not qb[0].any()


def test_gptq_layers_are_the_same_with_either_block_engine(monkeypatch):
    rng = np.random.default_rng(5)
    for bits, gsz, asym in ((8, None, False), (8, 32, False), (4, 32, False), (4, 64, True)):
        x = rng.standard_normal((512, 128)) @ (rng.standard_normal((128, 128)) * 0.3 + np.eye(128))
        x[:, 7] = 0.0                                        # a dead input channel
        w, h = rng.standard_normal((24, 128)) * 0.1, x.T @ x
        for act_order in (False, True):
            monkeypatch.setattr(gptq, "BLOCK_JIT", True)
            a = gptq_rounding(w, h, bits, gsz, asym=asym, act_order=act_order)
            monkeypatch.setattr(gptq, "BLOCK_JIT", False)
            b = gptq_rounding(w, h, bits, gsz, asym=asym, act_order=act_order)
            assert a.q.tobytes() == b.q.tobytes()


def test_layers_reading_one_input_share_one_hessian_factor(monkeypatch):
    m = tiny_llama(seed=3)
    g = capture_hf(m, 16)
    feeds = [sequence_inputs(np.random.default_rng(i).integers(0, 256, 16)) for i in range(4)]
    cal = calibrate(g, feeds, gram_for=fc_inputs(g))
    cfg = QuantConfig()
    calls = []
    real = gptq.hessian_factor
    monkeypatch.setattr(gptq, "hessian_factor", lambda h, ao=False: calls.append(1) or real(h, ao))
    shared = gptq.gptq_overrides(g, cal, cfg)
    fcs = g.nodes_in(gptq.Group.FULLY_CONNECTED)
    assert len(calls) == len({n.inputs[0] for n in fcs}) < len(fcs)  # q / k / v and gate / up share theirs
    for n in fcs:  # each layer on its own: the same weights
        alone = gptq.gptq_weight(g.constants[n.inputs[1]], cal.gram[n.inputs[0]], *cfg.bits_for(n.name))
        assert alone.q.tobytes() == shared[n.name].q.tobytes()


def test_blas_threads_setting(monkeypatch):
    def blas_threads_now():  # numpy's OpenBLAS (scipy's, loaded later by other tests, is not the one limited)
        return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas" and "numpy" in i["filepath"]}
    monkeypatch.delenv("INTGAP_BLAS_THREADS", raising=False)
    before = blas_threads_now()
    with blas_threads():
        assert blas_threads_now() == {1}
    assert blas_threads_now() == before
    monkeypatch.setenv("INTGAP_BLAS_THREADS", "0")
    with blas_threads():
        assert blas_threads_now() == before
    monkeypatch.setenv("INTGAP_BLAS_THREADS", "two")
    with pytest.raises(QuantError, match="INTGAP_BLAS_THREADS='two' is not a thread count: set it to 1"):
        with blas_threads():
            pass


def test_float_forward_passes_give_the_same_bytes_with_any_blas_thread_count(monkeypatch):
    g = capture_hf(tiny_llama(seed=1), 32)
    feeds = sequence_inputs(np.random.default_rng(0).integers(0, 256, 32))
    outs = []
    for n in ("1", "0", "2"):
        monkeypatch.setenv("INTGAP_BLAS_THREADS", n)
        outs.append(b"".join(v.tobytes() for v in R.run(g, feeds, keep_all=True).values()))
    assert outs[0] == outs[1] == outs[2]
