"""Which runtime_c kernel file defines which entry point: runtime_c/kernels/kernel_table.tsv, one row per
(symbol, family, file). Codegen links, per call, the target family's file when the table says it defines the
symbol, else the portable scalar one (tests/codegen/test_kernel_table.py checks the table against the objects)."""
from __future__ import annotations

import functools
from pathlib import Path

from codegen.errors import CodegenError

RUNTIME_C = Path(__file__).resolve().parent.parent / "runtime_c"
TABLE = RUNTIME_C / "kernels" / "kernel_table.tsv"


@functools.lru_cache(maxsize=4)
def _rows(path: Path) -> dict[tuple[str, str], frozenset[str]]:
    """(family, file stem) -> the symbols that file defines."""
    table: dict[tuple[str, str], set[str]] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != 3 or not cells[2].endswith(".c") or not cells[0].startswith("ig_"):
            raise CodegenError(f"{path}:{number}: a kernel table row is `symbol<TAB>family<TAB>file.c`, not {line!r}; "
                               "fix the row")
        symbol, family, file = cells
        if not (RUNTIME_C / "kernels" / family / file).is_file():
            raise CodegenError(f"{path}:{number}: {symbol} is listed in runtime_c/kernels/{family}/{file}, which does "
                               "not exist; fix the row or add the file")
        table.setdefault((family, file[:-2]), set()).add(symbol)
    return {k: frozenset(v) for k, v in table.items()}


def provides(family: str, stem: str, table: Path = TABLE) -> frozenset[str]:
    """The entry points runtime_c/kernels/<family>/<stem>.c defines (empty when the table lists no such file)."""
    return _rows(table).get((family, stem), frozenset())
