"""Input and parameter checks that turn bad input into one clear sentence."""

from __future__ import annotations

import numbers

import numpy as np


def all_finite(X: np.ndarray) -> bool:
    """Whether every value of ``X`` is finite. A sum is finite only if every term is (NaN and
    inf propagate), so one pass without a temporary array settles the common case; the
    element-wise check runs only when the sum is not finite (it may merely have overflowed)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(X)):
            return True
    return bool(np.isfinite(X).all())


def check_finite(X: np.ndarray, name: str = "X", columns=None,
                 sequences: bool = False) -> None:
    """Raise ``ValueError`` naming the first NaN or infinite value in ``X`` (its column by
    name where ``columns`` gives the names; its step and channel for ``sequences``
    ``(n, steps, channels)``)."""
    if all_finite(X):
        return
    finite = np.isfinite(X)
    bad = np.argwhere(~finite)
    row, *col = bad[0]
    where = f"row {row}"
    if sequences and X.ndim == 3:
        where += f", step {col[0]}, channel {col[1]}"
    elif len(col) > 1:  # an image: its value's place in it (a trial read "column 4" for [4, 5])
        where += f", at {list(map(int, col))}"
    elif col:
        where += (f", column {str(columns[col[0]])!r}" if columns is not None and X.ndim == 2
                  else f", column {col[0]}")
    value = X[tuple(bad[0])]
    kind = "NaN" if np.isnan(value) else "inf"
    if kind == "NaN" and sequences:
        fix = ("a sequence's padding (NaN) covers every channel of its last steps; NaN "
               "elsewhere is a gap: impute it, or pass lengths=")
    elif kind == "NaN":
        fix = ("remove or impute them first (aekit.AutoencoderImputer or aekit impute fills "
               "them)")
    else:
        fix = "remove them, or clip or rescale the data"
    raise ValueError(f"{name} contains {kind} ({len(bad)} non-finite values, first at {where}): "
                     f"{fix}")


MIN_FLOAT32_STEPS = 10  # float32 values per standard deviation a column needs at least


def check_float32_resolves(X: np.ndarray, columns=None) -> None:
    """Refuse a float64 table with a column whose spread float32, the network's precision,
    cannot resolve: a large offset with a small spread (coordinates within a few metres,
    timestamps within a short window), which float32 would round to a few values or one."""
    if X.dtype != np.float64 or X.ndim != 2 or len(X) < 2:
        return
    with np.errstate(invalid="ignore", over="ignore"):  # fmax/fmin skip NaN, without copies
        high, low = np.fmax.reduce(X, axis=0), np.fmin.reduce(X, axis=0)
        peak = np.nan_to_num(np.maximum(np.abs(high), np.abs(low)))
        # the standard deviation only where the range leaves room for doubt (rarely anywhere)
        doubtful = np.flatnonzero((high - low) < 1000 * MIN_FLOAT32_STEPS * _float32_step(peak))
        spread = np.zeros(X.shape[1])
        spread[doubtful] = np.nanstd(X[:, doubtful], axis=0)
    refuse_unresolved(spread, peak, lambda i: np.nanmean(X[:, i]), columns, doubtful)


def refuse_unresolved(spread: np.ndarray, peak: np.ndarray, centre, columns=None,
                      candidates=None) -> None:
    """``ValueError`` for the first column (among ``candidates``) whose standard deviation
    ``spread`` spans fewer than ``MIN_FLOAT32_STEPS`` float32 steps at its largest magnitude
    ``peak``; ``centre(i)`` is column ``i``'s mean, for the message."""
    candidates = np.arange(len(spread)) if candidates is None else candidates
    spread, step = spread[candidates], _float32_step(peak[candidates])
    # a spread of a few float64 steps is a constant's rounding (0.1 computed two ways): not lost
    constant = spread < 1000 * np.spacing(peak[candidates])
    lost = np.flatnonzero(~constant & (spread < MIN_FLOAT32_STEPS * step))
    if not len(lost):
        return
    k, i = lost[0], candidates[lost[0]]
    name = repr(str(columns[i])) if columns is not None else str(i)
    raise ValueError(f"column {name} varies by {spread[k]:.3g} around {centre(i):.10g}, finer "
                     f"than float32 (the network's precision) tells apart there (steps of "
                     f"{step[k]:.3g}; {len(lost)} such column(s)): subtract a constant from it "
                     "first (its mean, say)")


def _float32_step(magnitude: np.ndarray) -> np.ndarray:
    return np.spacing(magnitude.astype(np.float32)).astype(np.float64)


