"""Compression: data to bytes and back through any fitted aekit model.

``compress`` encodes the rows, quantises the codes at a uniform step and range-codes them
(``constriction``) with integer frequency tables; ``decompress`` decodes the codes and the model
decodes them back to rows. The stream (``_stream``) names its model by a fingerprint, carries a
format version and a CRC-32, and decoding depends only on integers: the codes come back identical
on every machine, so the reconstruction is exactly what the model's decoder makes of them.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from aekit.apps import _stream, _tables
from aekit.estimators import BaseAutoencoder, SequenceAutoencoder
from aekit.estimators._inference import UNIT_SLIP, refuse_unit_slip
from aekit.estimators._params import RUN_ONLY_PARAMS

# A default step for models without their own: a twentieth of the codes' typical spread, so the
# quantisation noise (step / sqrt(12)) stays near 1.5% of it.
DEFAULT_STEP_FRACTION = 1 / 20
# rows below which the codes' spread, and so the default step, depends on which rows they are
MIN_STEP_ROWS = 20


def model_fingerprint(model: BaseAutoencoder) -> bytes:
    """sha256 of what decides the model's decoding: its weights, scaling, coding tables and
    the parameters and fitted settings (not the training history, device or run options)."""
    tensors, config = model._model_state()
    identity = {
        "model": config.get("model"),
        "params": {k: v for k, v in config.get("params", {}).items() if k not in RUN_ONLY_PARAMS},
        "fitted": {k: v for k, v in config.get("fitted", {}).items()
                   if k not in ("history_", "n_epochs_")},
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode())
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.digest()


def _check_model(model) -> None:
    if not isinstance(model, BaseAutoencoder):
        own = getattr(model, "model_", None)  # a detector's autoencoder is not its own
        hint = (": compress with an autoencoder (a CompressionAutoencoder, 'aekit fit --model "
                "compression', codes smallest)" if isinstance(own, BaseAutoencoder) else "")
        raise TypeError(f"model must be a fitted aekit autoencoder, got "
                        f"{type(model).__name__}{hint}")
    check_is_fitted(model)


def _a(name: str) -> str:
    return f"{'an' if name[0] in 'AEIOU' else 'a'} {name}"


def _model_tables(model) -> list[_tables.Table] | None:
    """The model's own coding tables (a ``CompressionAutoencoder``'s learned prior), if any."""
    tables = getattr(model, "coding_tables", None)
    return [_tables.Table(lo, freq) for lo, freq in tables()] if callable(tables) else None


def _resolve_step(model, codes: np.ndarray, step) -> float:
    if step is None and _model_tables(model) is not None:
        step = 1.0  # a model with its own tables codes integers
    elif (_model_tables(model) is not None and isinstance(step, numbers.Real)
          and not isinstance(step, bool) and 0 < step < 1):
        raise ValueError(f"step={step:g} (--step): a CompressionAutoencoder's codes are whole "
                         "numbers, which a step below 1 only codes in more bytes, each the "
                         "same; leave the step at 1, give a larger one for smaller streams, or "
                         "fit with a smaller lmbda for finer ones")
    if step is None:
        spread = float(np.mean(codes.std(axis=0))) if len(codes) else 0.0
        if len(codes) < MIN_STEP_ROWS or not spread > 0:
            why = (f"it needs at least {MIN_STEP_ROWS} rows, not {len(codes)}"
                   if len(codes) < MIN_STEP_ROWS else "these rows all have the same code")
            raise ValueError(f"the default step is a twentieth of the codes' spread over the "
                             f"rows compressed together, and {why}: give step= (--step), such "
                             "as the step of a larger batch of the same data")
        step = spread * DEFAULT_STEP_FRACTION
    if isinstance(step, bool) or not isinstance(step, (int, float, np.floating, np.integer)) \
            or not (math.isfinite(step) and step > 0):
        raise ValueError(f"step must be a positive number, got {step!r}")
    return float(np.float32(step))  # what the header stores, so both sides use the same


def _check_refine(refine) -> None:
    if isinstance(refine, bool) or not isinstance(refine, (int, np.integer)) or refine < 0:
        raise ValueError(f"refine must be a whole number of steps >= 0, got {refine!r}")


def _codes(model, X, step, refine: int) -> np.ndarray:
    """The codes to quantise: the encoder's, or (``refine`` > 0) fitted row by row."""
    _check_refine(refine)
    if not refine:
        return np.asarray(model.transform(X), dtype=np.float64)  # a DataFrame under set_output
    if not callable(getattr(model, "refined_transform", None)):
        raise TypeError("refine (--refine) needs a CompressionAutoencoder (its learned prior "
                        f"prices the codes); {_a(type(model).__name__)} has none: leave it at "
                        "0")
    if step is not None and step != 1:
        raise ValueError(f"refine (--refine) fits the codes at the model's own step (1), not "
                         f"step={step:g}: leave the step (--step) unset")
    return model.refined_transform(X, int(refine)).astype(np.float64)


