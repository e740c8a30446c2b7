"""Data readers and writers, and the model file format. Knows nothing about estimators."""

from aekit.io.atomic import atomic_path, atomic_write_bytes
from aekit.io.model_file import read_model_file, write_model_file
from aekit.io.sources import (
    STREAM_FORMATS,
    ArraySource,
    NpySource,
    ParquetSource,
    open_source,
)
from aekit.io.tables import FORMATS, Table, align_columns, read_table, write_table

__all__ = [
    "FORMATS",
    "STREAM_FORMATS",
    "ArraySource",
    "NpySource",
    "ParquetSource",
    "Table",
    "align_columns",
    "atomic_path",
    "atomic_write_bytes",
    "open_source",
    "read_model_file",
    "read_table",
    "write_model_file",
    "write_table",
]
