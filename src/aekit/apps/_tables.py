"""Integer coding tables and the entropy coder that uses them.

Every table is a vector of positive integer frequencies over a range of symbols ``lo, lo+1,
...``. Decoding depends only on these integers (stored in the stream or in the model file), never
on floating-point maths that could round differently on another machine: the stream's Laplace
tables are built here with integer arithmetic alone, and ``constriction`` turns the same integers
into the same fixed-point model everywhere (its rescaling uses only exact IEEE arithmetic).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aekit.apps._stream import Reader, write_varint

FREQ_BITS = 20  # the mode of a Laplace table gets about 2**20; constriction rescales to 24 bits
FIXED_BITS = 30  # fixed-point fraction bits of the decay powers
DECAY_BITS = 16  # the decay is stored as an integer over 2**16
MAX_SYMBOLS = 1 << 16  # symbols per dimension a table may span


@dataclass(frozen=True)
class Table:
    """Frequencies ``freq`` (int64, all >= 1) of the symbols ``lo .. lo + len(freq) - 1``."""

    lo: int
    freq: np.ndarray

    @property
    def hi(self) -> int:
        return self.lo + len(self.freq) - 1


def _fixed_power(decay_q: int, exponents: np.ndarray) -> np.ndarray:
    """``floor(2**30 * (decay_q / 2**16) ** e)`` per exponent, by repeated squaring in int64
    fixed point (products stay below 2**61): the same integers on every machine."""
    base = np.int64(decay_q) << (FIXED_BITS - DECAY_BITS)
    result = np.full(exponents.shape, 1 << FIXED_BITS, dtype=np.int64)
    remaining = exponents.astype(np.int64)
    while remaining.any():
        odd = (remaining & 1).astype(bool)
        result[odd] = (result[odd] * base) >> FIXED_BITS
        base = (base * base) >> FIXED_BITS
        remaining >>= 1
    return result


def laplace_table(lo: int, length: int, center: int, decay_q: int) -> Table:
    """A discretised Laplace (two-sided geometric) table: frequency ``~ r ** |k - center|`` with
    ``r = decay_q / 2**16``, floored at 1 so every symbol in range stays codable."""
    distance = np.abs(np.arange(lo, lo + length, dtype=np.int64) - center)
    weights = _fixed_power(decay_q, distance)
    return Table(lo, 1 + ((weights << FREQ_BITS) >> FIXED_BITS))


# decays tried by the encoder: scales from a twentieth of a step to thousands of steps
_DECAYS = np.unique(np.clip(np.round(np.exp(-1 / np.geomspace(0.05, 5000, 48)) * 2**DECAY_BITS),
                            1, 2**DECAY_BITS - 1).astype(np.int64))


@dataclass(frozen=True)
class LaplaceParams:
    lo: int
    length: int
    center: int
    decay_q: int

    def table(self) -> Table:
        return laplace_table(self.lo, self.length, self.center, self.decay_q)

    def write(self, out: bytearray) -> None:
        write_varint(out, _zigzag(self.lo))
        write_varint(out, self.length - 1)
        write_varint(out, self.center - self.lo)
        out += int(self.decay_q).to_bytes(2, "little")

    @classmethod
    def read(cls, reader: Reader) -> LaplaceParams:
        lo = _unzigzag(reader.varint())
        length = reader.varint() + 1
        center = lo + reader.varint()
        decay_q = int.from_bytes(reader.take(2), "little")
        if length > MAX_SYMBOLS or not 0 < decay_q < 2**DECAY_BITS or center >= lo + length:
            raise ValueError("compressed stream holds an invalid coding table")
        return cls(lo, length, center, decay_q)


def fit_laplace(symbols: np.ndarray, dim: int) -> LaplaceParams:
    """The Laplace table (of the candidate decays) that codes ``symbols`` in the fewest bits.
    Only the encoder runs this; the decoder reads the chosen integers from the stream."""
    lo, hi = (int(symbols.min()), int(symbols.max())) if len(symbols) else (0, 0)
    length = hi - lo + 1
    if length > MAX_SYMBOLS:
        raise ValueError(f"code dimension {dim} spans {length} quantisation steps (at most "
                         f"{MAX_SYMBOLS}): compress with a larger step")
    counts = np.bincount(symbols - lo, minlength=length) if len(symbols) else np.ones(1)
    center = lo + int(np.argmax(counts))
    best, best_bits = None, np.inf
    for decay_q in _DECAYS:
        freq = laplace_table(lo, length, center, int(decay_q)).freq
        bits = -(counts * np.log2(freq / freq.sum())).sum()
        if bits < best_bits:
            best, best_bits = int(decay_q), bits
    return LaplaceParams(lo, length, center, best)


def _zigzag(value: int) -> int:
    return 2 * value if value >= 0 else -2 * value - 1


def _unzigzag(value: int) -> int:
    return value // 2 if value % 2 == 0 else -(value + 1) // 2


def constriction_module():
    """``constriction``, imported on first use (the optional "compress" extra)."""
    try:
        import constriction
    except ImportError:
        raise ImportError("compression needs the constriction package: "
                          "pip install 'aekit[compress]'") from None
    return constriction


def _model(table: Table):
    return constriction_module().stream.model.Categorical(table.freq.astype(np.float64),
                                                          perfect=False)


def encode(symbols: np.ndarray, tables: list[Table]) -> np.ndarray:
    """Range-code ``symbols`` ``(n, d)`` column by column; returns the coder's uint32 words."""
    encoder = constriction_module().stream.queue.RangeEncoder()
    for j, table in enumerate(tables):
        if len(table.freq) == 1:
            continue  # a single symbol costs nothing (and constriction refuses such a model)
        encoder.encode((symbols[:, j] - table.lo).astype(np.int32), _model(table))
    return encoder.get_compressed()


def decode(words: np.ndarray, tables: list[Table], n_rows: int) -> np.ndarray:
    """Inverse of ``encode``: symbols ``(n_rows, d)`` as int64."""
    decoder = constriction_module().stream.queue.RangeDecoder(words)
    out = np.empty((n_rows, len(tables)), dtype=np.int64)
    try:
        for j, table in enumerate(tables):
            if len(table.freq) == 1:
                out[:, j] = table.lo
            else:
                out[:, j] = decoder.decode(_model(table), n_rows) + table.lo
    except (ValueError, RuntimeError, AssertionError) as error:
        raise ValueError(f"compressed stream cannot be decoded: {error}") from None
    if not decoder.maybe_exhausted():
        raise ValueError("compressed stream holds more data than its codes")
    return out
