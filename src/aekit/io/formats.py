"""The table formats aekit reads and writes (no imports, so the CLI can name them at once)."""

FORMATS = (".csv", ".parquet", ".pq", ".npy", ".npz")
