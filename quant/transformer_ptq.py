"""W8A8 / W4A8 integer-only post-training quantization of captured transformer graphs (quant/hf_capture.py): the
int8 / int16 / int32 plan of every tensor and each float op's lowering; the weight grids are quant/weights.py's
(docs/quantization.md)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from quant.config import parse_layer
from quant.errors import QuantError
from quant.ir import Graph, Node, TensorInfo
from quant.mixed import pattern_matches
from quant.observers import Calibration, asymmetric_int8, int8_range
from quant.ops.checks import dynamic_e_max, input_range, validate
from quant.ops.fixed import fixed_multiplier, quantize_multiplier
from quant.optable import OPTABLE, Group, in_group, quantized_op
from quant.weights import QWeight, fc_node, quantize_weight

QMAX = {"int8": 127, "int16": 32767, "int32": (1 << 31) - 1}
QMIN = {"int8": -128, "int16": -32768, "int32": -(1 << 31)}
SYM_LEVELS = {"int8": 127, "int16": 32767, "int32": 1 << 23}  # calibrated max|x| maps to this many steps
INT32_RMS_PRE_SHIFT = 2  # rmsnorm of an int32 input: c = x >> 2 stays below 2^21 in the calibrated range
INT16_MIN_LEVELS = 64.0  # residual "auto": int32 when a tensor's median |x| gets fewer int16 steps than this


@dataclass
class QuantConfig:
    weight_bits: int = 8                # 8 or 4
    group_size: int | None = None       # None: per output channel; else int4/int8 groups along K
    observer: str = "minmax"            # minmax | percentile (99.99) | mse
    layer_bits: dict = field(default_factory=dict)  # glob on FC node names -> "w8a8" | "w4a8"
    mixed_budget: float | None = None   # mean weight bits for the Theorem 8 allocation (quant/mixed.py)
    residual: str = "auto"              # int16 | int32 | auto: the residual stream's width (see wide_residual)
    # weights already rounded by a method (GPTQ / AWQ): node name -> (q int8 [N, K], scales) as made by quantize_weight
    weight_override: dict = field(default_factory=dict)
    asym: bool = False                  # grouped weights on each group's own min/max grid (fully_connected_asym)
    clip: bool = False                  # symmetric group scales by the clipping search (quantize_weight's `clip`)
    act_order: bool = False             # GPTQ rounds the columns in the order of decreasing diag(H)
    dynamic: bool = False               # dynamic per-token int8 input scales where static ones fail (activation_plan)
    dynamic_gain: float = 0.5           # ... where the dynamic grid's noise power is below this share of the static's
    dynamic_only: frozenset | None = None  # ... only on these fully connected inputs (None: any)
    outlier_split: bool = False         # outlier channels of fully connected inputs in int16, the rest int8
    a16down: bool = False               # the FFN's hidden activation (down projection input) int16, static scale
    a16down_only: frozenset | None = None  # ... only these of those tensors (None: all; quant/a16down_choice.py)
    outlier_threshold: float = 6.0      # outliers: calibrated max|x| above this many times the median channel's
    max_outliers: int = 64              # per tensor (and at most K / 8)

    def bits_for(self, node_name: str) -> tuple[int, int | None]:
        for pat, spec in self.layer_bits.items():
            if pattern_matches(node_name, pat):
                return parse_layer(spec)
        return self.weight_bits, self.group_size

    def weight_for(self, node_name: str, w: np.ndarray) -> QWeight:
        """The layer's quantized weights: a method's override, else RTN on the configured grid."""
        if node_name in self.weight_override:
            return self.weight_override[node_name]
        return quantize_weight(w, *self.bits_for(node_name), asym=self.asym,
                               clip=np.ones(w.shape[1]) if self.clip else None)


def sym(amax: float, dtype: str) -> tuple[float, int]:
    return float(amax / SYM_LEVELS[dtype]) if amax > 0 else 1.0, 0


# ---------------------------------------------------------------- lowering
def wide_residual(cal: Calibration | None, name: str) -> bool:
    """True when int16 resolves the tensor's typical values too coarsely: its median |x| (calibration samples)
    spans fewer than INT16_MIN_LEVELS steps of the int16 scale max|x| / 32767. SmolLM2's residual stream (channel 507
    near 22,500, median 2-10) gets about 5 steps; MiniLM's stays int16 because its LayerNorms read int16 only."""
    if cal is None or name not in cal.stats:
        return False
    st = cal.stats[name]
    amax = max(abs(st.lo), abs(st.hi))
    med = float(np.median(np.abs(cal.samples(name))))
    return amax > 0 and med / (amax / 32767) < INT16_MIN_LEVELS


