"""The byte layout of a compressed stream: a small versioned header, the payload, a checksum.

Layout (version 1; integers little-endian, ``varint`` = LEB128)::

    magic        4 bytes   b"AEKZ"
    version      1 byte    1
    flags        1 byte    bit 0: the coding tables come from the model (else from the stream)
    fingerprint  8 bytes   the first 8 bytes of the model's sha256 fingerprint
    n_rows       varint
    latent_dim   varint
    step         float32   quantisation step of the codes
    [tables]     per dimension, when flag bit 0 is clear: see ``_tables.LaplaceTable``
    payload      the range coder's 32-bit words, little-endian, without trailing zero bytes
    crc32        4 bytes   zlib.crc32 of everything before it
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

MAGIC = b"AEKZ"
VERSION = 1
FLAG_MODEL_TABLES = 1
FINGERPRINT_BYTES = 8
_FIXED = struct.Struct("<4sBB8s")  # magic, version, flags, fingerprint


@dataclass(frozen=True)
class Header:
    flags: int
    fingerprint: bytes
    n_rows: int
    latent_dim: int
    step: float


def write_varint(out: bytearray, value: int) -> None:
    if value < 0:
        raise ValueError("varints are unsigned")
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return


class Reader:
    """Reads a stream front to back; running past its end raises ``ValueError``."""

    def __init__(self, data: bytes, start: int = 0):
        self.data, self.pos = data, start

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("compressed stream is truncated")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def varint(self) -> int:
        value = shift = 0
        while True:
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7
            if shift > 63:
                raise ValueError("compressed stream holds a malformed integer")

    def rest(self) -> bytes:
        chunk = self.data[self.pos:]
        self.pos = len(self.data)
        return chunk


def pack(header: Header, tables: bytes, payload: bytes) -> bytes:
    """The whole stream, checksum included."""
    out = bytearray(_FIXED.pack(MAGIC, VERSION, header.flags, header.fingerprint))
    write_varint(out, header.n_rows)
    write_varint(out, header.latent_dim)
    out += struct.pack("<f", header.step)
    out += tables
    out += payload
    out += struct.pack("<I", zlib.crc32(out))
    return bytes(out)


def unpack(data: bytes) -> tuple[Header, Reader]:
    """The header, and a reader positioned at the tables (the checksum already cut off).

    Raises ``ValueError`` for data that is not an aekit stream, is damaged or truncated, or was
    written by a newer format version.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"a compressed stream is bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < _FIXED.size + 4 or data[:4] != MAGIC:
        raise ValueError("not an aekit compressed stream (bad magic bytes or too short)")
    body, (crc,) = data[:-4], struct.unpack("<I", data[-4:])
    if zlib.crc32(body) != crc:
        raise ValueError("compressed stream is corrupted or truncated (checksum mismatch)")
    _, version, flags, fingerprint = _FIXED.unpack_from(body)
    if version != VERSION:
        raise ValueError(f"compressed stream has format version {version}; this aekit reads "
                         f"version {VERSION}: use the aekit version that wrote it")
    reader = Reader(body, _FIXED.size)
    n_rows, latent_dim = reader.varint(), reader.varint()
    (step,) = struct.unpack("<f", reader.take(4))
    if not step > 0 or latent_dim < 1:
        raise ValueError("compressed stream has an invalid header")
    return Header(flags, fingerprint, n_rows, latent_dim, step), reader


def words_to_bytes(words: np.ndarray) -> bytes:
    """Range-coder words as bytes, trailing zero bytes of the last word dropped."""
    raw = words.astype("<u4").tobytes()
    keep = len(raw)
    while keep > len(raw) - 3 and keep > 0 and raw[keep - 1] == 0:
        keep -= 1
    return raw[:keep]


def bytes_to_words(raw: bytes) -> np.ndarray:
    """Inverse of ``words_to_bytes``."""
    padded = raw + b"\0" * (-len(raw) % 4)
    return np.frombuffer(padded, dtype="<u4").astype(np.uint32)
