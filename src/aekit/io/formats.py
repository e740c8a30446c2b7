"""The table formats aekit reads and writes, told from a file's name (no imports, so the CLI can
name them at once)."""

FORMATS = (".csv", ".tsv", ".parquet", ".pq", ".npy", ".npz")
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd"}  # of CSV and TSV files
FORMATS_HELP = f"{', '.join(FORMATS)}; CSV and TSV also as {', '.join(COMPRESSIONS)}"
RESULTS_HELP = f".csv, .tsv or .parquet; CSV and TSV also as {', '.join(COMPRESSIONS)}"
_TEXT = (".csv", ".tsv")


def suffix_of(path) -> str:
    """A file's table suffix in lower case, a compressed text file's two counted as one
    (``.csv.gz``); '' when its name has none."""
    name = str(path).replace("\\", "/").rsplit("/", 1)[-1].lower()
    for text in _TEXT:
        for packed in COMPRESSIONS:
            if name.endswith(text + packed):
                return text + packed
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def format_of(path) -> str | None:
    """What a file's name says it holds: ``.csv`` (comma- or tab-separated text, compressed or
    not), ``.parquet``, ``.npy`` or ``.npz``; None for any other name."""
    suffix = suffix_of(path)
    if suffix.startswith(_TEXT):
        return ".csv"
    if suffix in (".parquet", ".pq"):
        return ".parquet"
    return suffix if suffix in FORMATS else None


def is_tab_separated(path) -> bool:
    return suffix_of(path).startswith(".tsv")


def compression_of(path) -> str | None:
    """The codec of a compressed CSV or TSV file's name (``gzip`` for ``.csv.gz``), else None."""
    suffix = suffix_of(path)
    return COMPRESSIONS.get(suffix[4:]) if suffix.startswith(_TEXT) else None
