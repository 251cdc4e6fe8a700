from codegen.memory_plan import Buffer, plan_arena


def test_live_buffers_never_overlap_and_dead_ones_share():
    bufs = [Buffer("a", 100, 0, 1), Buffer("b", 50, 1, 2), Buffer("c", 100, 2, 3), Buffer("d", 30, 3, 4)]
    placed, size = plan_arena(bufs)
    for p in placed:
        for q in placed:
            if p is q or p.last < q.first or q.last < p.first:
                continue
            assert p.offset + p.size <= q.offset or q.offset + q.size <= p.offset
    # a chain needs at most the two largest neighbours at once: 100 + 50 (aligned to 16)
    assert size <= 112 + 64
    assert size >= 150
