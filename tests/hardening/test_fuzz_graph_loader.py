"""A short hypothesis run over damaged .igraph files (the long run is benchmarks/fuzz_graph_loader.py): the loader
raises GraphError or returns a graph the rest of the pipeline handles; it never crashes with another exception."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .graph_mutations import check_loader, damaged_graphs


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_graphs_never_crash_the_loader(graph_bytes, tmp_path_factory, data):
    workdir = tmp_path_factory.getbasetemp() / "fuzz"
    workdir.mkdir(exist_ok=True)
    check_loader(data.draw(damaged_graphs(graph_bytes)), workdir)
