"""Quantization-aware training of a captured decoder's fully connected weights (STE + LSQ steps, distilled from the
FP32 model), exported to the same integer graph as PTQ (docs/quantization.md)."""
from __future__ import annotations

import copy
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from quant.errors import QuantError
from quant.hf_capture import architecture_of
from quant.ir import Graph
from quant.optable import Group
from quant.transformer_ptq import QuantConfig
from quant.weights import LEVELS, QWeight, group_scale_limit, quantize_weight, round_on_grid


def _round_ste(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.round(x) - x).detach()


class FakeQuantLinear(nn.Module):
    def __init__(self, lin: nn.Linear, bits: int, group_size: int | None):
        super().__init__()
        self.lin = lin
        w = lin.weight.detach().double().numpy()
        n, k = w.shape
        self.bits, self.group_size = bits, group_size or k
        self.lo, self.hi = LEVELS[bits]
        ptq = quantize_weight(w, bits, group_size)
        step = ptq.group_scale.astype(np.float64) * ptq.unit[:, None]  # [N, groups]
        self.log_step = nn.Parameter(torch.tensor(np.log(np.maximum(step, 1e-12)), dtype=torch.float32))
        self.grad_scale = 1.0 / float(np.sqrt(w.size * self.hi))

    def step(self) -> torch.Tensor:
        s = torch.exp(self.log_step)
        return s * self.grad_scale + (s - s * self.grad_scale).detach()  # LSQ gradient scaling, same forward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.step().repeat_interleave(self.group_size, dim=1)
        return F.linear(x, torch.clamp(_round_ste(self.lin.weight / s), self.lo, self.hi) * s, self.lin.bias)


def _fc_modules(model: nn.Module, g: Graph) -> dict[str, tuple[nn.Module, str, nn.Linear]]:
    """graph FC node name -> (parent module, attribute, nn.Linear) for the Llama projections."""
    arch = architecture_of(model)
    if arch is None or arch.kind != "decoder":
        raise QuantError("QAT trains decoders (nn.Linear projections named like the graph's layers, as Llama's); "
                         "quantize an encoder with PTQ")
    fcs = {n.name for n in g.nodes_in(Group.FULLY_CONNECTED)}
    out = {}
    for name, mod in model.named_modules():
        for attr, child in mod.named_children():
            full = f"{name}.{attr}" if name else attr
            node = full[len("model."):] if full.startswith("model.") else full
            if isinstance(child, nn.Linear) and node in fcs and node != "logits":
                out[node] = (mod, attr, child)
    if not out:
        raise QuantError("QAT found no nn.Linear named like the graph's fully connected layers (Llama-style "
                         "models have them; GPT-2's are Conv1D): quantize this model with PTQ")
    return out


def export_weight(fq: FakeQuantLinear) -> QWeight:
    """The learned step on the integer format: group_scale (int, < limit) * unit per row; w rounded on it."""
    w = fq.lin.weight.detach().double().numpy()
    steps = torch.exp(fq.log_step).detach().double().numpy()  # [N, groups]
    k = w.shape[1]
    per_channel = fq.bits == 8 and fq.group_size == k
    return round_on_grid(w, fq.bits, steps, None if per_channel else group_scale_limit(k, fq.group_size, fq.bits))


def qat_weights(model: nn.Module, g: Graph, cfg: QuantConfig, sequences: list[np.ndarray], steps: int = 200,
                lr: float = 1e-3, batch: int = 4, seed: int = 0, progress: Callable[[int, int], None] | None = None
                ) -> tuple[dict[str, QWeight], list[float]]:
    """Trains a copy of `model` with fake-quantized projections; returns (weight_override, loss per step).
    Runs torch on one thread: these small steps are 10x slower with two threads on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        teacher = model.eval()
        student = copy.deepcopy(model).train()
        fqs: dict[str, FakeQuantLinear] = {}
        for node, (parent, attr, lin) in _fc_modules(student, g).items():
            fq = FakeQuantLinear(lin, *cfg.bits_for(node))
            setattr(parent, attr, fq)
            fqs[node] = fq
        for p in student.parameters():  # only the quantized projections (weights and steps) train
            p.requires_grad_(False)
        for fq in fqs.values():
            fq.lin.weight.requires_grad_(True)
            fq.log_step.requires_grad_(True)
        opt = torch.optim.Adam([  # Adam steps are ~lr in size: weights move a fraction of a grid step, log-steps 0.1 %
            {"params": [fq.lin.weight for fq in fqs.values()], "lr": lr * 1e-2},
            {"params": [fq.log_step for fq in fqs.values()], "lr": lr}])
        rng = np.random.default_rng(seed)
        losses = []
        for it in range(steps):
            ids = torch.tensor(np.stack([sequences[i] for i in rng.integers(0, len(sequences), batch)]),
                               dtype=torch.long)
            with torch.no_grad():
                t = F.log_softmax(teacher(ids).logits, dim=-1)
            s = F.log_softmax(student(ids).logits, dim=-1)
            loss = F.kl_div(s, t, log_target=True, reduction="batchmean") / ids.shape[1]
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            if progress:
                progress(it + 1, steps)
        return {node: export_weight(fq) for node, fq in fqs.items()}, losses
    finally:
        torch.set_num_threads(threads)
