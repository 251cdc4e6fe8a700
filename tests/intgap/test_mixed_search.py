"""The measured-cost mixed-precision search: its front, its picks at a budget, against Theorem 8."""
import numpy as np
import pytest

from intgap.mixed_search import LayerChoice, candidates_at_budget, evaluate, pareto, search
from quant.mixed import LayerSensitivity, allocate


def _layers():
    # three layers of one size: a sensitive one, two robust ones; at 4 bits the first is slower, the others faster
    mk = lambda name, alpha, c8, c4: LayerChoice(  # noqa: E731
        name, 1000, {b: LayerSensitivity(name, 1000, alpha, 1.0).distortion(b) for b in (4, 8)}, {8: c8, 4: c4})
    return [mk("a", 100.0, 1000, 1500), mk("b", 1.0, 1000, 600), mk("c", 1.0, 1000, 700)]


def test_front_is_pareto_and_holds_the_obvious_points():
    layers = _layers()
    front = search(layers, rest_cycles=500)
    key = lambda p: (p.cycles, p.mean_bits, p.distortion)  # noqa: E731
    for p in front:
        assert not any(all(a <= b for a, b in zip(key(q), key(p))) and key(q) != key(p) for q in front)
    allocs = [p.bits for p in front]
    assert {"a": 8, "b": 8, "c": 8} in allocs  # least distortion
    assert {"a": 8, "b": 4, "c": 4} in allocs  # fastest: the sensitive layer stays at 8 bits (and is faster there)
    fastest = min(front, key=lambda p: p.cycles)
    assert fastest.cycles == 500 + 1000 + 600 + 700


def test_pick_meets_the_budget_and_beats_theorem8_in_cycles_at_equal_distortion():
    layers = _layers()
    front = search(layers, rest_cycles=500)
    sens = [LayerSensitivity(x.name, x.size, {"a": 100.0}.get(x.name, 1.0), 1.0) for x in layers]
    for budget in (6.0, 7.0):
        t8 = evaluate(layers, allocate(sens, budget), 500)
        pick = candidates_at_budget(front, t8, budget, 1)[0]  # the fastest by prediction
        assert pick.mean_bits <= budget + 1e-9 and t8.mean_bits <= budget + 1e-9
        assert pick.distortion <= t8.distortion * (1 + 1e-9)
        assert pick.cycles <= t8.cycles
        # brute force over all 2^3 allocations: the pick is the fastest within the budget and T8's distortion
        import itertools
        ok = [evaluate(layers, dict(zip("abc", bits)), 500) for bits in itertools.product((4, 8), repeat=3)]
        ok = [p for p in ok if p.mean_bits <= budget + 1e-9 and p.distortion <= t8.distortion * (1 + 1e-9)]
        assert pick.cycles == min(p.cycles for p in ok)


def test_when_int4_is_slower_everywhere_the_fastest_is_all_int8():
    layers = [LayerChoice(n, 10, {8: 1.0, 4: 256.0}, {8: 100.0, 4: 130.0}) for n in "xyz"]
    front = search(layers, rest_cycles=0)
    assert min(front, key=lambda p: p.cycles).bits == {"x": 8, "y": 8, "z": 8}
    assert min(front, key=lambda p: p.mean_bits).mean_bits == pytest.approx(4.0)


def test_pareto_removes_duplicates_and_dominated():
    layers = _layers()
    a = evaluate(layers, {"a": 8, "b": 8, "c": 8}, 0)
    b = evaluate(layers, {"a": 4, "b": 8, "c": 8}, 0)  # slower, more distortion, fewer bits: kept (fewer bits)
    assert len(pareto([a, a, b])) == 2
    assert np.isclose(a.mean_bits, 8.0)


def test_candidates_are_the_fastest_predicted_within_budget_and_distortion():
    layers = _layers()
    front = search(layers, rest_cycles=500)
    sens = [LayerSensitivity(x.name, x.size, {"a": 100.0}.get(x.name, 1.0), 1.0) for x in layers]
    t8 = evaluate(layers, allocate(sens, 6.0), 500)
    cands = candidates_at_budget(front, t8, 6.0, n=3)
    assert cands and cands[0] == candidates_at_budget(front, t8, 6.0, 1)[0]
    assert [c.cycles for c in cands] == sorted(c.cycles for c in cands)
    ok = [p for p in front if p.mean_bits <= 6.0 + 1e-9 and p.distortion <= t8.distortion * (1 + 1e-9)]
    assert len(cands) == min(3, len(ok))
    # nothing within 4 bits is as accurate as all-8: no candidate (the search measures the given allocation alone)
    all8 = evaluate(layers, {x.name: 8 for x in layers}, 500)
    assert candidates_at_budget(front, all8, 4.0, n=3) == []
