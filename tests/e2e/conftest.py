import numpy as np
import pytest
import torch

from intgap.models import mlp
from quant import capture, quantize_ptq


def make_graphs(shape, seed=0):
    torch.manual_seed(seed)
    m = mlp(shape).eval()
    fg = capture(m, shape[0], name="mlp_" + "x".join(map(str, shape)))
    calib = np.random.default_rng(seed).standard_normal((256, shape[0])).astype(np.float32)
    return m, fg, quantize_ptq(fg, calib)


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e")
