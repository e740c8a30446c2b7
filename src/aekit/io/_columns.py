"""Arrow columns to float64 features, and what to tell the user when a column is not numbers:
the value that stopped it, numbers written with commas, several such columns at once."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np

from aekit.io.dialect import current_dialect

_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")
_SAMPLE = 50  # values looked at to tell how a text column writes its numbers


def numeric_array(path: Path, table) -> np.ndarray:
    """The table's columns as one float64 array; a ``ValueError`` naming every column that is
    not numeric (with the value that stopped it) or holds integers float64 would round."""
    import pyarrow as pa

    if table.num_rows == 0:  # its columns' types are unknown: not "not numeric"
        raise ValueError(f"{path} has no rows, only column names: give a file with data")
    not_numeric = [name for name, column in zip(table.column_names, table.columns)
                   if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
                           or pa.types.is_boolean(column.type)
                           or pa.types.is_decimal(column.type))]
    if not_numeric:
        raise ValueError(not_numeric_message(path, table, not_numeric))
    columns = []
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_integer(column.type) and _beyond_float(column):
            raise ValueError(
                f"column {name!r} of {path} holds integers beyond 2**53 (ids?), which float64 "
                f"cannot hold exactly: name it as the index ({_index(name)}) to carry it "
                f"unchanged, or drop it ({_drop([name])})")
        columns.append(column.to_numpy(zero_copy_only=False).astype(np.float64))
    if not columns:  # every column set apart as text (read_table's text=True)
        return np.empty((table.num_rows, 0))
    return np.column_stack(columns)


def is_text_column(column) -> bool:
    """Whether a column holds text or dates rather than numbers: not a numeric type, and not
    numbers held up by a few marks ('?') or written with commas, which ``numeric_array``
    refuses with their reason. Text that is all digits is text: codes a typed file (Parquet)
    stores as text on purpose, postcodes such as '02134' (a CSV's reader makes numbers of
    them); other numbers as text ('53.49') are refused, as they were."""
    import pyarrow as pa

    if pa.types.is_dictionary(column.type):  # a pandas category, stored in Parquet
        column = column.cast(column.type.value_type)
    kind = column.type
    if pa.types.is_null(kind) or 0 < len(column) == column.null_count:
        return True  # no value at all: nothing to read as a number, nothing to refuse
    if (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
            or pa.types.is_decimal(kind)):
        return False
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return False  # text that is not UTF-8: refused with its fix, not carried as bytes
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return True  # dates, times
    values = [v for v in column.to_pylist() if v is not None]
    numbers = sum(map(_is_number, values))
    codes = bool(values) and all(isinstance(v, str) and v.strip().isdigit() for v in values)
    return codes or (_comma_numbers(column) is None and numbers < 0.5 * len(values))


def not_numeric_message(path: Path, table, names: list[str]) -> str:
    """Why the columns ``names`` of ``table`` are not numbers, and what to do about it."""
    written = numbers_written_otherwise(path, table, names)
    if written is not None:
        return written
    if len(names) == 1:
        name = names[0]
        return (f"column {name!r} of {path} is not numeric ({table[name].type}"
                f"{_first_text(table[name])}): drop it ({_drop(names)}), name it as the index "
                f"({_index(name)}) or encode it as numbers first{_missing_hint(table, names)}")
    listed = ", ".join(f"{name!r}{_first_text(table[name], short=True)}" for name in names)
    return (f"columns {listed} of {path} are not numeric: drop them ({_drop(names)}), or "
            f"encode them as numbers first{_missing_hint(table, names)}")


def numbers_written_otherwise(path: Path, table, names: list[str]) -> str | None:
    """The message for columns of numbers written in a way the reads took as text (not
    UTF-8, decimal commas or points, thousands separators), or None."""
    import pyarrow as pa

    if any(pa.types.is_binary(table[name].type) for name in names):  # bytes that are not UTF-8
        return not_utf8(path)
    for name in names:
        commas = _comma_numbers(table[name])
        if commas is not None:
            return f"column {name!r} of {path} holds {commas}"
    for name in names:
        points = _point_numbers(table[name])
        if points is None:
            continue
        if _GROUPS_OF_THREE.fullmatch(points):  # 1.200: a thousand and two hundred, maybe
            return (f"column {name!r} of {path} holds numbers written with points "
                    f"({points!r}): if they separate thousands, write them without "
                    f"({points.replace('.', '')}); if they are decimal points, read the file "
                    "without decimal=',' (--decimal ,)")
        return (f"column {name!r} of {path} holds numbers written with decimal points "
                f"({points!r}), but decimal=',' (--decimal ,) reads commas: read the file "
                "without it")
    return None


def _drop(names: list[str]) -> str:
    """How to leave columns out, in Python (``read_table``'s keyword) and on the command line."""
    return f"drop={names!r} / --drop {','.join(names)}"


def _index(name: str) -> str:
    return f"index={name!r} / --time {name}"


def _first_text(column, short: bool = False) -> str:
    """``, row 17 holds '?'``: the first value of a text column that is not a number."""
    import pyarrow as pa

    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return ""
    for row, value in enumerate(column.to_pylist()):
        if value is not None and not _is_number(value):
            shown = value if len(value) <= 20 else value[:17] + "..."
            where = f"row {row} holds {shown!r}"  # rows from 0, as in every message
            return f" ({where})" if short else f"; {where}"
    return ""


def _missing_hint(table, names: list[str]) -> str:
    """Advice for a mostly numeric column held up by a few placeholders ('?', 'n/a', '-')."""
    import pyarrow as pa

    marks: dict[str, None] = {}  # in order, each once, over every column held up by some
    for name in names:
        column = table[name]
        if not pa.types.is_string(column.type):
            continue
        values = [v for v in column.to_pylist() if v is not None]
        found = [v for v in values if not _is_number(v)]
        if values and found and len(found) <= 0.5 * len(values):
            marks.update(dict.fromkeys(found))
    blank = [mark for mark in marks if not mark.strip()]  # spaces: no option names them
    shown = [mark for mark in marks if mark.strip()][:5]
    more = len(marks) - len(blank) - len(shown)
    hints = []
    if shown:
        quoted = shlex.quote(",".join(shown))
        option = (f"--na-values={quoted}" if quoted.startswith("-")  # (else read as an option)
                  else f"--na-values {quoted}")
        hints.append(f"if {', '.join(map(repr, shown))}{f' (and {more} more)' if more else ''}"
                     f" mark missing cells, name them with na_values={shown!r} ({option}), or "
                     "leave those cells empty")
    if blank:
        hints.append("cells of spaces alone are not missing cells: leave them empty")
    return "".join(f"; {hint}" for hint in hints)


def _is_number(text: str) -> bool:
    """Whether ``text`` reads as a number with the decimal mark CSV reads take here."""
    return current_dialect().number(text)


_GROUPS_OF_THREE = re.compile(r"-?\d{1,3}(\.\d{3})+")


def _point_numbers(column) -> str | None:
    """Under decimal commas, the first value of a text column of numbers written with decimal
    points (``14.23``), or None."""
    import pyarrow as pa

    if current_dialect().decimal != "," or not pa.types.is_string(column.type):
        return None
    sample = [v.strip() for v in column.slice(0, _SAMPLE).to_pylist() if v]
    with_points = [v for v in sample if "." in v]
    if with_points and all(_plain_number(v) for v in sample):
        return with_points[0]
    return None


def _plain_number(text: str) -> bool:
    """Whether ``text`` reads as a number with a decimal point, whatever the dialect says."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _comma_numbers(column) -> str | None:
    """How a text column writes numbers with commas, as the rest of a message ("numbers
    written with decimal commas ..."), or None when its values are not such numbers."""
    import pyarrow as pa

    if not pa.types.is_string(column.type) or current_dialect().decimal == ",":
        return None  # (with decimal commas read as such, what is left is something else)
    sample = [v.strip() for v in column.slice(0, _SAMPLE).to_pylist()  # marks ('?') aside
              if v and any(c.isdigit() for c in v)]
    with_commas = [v for v in sample if "," in v]
    if not with_commas:
        return None
    thousands = all(_THOUSANDS.fullmatch(v) or _is_number(v) for v in sample)
    decimal = all(v.count(",") <= 1 and _is_number(v.replace(",", ".")) for v in sample)
    example = with_commas[0]
    if thousands and decimal:  # 1,065: a thousand and sixty-five, or one point zero six five
        return (f"numbers written with commas ({example!r}): write them without thousands "
                f"separators ({example.replace(',', '')}), or, if the comma is a decimal "
                f"mark ({example.replace(',', '.')}), read them with decimal=',' "
                "(--decimal ,)")
    if thousands:
        return (f"numbers written with thousands separators ({example!r}): write them without "
                f"({example.replace(',', '')})")
    if decimal:
        return (f"numbers written with decimal commas ({example!r}): read them with "
                "decimal=',' (--decimal ,), or write them with decimal points "
                f"({example.replace(',', '.')})")
    return None


def not_utf8(path: Path) -> str:
    return (f"{path} is not UTF-8 text (a spreadsheet's local encoding, cp1252 or latin-1?): "
            f"save it as 'CSV UTF-8', or convert it: iconv -f cp1252 -t utf-8 {path.name} > "
            f"{Path(path.name).stem}-utf8{Path(path.name).suffix}")


def _beyond_float(column) -> bool:
    """Whether an integer Arrow column (missing values allowed) holds a value float64 would
    round, judged on its own type before any conversion."""
    import pyarrow.compute as pc

    extremes = pc.min_max(column)
    low, high = extremes["min"].as_py(), extremes["max"].as_py()
    return low is not None and (high > 2**53 or low < -(2**53))
