"""A generated program: its C sources and how to pass inputs in and read outputs back."""
from __future__ import annotations

import binascii
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from codegen.errors import CodegenError

INPUT_SECTION = ".ig_input"


@dataclass
class Program:
    name: str
    directory: Path
    sources: list[Path]
    input_dtype: np.dtype
    input_size: int  # elements per sample
    output_dtype: np.dtype
    output_size: int
    samples: int
    arena_bytes: int
    layer_functions: list[str] = field(default_factory=list)
    kernel_family: str = "scalar"

    def encode_inputs(self, x: np.ndarray) -> dict[str, bytes]:
        x = np.asarray(x)
        if x.dtype != self.input_dtype or x.shape != (self.samples, self.input_size):
            raise CodegenError(f"program {self.name} takes {self.input_dtype} inputs of shape "
                               f"({self.samples}, {self.input_size}), got {x.dtype} {x.shape}")
        return {INPUT_SECTION: np.ascontiguousarray(x).astype(x.dtype.newbyteorder("<")).tobytes()}

    def decode_outputs(self, stdout: bytes) -> np.ndarray:
        text = b"".join(stdout.split())
        expected = self.samples * self.output_size * self.output_dtype.itemsize
        try:
            raw = binascii.unhexlify(text)
        except (binascii.Error, ValueError):
            raise CodegenError(f"program {self.name} wrote {len(stdout)} bytes that are not its hex output") from None
        if len(raw) != expected:
            raise CodegenError(f"program {self.name} wrote {len(raw)} output bytes, expected {expected}")
        return np.frombuffer(raw, self.output_dtype.newbyteorder("<")).reshape(self.samples, self.output_size)


# Functions of the run harness and platform layer (runtime_c/platform, main.c): not part of the model's cost.
HARNESS_FUNCTIONS = frozenset({"main", "_start", "Reset_Handler", "Fault_Handler", "ig_write_hex", "ig_write_str",
                               "ig_sys_write", "ig_sys_exit", "semihost", "syscall3"})
