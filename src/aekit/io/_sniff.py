"""A CSV's layout, sniffed from its first rows: the separator, whether the first row is a header
of names or a row of numbers, and its cells. Reads follow ``aekit.io.dialect``'s settings."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from aekit.io._columns import not_utf8
from aekit.io.dialect import SEPARATORS, current_dialect
from aekit.io.formats import compression_of, format_of, is_tab_separated


def text_input(path: Path):
    """A CSV or TSV file as a stream, decompressed when its name says it is compressed (in any
    case: pyarrow's own guess knows ``.gz``, not ``.GZ``)."""
    import pyarrow as pa

    return pa.input_stream(str(path), compression=compression_of(path))


def first_row(path: Path) -> str:
    import pyarrow as pa

    try:
        with io.BufferedReader(text_input(path)) as raw:
            line = raw.readline()
    except (pa.ArrowException, OSError, EOFError) as error:
        raise ValueError(f"cannot read {path}: {first_line(error)}") from None
    try:
        return line.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(not_utf8(path)) from None


def delimiter_of(path: Path, first_row: str) -> str:
    """The separator ``csv_dialect`` gives, else a tab for ``.tsv`` files; for ``.csv`` the
    one that splits the first two rows alike (``_splitting_both``: a comma, or the semicolon,
    tab or | that spreadsheets in many locales write); else the other one a row without commas
    holds; else, under decimal commas, none for a single column of numbers (``;``), and a
    comma otherwise."""
    dialect = current_dialect()
    if dialect.sep is not None:
        return dialect.sep
    if is_tab_separated(path):
        return "\t"
    split = _splitting_both(first_row, _second_row(path), dialect.decimal)
    if split is not None:
        return split
    if "," not in first_row:  # one row only: the other separator it holds, if any
        for other in SEPARATORS[1:]:
            if other in first_row:
                return other
    if dialect.decimal == "," and '"' not in first_row and all(
            piece.strip().lstrip("-").isdigit() for piece in first_row.split(",")[1:]):
        return ";"  # one name, or numbers, and no other separator: one column of decimals
    return ","  # names split by commas, or decimal commas quoted: "1,5","2,5"


def _splitting_both(first_row: str, second_row: str | None, decimal: str) -> str | None:
    """The separator that splits the first two rows into as many cells (more than one),
    quotes respected, the most cells first, a comma on a tie: a name 'temp, C' between |s,
    or 'Na;K' between commas, does not decide it. With decimal commas, not the comma. None
    for a file of one row, or where none splits both alike."""
    if second_row is None:
        return None
    alike = [sep for sep in SEPARATORS
             if 1 < len(split_cells(first_row, sep)) == len(split_cells(second_row, sep))]
    if decimal == ",":  # a comma splitting both may be decimal marks: left to the row's look
        alike = [sep for sep in alike if sep != ","]
    return max(alike, key=lambda sep: len(split_cells(first_row, sep))) if alike else None


def _second_row(path: Path) -> str | None:
    """The second line of a CSV (decompressed), or None where there is none."""
    import pyarrow as pa

    try:
        with io.BufferedReader(text_input(path)) as raw:
            raw.readline()
            line = raw.readline()
    except (pa.ArrowException, OSError, EOFError):
        return None
    return line.decode("utf-8-sig", errors="replace").rstrip("\r\n") or None


def is_numbers(first_row: str, delimiter: str) -> bool:
    """True when every filled cell of the first row parses as a number (no header row; an
    empty cell is a missing value, not a name), except the header ``DataFrame.to_csv`` writes
    for a frame's default column names: 0, 1, 2, ..., after an empty first cell (the index)
    or, with ``index=False``, alone."""
    cells = split_cells(first_row, delimiter)
    missing = set(current_dialect().missing_marks())  # NA in a row of numbers: a gap in data
    filled = [cell for cell in cells if cell and cell not in missing]
    if not filled:
        return False
    return all(map(current_dialect().number, filled)) and not pandas_header(cells)


def is_data(first_row: str, delimiter: str, path: Path | None = None) -> bool:
    """``is_numbers``, or a row of numbers and text whose text cells are all found again in
    their columns in the rows below (``path``'s), where those columns repeat their values: a
    category's value recurs, a column's name does not (a trial's headerless file of numbers
    and categories lost its first row to the names). Where no column of repeated values says
    (ids, dates, free text), the row is read as names, as before, with a note from
    ``names_like_numbers``."""
    if is_numbers(first_row, delimiter):
        return True
    if path is None:
        return False
    dialect = current_dialect()
    missing = set(dialect.missing_marks())
    cells = split_cells(first_row, delimiter)
    filled = [(i, cell) for i, cell in enumerate(cells) if cell and cell not in missing]
    texts = [(i, cell) for i, cell in filled if not dialect.number(cell)]
    if len(texts) == len(filled):  # no number: names
        return False
    below = _rows_below(path, delimiter)
    columns = {i: [row[i] for row in below if i < len(row)] for i, _ in texts}
    told = [(i, cell) for i, cell in texts if len(set(columns[i])) < len(columns[i])]
    return bool(told) and all(cell in columns[i] for i, cell in told)


def names_like_numbers(first_row: str, delimiter: str) -> list[str]:
    """The cells of a first row read as names that look like measurements (a fraction or an
    exponent: 1.76, not a year): worth a note, since the row may be data."""
    dialect = current_dialect()
    return [cell for cell in split_cells(first_row, delimiter) if cell and dialect.number(cell)
            and not cell.lstrip("+-").isdigit()
            and cell.lower().lstrip("+-") not in ("nan", "inf", "infinity")]


ROWS_LOOKED_AT = 200  # rows below the first that is_data looks for its text cells in


def _rows_below(path: Path, delimiter: str) -> list[list[str]]:
    """The cells of up to ``ROWS_LOOKED_AT`` rows after the first (decompressed)."""
    import pyarrow as pa

    rows = []
    try:
        with io.BufferedReader(text_input(path)) as raw:
            raw.readline()
            for _ in range(ROWS_LOOKED_AT):
                line = raw.readline()
                if not line:
                    break
                rows.append(split_cells(line.decode("utf-8-sig", errors="replace").rstrip(
                    "\r\n"), delimiter))
    except (pa.ArrowException, OSError, EOFError):
        return rows
    return rows


def first_row_cells(path: str | os.PathLike) -> list[str] | None:
    """The cells of a CSV or TSV file's first row, stripped; None for other formats."""
    path = Path(path)
    if format_of(path) != ".csv":
        return None
    first = first_row(path)
    return split_cells(first.rstrip("\r\n"), delimiter_of(path, first))


def split_cells(row: str, delimiter: str) -> list[str]:
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # a row of 10^5 columns, say
    return [cell.strip() for cell in next(csv.reader([row], delimiter=delimiter), [])]


def pandas_header(cells: list[str]) -> bool:
    """Exactly what pandas writes for a frame's default column names: ["",] "0", "1", ..."""
    names = cells[1:] if cells[:1] == [""] else cells
    return len(cells) > 1 and names == list(map(str, range(len(names))))


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
