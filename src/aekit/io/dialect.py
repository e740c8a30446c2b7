"""How CSV files write their cells: the separator, the decimal mark, the marks of a missing cell.

The readers guess the separator from the first rows (the one that splits the first two alike: a
comma, a semicolon, a tab or a |) and take a decimal point and Arrow's marks of a missing cell (empty, NA, N/A, NaN, null, ...;
not None, which a text column may hold as a value: name it with na_values where it marks a gap).
``csv_dialect`` says otherwise for the reads within it, as scikit-learn's ``config_context``
sets its options: every CSV read inside (the table, the text columns read again for writing
back, a series' columns) follows it, without each reader taking the options one by one. The
command line's ``--sep``, ``--decimal``, ``--na-values`` and ``--no-default-na`` set it for one
command.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

SEPARATORS = (",", ";", "\t", "|")
DECIMAL_MARKS = (".", ",")


@dataclass(frozen=True)
class CsvDialect:
    """``sep`` between cells (None: guessed from the header row), the ``decimal`` mark, and
    ``na_values``: text that marks a missing cell, beside Arrow's own marks (NA, N/A, null,
    ...), which ``default_na=False`` reads as text (a country code NA, say) instead, as
    pandas' ``keep_default_na=False`` does; an empty cell is missing either way."""

    sep: str | None = None
    decimal: str = "."
    na_values: tuple[str, ...] = ()
    default_na: bool = True  # Arrow's marks (NA, null, ...) missing too; False: text ("NA")

    def __post_init__(self):
        if self.sep is not None and self.sep not in SEPARATORS:
            raise ValueError(f"sep must be one of {', '.join(map(repr, SEPARATORS))}, got "
                             f"{self.sep!r}")
        if self.decimal not in DECIMAL_MARKS:
            raise ValueError(f"decimal must be '.' or ',', got {self.decimal!r}")
        if not all(isinstance(value, str) and value for value in self.na_values):
            raise ValueError(f"na_values must be non-empty strings, got {list(self.na_values)}")

    def number(self, cell: str) -> bool:
        """Whether ``cell`` reads as a number with this decimal mark."""
        try:
            float(cell.replace(self.decimal, ".") if self.decimal != "." else cell)
        except ValueError:
            return False
        return True

    def missing_marks(self) -> list[str]:
        """Every cell text read as missing: Arrow's own marks and ``na_values``, a number among
        them in each way a file may write it (-999 also as -999.0, as pandas matches it)."""
        import pyarrow.csv as pacsv

        marks = list(pacsv.ConvertOptions().null_values) if self.default_na else [""]
        for value in self.na_values:
            marks.append(value)
            if self.number(value):
                number = float(value.replace(self.decimal, "."))
                forms = {repr(number), f"{number:g}"}
                if number.is_integer():
                    forms |= {str(int(number)), f"{int(number)}.0"}
                marks.extend(form.replace(".", self.decimal) for form in sorted(forms))
        return list(dict.fromkeys(marks))

    def convert_options(self, **options):
        """Arrow's options for converting cells: this decimal mark, ``missing_marks``, and an
        empty cell missing in a text column too."""
        import pyarrow.csv as pacsv

        return pacsv.ConvertOptions(strings_can_be_null=True, decimal_point=self.decimal,
                                    null_values=self.missing_marks(), **options)


_DEFAULT = CsvDialect()
_CURRENT: contextvars.ContextVar[CsvDialect | None] = contextvars.ContextVar(
    "aekit_csv_dialect", default=None)


def current_dialect() -> CsvDialect:
    """The dialect CSV reads follow here: the innermost ``csv_dialect``'s, else the defaults."""
    return _CURRENT.get() or _DEFAULT


@contextlib.contextmanager
def csv_dialect(sep: str | None = None, decimal: str = ".", na_values: Sequence[str] = (),
                default_na: bool = True) -> Iterator[CsvDialect]:
    """Within this, CSV files are read with cells separated by ``sep`` (None: guessed), the
    ``decimal`` mark, ``na_values`` marking missing cells, and Arrow's own marks (NA, null,
    ...) too unless ``default_na`` is False. Files written are unchanged (commas and decimal
    points)."""
    if isinstance(na_values, str):
        na_values = [na_values]
    token = _CURRENT.set(CsvDialect(sep, decimal, tuple(na_values), default_na))
    try:
        yield current_dialect()
    finally:
        _CURRENT.reset(token)
