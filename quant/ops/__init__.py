"""The integer (and float reference) kernels of the transformer ops; quant/reference.py dispatches to them.

Each integer op's docstring states its exact integer steps, bit widths, rounding and saturation: it is the
specification the scalar C kernel follows. Shared fixed-point helpers are in quant/ops/fixed.py.
"""
from __future__ import annotations

from quant.ops import attention, elementwise, embedding, float_ops, gather, linear, linear_quant, norm, rope

KERNELS = {}
for _m in (attention, elementwise, embedding, gather, linear, linear_quant, norm, rope):
    KERNELS.update(_m.KERNELS)
FLOAT_KERNELS = dict(float_ops.KERNELS)

__all__ = ["KERNELS", "FLOAT_KERNELS"]