def check_finite_steps(X: np.ndarray, lengths: np.ndarray, name: str = "X",
                       overflowed: bool = False) -> None:
    """``check_finite`` for sequences ``(n, T, F)`` whose steps from ``lengths`` on are padding
    (they may hold anything, NaN by convention). ``overflowed``: ``X`` was just cast to
    float32 from finite values, so an inf there is a value too large for float32."""
    valid = np.arange(X.shape[1])[None, :] < lengths[:, None]
    bad = ~np.isfinite(X).all(axis=2) & valid
    if not bad.any():
        return
    row, step = np.argwhere(bad)[0]
    where = f"{int(bad.sum())} time steps, first at row {row}, step {step}"
    if overflowed:
        raise ValueError(f"{name} holds values too large for float32 (|x| > 3.4e38; {where}): "
                         "rescale the data first")
    raise ValueError(f"{name} contains NaN or inf inside {where}, before the padding: remove, "
                     "impute or rescale them first")


FEW_VALUES = 10  # a column with at most this many distinct values: a constant, a flag, a count


def check_numeric_columns(X, name: str = "X") -> None:
    """Refuse a DataFrame column that does not hold numbers (strings, dates, categories), by
    name, before NumPy would fail on one of its values or turn digits in text into numbers."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):  # not a pandas DataFrame
        return
    if len(dtypes) == 0:  # NumPy would fail with "at least one array or dtype is required"
        raise ValueError(f"{name} has no columns ({len(X)} rows of nothing): pass the "
                         "columns to learn from")
    for column, dtype in dtypes.items():
        if dtype.kind == "O" and _holds_numbers(X[column]):
            continue  # numbers kept as Python objects (an astype(object) table)
        if dtype.kind in "Mm":
            raise ValueError(f"column {column!r} of {name} holds times ({dtype}), not numbers: "
                             f"make it the index (.set_index({column!r})) or drop it")
        if dtype.kind not in "biuf":
            raise ValueError(
                f"column {column!r} of {name} holds {dtype} values, not numbers: drop it, "
                "or convert it first (pd.to_numeric for numbers stored as text; "
                "aekit.AutoencoderImputer and aekit.AnomalyDetector take categorical columns)")


def _holds_numbers(column) -> bool:
    """Whether an object column holds numbers (not text, not digits written as text)."""
    from pandas.api.types import infer_dtype

    return infer_dtype(column, skipna=True) in ("floating", "integer", "mixed-integer-float",
                                                "decimal", "boolean", "empty")


def to_float32(X: np.ndarray, name: str = "X") -> np.ndarray:
    """Cast to float32, refusing values that overflow it."""
    with np.errstate(over="ignore"):
        out = X.astype(np.float32, copy=False)
    if out is not X and not all_finite(out):  # a float32 input cannot overflow its own type
        raise ValueError(f"{name} holds values too large for float32 (|x| > 3.4e38): "
                         "rescale the data first")
    return out


def _fail(name: str, requirement: str, value) -> None:
    raise ValueError(f"{name} must be {requirement}, got {value!r}")


def check_int(name: str, value, *, low: int = 1, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low
    if not ok:
        _fail(name, f"an int >= {low}" + (" or None" if allow_none else ""), value)


def check_float(name: str, value, *, low: float, high: float, high_open: bool = True,
                allow_none: bool = False, low_open: bool = False) -> None:
    if value is None and allow_none:
        return
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (
            value < high if high_open else value <= high)
    if not ok:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        _fail(name, f"a number in {left}{low}, {high}{right}" + (" or None" if allow_none else ""),
              value)


def check_choice(name: str, value, choices) -> None:
    if not isinstance(value, str) or value not in choices:
        _fail(name, "one of " + ", ".join(repr(c) for c in choices), value)


def check_bool(name: str, value) -> None:
    if not isinstance(value, (bool, np.bool_)):
        _fail(name, "True or False", value)


# what a bounded output activation can give: data beyond it can never be reconstructed
OUTPUT_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, np.inf),
                 "elu": (-1.0, np.inf), "selu": (-1.7581, np.inf), "gelu": (-0.1700, np.inf),
                 "silu": (-0.2785, np.inf)}


def check_output_range(activation: str, low: float, high: float) -> None:
    """Refuse an output activation whose values cannot reach the scaled data's range (a
    sigmoid on standardised data reconstructs nothing below each feature's mean)."""
    if activation not in OUTPUT_RANGES:
        return
    reach_low, reach_high = OUTPUT_RANGES[activation]
    if low < reach_low or high > reach_high:
        raise ValueError(
            f"output_activation={activation!r} gives values in [{reach_low:g}, {reach_high:g}], "
            f"but X after scaling spans {low:.3g} to {high:.3g}, which it can never "
            "reconstruct: use output_activation='auto', or scaling='minmax' for 'sigmoid'")