def _residual_stream(n: Node, users: list[tuple[Node, int]], g: Graph) -> bool:
    """n writes a residual stream: an op that may write int32, read only by ops that may read it, one of them a
    residual sum (an op that does both)."""
    return in_group(n.op, Group.RESIDUAL_OUT) and bool(users) and n.outputs[0] not in g.outputs and \
        all(in_group(c.op, Group.RESIDUAL_IN) for c, _ in users) and \
        any(in_group(c.op, Group.RESIDUAL_OUT) for c, _ in users)


def plan_dtypes(g: Graph, cal: Calibration | None = None, residual: str = "int16") -> dict[str, str]:
    consumers = g.consumers()
    dt: dict[str, str] = {}
    for n in g.nodes:
        out = n.outputs[0]
        if in_group(n.op, Group.SCORES):
            dt[out] = "int16"
            continue
        users = consumers.get(out, [])
        needs8 = any(i in OPTABLE[c.op].int8_inputs for c, i in users)
        dt[out] = "int8" if needs8 and out not in g.outputs else "int16"
        if residual != "int16" and _residual_stream(n, users, g):
            if residual == "int32" or wide_residual(cal, out):
                dt[out] = "int32"
    if residual == "auto":  # a sum's operands follow its output: a residual branch feeding an int32 sum is int32
        producers = {n.outputs[0]: n for n in g.nodes}
        for n in g.nodes:
            if in_group(n.op, Group.RESIDUAL_IN) and in_group(n.op, Group.RESIDUAL_OUT) and \
                    dt.get(n.outputs[0]) == "int32":
                for x in n.inputs:
                    p = producers.get(x)
                    if p is not None and in_group(p.op, Group.RESIDUAL_OUT) and all(
                            in_group(c.op, Group.RESIDUAL_IN) for c, _ in consumers.get(x, [])):
                        dt[x] = "int32"
    return dt


@dataclass
class InputPlan:
    """How a fully connected input tensor is quantized: "static" (int8, one scale), "dynamic" (int16 tensor, int8
    per row at run time: fully_connected_dynamic) or "split" (int16 tensor; the outlier channels stay int16, the
    rest are gathered into int8: channel_gather + two fully connected layers + add)."""
    kind: str
    outliers: np.ndarray | None = None   # split: sorted outlier channel indices


def dynamic_wins(cal: Calibration, name: str, gain: float) -> bool:
    """Static int8 "fails" where a per-row grid is much finer: the noise power of the per-row symmetric grid,
    mean_rows (2 max|x_row| / 254)^2, is below `gain` times that of the static asymmetric grid ((hi - lo) / 255)^2."""
    st = cal.stats[name]
    rows = cal.row_absmax.get(name)
    if rows is None or not rows.size:
        return False
    static = ((max(st.hi, 0.0) - min(st.lo, 0.0)) / 255.0) ** 2
    dyn = float(np.mean((2.0 * rows.astype(np.float64) / 254.0) ** 2))
    return dyn < gain * static


