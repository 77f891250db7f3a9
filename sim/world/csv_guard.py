"""CSV files the tool did not just write, read through one guard.

A results folder can be edited by hand, truncated or replaced, and an observed-counts file comes
from elsewhere: :func:`read_csv_file` reads only a regular file (no FIFO, device or folder) of
at most :data:`MAX_CSV_BYTES` and :data:`MAX_CSV_ROWS` rows, strict UTF-8, with the columns it
must have, and a finite number in every cell of a number column. A problem is a
:class:`~sim.world.schema.names.ScenarioError` naming the file, the row and the column.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.world.scenario_files import read_guarded_bytes
from sim.world.schema.names import ScenarioError

MAX_CSV_BYTES = 256 * 1024 * 1024
"""The largest CSV file read: 256 MiB (a year of daily counts is a few MB)."""
MAX_CSV_ROWS = 2_000_000
"""The most data rows a CSV file may hold."""


def read_csv_file(
    path: Path,
    source: str | None = None,
    *,
    what: str = "CSV file",
    required: Sequence[str] = (),
    numbers: Sequence[str] = (),
    rows_needed: bool = True,
    comment: str | None = None,
    max_rows: int = MAX_CSV_ROWS,
    whole_lines: bool = False,
) -> pd.DataFrame:
    """*path* as a table, with every guard: *required* columns present, a cell of a column of
    *numbers* (when present) empty or a finite number, at least one row when *rows_needed*, and
    with *whole_lines* a line end after the last row (a file this tool wrote ends with one, so a
    file without it was cut off) and every row as long as the header.

    Number columns come back as floats; an empty cell is NaN.
    """
    source = source or str(path)
    raw = read_guarded_bytes(path, source, what, MAX_CSV_BYTES)

    def refuse(where: str, msg: str) -> ScenarioError:
        return ScenarioError(source, [(where, msg)], what=what)

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise refuse("", f"not UTF-8 text: byte 0x{raw[err.start]:02x} at line {line}") from None
    if not text.strip():
        raise refuse("", "the file is empty: no header and no rows")
    if whole_lines and not text.endswith("\n"):
        line = text.count("\n") + 1
        raise refuse("", f"line {line}, the last, is cut off (no line end): the file is truncated")
    try:
        table = pd.read_csv(io.StringIO(text), comment=comment, nrows=max_rows + 1)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise refuse("", f"not a readable CSV table: {str(err).strip()[:200]}") from None
    if len(table) > max_rows:
        raise refuse("", f"more than {max_rows:,} rows; at most that many are read")
    missing = [c for c in required if c not in table.columns]
    if missing:
        have = ", ".join(map(str, table.columns[:12]))
        raise ScenarioError(
            source, [(c, f"column is missing (the file has: {have})") for c in missing], what=what
        )
    if rows_needed and table.empty:
        raise refuse("", "holds a header but no rows (truncated?)")
    if whole_lines and len(table.columns) > 1:
        short = table.iloc[:, -1].isna() & table.iloc[:, 1:].isna().all(axis=1)
        if short.any():
            i = int(short.to_numpy().nonzero()[0][0])
            raise refuse(f"row {i + 1}", "holds only its first cell: the row is cut short")
    for column in numbers:
        if column not in table.columns:
            continue
        cells = table[column]
        values = pd.to_numeric(cells, errors="coerce").astype(float)
        bad = (cells.notna() & values.isna()) | values.isin([math.inf, -math.inf])
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            shown = str(cells.iloc[i])[:40]
            raise refuse(
                f"row {i + 1}, column {column}",
                f"{shown!r} is not a finite number (row {i + 1} of the data); "
                f"{int(bad.sum())} such cell(s) in the column",
            )
        table[column] = values
    return table
