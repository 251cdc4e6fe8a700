"""The in-order issue engine the per-core timing models share, and the registry they register in.

A model (:class:`CoreModel`) gives, per operation kind (:mod:`isa.insn` ``Insn.kind``): the pipe it goes to,
its result latency, how many cycles it blocks issue, and how long it keeps a non-pipelined unit busy; the
issue width and which kinds may share an issue cycle; branch costs and the predictor; memory wait states.
How a run's cycles are estimated from them: docs/timing-models.md ("How an estimate is made").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from isa.errors import IsaError
from isa.insn import Insn


@dataclass(frozen=True)
class KindTiming:
    pipe: str
    latency: int  # cycles from issue until a dependent instruction may issue
    occupancy: int = 1  # cycles this instruction blocks the issue of the next one (1 = fully pipelined)
    busy: int = 0  # cycles it keeps its pipe busy to later instructions of the same pipe (non-pipelined units)
    # accumulator forwarding: a multiply-accumulate reading, as its accumulator, the result of the previous
    # multiply-accumulate of the same kind gets it after this many cycles (None: the normal latency)
    acc_latency: int | None = None


@dataclass
class CoreModel:
    name: str  # e.g. "cortex-m4"
    summary: str
    issue_width: int
    pipes: dict[str, int]  # pipe -> instructions it accepts per cycle
    kinds: dict[str, KindTiming]
    # branch behaviour
    predictor: str  # "none" (every taken branch refills), "dynamic"
    taken_penalty: float  # extra cycles of a taken branch (refill without a predictor; bubble when predicted)
    mispredict_penalty: float
    return_stack: bool = True
    indirect_mispredict_rate: float = 0.5
    wait_states_per_access: float = 0.0
    # may `younger` issue in the same cycle as the instructions `group` already issued this cycle?
    pair_rule: Callable[[list[Insn], Insn, "CoreModel"], bool] | None = None
    # per-instruction adjustment (e.g. 128-bit NEON ops take both 64-bit pipes, RVV occupancy from vl)
    adjust: Callable[[Insn, KindTiming, "CoreModel"], KindTiming] | None = None
    # an extra stall rule: cycles to add before `ins` given the previous instruction (e.g. Cortex-M4 LSU pipelining)
    extra_stall: Callable[[Insn | None, Insn, "CoreModel"], int] | None = None
    params: dict = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    bandwidth_bytes_per_cycle: float = 4.0  # for the separate memory roofline bound (not in the estimate)
    bandwidth_note: str = ""
    version: int = 0  # the registry entry's (see timing_model below)

    @property
    def label(self) -> str:
        return f"intgap {self.name} model v{self.version}"

    def timing(self, ins: Insn) -> KindTiming:
        kt = self.kinds.get(ins.kind) or self.kinds["alu"]
        return self.adjust(ins, kt, self) if self.adjust else kt


class Scoreboard:
    """In-order issue state carried from one instruction (and block) to the next."""

    def __init__(self, model: CoreModel):
        self.m = model
        self.ready: dict[str, int] = {}
        self.ready_acc: dict[str, int] = {}  # register -> cycle, for accumulator forwarding
        self.busy_until: dict[str, int] = {}
        self.cycle = 0  # current issue cycle
        self.group: list[Insn] = []  # instructions issued in `cycle`
        self.pipe_use: dict[str, int] = {}
        self.blocked_until = 0  # next cycle at which anything may issue (multi-cycle instructions)
        self.prev: Insn | None = None

    @property
    def end(self) -> int:
        """The first cycle at which a further instruction could issue (ignoring its dependencies)."""
        return max(self.blocked_until, self.cycle + (1 if self.group else 0))

    def issue(self, ins: Insn) -> int:
        m = self.m
        kt = m.timing(ins)
        c = max(self.cycle, self.blocked_until)
        for r in ins.reads:
            t = self.ready.get(r)
            if kt.acc_latency is not None and r in ins.writes and r in self.ready_acc:
                t = self.ready_acc[r]  # the accumulator of a multiply-accumulate chain
            if t is not None and t > c:
                c = t
        if kt.busy:
            c = max(c, self.busy_until.get(kt.pipe, 0))
        if m.extra_stall is not None:
            c = max(c, self.cycle + m.extra_stall(self.prev, ins, m)) if self.prev is not None else c
        while True:
            if c > self.cycle:
                self.cycle, self.group, self.pipe_use = c, [], {}
            if (len(self.group) < m.issue_width
                    and self.pipe_use.get(kt.pipe, 0) < m.pipes.get(kt.pipe, 1)
                    and (not self.group or m.pair_rule is None or m.pair_rule(self.group, ins, m))):
                break
            c = self.cycle + 1
        self.group.append(ins)
        self.pipe_use[kt.pipe] = self.pipe_use.get(kt.pipe, 0) + 1
        if kt.occupancy > 1:
            self.blocked_until = c + kt.occupancy
        elif m.issue_width == 1:
            self.blocked_until = c + 1
        if kt.busy:
            self.busy_until[kt.pipe] = c + kt.busy
        for w in ins.writes:
            self.ready[w] = c + kt.latency
            if kt.acc_latency is not None:
                self.ready_acc[w] = c + kt.acc_latency
            else:
                self.ready_acc.pop(w, None)
        self.prev = ins
        return c


def block_cycles(model: CoreModel, insns: list[Insn], warm: list[Insn] | None = None) -> int:
    """Cycles `insns` add to the issue timeline, after `warm` (the predecessor block) has issued."""
    sb = Scoreboard(model)
    base = 0
    if warm:
        for ins in warm:
            sb.issue(ins)
        base = sb.end
    for ins in insns:
        sb.issue(ins)
    return max(sb.end - base, 0)


@dataclass(frozen=True)
class TimingModelEntry:
    """A registered timing model: the name targets give it (``Target.timing_model``), its version (in every
    estimate's label: a change of the model's numbers is a new version), and its builder, which gets the target
    (the RVV model reads its VLEN; the others ignore it)."""
    name: str
    version: int
    build: Callable[[object], CoreModel]

    def model(self, target=None) -> CoreModel:
        from dataclasses import replace
        return replace(self.build(target), version=self.version)


TIMING_MODELS: dict[str, TimingModelEntry] = {}


def timing_model(name: str, version: int):
    """Registers the decorated builder ``(target) -> CoreModel`` as timing model `name`, version `version`."""
    def register(build: Callable[[object], CoreModel]) -> Callable[[object], CoreModel]:
        if name in TIMING_MODELS:
            raise IsaError(f"timing model {name!r} is registered twice ({TIMING_MODELS[name].build.__module__} "
                             f"and {build.__module__})")
        TIMING_MODELS[name] = TimingModelEntry(name, version, build)
        return build
    return register
