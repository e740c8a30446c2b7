"""Data readers and writers, and the model file format. Knows nothing about estimators."""

from typing import TYPE_CHECKING

from aekit._lazy import lazy_exports

# name -> module; imported on first use, so the CLI can name FORMATS without loading NumPy
_EXPORTS = {
    "FORMATS": "aekit.io.formats",
    "STREAM_FORMATS": "aekit.io.sources",
    "ArraySource": "aekit.io.sources",
    "NpySource": "aekit.io.sources",
    "ParquetSource": "aekit.io.parquet_source",
    "Table": "aekit.io.tables",
    "align_columns": "aekit.io.tables",
    "atomic_path": "aekit.io.atomic",
    "atomic_write_bytes": "aekit.io.atomic",
    "open_source": "aekit.io.sources",
    "read_model_file": "aekit.io.model_file",
    "read_model_header": "aekit.io.model_file",
    "read_labeled_table": "aekit.io.tables",
    "read_table": "aekit.io.tables",
    "write_blocks": "aekit.io.stream_writer",
    "write_model_file": "aekit.io.model_file",
    "write_table": "aekit.io.tables",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from aekit.io.atomic import atomic_path, atomic_write_bytes
    from aekit.io.formats import FORMATS
    from aekit.io.model_file import read_model_file, read_model_header, write_model_file
    from aekit.io.parquet_source import ParquetSource
    from aekit.io.sources import STREAM_FORMATS, ArraySource, NpySource, open_source
    from aekit.io.stream_writer import write_blocks
    from aekit.io.tables import (
        Table,
        align_columns,
        read_labeled_table,
        read_table,
        write_table,
    )

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
    "read_labeled_table",
    "read_model_file",
    "read_model_header",
    "read_table",
    "write_blocks",
    "write_model_file",
    "write_table",
]
