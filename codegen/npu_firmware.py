"""The firmware library on a target with an NPU (docs/npu.md, "The firmware library"): libmodel.a holds the NPU
driver (runtime_c/npu/ig_npu.c, one more kernel source of the offloaded layers), ig_npu.h is copied beside model.h
(the include directory of model.mk and of the CMake package) and model.h says which layers run on the NPU and
where its registers are; an application links the library as on any other target."""
from __future__ import annotations

import shutil
from pathlib import Path

from codegen import npu_calls
from isa.npu.config import npu_of

HEADER = npu_calls.DRIVER.with_name("ig_npu.h")


def offloaded(low) -> list[int]:
    """The graph's nodes the library runs on the NPU (their layer functions call the driver)."""
    npu = npu_of(low.target)
    if npu is None:
        return []
    g = low.graph
    return [i for i, n in enumerate(g.nodes) if not npu_calls.why_not(g, n, npu, low.max_tokens, low.context)]


def header_lines(low) -> list[str]:
    """model.h lines of an NPU target's library (none on other targets)."""
    npu = npu_of(low.target)
    if npu is None:
        return []
    return [f"/* The library drives the intgap NPU ({npu.label}, {npu.macs_per_cycle} MACs/cycle) through "
            "runtime_c/npu/ig_npu.c (in libmodel.a;\n * ig_npu.h beside this file): IG_MODEL_NPU_LAYERS layers run "
            "as NPU jobs, the core polls until each is done.\n * The board must map the NPU's registers at "
            "IG_MODEL_NPU_BASE. */", f"#define IG_MODEL_NPU_BASE 0x{npu.base:08x}u",
            f"#define IG_MODEL_NPU_LAYERS {len(offloaded(low))}"]


def copy_header(low, out_dir: Path) -> list[Path]:
    """Copies ig_npu.h into the library's include directory on an NPU target; returns what it wrote."""
    if npu_of(low.target) is None:
        return []
    shutil.copyfile(HEADER, out_dir / HEADER.name)
    return [out_dir / HEADER.name]
