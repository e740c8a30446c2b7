"""What ``aekit detect`` runs (its parser is in ``aekit.cli_detect``, which imports nothing
heavy): flag anomalous rows of a table, or anomalous steps of a series."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from aekit._cli_common import (
    check_data_path,
    check_model_path,
    header_of,
    id_columns_noted,
    model_input,
    note,
    say_notes,
)
from aekit._detect_frame import frame_with_categories, reads_text, text_columns
from aekit._series_frame import (
    named_time,
    note_uneven_steps,
    numeric_column,
    read_frame,
    stored_index,
    with_range_index,
)
from aekit.io import atomic_path, read_table
from aekit.io.formats import RESULTS_HELP, format_of
from aekit.io.tables import (
    UNNAMED_INDEX,
    csv_column_text,
    csv_columns_as_written,
    output_index_name,
    times_as_pandas_writes,
    write_arrow_table,
)

OUTPUTS = (".csv", ".parquet")
TOP_FEATURES = 3
RESULT_NAMES = {"score", "label", *(f"{kind}_{k + 1}" for kind in ("feature", "share")
                                    for k in range(TOP_FEATURES))}


def run_detect(args) -> None:
    if args.output is None and args.save is None:
        raise ValueError("give -o OUT for the results, --save FILE for the detector, or both")
    check_data_path(args.output, "-o", (args.data, args.model, args.refit_threshold), OUTPUTS,
                    RESULTS_HELP)
    check_model_path(args.save, "--save", (args.data,))
    if args.model and (args.contamination != "auto" or args.window != "auto"
                       or args.random_state is not None):
        raise ValueError("--contamination, --window and --random-state apply when fitting a "
                         "detector; a saved one (--model) keeps its own threshold and window")
    if args.random_state is None:
        args.random_state = 0  # detect's fits are repeatable unless told otherwise
    if args.refit_threshold and not args.model:
        raise ValueError("--refit-threshold raises a saved detector's threshold: give --model "
                         "FILE (a detector fitted on DATA sets its own)")
    detector = _load_detector(args.model) if args.model else None
    series = args.series is not None or type(detector).__name__ == "SeriesAnomalyDetector"
    if args.header is not None and series:
        raise ValueError("--header and --no-header apply to tables; a series file needs a "
                         "header row naming its columns")
    if args.categories and (series or args.model):
        raise ValueError("--categories names a table's columns of codes for a detector to be "
                         "fitted; " + ("a series' channels are numbers" if series else
                                       "a saved one (--model) knows its categories"))
    if args.window != "auto" and not series:
        raise ValueError("--window applies to a series (--series NAME,...): a table's rows "
                         "are scored one by one")
    if series:
        if args.columns or args.drop:
            raise ValueError("--columns and --drop choose a table's columns; name a series' "
                             "value columns with --series")
        _detect_series(args, detector)
    else:
        _detect_rows(args, detector)


def _load_detector(path: str):
    from aekit import AnomalyDetector, SeriesAnomalyDetector, load

    detector = load(path)
    if not isinstance(detector, (AnomalyDetector, SeriesAnomalyDetector)):
        raise ValueError(  # noqa: TRY004 - a wrong file, not a wrong argument type
            f"{path} holds an aekit {detector.model_name} model, not a detector: save one with "
            "'aekit detect DATA --save FILE'")
    return detector


def _detect_rows(args, detector) -> None:
    from aekit import AnomalyDetector
    from aekit.estimators._frames import is_frame

    table = read_table(args.data, columns=args.columns, drop=args.drop, index=args.time,
                       header=header_of(args, args.data, detector), text=reads_text(detector),
                       text_columns=text_columns(detector, args.categories))
    say_notes(table, args.data, detector)
    X = table.X
    if X.ndim != 2:
        raise ValueError(f"{args.data} must be a table (rows, features), got shape {X.shape}")
    if table.index is not None and (table.index_name or "index") in RESULT_NAMES:
        raise ValueError(f"--time {table.index_name}: the results have a column of that name: "
                         "rename the time column first")
    rows = detector_rows(table, detector, args.data, args.categories)  # matched by name
    columns = [str(name) for name in (rows.columns if is_frame(rows) else getattr(
        rows, "column_names", None) or [f"x{i}" for i in range(X.shape[1])])]
    if args.refit_threshold:
        recent = read_table(args.refit_threshold, columns=args.columns, drop=args.drop,
                            index=args.time, header=header_of(args, args.refit_threshold,
                                                              detector),
                            text=reads_text(detector), text_columns=text_columns(detector))
        say_notes(recent, args.refit_threshold, detector)
        _refit(detector, detector_rows(recent, detector, args.refit_threshold),
               args.refit_threshold)
    if detector is None:
        with id_columns_noted(rows):
            detector = AnomalyDetector(contamination=args.contamination,
                                       random_state=args.random_state).fit(rows)
    scores, labels = detector.score_samples(rows), detector.predict(rows)
    results = {"score": scores, "label": labels}
    index = None  # --time (or an unnamed index column) beside each row, as written
    if table.index is not None:
        text = csv_column_text(args.data, table.index_name, args.header, table.index)
        index = output_index_name(table.index_name, args.output or "")
        results = {index: table.index if text is None else text, **results}
    shares = np.asarray(detector.score_features(rows))
    top = np.argsort(-shares, axis=1)[:, :TOP_FEATURES]
    for k in range(top.shape[1]):
        results[f"feature_{k + 1}"] = [columns[i] for i in top[:, k]]
        results[f"share_{k + 1}"] = np.take_along_axis(shares, top[:, k:k + 1], 1)[:, 0]
    _finish(args, detector, pa.table(results), index)
    print(f"{int((labels == -1).sum())} of {len(X)} rows flagged as anomalies "
          f"(score below {detector.offset_:.4g})")


def detector_rows(table, detector, source: str, categories=()):
    """What the detector takes: a DataFrame where the table holds text or ``categories`` (the
    names ``--categories`` gives), else the named table ``model_input`` makes."""
    frame = frame_with_categories(table, detector, source, categories)
    return model_input(table, detector, source) if frame is None else frame


def _detect_series(args, detector) -> None:
    from aekit import SeriesAnomalyDetector

    given = args.series.split(",") if args.series is not None else None
    data = read_series(args.data, given, args.time, detector)
    series, times = data.series, data.times
    if args.refit_threshold:
        _refit(detector, read_series(args.refit_threshold, given, args.time, detector).series,
               args.refit_threshold)
    if detector is None:
        detector = SeriesAnomalyDetector(window=args.window, contamination=args.contamination,
                                         random_state=args.random_state).fit(series)
    results, index = {}, None
    if data.time is not None:  # an index pandas wrote is written back as one (Parquet: its)
        as_index = data.stored or data.time in UNNAMED_INDEX
        name = output_index_name(data.time, args.output or "") if as_index else data.time
        index = name if as_index else None
        typed = args.output is not None and format_of(args.output) == ".parquet"
        results[name] = data.frame[data.time] if typed else times  # CSV: as the file wrote it
    if {"score", "label"} & set(results):
        raise ValueError(f"the time column {data.time!r}: the results have a column of that "
                         "name: rename the time column first")
    results["score"] = detector.score_steps(series)
    results["label"] = detector.predict_steps(series)
    _finish(args, detector, pa.table(results), index)
    stamps = None if data.time is None else times_as_pandas_writes(  # as a CSV prints them
        pa.table({"t": times})).column(0).cast(pa.string()).to_pylist()
    windows = detector.anomaly_windows(series)
    print(f"{len(windows)} anomalous windows in {len(series)} steps "
          f"(window length {detector.window_}):")
    for start, end in windows:
        where = f"{stamps[start]} .. {stamps[end - 1]}" if stamps is not None else ""
        print(f"  steps {start}-{end - 1} {where}".rstrip())


def _refit(detector, recent, path: str) -> None:
    """``refit_threshold`` on the ``recent`` rows or steps (of ``path``), and what it did to
    the threshold; its errors name ``path``, not DATA."""
    before = detector.threshold_
    with warnings.catch_warnings():  # (its warning of a kept threshold: said below)
        warnings.filterwarnings("ignore", message=".*threshold_ stays")
        try:
            detector.refit_threshold(recent)
        except ValueError as error:
            text = str(error)
            text = f"it {text[2:]}" if text.startswith("X ") else text
            raise ValueError(f"--refit-threshold {path}: {text}") from None
    if detector.threshold_ > before:
        note(f"--refit-threshold: the threshold raised from {before:.4g} to "
             f"{detector.threshold_:.4g}")
    else:
        note(f"--refit-threshold: the threshold kept at {before:.4g} (the stretch gives a "
             "lower one, and it is never lowered)")


class SeriesData(NamedTuple):
    """A series file as the series commands read it (``read_series``)."""

    frame: pa.Table  # the whole file
    series: pa.Table  # the value columns, as floats under their names
    times: pa.ChunkedArray | None  # the time column as the file wrote it
    time: str | None  # its name: --time's, or that of the index pandas wrote into the file
    stored: bool  # whether the time is that index (found, not named by --time)


def read_series(path: str, given: list[str] | None, time: str | None, detector,
                option: str = "--series") -> SeriesData:
    """The file, its value columns (``series_names``; a detector keeps their names and checks
    them when it scores), and the ``time`` column as the file wrote it (without ``time``, the
    index pandas wrote into the file, if any; a note when its steps are uneven)."""
    frame = read_frame(path)
    time = named_time(frame, time)
    channels = given or [str(n) for n in getattr(detector, "feature_names_in_", ())]
    if time is None:
        frame = with_range_index(frame)
    stored = time is None and (time := stored_index(frame, path, channels)) is not None
    names = series_names(given, time, frame, detector, path, option)
    series = pa.table({name: numeric_column(frame, name, path) for name in names})
    if time is None:
        return SeriesData(frame, series, None, None, False)
    note_uneven_steps(frame[time], time)
    times = csv_columns_as_written(path, frame.select([time]), [time])[time]
    return SeriesData(frame, series, times, time, stored)


def series_names(given: list[str] | None, time: str | None, frame: pa.Table, detector,
                 path: str, option: str = "--series") -> list[str]:
    """The series' value columns, checked against ``frame``: those ``given`` (by ``option``),
    put in a saved detector's order (by name, with a note); a saved detector's own; else every
    numeric column but the ``time`` one."""
    known = getattr(detector, "feature_names_in_", None)
    if known is None:
        names = given or [field.name for field in frame.schema if field.name != time and (
            pa.types.is_integer(field.type) or pa.types.is_floating(field.type))
            and field.name not in UNNAMED_INDEX]  # row numbers, where dates are the time
    else:
        names = [str(name) for name in known]
        if given is not None and sorted(given) != sorted(names):
            raise ValueError(f"{option} {','.join(given)}: the detector was trained on the "
                             f"channels {','.join(names)}: name those (in any order)")
        if given is not None and given != names:
            note(f"{option}: channels put in the detector's order ({','.join(names)})")
    if not names or not all(names):
        raise ValueError(f"{option} {','.join(given or [])!r} names no column: name the "
                         "series' value columns, comma-separated")
    if time in names:
        raise ValueError(f"--time {time} is also named by {option}: a column is either the "
                         "time or a value")
    missing = [n for n in names + ([] if time is None else [time]) if n not in frame.column_names]
    if missing:
        raise ValueError(f"{path} has no column {missing[0]!r}; it has "
                         f"{', '.join(frame.column_names)}")
    return names


def _finish(args, detector, results: pa.Table, index: str | None = None) -> None:
    """Write the ``results`` (``index``: the name of its column of row labels, if any) and
    save the detector, as asked."""
    if args.output is not None:
        with atomic_path(args.output) as tmp:
            write_arrow_table(results, tmp, Path(args.output), index=index)
        print(f"wrote {results.num_rows} result{'' if results.num_rows == 1 else 's'} to "
              f"{args.output}")
    if args.save is not None:
        detector.save(args.save)
        print(f"saved the detector to {args.save}")