def outlier_channels(cal: Calibration, name: str, threshold: float, max_outliers: int) -> np.ndarray:
    """Channels whose calibrated max|x| exceeds `threshold` times the median channel's (at most max_outliers and
    K / 8, the largest first), sorted."""
    ca = cal.channel_absmax.get(name)
    if ca is None or not ca.size:
        return np.zeros(0, np.int64)
    med = float(np.median(ca))
    cand = np.flatnonzero(ca > threshold * max(med, 1e-12))
    cap = min(max_outliers, ca.size // 8, 256)
    cand = cand[np.argsort(-ca[cand])][:cap]
    return np.sort(cand)


def activation_plan(g: Graph, cal: Calibration, cfg: QuantConfig, wide: set[str] = frozenset()
                    ) -> dict[str, InputPlan]:
    """The quantization of every fully connected input: dynamic where cfg.dynamic and dynamic_wins (only the
    tensors of cfg.dynamic_only when given), else split where cfg.outlier_split and it has outlier
    channels, else static. Only tensors whose every reader is a fully connected layer (as its input) or an op that
    reads int16 qualify; `wide` (a16down's static int16 inputs, finer than any int8 grid) stay static."""
    consumers = g.consumers()
    plan: dict[str, InputPlan] = {}
    for n in g.nodes_in(Group.FULLY_CONNECTED):
        x = n.inputs[0]
        if x in plan:
            continue
        ok = x not in g.inputs and x not in wide and all((in_group(c.op, Group.FULLY_CONNECTED) and i == 0)
                                       or i not in OPTABLE[c.op].int8_inputs for c, i in consumers.get(x, []))
        kind, out = "static", None
        if ok and cfg.dynamic and (cfg.dynamic_only is None or x in cfg.dynamic_only) and \
                dynamic_wins(cal, x, cfg.dynamic_gain):
            kind = "dynamic"
        elif ok and cfg.outlier_split:
            out = outlier_channels(cal, x, cfg.outlier_threshold, cfg.max_outliers)
            if out.size:
                kind = "split"
        plan[x] = InputPlan(kind, out)
    return plan


def ffn_hidden(g: Graph) -> set[str]:
    """The FFN's hidden activations: fully connected inputs made by an activation (GELU) or by a product that reads
    one (Llama's SiLU(gate) * up), i.e. the down projections' inputs."""
    producers = {n.outputs[0]: n for n in g.nodes}
    acts = {n.outputs[0] for n in g.nodes if in_group(n.op, Group.ACTIVATION)}
    out = set()
    for n in g.nodes_in(Group.FULLY_CONNECTED):
        p = producers.get(n.inputs[0])
        if p is not None and (p.outputs[0] in acts or any(i in acts for i in p.inputs)):
            out.add(n.inputs[0])
    return out


class Lowering:
    """One lowering under way: the float graph, its calibration and config, every tensor's planned dtype and
    (scale, zero point), and the integer graph's tensors and constants as the ops' lowerings make them."""

    def __init__(self, g: Graph, cal: Calibration, cfg: QuantConfig):
        self.g, self.cal, self.cfg = g, cal, cfg
        self.dtypes = plan_dtypes(g, cal, cfg.residual)
        wide = ffn_hidden(g) if cfg.a16down else set()
        if cfg.a16down_only is not None:  # a16down-top: the chosen blocks where an int16 input cannot overflow
            wide = {x for x in wide & cfg.a16down_only if self._int16_input_fits(x)}
        self.inputs = activation_plan(g, cal, cfg, wide)
        for x, p in self.inputs.items():
            if (p.kind != "static" or x in wide) and self.dtypes.get(x) == "int8":
                self.dtypes[x] = "int16"
        self.qp = {name: self._calibrated(name, dt) for name, dt in self.dtypes.items()}
        self.tensors = {name: TensorInfo(name, g.tensors[name].shape, "int32") for name in g.inputs}
        self.constants: dict[str, np.ndarray] = {}
        self.gathered: set[str] = set()  # split inputs whose gathers are emitted

    def _int16_input_fits(self, x: str) -> bool:
        """Whether the layer reading x keeps _lower_fc's accumulator bounds if x were int16: a default method keeps
        int8 where grouped or heavy weights (w8a8-g<N>, long rows) would overflow, where `a16down` refuses."""
        fc = next(c for c, i in self.g.consumers()[x] if i == 0)
        qw = self.cfg.weight_for(fc.name, self.g.constants[fc.inputs[1]])
        sx, zx = self._calibrated(x, "int16")
        bq = _bias_steps(self.g.constants[fc.inputs[2]], sx, qw)
        return np.abs(bq).max(initial=0) < 2 ** 30 and _accumulator_bound(bq, "int16", zx, qw) < 2 ** 31

    def _calibrated(self, name: str, dt: str) -> tuple[float, int]:
        st = self.cal.stats.get(name)
        if st is None:
            raise QuantError(f"tensor {name!r} was not seen during calibration")
        if dt == "int8":
            return asymmetric_int8(*int8_range(self.cal, name, self.cfg.observer))
        return sym(max(abs(st.lo), abs(st.hi)), dt)

    def output(self, n: Node, qparams: tuple[float, int] | None = None) -> dict:
        """Describes n's output tensor (at `qparams` where the op sets its own) and returns its clamp attributes."""
        out = n.outputs[0]
        dt = self.dtypes[out]
        if qparams is not None:
            self.qp[out] = qparams
        self.tensors[out] = TensorInfo(out, self.g.tensors[out].shape, dt, *self.qp[out])
        return {"act_min": QMIN[dt], "act_max": QMAX[dt]}

    def bits(self, name: str) -> int:
        return {"int8": 8, "int16": 16, "int32": 32}[self.dtypes.get(name, "int32")]

    def twin(self, n: Node, attrs: dict) -> list[Node]:
        """The integer twin of the float node n (quant/optable.py), on the same tensors."""
        return [Node(quantized_op(n.op), n.name, list(n.inputs), [n.outputs[0]], attrs)]


# float op -> its lowering (lowering, node) -> the integer nodes; docs/extending.md "An op", step 4
LOWERINGS: dict[str, Callable[[Lowering, Node], list[Node]]] = {}


def lowers(*float_ops: str):
    def register(fn):
        LOWERINGS.update(dict.fromkeys(float_ops, fn))
        return fn
    return register


def lower(g: Graph, cal: Calibration, cfg: QuantConfig, progress: Callable[[str], None] | None = None) -> Graph:
    """The integer-only graph of a captured FP32 transformer graph, given its calibration."""
    if cfg.residual not in ("int16", "int32", "auto"):
        raise QuantError(f"unknown residual width {cfg.residual!r}: use int16, int32 or auto")
    lw = Lowering(g, cal, cfg)
    nodes: list[Node] = []
    for n in g.nodes:
        if n.op not in LOWERINGS:
            raise QuantError(f"the transformer quantizer does not handle op {n.op} (node {n.name})")
        nodes.extend(LOWERINGS[n.op](lw, n))
        if progress:
            progress(n.name)
    meta = {**g.meta, "quantization": describe(cfg), "calibration_sequences": cal.sequences}
    q = Graph(g.name, list(g.inputs), list(g.outputs), lw.tensors, lw.constants, nodes, meta)
    validate(q, integer_only=True)
    return q


def describe(cfg: QuantConfig) -> str:
    w = f"w{cfg.weight_bits}" + (f"g{cfg.group_size}" if cfg.group_size else "")
    return f"ptq-{w}a8-{cfg.observer}-res{cfg.residual}" + ("-mixed" if cfg.layer_bits else "") + \
        ("-asym" if cfg.asym else "") + ("-clip" if cfg.clip else "") + ("-split" if cfg.outlier_split else "") + \
        ("-dynamic" if cfg.dynamic else "") + ("-a16down" if cfg.a16down else "") + \
        (f"{len(cfg.a16down_only)}" if cfg.a16down and cfg.a16down_only is not None else "")


@lowers("embedding_f32")
def _embedding(lw: Lowering, n: Node) -> list[Node]:
    """The table's own symmetric range sets the output scale."""
    key, dt = n.inputs[1], lw.dtypes[n.outputs[0]]
    table = lw.g.constants[key]
    s, z = sym(float(np.abs(table).max()), dt)
    if key not in lw.constants:
        lw.constants[key] = np.clip(np.round(table / s), -QMAX[dt], QMAX[dt]).astype(dt)
    elif str(lw.constants[key].dtype) != dt:
        raise QuantError(f"embedding table {key!r} is read at two precisions")
    lw.output(n, (s, z))
    return lw.twin(n, {})


@lowers("fully_connected_f32")
def _fully_connected(lw: Lowering, n: Node) -> list[Node]:
    out, plan = n.outputs[0], lw.inputs[n.inputs[0]]
    qw = lw.cfg.weight_for(n.name, lw.g.constants[n.inputs[1]])
    dt = lw.dtypes[out]
    qparams = None
    if dt == "int32" and plan.kind == "static":
        qparams = (max(lw.qp[out][0], _int32_fc_min_scale(lw, n, qw)), 0)
    clamp = lw.output(n, qparams)
    if n.attrs.get("relu"):  # OPT's fc1 with its ReLU (export capture): clamped at the output's zero
        clamp["act_min"] = max(clamp["act_min"], int(lw.qp[out][1]))
    if plan.kind == "dynamic":
        return [_lower_fc_dynamic(lw, n, qw, clamp)]
    if plan.kind == "split":
        return _lower_fc_split(lw, n, qw, plan.outliers, clamp)
    return [_lower_fc(lw, n, qw, clamp)]


@lowers("add_f32")
def _add(lw: Lowering, n: Node) -> list[Node]:
    return [_add_node(lw, n.name, list(n.inputs), n.outputs[0], lw.output(n))]


@lowers("mul_f32")
def _mul(lw: Lowering, n: Node) -> list[Node]:
    a, b = n.inputs
    (sa, za), (sb, zb), (sy, zy) = lw.qp[a], lw.qp[b], lw.qp[n.outputs[0]]
    m, s = fixed_multiplier(sa * sb / sy, min(30, 62 - lw.bits(a) - lw.bits(b) - 2))
    return lw.twin(n, {"a_zero_point": za, "b_zero_point": zb, "y_zero_point": zy, "multiplier": m, "shift": s,
                       **lw.output(n)})


@lowers("gelu_f32", "silu_f32")
def _activation(lw: Lowering, n: Node) -> list[Node]:
    (sx, zx), (sy, zy) = lw.qp[n.inputs[0]], lw.qp[n.outputs[0]]
    mi, si = fixed_multiplier(sx * 4096, 24)
    mo, so = fixed_multiplier(1 / (4096 * sy), 24)
    return lw.twin(n, {"x_zero_point": zx, "in_multiplier": mi, "in_shift": si, "out_multiplier": mo,
                       "out_shift": so, "y_zero_point": zy, **lw.output(n)})


@lowers("softcap_f32")
def _softcap(lw: Lowering, n: Node) -> list[Node]:
    """c tanh(x / c) (quant/ops/softcap.py): x to 2 x / c in Q12, tanh in Q15 to the output scale."""
    (sx, zx), (sy, zy), c = lw.qp[n.inputs[0]], lw.qp[n.outputs[0]], float(n.attrs["cap"])
    mi, si = fixed_multiplier(sx * 8192 / c, 24)
    mo, so = fixed_multiplier(c / (32768 * sy), 24)
    return lw.twin(n, {"x_zero_point": zx, "in_multiplier": mi, "in_shift": si, "out_multiplier": mo,
                       "out_shift": so, "y_zero_point": zy, **lw.output(n)})


@lowers("rope_f32")
def _rope(lw: Lowering, n: Node) -> list[Node]:
    (sx, zx), (sy, zy) = lw.qp[n.inputs[0]], lw.qp[n.outputs[0]]
    for key in n.inputs[2:]:
        lw.constants.setdefault(key, np.round(lw.g.constants[key].astype(np.float64) * 2 ** 14).astype(np.int16))
    m, s = quantize_multiplier(sx / (2 ** 14 * sy))
    return lw.twin(n, {"heads": n.attrs["heads"], "head_dim": n.attrs["head_dim"], "x_zero_point": zx,
                       "y_zero_point": zy, "multiplier": m, "shift": s, **lw.output(n)})


@lowers("matmul_qk_f32", "matmul_pv_f32")
def _matmul(lw: Lowering, n: Node) -> list[Node]:
    """Q.K^T (1/sqrt(head_dim), the float op's scale, folded into the requantization) and P.V."""
    a, b = OPTABLE[quantized_op(n.op)].roles
    (sa, za), (sb, zb), (sy, zy) = lw.qp[n.inputs[0]], lw.qp[n.inputs[1]], lw.qp[n.outputs[0]]
    m, s = quantize_multiplier(sa * sb * n.attrs.get("scale", 1.0) / sy)
    return lw.twin(n, {**{k: n.attrs[k] for k in ("heads", "kv_heads", "head_dim")}, f"{a}_zero_point": za,
                       f"{b}_zero_point": zb, "y_zero_point": zy, "multiplier": m, "shift": s, **lw.output(n)})


@lowers("softmax_f32")
def _softmax(lw: Lowering, n: Node) -> list[Node]:
    lw.output(n, (2.0 ** -15, 0))  # Q15 probabilities
    m, s = fixed_multiplier(lw.qp[n.inputs[0]][0] * math.log2(math.e) * 65536, 30)
    return lw.twin(n, {"in_multiplier": m, "in_shift": s, "causal": bool(n.attrs["causal"])})


def _add_node(lw: Lowering, name: str, ins: list[str], out: str, clamp: dict) -> Node:
    (sa, za), (sb, zb), (sy, zy) = lw.qp[ins[0]], lw.qp[ins[1]], lw.qp[out]
    bits = min(30, 61 - max(lw.bits(ins[0]), lw.bits(ins[1])) - 1)
    m, s = fixed_multiplier(max(sa, sb) / sy, bits)
    ma, mb = int(round(sa / sy * 2 ** s)), int(round(sb / sy * 2 ** s))
    return Node("add", name, ins, [out], {"a_zero_point": za, "b_zero_point": zb, "y_zero_point": zy,
                                         "a_multiplier": ma, "b_multiplier": mb, "shift": s, **clamp})


def _int32_fc_min_scale(lw: Lowering, n: Node, qw: QWeight, x: str | None = None,
                        bias: np.ndarray | None = None) -> float:
    """The finest output scale an int32 fully connected output may take. A multiplier above 1 is a left shift of
    the int32 accumulator (which wraps in C as in quant/ops/fixed.py), so each channel's shift is kept below what
    its worst-case accumulator |bias| + x_range * sum_g group_scale * sum |w| allows: never a wrap."""
    x = x or n.inputs[0]
    b = lw.g.constants[n.inputs[2]] if bias is None else bias
    acc_scale = lw.qp[x][0] * qw.unit
    xr = 255 if lw.dtypes.get(x) == "int8" else 65535
    bound = np.abs(_bias_steps(b, lw.qp[x][0], qw)) + xr * qw.mass()
    left = np.maximum(0, 29 - np.ceil(np.log2(np.maximum(bound, 1))))  # acc * 2^left < 2^30
    return float((acc_scale / 2.0 ** left).max())


def _bias_steps(bias: np.ndarray, sx: float, qw: QWeight) -> np.ndarray:
    """The bias in accumulator steps (input scale sx times the weights' unit)."""
    return np.round(bias.astype(np.float64) / (sx * qw.unit))


def _accumulator_bound(bq: np.ndarray, x_dtype: str, zx: int, qw: QWeight) -> float:
    """The largest |accumulator| a row can reach: |bias| + the largest |x - zx| times the row's weight mass."""
    return float((np.abs(bq) + input_range(x_dtype, zx) * qw.mass()).max(initial=0))


def _lower_fc(lw: Lowering, n: Node, qw: QWeight, clamp: dict, x: str | None = None, out: str | None = None,
              bias: np.ndarray | None = None, name: str | None = None) -> Node:
    """fully_connected (int8 per channel), _grouped, _wide or _asym (asymmetric groups) of static input x."""
    x, out = x or n.inputs[0], out or n.outputs[0]
    pre, dt, x_dtype = name or n.name, lw.dtypes[out], lw.dtypes[x]
    sx, zx = lw.qp[x]
    sy, zy = lw.qp[out]
    acc_scale = sx * qw.unit
    bq = _bias_steps(lw.g.constants[n.inputs[2]] if bias is None else bias, sx, qw)
    if np.abs(bq).max(initial=0) >= 2 ** 30:
        raise QuantError(f"layer {n.name}: bias does not fit the accumulator at scale {acc_scale.min():g}; "
                         "recalibrate with a wider input range")
    if qw.offset is not None or x_dtype != "int8":
        bound = _accumulator_bound(bq, x_dtype, zx, qw)
        if bound >= 2 ** 31 and qw.offset is not None:
            raise QuantError(f"layer {n.name}: bias and asymmetric weights together can overflow the int32 "
                             "accumulator; use a symmetric grid for this layer (drop the asym step)")
        if bound >= 2 ** 31:
            raise QuantError(f"layer {n.name}: an {x_dtype} input (a16down) with these weights can overflow the "
                             "int32 accumulator (|bias| + 32768 x a row's sum of |weight| steps reaches 2^31); "
                             "drop the a16down step for this model")
    mult, shift = zip(*(quantize_multiplier(float(m)) for m in acc_scale / sy))
    attrs = {"x_zero_point": zx, "y_zero_point": zy, **clamp}
    if qw.offset is None and qw.bits == 8 and qw.group_size == qw.q.shape[1] and dt == x_dtype == "int8":
        return fc_node(lw.constants, "fully_connected", pre, x, out, attrs, qw, bq, mult, shift)
    op = "fully_connected_asym" if qw.offset is not None else \
        "fully_connected_grouped" if dt == x_dtype == "int8" else "fully_connected_wide"
    return fc_node(lw.constants, op, pre, x, out, {**attrs, "group_size": qw.group_size, "weight_bits": qw.bits}, qw, bq,
                    mult, shift)


def _lower_fc_dynamic(lw: Lowering, n: Node, qw: QWeight, clamp: dict) -> Node:
    """fully_connected_dynamic (quant/ops/linear_quant.py): the int16 input is quantized per row at run time.
    (multiplier, shift + 15) encodes R = unit s_x / (127 s_y); the bias is added in output units."""
    x, out = n.inputs[0], n.outputs[0]
    sx, zx = lw.qp[x]
    sy, zy = lw.qp[out]
    e_max = dynamic_e_max(lw.dtypes[x], zx)
    mult, shift = [], []
    for r in qw.unit * sx / (127.0 * sy):
        m, t = fixed_multiplier(float(r), 31, max_shift=63)
        if t - 15 < e_max:
            raise QuantError(f"layer {n.name}: output scale too fine for a dynamic input scale; recalibrate")
        mult.append(m)
        shift.append(t - 15)
    b = np.round(lw.g.constants[n.inputs[2]].astype(np.float64) / sy)
    if np.abs(b).max(initial=0) >= 2 ** 31 - 1:
        raise QuantError(f"layer {n.name}: bias exceeds int32 at the output scale {sy:g}; recalibrate")
    attrs = {"x_zero_point": zx, "y_zero_point": zy, **clamp, "group_size": qw.group_size, "weight_bits": qw.bits}
    return fc_node(lw.constants, "fully_connected_dynamic", n.name, x, out, attrs, qw, b, mult, shift)


def _lower_fc_split(lw: Lowering, n: Node, qw: QWeight, outliers: np.ndarray, clamp: dict) -> list[Node]:
    """The outlier split (quant/ops/gather.py): the int16 input x -> inliers (int8, the outlier channels zeroed,
    at the inliers' own scale) and outliers (int16 [T, |O|]); y = FC(inliers; W) + FC_wide(outliers; W[:, O]),
    both int32, then one add to the output's dtype and scale. The inlier layer keeps its full weight matrix (so an
    asymmetric or GPTQ grid is untouched); the outlier columns get int8 per-channel weights of the same values."""
    g, cal, qp, dtypes, tensors = lw.g, lw.cal, lw.qp, lw.dtypes, lw.tensors
    x, out = n.inputs[0], n.outputs[0]
    sx, zx = qp[x]
    t = g.tensors[x].shape[0]
    k = g.tensors[x].shape[1]
    xin, xout = f"{x}.inliers", f"{x}.outliers"
    nodes: list[Node] = []
    if x not in lw.gathered:  # one pair of gathers per split tensor, shared by its readers (q/k/v, gate/up)
        lw.gathered.add(x)
        mask = np.ones(k, bool)
        mask[outliers] = False
        lo = float(min(0.0, cal.channel_lo[x][mask].min()))
        hi = float(max(0.0, cal.channel_hi[x][mask].max()))
        s8, z8 = asymmetric_int8(lo, hi)
        qp[xin], dtypes[xin] = (s8, z8), "int8"
        qp[xout], dtypes[xout] = (sx, zx), dtypes[x]
        tensors[xin] = TensorInfo(xin, (t, k), "int8", s8, z8)
        tensors[xout] = TensorInfo(xout, (t, int(outliers.size)), dtypes[x], sx, zx)
        m, sh = fixed_multiplier(sx / s8, 30, max_shift=62)
        lw.constants[f"{xin}.index"] = np.where(mask, np.arange(k), -1).astype(np.int32)
        lw.constants[f"{xout}.index"] = outliers.astype(np.int32)
        nodes.append(Node("channel_gather", f"{x}.gather_inliers", [x, f"{xin}.index"], [xin],
                          {"x_zero_point": zx, "multiplier": m, "shift": sh, "y_zero_point": z8,
                           "act_min": -128, "act_max": 127}))
        big = QMAX[dtypes[x]]
        nodes.append(Node("channel_gather", f"{x}.gather_outliers", [x, f"{xout}.index"], [xout],
                          {"x_zero_point": zx, "multiplier": 1, "shift": 0, "y_zero_point": zx,
                           "act_min": -big - 1, "act_max": big}))
    nout = qw.q.shape[0]
    wq = qw.dequant()[:, outliers]
    qo = quantize_weight(wq, 8, None)
    zero_bias = np.zeros(nout, np.float32)
    amax = max(abs(cal.stats[out].lo), abs(cal.stats[out].hi))
    pin, pout = f"{n.name}.inlier_part", f"{n.name}.outlier_part"
    c32 = {"act_min": QMIN["int32"], "act_max": QMAX["int32"]}
    for part, src, w, bias in ((pin, xin, qw, None), (pout, xout, qo, zero_bias)):
        s_part = max(amax / SYM_LEVELS["int32"], _int32_fc_min_scale(lw, n, w, src, bias))
        qp[part], dtypes[part] = (s_part, 0), "int32"
        tensors[part] = TensorInfo(part, (t, nout), "int32", s_part, 0)
        nodes.append(_lower_fc(lw, n, w, c32, x=src, out=part, bias=bias, name=part))
    nodes.append(_add_node(lw, n.name, [pin, pout], out, clamp))
    return nodes


@lowers("layernorm_f32", "rmsnorm_f32", "head_rmsnorm_f32")
def _norm(lw: Lowering, n: Node) -> list[Node]:
    """The gain (and a layernorm's bias) in one fixed-point scale: gamma_int = gamma sqrt(C) / (2^20 s_y) 2^shift
    (a per-head norm: C = head_dim)."""
    clamp = lw.output(n)
    g, x, out = lw.g, n.inputs[0], n.outputs[0]
    with_beta = "beta" in OPTABLE[n.op].roles
    sx, zx = lw.qp[x]
    sy, zy = lw.qp[out]
    c = n.attrs.get("head_dim", g.tensors[x].shape[-1])
    gr = g.constants[n.inputs[1]].astype(np.float64) * math.sqrt(c) / (2 ** 20 * sy)  # gamma_int = gr * 2^shift
    beta = g.constants[n.inputs[2]].astype(np.float64) / sy if with_beta else np.zeros(c)
    shift = 62
    for v, top in ((gr, 23), (beta, 29)):  # |gamma_int| < 2^23, |beta_int| < 2^29
        if np.abs(v).max() > 0:
            shift = min(shift, top - math.frexp(float(np.abs(v).max()))[1])
    if shift < 0:
        raise QuantError(f"node {n.name}: the norm's gain is too large for its output scale; recalibrate")
    lw.constants[f"{n.name}.gamma"] = np.round(gr * 2 ** shift).astype(np.int32)
    ins, eps = [x, f"{n.name}.gamma"], float(n.attrs["eps"])
    attrs = {"x_zero_point": zx, "shift": shift, "y_zero_point": zy, **clamp}
    if with_beta:
        lw.constants[f"{n.name}.beta"] = np.round(beta * 2 ** shift).astype(np.int32)
        ins.append(f"{n.name}.beta")
        attrs["eps"] = int(min(round(c ** 3 * eps / sx ** 2), 1 << 60))
    else:
        attrs.update({k: n.attrs[k] for k in ("heads", "head_dim") if k in n.attrs})
        attrs["pre_shift"] = 0 if lw.dtypes.get(x) != "int32" else INT32_RMS_PRE_SHIFT
        attrs["eps"] = int(min(round(c * eps / (sx * 2 ** attrs["pre_shift"]) ** 2), 1 << 60))
    return [Node(quantized_op(n.op), n.name, ins, [out], attrs)]