def compress(model: BaseAutoencoder, X, *, step: float | None = None, refine: int = 0) -> bytes:
    """Compress the rows of ``X`` with a fitted aekit ``model`` into one byte stream.

    The codes ``model.transform(X)`` are rounded to multiples of ``step`` and range-coded. A
    ``CompressionAutoencoder`` codes with its learned entropy model (step 1, no tables in the
    stream); any other model gets per-dimension Laplace tables fitted to the codes and stored in
    the stream (a few bytes per code dimension).

    Parameters
    ----------
    model : BaseAutoencoder
        A fitted aekit model; ``decompress`` needs the same one.
    X : array-like
        Rows in the shape the model was trained on.
    step : float or None, default=None
        Quantisation step of the codes. None: the model's own (1 for a
        ``CompressionAutoencoder``), else a twentieth of the codes' mean standard deviation
        over the rows of ``X`` (at least 20 rows, not all alike; else give it).
    refine : int, default=0
        ``CompressionAutoencoder`` only: fit each row's code with this many steps of gradient
        descent on its own ``distortion + lmbda * rate`` (``refined_transform``). Encoding is
        slower by about that many decoder passes; the stream decodes as any other. On MNIST's
        test images, 100 steps gave 0.9 to 1.9 dB more for 1.3 to 3.4% more bytes
        (BENCHMARKS.md).

    Returns
    -------
    bytes
        Header (magic, version, model fingerprint, shape, step), payload, CRC-32.
    """
    _check_model(model)
    _check_no_padding(model, X)
    refuse_unit_slip(model, X, "compressing it")  # a lossy, one-way stream of nonsense
    codes = _codes(model, X, step, refine)  # (the rows' shape checked)
    _refuse_other_units(model, X)
    step = _resolve_step(model, codes, step)
    with np.errstate(over="ignore"):
        steps = np.rint(codes / step)
    widest = float(np.abs(steps).max()) if steps.size else 0.0
    if not widest < 2**31:  # before the cast: an int64 would wrap, and no table spans that
        raise ValueError(f"the codes span {widest:.3g} quantisation steps of {step:g}: "
                         "compress with a larger step")
    symbols = steps.astype(np.int64)
    tables, flags, table_bytes = _model_tables(model), 0, bytearray()
    if step == 1.0 and tables is not None and _fits(symbols, tables):
        flags = _stream.FLAG_MODEL_TABLES
    else:  # no model tables, or codes outside them: the stream carries its own
        params = [_tables.fit_laplace(symbols[:, j], j) for j in range(symbols.shape[1])]
        for p in params:
            p.write(table_bytes)
        tables = [p.table() for p in params]
    header = _stream.Header(flags, model_fingerprint(model)[:_stream.FINGERPRINT_BYTES],
                            len(symbols), symbols.shape[1], step)
    payload = _stream.words_to_bytes(_tables.encode(symbols, tables))
    return _stream.pack(header, bytes(table_bytes), payload)


OUTSIDE_SHARE = 0.25  # of the values beyond the training range: rows in other units


