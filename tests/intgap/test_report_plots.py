"""The report's plots from plain rows: per-layer figures summed by layer kind whatever the depth, point labels
that do not overlap, axes without offset text; and the layer kinds of each captured architecture."""
import itertools

import pytest

from intgap.attribution import CATEGORIES
from intgap.layer_kinds import layer_kind, sum_by_kind
from intgap.plots import PER_LAYER_MAX, group_layers, plain_axis, plot_layer_shares, plot_pareto, spread

LLAMA_BLOCK = ("input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.q_rope",
               "self_attn.k_rope", "self_attn.scores", "self_attn.probs", "self_attn.context", "self_attn.o_proj",
               "attn_residual", "post_attention_layernorm", "mlp.gate_proj", "mlp.up_proj", "mlp.silu", "mlp.gated",
               "mlp.down_proj", "mlp_residual")
KINDS = ["embedding", "norms", "attention projections", "attention core", "MLP", "residual adds", "head"]


def llama_names(blocks: int) -> list[str]:
    """The node names quant/hf_capture.py gives a Llama decoder of `blocks` blocks."""
    return ["embed"] + [f"layers.{b}.{n}" for b in range(blocks) for n in LLAMA_BLOCK] + ["norm", "logits"]


def rows_for(names: list[str]) -> list[dict]:
    out = []
    for i, n in enumerate(names):
        attr = {c: (i % 7 + 1) * (k + 1) for k, c in enumerate(CATEGORIES)}
        out.append({"name": n, "kind": layer_kind(n), "instructions": sum(attr.values()), "cycles": 3 * (i + 10),
                    "stalls": i + 10, "attribution": attr})
    return out


def test_layer_kinds_of_each_architecture():
    assert {n: layer_kind(n) for n in llama_names(1)} == {
        "embed": "embedding", "layers.0.input_layernorm": "norms", "layers.0.post_attention_layernorm": "norms",
        "norm": "norms", **{f"layers.0.self_attn.{p}_proj": "attention projections" for p in "qkvo"},
        **{f"layers.0.self_attn.{p}": "attention core" for p in ("q_rope", "k_rope", "scores", "probs", "context")},
        **{f"layers.0.mlp.{p}": "MLP" for p in ("gate_proj", "up_proj", "silu", "gated", "down_proj")},
        "layers.0.attn_residual": "residual adds", "layers.0.mlp_residual": "residual adds", "logits": "head"}
    bert = {"embeddings.word_lookup": "embedding", "embeddings.sum": "embedding",
            "encoder.layer.2.attention.self.query": "attention projections",
            "encoder.layer.2.attention.output.dense": "attention projections",
            "encoder.layer.2.attention.probs": "attention core", "encoder.layer.2.attention.output.LayerNorm": "norms",
            "encoder.layer.2.intermediate.dense": "MLP", "encoder.layer.2.intermediate.gelu": "MLP",
            "encoder.layer.2.output.dense": "MLP", "encoder.layer.2.output.residual": "residual adds"}
    gpt2 = {"wte_lookup": "embedding", "h.3.ln_1": "norms", "h.3.attn.q": "attention projections",
            "h.3.attn.c_proj": "attention projections", "h.3.mlp.c_fc": "MLP", "ln_f": "norms", "logits": "head"}
    # DistilBERT, OPT, GPT-NeoX (parallel residual), Gemma 2 (soft-capped scores), Qwen3 (q / k norms)
    distilbert = {"transformer.layer.0.attention.q_lin": "attention projections",
                  "transformer.layer.0.attention.out_lin": "attention projections",
                  "transformer.layer.0.ffn.lin1": "MLP", "transformer.layer.0.ffn.gelu": "MLP"}
    opt = {"decoder.embed_tokens_lookup": "embedding", "decoder.embed_positions_lookup": "embedding",
           "decoder.layers.1.self_attn.out_proj": "attention projections", "decoder.layers.1.fc1": "MLP",
           "decoder.layers.1.fc2": "MLP"}
    others = {"layers.0.attention.dense": "attention projections", "layers.0.add": "residual adds",
            "layers.0.self_attn.softcap": "attention core", "layers.0.self_attn.q_norm": "norms"}
    for name, kind in {**bert, **gpt2, **distilbert, **opt, **others}.items():
        assert layer_kind(name) == kind, name
    assert layer_kind("2", macs=2048) == "fully connected" and layer_kind("mystery") == "other"


