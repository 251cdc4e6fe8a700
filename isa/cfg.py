"""Block-to-block transitions inferred from exact block counts (the emulators count blocks, not edges).

What is exact and what is inferred
----------------------------------
* A block that ends in an unconditional direct jump or call, or in no branch at all (the emulator split it),
  sends all of its executions to one known successor: exact.
* A conditional branch sends ``count`` executions to two successors, taken ``t`` and fall-through ``n``, with
  ``t + n = count``. The split is solved by flow conservation: a block whose in-edges are all known except one
  (and that nothing else can enter: not a function entry, not a call's return site, not in a function that
  makes indirect jumps) fixes that edge; that in turn may fix the other edge of its branch. Repeated to a
  fixed point. This is exact for the usual shapes (a loop's back edge when the loop is entered from one place,
  an if/else whose arms are entered only from the branch).
* What flow conservation leaves open is split in proportion to the two successors' counts (stated as such in
  ``EdgeCounts.inferred``).
* Returns, indirect jumps and indirect calls have no known successors; their targets get "free" inflow.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from isa.decode import BlockDecoder, DecodedBlock
from isa.result import BlockCounts


@dataclass
class Node:
    addr: int
    size: int
    count: int
    block: DecodedBlock
    kind: str  # branch kind of the last instruction, or "fall" (no branch)
    target: int | None
    fall: int  # address after the block


@dataclass
class Site:
    """One branch instruction (or block end): the blocks that end at the same address share it. The emulators'
    translation blocks overlap (a block entered at a branch target runs to the same branch as the block that
    contains that target), so edges are solved per site, not per block."""
    end: int
    kind: str
    target: int | None
    nodes: list[int]
    count: int
    addr: int  # address of the site's last instruction


@dataclass
class EdgeCounts:
    nodes: list[Node]
    sites: list[Site]
    site_of: list[int]  # node index -> site index
    taken: list[int]  # per site: executions that left by the taken path (jump, call, return, taken branch)
    not_taken: list[int]  # per site: executions that fell through
    exact: list[bool]  # per site: the split is exact (not the proportional fallback)
    preds: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # node index -> [(site index, edges)]

    @property
    def inferred(self) -> int:
        """Conditional-branch executions whose taken/not-taken split is a proportional guess."""
        return sum(st.count for st, ok in zip(self.sites, self.exact) if not ok and st.kind == "cond")

    def dominant_pred(self, i: int) -> int | None:
        """The block most often executed just before node i (its warm-up context for the timing models)."""
        ps = self.preds.get(i)
        if not ps:
            return None
        k, e = max(ps, key=lambda p: p[1])
        if e <= 0:
            return None
        return max(self.sites[k].nodes, key=lambda n: self.nodes[n].count)


def build_nodes(blocks: BlockCounts, dec: BlockDecoder) -> list[Node]:
    nodes = []
    for addr, size, count in zip(blocks.addr.tolist(), blocks.size.tolist(), blocks.count.tolist()):
        if count == 0:
            continue
        b = dec.block(addr, size)
        last = b.last
        kind = last.branch if last is not None and last.branch else "fall"
        nodes.append(Node(addr, size, int(count), b, kind, last.target if last is not None else None, addr + size))
    return nodes


def infer_edges(nodes: list[Node], function_starts: set[int], indirect_functions: set[int],
                function_of) -> EdgeCounts:
    by_addr: dict[int, int] = defaultdict(int)  # executions that start at an address
    for n in nodes:
        by_addr[n.addr] += n.count
    site_index: dict[tuple[int, str], int] = {}
    sites: list[Site] = []
    site_of = []
    for i, n in enumerate(nodes):
        key = (n.fall, n.kind)
        k = site_index.get(key)
        if k is None:
            k = site_index[key] = len(sites)
            last = n.block.last
            sites.append(Site(n.fall, n.kind, n.target, [], 0, last.addr if last else n.addr))
        sites[k].nodes.append(i)
        sites[k].count += n.count
        site_of.append(k)
    S = len(sites)
    taken = [0] * S
    not_taken = [0] * S
    exact = [True] * S
    solved = [st.kind != "cond" for st in sites]
    return_sites = {st.end for st in sites if st.kind in ("call", "indirect_call")}
    ins: dict[int, list[tuple[int, str]]] = defaultdict(list)  # address -> [(site, "t" or "n")]
    for k, st in enumerate(sites):
        if st.kind in ("jump", "call"):
            taken[k] = st.count
            if st.target in by_addr:
                ins[st.target].append((k, "t"))
        elif st.kind == "fall":
            not_taken[k] = st.count
            if st.end in by_addr:
                ins[st.end].append((k, "n"))
        elif st.kind == "cond":
            if st.target in by_addr:
                ins[st.target].append((k, "t"))
            if st.end in by_addr:
                ins[st.end].append((k, "n"))
        else:  # return / indirect: leaves by a taken path to an unknown place
            taken[k] = st.count

    def closed(a: int) -> bool:
        """Nothing but the recorded in-edges can enter address a."""
        if a in function_starts or a in return_sites:
            return False
        f = function_of(a)
        return f is None or f not in indirect_functions

    def edge_value(k: int, w: str) -> int | None:
        if not solved[k]:
            return None
        return taken[k] if w == "t" else not_taken[k]

    def set_edge(k: int, w: str, v: int) -> None:
        v = max(0, min(sites[k].count, v))
        if w == "t":
            taken[k], not_taken[k] = v, sites[k].count - v
        else:
            not_taken[k], taken[k] = v, sites[k].count - v
        solved[k] = True

    for k, st in enumerate(sites):  # a path to a block never executed was never taken
        if st.kind != "cond":
            continue
        t_in, n_in = st.target in by_addr, st.end in by_addr
        if not t_in:
            set_edge(k, "t", 0)
        elif not n_in:
            set_edge(k, "n", 0)
    changed = True
    while changed:
        changed = False
        for a, edges in ins.items():
            if not closed(a):
                continue
            unknown = [(k, w) for k, w in edges if edge_value(k, w) is None]
            if len(unknown) != 1:
                continue
            known = sum(edge_value(k, w) for k, w in edges if edge_value(k, w) is not None)
            k, w = unknown[0]
            set_edge(k, w, by_addr[a] - known)  # a loop's own back edge is solved all the same
            changed = True
    for k, st in enumerate(sites):  # proportional fallback
        if solved[k]:
            continue
        ct, cn = by_addr.get(st.target, 0), by_addr.get(st.end, 0)
        set_edge(k, "t", round(st.count * ct / (ct + cn)) if ct + cn else 0)
        exact[k] = False
    preds: dict[int, list[tuple[int, int]]] = {}
    first_at: dict[int, list[int]] = defaultdict(list)
    for i, n in enumerate(nodes):
        first_at[n.addr].append(i)
    for a, edges in ins.items():
        pe = [(k, taken[k] if w == "t" else not_taken[k]) for k, w in edges]
        for i in first_at[a]:
            preds[i] = pe
    return EdgeCounts(nodes, sites, site_of, taken, not_taken, exact, preds)