def _refuse_other_units(model, X) -> None:
    """Refuse rows in other units than the training data's, which ``refuse_unit_slip`` lets
    through (a trial): most values outside the training range (images in [-1, 1] to a model
    of [0, 1]), or fractions in [0, 1] to a model of values in [0, 255], most of its features
    above 2 (pixels scaled to [0, 1] given to a model of 8-bit ones: inside the range, at its
    dark end). Either way the stream would hold a lossy copy of the wrong rows."""
    low, high = getattr(model, "data_min_", None), getattr(model, "data_max_", None)
    if low is None or high is None or hasattr(X, "n_rows"):
        return
    values = np.asarray(X)
    if values.dtype.kind not in "iuf" or not values.size or not np.isfinite(values).all():
        return  # (transform refuses NaN; a sequence's padding is checked elsewhere)
    lo, hi = float(np.min(low)), float(np.max(high))  # columns may come in any order
    given = float(values.min()), float(values.max())
    trained = f"the model was trained on values in [{lo:.4g}, {hi:.4g}]"
    outside = float(np.mean((values < lo) | (values > hi)))
    if outside > OUTSIDE_SHARE:
        raise ValueError(f"{outside:.0%} of X's values lie outside the training range "
                         f"(X: {given[0]:.4g} to {given[1]:.4g}; {trained}): scale X as the "
                         "training data was before compressing it")
    lo_ok = 0 <= lo and hi <= 255
    pixels = lo_ok and np.mean(high > UNIT_SLIP) > 0.5
    fractions = values.dtype.kind == "f" and bool(np.any(values % 1))
    if pixels and given[0] >= 0 and given[1] <= 1 and fractions:
        raise ValueError(f"X holds fractions in [0, 1], but {trained}: scale X as the "
                         "training data was (pixels scaled to [0, 1] by / 255 go back by "
                         "X * 255) before compressing it")


def _fits(symbols: np.ndarray, tables: list[_tables.Table]) -> bool:
    if len(tables) != symbols.shape[1]:
        return False
    return all(len(symbols) == 0 or (t.lo <= symbols[:, j].min() and symbols[:, j].max() <= t.hi)
               for j, t in enumerate(tables))


def _check_no_padding(model, X) -> None:
    """Refuse padded sequences: a stream keeps no lengths, so the padding would come back as
    values of steps that never were."""
    if isinstance(model, SequenceAutoencoder) and not hasattr(X, "n_rows"):  # not a source
        values = np.asarray(X)
        if values.dtype.kind == "f" and np.isnan(values).any():
            raise ValueError("the sequences are padded with NaN (of several lengths): a stream "
                             "keeps no lengths, so decompress would return the padding as "
                             "values; compress sequences of one length (group them by length)")


def stream_step(data: bytes) -> float:
    """The quantisation step of the codes in a stream ``compress`` wrote (its header's)."""
    return _stream.unpack(data)[0].step


def decompress(data: bytes, model: BaseAutoencoder) -> np.ndarray:
    """Rebuild the rows compressed by ``compress(model, X)``, in ``X``'s shape and units;
    pixels within their range: data trained in [0, 1] come back in [0, 1], and 8-bit pixels
    (images, or data from 0 to above 127) in [0, 255].

    Raises ``ValueError`` when ``data`` is not an intact aekit stream (damaged, truncated, of a
    newer format version) or was written with another model.
    """
    _check_model(model)
    header, reader = _stream.unpack(data)
    expected = model_fingerprint(model)[:_stream.FINGERPRINT_BYTES]
    if header.fingerprint != expected:
        raise ValueError(f"the stream was written with another model (fingerprint "
                         f"{header.fingerprint.hex()}, this model's is {expected.hex()}): "
                         "decompress with the model that compressed it")
    width = len(model.get_feature_names_out())  # transform's: an ensemble's, all members'
    if header.latent_dim != width:
        raise ValueError(f"the stream holds codes of size {header.latent_dim}, the model's are "
                         f"{width}")
    if header.flags & _stream.FLAG_MODEL_TABLES:
        tables = _model_tables(model)
        if tables is None:
            raise ValueError("the stream needs the coding tables of a CompressionAutoencoder")
    else:
        tables = [_tables.LaplaceParams.read(reader).table() for _ in range(header.latent_dim)]
    words = _stream.bytes_to_words(reader.rest())
    symbols = _tables.decode(words, tables, header.n_rows)
    codes = (symbols * header.step).astype(np.float32)
    rows = model.inverse_transform(codes)
    return _within_training_range(model, rows)


def _within_training_range(model, rows: np.ndarray) -> np.ndarray:
    """``rows`` clipped to the range of pixels, [0, 1] or [0, 255], where the training data
    were pixels (``_pixel_range``): a decoder's overshoot only adds error there (a trial:
    8-bit pixels came back from -102 to 406, which wrap around in uint8). Other data is left
    as decoded: a new row may lie outside the training range (a drifted sensor), which a clip
    would pin to its edge. A model saved before it kept its range: [0, 1] where it was
    trained in it."""
    bounds = _pixel_range(model)
    if bounds is not None:
        return np.clip(rows, *bounds, out=rows)
    if not hasattr(model, "data_min_") and model._saw_unit_data:
        np.clip(rows, 0, 1, out=rows)
    return rows