@pytest.mark.parametrize("blocks", [4, 30])  # the bundled decoder (75 layers), SmolLM2-135M's depth (543)
def test_layer_figure_sums_by_kind_at_any_depth(blocks, tmp_path):
    import matplotlib.image
    rows = rows_for(llama_names(blocks))
    labels = plot_layer_shares(rows, tmp_path / "l.png", "decoder on cortex-a55 (board rk3566), w8a8",
                               "est. cycles (intgap cortex-a55 model v1 on rk3566)")
    counts = {"embedding": 1, "norms": 2 * blocks + 1, "attention projections": 4 * blocks,
              "attention core": 5 * blocks, "MLP": 5 * blocks, "residual adds": 2 * blocks, "head": 1}
    assert labels == [f"{k} ({n} layer{'s' if n > 1 else ''})" for k, n in counts.items()]
    h, w, _ = matplotlib.image.imread(tmp_path / "l.png").shape
    assert w < 1200 and h < 600  # the same size at 75 and at 543 layers: seven bars
    groups = group_layers(rows)
    assert sum(g["instructions"] for g in groups) == sum(r["instructions"] for r in rows)
    assert sum(g["attribution"]["mac"] for g in groups) == sum(r["attribution"]["mac"] for r in rows)


def test_shallow_model_gets_a_bar_per_layer(tmp_path):
    rows = [{**r, "kind": "fully connected"} for r in rows_for(["0", "2", "4"])]
    assert len(rows) <= PER_LAYER_MAX
    assert plot_layer_shares(rows, tmp_path / "l.png", "mlp", "est. cycles") == [
        "0 (fully connected)", "2 (fully connected)", "4 (fully connected)"]


def test_sum_by_kind_orders_and_counts():
    rows = [{"kind": "head", "n": 1, "d": {"a": 1}}, {"kind": "norms", "n": 2, "d": {"a": 2, "b": 1}},
            {"kind": "norms", "n": 3, "d": {"a": 1}}, {"kind": "new kind", "n": 5, "d": {}}]
    assert sum_by_kind(rows, ("n",), ("d",)) == [
        {"kind": "norms", "layers": 2, "n": 5, "d": {"a": 3, "b": 1}},
        {"kind": "head", "layers": 1, "n": 1, "d": {"a": 1}},
        {"kind": "new kind", "layers": 1, "n": 5, "d": {}}]


def test_spread_keeps_order_and_gap():
    ys = [10.0, 11.0, 10.5, 50.0, 99.0]
    out = spread(ys, 4.0, top=100.0)
    assert sorted(range(5), key=lambda i: out[i]) == sorted(range(5), key=lambda i: ys[i])
    s = sorted(out)
    assert all(b - a >= 4.0 - 1e-9 for a, b in zip(s, s[1:])) and max(out) <= 100.0
    assert out[3] == 50.0  # a label with room stays where it is


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_pareto_labels_do_not_overlap(tmp_path):
    # configs whose perplexities nearly coincide: the labels "fp32fp32" overprinted here before
    quality = {"fp32": 37.45, "w8a8": 37.46, "mixed:6": 37.455, "w4a8": 38.40, "w4a8-g64": 38.39}
    pts = [{"series": t, "config": c, "cost": (i + 1) * 1e6 * (1 + k), "quality": q}
           for k, t in enumerate(("cortex-m4", "cortex-a55", "rv64gcv")) for i, (c, q) in enumerate(quality.items())]
    boxes = plot_pareto(pts, tmp_path / "p.png", "t", "cycles", "perplexity", lower_is_better=True)
    assert len(boxes) == len(quality)  # each config named once, not once per target
    for a, b in itertools.combinations(boxes, 2):
        assert not _overlap(a, b), (a, b)
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_large_axis_has_no_offset_text():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    xs = [2_400_000, 2_403_000, 2_410_000]  # a narrow range of large values: matplotlib draws "+2.4e6" by default
    ax.plot(xs, [1, 2, 3])
    label = plain_axis(ax.xaxis, xs, "est. cycles")
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    plt.close(fig)
    assert label == "est. cycles (millions)" and ax.xaxis.get_offset_text().get_text() == ""
    assert len(set(ticks)) == len(ticks) >= 3 and all(t.startswith(("2.39", "2.40", "2.41")) for t in ticks)
