"""docs/errors.md: every row of the error tables names tests, and every test it names exists."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "errors.md"


def _tests_in(path: Path) -> set[str]:
    return {n.name for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef)}


def _test_cells() -> list[tuple[str, str]]:
    """(row, its last cell) of every row of a four-column table (message, cause, fix, test)."""
    out = []
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 4 and not set(line) <= set("|-: ") and cells[3] != "test":
            out.append((line, cells[3]))
    return out


def test_every_row_names_existing_tests():
    rows = _test_cells()
    assert len(rows) > 60
    total = 0
    for row, refs in rows:
        current, named = None, 0
        # H`file.py::test` (tests/hardening), `tests/...py::test`, and `::test` continuing the last file
        for m in re.finditer(r"(H)?`(tests/[\w/]+\.py|\w+\.py)?(?:::)?(test_\w+)?", refs):
            hard, file, name = m.groups()
            if file:
                current = (ROOT / "tests" / "hardening" / file) if hard else ROOT / file
            elif hard and name:
                current = ROOT / "tests" / "hardening" / "test_graph_file.py"  # H`test_hand_edited_graph[...]`
            if name:
                assert current is not None and current.exists(), (row, m.group(0))
                assert name in _tests_in(current), f"{current.relative_to(ROOT)} has no {name} ({row[:80]})"
                named += 1
        assert named, f"row without a test: {row[:100]}"
        total += named
    assert total > 80


def test_every_hand_edit_case_named_in_the_doc_exists():
    from tests.hardening.test_graph_file import EDITS
    cases = {c for _, refs in _test_cells() if "test_hand_edited_graph" in refs
             for c in re.findall(r"\[([^\]]+)\]", refs) if c != "..."}
    assert len(cases) > 40
    assert not sorted(cases - set(EDITS)), sorted(cases - set(EDITS))