def _pixel_range(model) -> tuple[float, float] | None:
    """The range of the pixels the training data were: ``(0, 1)`` for data in [0, 1], and
    ``(0, 255)`` for images (a convolutional model) of values up to 255 and for data from 0
    to above 127 (flattened 8-bit images, whose brightest pixel need not be 255); else None
    (readings of 14 to 37, counts of 0 to 50: no pixels, though they lie in [0, 255])."""
    low, high = getattr(model, "data_min_", None), getattr(model, "data_max_", None)
    if low is None or high is None or not low.size:
        return None
    lowest, highest = float(np.min(low)), float(np.max(high))
    if not 0 <= lowest <= highest <= 255:
        return None
    if highest <= 1:
        return 0.0, 1.0
    images = getattr(model, "architecture", None) == "conv"
    return (0.0, 255.0) if images or (lowest == 0 and highest > 127) else None


@dataclass
class RatePoint:
    """One operating point of ``rate_distortion_curve``."""

    lmbda: float
    n_bytes: int  # the whole stream for X_test, header and checksum included
    bytes_per_row: float
    bits_per_value: float
    mse: float
    psnr: float  # dB, against ``peak``: 1 for data in [0, 1], 255 for 8-bit pixels, else the
    # test rows' range
    # mean squared error in the units score() uses (each feature's training deviation; one
    # unit for data in [0, 1]): for tables, whose columns have units of their own (a mse or
    # psnr in data units is the widest column's)
    nmse: float
    model: BaseAutoencoder


def rate_distortion_curve(X_train, X_test, lmbdas=(0.01, 0.1, 1.0), *, refine: int = 0,
                          peak: float | None = None, **params) -> list[RatePoint]:
    """Fit one ``CompressionAutoencoder`` per ``lmbda`` on ``X_train`` (other parameters from
    ``params``) and measure each on ``X_test``, compressed with ``refine`` (see ``compress``):
    real compressed bytes against mean squared error and PSNR. Points come back in the order
    of ``lmbdas``.

    ``peak`` is the PSNR's largest possible value, as image codecs count it: by default 1 for
    data in [0, 1] and 255 for 8-bit pixels (whole numbers in [0, 255] reaching above 127), so
    that the figures compare with JPEG's, WebP's or AVIF's on the same images; other data: the
    test rows' peak-to-peak range."""
    from aekit.estimators.compression import CompressionAutoencoder

    _check_refine(refine)
    X_test = np.asarray(X_test)
    peak = _psnr_peak(X_train, X_test) if peak is None else float(peak)
    if not (math.isfinite(peak) and peak > 0):
        raise ValueError(f"peak must be a positive number, got {peak!r}")
    points = []
    for lmbda in lmbdas:
        model = CompressionAutoencoder(lmbda=lmbda, **params).fit(X_train)
        data = compress(model, X_test, refine=refine)
        errors = decompress(data, model) - X_test
        mse = float(np.mean(np.square(errors)))
        points.append(RatePoint(float(lmbda), len(data), len(data) / max(len(X_test), 1),
                                8 * len(data) / max(X_test.size, 1), mse,
                                10 * math.log10(peak**2 / mse) if mse > 0 else math.inf,
                                float(np.mean(np.square(errors / model.score_scale_))), model))
    return points


def _psnr_peak(X_train, X_test: np.ndarray) -> float:
    """The largest possible value of images like ``X_train`` and ``X_test``: 1 for data in
    [0, 1]; 255 for 8-bit pixels (whole numbers in [0, 255] reaching above 127); else the
    test rows' peak-to-peak range (one unit for every feature), as for other data."""
    values = [np.asarray(X, dtype=np.float64) for X in (X_train, X_test)]
    lowest = min(float(np.nanmin(v)) for v in values)
    highest = max(float(np.nanmax(v)) for v in values)
    if lowest >= 0 and highest <= 1:
        return 1.0
    whole = all(np.array_equal(v[np.isfinite(v)], np.round(v[np.isfinite(v)])) for v in values)
    if lowest >= 0 and 127 < highest <= 255 and whole:
        return 255.0
    return float(np.ptp(X_test)) or 1.0
