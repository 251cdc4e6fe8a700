"""Profiles from exact block counts: per function, per layer, instruction mix, bytes moved.

Everything is computed after the run from ``RunResult.blocks`` and the ELF: each distinct block is decoded once
(:mod:`isa.decode`), and its instructions are weighted by the block's exact execution count. Nothing runs per
executed block.

* **Per function** (self): instructions whose address a function symbol covers. The per-function counts sum to
  the total (instructions outside any symbol go to ``(no symbol)``).
* **Per layer**: codegen emits one function per layer, ``ig_layer_<i>_<name>``. A layer's *self* count is that
  function's; its *inclusive* count adds the kernels and helpers it calls, gprof-style: a callee's inclusive
  instructions are divided among its callers in proportion to the exact number of direct calls each made
  (the execution count of the calling block). That is exact when a callee costs the same per call whatever the
  caller (true of a kernel called from one layer; an estimate for a helper shared by layers with different
  shapes: ``LayerProfile.inclusive_exact`` says which). Indirect calls are not followed; recursion cycles are
  cut. Compiler clone suffixes (``.constprop.0``, ``.isra.0``, ``.part.0``) are not part of a layer's name.
* **Mix**: every executed instruction is in exactly one class of :data:`isa.decode.MIX_CLASSES`. A direct call
  to a soft-float helper (``__aeabi_f*``/``__aeabi_d*``, libgcc ``__addsf3``, ``__fixdfsi``...) is a
  ``softfloat_call``; the helper's own instructions are counted as what they are, and also reported as
  ``softfloat_helper_instructions``.
* **Bytes**: loaded and stored bytes per execution are fixed by the encoding for every scalar and NEON/VFP/DSP
  access (exact), so the totals are exact; RVV accesses follow :data:`isa.decode.RVV_BYTES_ASSUMPTION`.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from isa.cfg import EdgeCounts, build_nodes, infer_edges
from isa.decode import MIX_CLASSES, RVV_BYTES_ASSUMPTION, BlockDecoder, decoder_for
from isa.elf import ElfImage, load_elf
from isa.result import RunResult
from isa.targets import Target, get_target

UNKNOWN = "(no symbol)"
LAYER_RE = re.compile(r"^ig_layer_(\d+)_(.+?)((?:\.(?:constprop|isra|part|cold|lto_priv|clone)(?:\.\d+)?)*)$")
_SOFTFLOAT_RE = (re.compile(r"^__aeabi_(f|d|[iu]?l?2[fd]$|[iu]2[fd]$|cf|cd)"),
                 re.compile(r"^__[a-z]+(sf|df|tf|hf)[0-9]?$"),
                 re.compile(r"^__fix(uns)?(sf|df|tf|hf)(si|di|ti)$"),
                 re.compile(r"^__float(un)?(si|di|ti)(sf|df|tf|hf)$"))


def is_softfloat_helper(name: str) -> bool:
    return any(r.match(name) for r in _SOFTFLOAT_RE)


@dataclass
class FunctionProfile:
    name: str
    instructions: int = 0
    mix: dict[str, int] = field(default_factory=lambda: {c: 0 for c in MIX_CLASSES})
    load_bytes: int = 0
    store_bytes: int = 0
    calls: dict[str, int] = field(default_factory=dict)  # callee -> direct calls made
    inclusive: int = 0  # gprof-style inclusive instructions (see the module documentation)

    def to_json(self) -> dict:
        return {"name": self.name, "instructions": self.instructions, "inclusive_instructions": self.inclusive,
                "mix": dict(self.mix), "load_bytes": self.load_bytes, "store_bytes": self.store_bytes,
                "calls": dict(sorted(self.calls.items(), key=lambda kv: (-kv[1], kv[0])))}  # stable across runs


@dataclass
class LayerProfile:
    index: int
    name: str
    function: str
    self_instructions: int
    inclusive_instructions: int
    mix: dict[str, int]  # self
    load_bytes: int  # self
    store_bytes: int  # self
    inclusive_exact: bool = True  # every callee below it is called only from within its own call tree

    def to_json(self) -> dict:
        return {"index": self.index, "name": self.name, "function": self.function,
                "self_instructions": self.self_instructions, "inclusive_instructions": self.inclusive_instructions,
                "inclusive_exact": self.inclusive_exact,
                "mix": dict(self.mix), "load_bytes": self.load_bytes, "store_bytes": self.store_bytes}


@dataclass
class Profile:
    target: str
    instructions: int
    mix: dict[str, int]
    load_bytes: int
    store_bytes: int
    functions: dict[str, FunctionProfile]
    layers: list[LayerProfile]
    softfloat_helper_instructions: int
    bytes_note: str
    distinct_blocks: int

    def top_functions(self, n: int = 10) -> list[FunctionProfile]:
        return sorted(self.functions.values(), key=lambda f: (-f.instructions, f.name))[:n]

    def to_json(self) -> dict:
        return {"target": self.target, "instructions": self.instructions, "mix": dict(self.mix),
                "load_bytes": self.load_bytes, "store_bytes": self.store_bytes,
                "softfloat_helper_instructions": self.softfloat_helper_instructions,
                "bytes_note": self.bytes_note, "distinct_blocks": self.distinct_blocks,
                "functions": [f.to_json() for f in self.top_functions(len(self.functions))],
                "layers": [l.to_json() for l in self.layers]}


@dataclass
class Analysis:
    """A decoded run: the decoder (blocks decoded once), the inferred edges, and the call graph facts."""
    target: Target
    img: ElfImage
    decoder: BlockDecoder
    edges: EdgeCounts


def analyze(result: RunResult, elf, target: Target | str | None = None) -> Analysis:
    target = get_target(target or result.target) if not isinstance(target, Target) else target
    img = elf if isinstance(elf, ElfImage) else load_elf(elf)
    dec = decoder_for(img, target, result.vl_sites.mean_vl())
    nodes = build_nodes(result.blocks, dec)
    starts = {f.addr for f in img.functions} | {img.entry & ~1}
    indirect_fns = set()
    for n in nodes:
        if n.kind == "indirect":
            f = img.function_at(n.addr)
            if f is not None:
                indirect_fns.add(f.name)

    def function_of(a: int):
        f = img.function_at(a)
        return f.name if f else None

    edges = infer_edges(nodes, starts, indirect_fns, function_of)
    return Analysis(target, img, dec, edges)


def profile(result: RunResult, elf, target: Target | str | None = None, analysis: Analysis | None = None) -> Profile:
    """The profile of a counted run of `elf` (a path or a loaded ElfImage)."""
    an = analysis or analyze(result, elf, target)
    img = an.img
    funcs: dict[str, FunctionProfile] = {}
    fn_cache: dict[int, str] = {}

    def fname(a: int) -> str:
        name = fn_cache.get(a)
        if name is None:
            f = img.function_at(a)
            name = f.name if f else UNKNOWN
            fn_cache[a] = name
        return name

    total_mix = {c: 0 for c in MIX_CLASSES}
    for node in an.edges.nodes:
        c = node.count
        for ins in node.block.insns:
            name = fname(ins.addr)
            fp = funcs.get(name)
            if fp is None:
                fp = funcs[name] = FunctionProfile(name)
            cls = ins.cls
            if ins.branch in ("call", "jump") and ins.target is not None:
                callee = fname(ins.target)
                if ins.branch == "call" and is_softfloat_helper(callee):
                    cls = "softfloat_call"
                if ins.branch == "call" or (callee != name and callee != UNKNOWN
                                            and img.function_at(ins.target).addr == ins.target):
                    fp.calls[callee] = fp.calls.get(callee, 0) + c  # calls and tail calls
            fp.instructions += c
            fp.mix[cls] += c
            total_mix[cls] += c
            fp.load_bytes += ins.load_bytes * c
            fp.store_bytes += ins.store_bytes * c
    _inclusive(funcs)
    layers = []
    for name, fp in funcs.items():
        m = LAYER_RE.match(name)
        if m:
            layers.append(LayerProfile(int(m.group(1)), m.group(2), name, fp.instructions, fp.inclusive,
                                       dict(fp.mix), fp.load_bytes, fp.store_bytes, _subtree_exclusive(funcs, name)))
    layers.sort(key=lambda l: l.index)
    total = sum(f.instructions for f in funcs.values())
    note = "exact (fixed-size accesses)" if not any(
        i.vec is not None and i.cls in ("load", "store") for n in an.edges.nodes for i in n.block.insns) \
        else "exact for scalar accesses; " + RVV_BYTES_ASSUMPTION
    return Profile(an.target.name, total, total_mix, sum(f.load_bytes for f in funcs.values()),
                   sum(f.store_bytes for f in funcs.values()), funcs, layers,
                   sum(f.instructions for f in funcs.values() if is_softfloat_helper(f.name)), note,
                   len(an.edges.nodes))


def _subtree_exclusive(funcs: dict[str, FunctionProfile], root: str) -> bool:
    """True when every function `root` reaches by direct calls is called only from inside that call tree, so
    that its gprof-style inclusive count is exact."""
    tree, todo = {root}, [root]
    while todo:
        f = funcs.get(todo.pop())
        for callee in (f.calls if f else {}):
            if callee not in tree:
                tree.add(callee)
                todo.append(callee)
    for f in funcs.values():
        if f.name not in tree and any(c in tree and c != root for c in f.calls):
            return False
    return True


def _inclusive(funcs: dict[str, FunctionProfile]) -> None:
    calls_into: dict[str, int] = defaultdict(int)
    for f in funcs.values():
        for callee, n in f.calls.items():
            if callee != f.name:
                calls_into[callee] += n
    memo: dict[str, int] = {}
    active: set[str] = set()

    def incl(name: str) -> int:
        if name in memo:
            return memo[name]
        f = funcs.get(name)
        if f is None:
            return 0
        active.add(name)
        total = f.instructions
        for callee, n in f.calls.items():
            if callee == name or callee in active or callee not in funcs:
                continue  # recursion cut
            share = n / calls_into[callee] if calls_into[callee] else 0.0
            total += share * incl(callee)
        active.discard(name)
        memo[name] = int(round(total))
        return memo[name]

    for name, f in funcs.items():
        f.inclusive = incl(name)


def format_mix(mix: dict[str, int]) -> str:
    from isa.decode import MIX_LABELS
    tot = sum(mix.values()) or 1
    return ", ".join(f"{MIX_LABELS[c]} {100 * v / tot:.1f}%" for c, v in mix.items() if v)
