"""A made-up op, absdiff (y = clamp(|a - b| + y_zero_point, act_min, act_max), int8), declared the way
docs/extending.md says: one op table entry, its reference kernel (below, named like the op) and a portable C kernel
(written into a test's tmp dir). tests/codegen/test_new_op.py and tests/quant/test_jit_ops.py register it for one
test to show that nothing else is needed."""
from pathlib import Path

import numpy as np

from quant.optable import I8, CCall, Group, OpDef, Rules

ENTRY = OpDef("absdiff", ("a", "b"), ("y_zero_point", "act_min", "act_max"), frozenset({Group.ROW_WISE}),
              __name__, Rules((I8, I8), I8, same_shape=True, clamp=True), c=CCall(variant=("a", "b", "out")))

KERNEL = """#include <stdint.h>
#include "ig_absdiff.h"

void ig_absdiff_s8_s8_s8(const int8_t *a, const int8_t *b, int32_t len, int32_t y_zero_point, int32_t act_min,
                         int32_t act_max, int8_t *y) {
    for (int32_t i = 0; i < len; i++) {
        int32_t d = (int32_t)a[i] - (int32_t)b[i];
        int32_t v = (d < 0 ? -d : d) + y_zero_point;
        y[i] = (int8_t)(v < act_min ? act_min : v > act_max ? act_max : v);
    }
}
"""
HEADER = """#ifndef __ASSEMBLER__
#include <stdint.h>
void ig_absdiff_s8_s8_s8(const int8_t *a, const int8_t *b, int32_t len, int32_t y_zero_point, int32_t act_min,
                         int32_t act_max, int8_t *y);
#endif
"""


def absdiff(node, out_dtype, a, b):
    """|a - b| in int32, plus y_zero_point, clamped to [act_min, act_max]: the exact integer steps."""
    at = node.attrs
    d = np.abs(a.astype(np.int32) - b.astype(np.int32)) + at["y_zero_point"]
    return np.clip(d, at["act_min"], at["act_max"]).astype(out_dtype)


def register(monkeypatch, kernel_dir: Path | None = None) -> Path | None:
    """Adds the entry to the op table for one test; with kernel_dir, writes the portable kernel there (codegen
    finds it through op_calls.KERNEL_DIRS) and returns the header the program is compiled with."""
    from codegen import op_calls
    from quant.optable import OPTABLE
    monkeypatch.setitem(OPTABLE, ENTRY.name, ENTRY)
    if kernel_dir is None:
        return None
    (kernel_dir / "ig_absdiff.c").write_text(KERNEL)
    (kernel_dir / "ig_absdiff.h").write_text(HEADER)
    monkeypatch.setattr(op_calls, "KERNEL_DIRS", [kernel_dir, *op_calls.KERNEL_DIRS])
    return kernel_dir / "ig_absdiff.h"
