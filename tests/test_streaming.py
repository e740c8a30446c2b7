"""Streaming data larger than memory: block sources and the background batch stream."""

from __future__ import annotations

import threading
import time
import tracemalloc

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from aekit.io import NpySource, ParquetSource, open_source
from aekit.train import StreamBatches


def _ids_npy(tmp_path, n_rows: int, block_rows: int, width: int = 2) -> NpySource:
    """Rows whose first column is the row id."""
    X = np.repeat(np.arange(n_rows, dtype=np.float32)[:, None], width, axis=1)
    path = tmp_path / f"ids_{n_rows}_{width}.npy"
    np.save(path, X)
    return NpySource(path, block_rows=block_rows)


def _ids(batches) -> list[np.ndarray]:
    return [x[:, 0].numpy().astype(np.int64) for x, *_ in batches]


def _all_blocks(source) -> np.ndarray:
    return np.concatenate([source.read_block(i) for i in range(source.n_blocks)])


def _wait_for_threads(count: int, seconds: float = 2.0) -> int:
    deadline = time.monotonic() + seconds
    while threading.active_count() > count and time.monotonic() < deadline:
        time.sleep(0.01)
    return threading.active_count()


# --- sources -------------------------------------------------------------------------------


def test_npy_blocks_read_back_the_file(tmp_path):
    X = np.random.RandomState(0).rand(103, 3, 2)  # float64, 3-D rows
    np.save(tmp_path / "x.npy", X)
    source = open_source(tmp_path / "x.npy", block_rows=10)
    assert (source.n_rows, source.row_shape, source.n_blocks) == (103, (3, 2), 11)
    assert source.block_bounds(10) == (100, 103)
    block = source.read_block(0)
    assert block.dtype == np.float32 and block.shape == (10, 3, 2)
    np.testing.assert_array_equal(_all_blocks(source), X.astype(np.float32))


def test_parquet_row_groups_read_back_in_order(tmp_path):
    X = np.random.RandomState(1).rand(50, 3)
    table = pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2]})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=16)
    source = open_source(tmp_path / "t.parquet")
    assert source.n_blocks == 4 and source.columns == ["a", "b", "c"]
    np.testing.assert_array_equal(_all_blocks(source), X.astype(np.float32))
    subset = ParquetSource(tmp_path / "t.parquet", columns=["c", "a"])
    np.testing.assert_array_equal(_all_blocks(subset), X[:, [2, 0]].astype(np.float32))


def test_parquet_directory_is_one_dataset(tmp_path):
    X = np.arange(60, dtype=np.int64).reshape(30, 2)
    for part, rows in (("part-0.parquet", X[:20]), ("part-1.parquet", X[20:])):
        table = pa.table({"i": rows[:, 0], "j": rows[:, 1]})
        pq.write_table(table, tmp_path / part, row_group_size=8)
    (tmp_path / "_SUCCESS").write_text("")  # marker files are ignored
    source = open_source(tmp_path)
    assert source.n_blocks == 3 + 2
    np.testing.assert_array_equal(_all_blocks(source), X.astype(np.float32))


def test_parquet_nulls_and_booleans_become_floats(tmp_path):
    table = pa.table({"x": pa.array([1, None, 3]), "flag": pa.array([True, False, None])})
    pq.write_table(table, tmp_path / "n.parquet")
    block = ParquetSource(tmp_path / "n.parquet").read_block(0)
    np.testing.assert_array_equal(block, [[1, 1], [np.nan, 0], [3, np.nan]])


def test_values_beyond_float32_are_refused(tmp_path):
    np.save(tmp_path / "big.npy", np.array([[1.0], [1e300], [np.inf]]))
    with pytest.raises(ValueError, match="beyond float32's range"):
        NpySource(tmp_path / "big.npy").read_block(0)
    np.save(tmp_path / "inf.npy", np.array([[1.0], [np.nan], [np.inf]]))  # passed through
    assert np.isnan(NpySource(tmp_path / "inf.npy").read_block(0)).sum() == 1


def test_source_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        open_source(tmp_path / "missing.npy")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        open_source(tmp_path / "missing.parquet")
    np.save(tmp_path / "flat.npy", np.arange(5.0))
    with pytest.raises(ValueError, match=r"1-D .* reshape it to \(n, 1\)"):
        open_source(tmp_path / "flat.npy")
    np.save(tmp_path / "whole.npy", np.ones((100, 4)))
    data = (tmp_path / "whole.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.npy.*truncated or corrupted"):
        open_source(tmp_path / "cut.npy")
    (tmp_path / "x.csv").write_text("a\n1\n")
    with pytest.raises(ValueError, match="cannot stream '.csv'.*streaming reads .npy"):
        open_source(tmp_path / "x.csv")


def test_parquet_errors_name_the_problem(tmp_path):
    table = pa.table({"x": [1.0, 2.0], "name": ["ann", "bob"]})
    pq.write_table(table, tmp_path / "people.parquet")
    with pytest.raises(ValueError, match=r"column 'name' of .* is not numeric .*leave it out "
                       r"\(columns=\[...\] without it / --drop name\)"):  # both ways of saying it
        open_source(tmp_path / "people.parquet")
    assert ParquetSource(tmp_path / "people.parquet", columns=["x"]).n_rows == 2
    with pytest.raises(ValueError, match=r"column 'y' is not in .*\['x', 'name'\]"):
        ParquetSource(tmp_path / "people.parquet", columns=["y"])
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all" * 10)
    with pytest.raises(ValueError, match="cannot read .*junk.parquet as Parquet"):
        open_source(tmp_path / "junk.parquet")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    pq.write_table(pa.table({"x": [1.0]}), mixed / "a.parquet")
    pq.write_table(pa.table({"x": ["s"]}), mixed / "b.parquet")
    with pytest.raises(ValueError, match="must share one schema"):
        open_source(mixed)


# --- batches -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_rows", "block_rows", "batch_size", "min_batch"),
    [(100, 10, 10, 1), (103, 10, 7, 1), (103, 17, 25, 4), (103, 17, 25, 1), (5, 2, 8, 1),
     (64, 64, 8, 2), (1, 4, 3, 2)],
)
@pytest.mark.parametrize("shuffle", [False, True])
def test_len_matches_the_batches_yielded(tmp_path, n_rows, block_rows, batch_size, min_batch,
                                         shuffle):
    source = _ids_npy(tmp_path, n_rows, block_rows)
    batches = StreamBatches(source, batch_size=batch_size, shuffle=shuffle, min_batch=min_batch,
                            generator=torch.Generator().manual_seed(0), shuffle_blocks=2)
    sizes = [len(x) for x, *_ in batches]
    assert len(sizes) == len(batches)
    assert all(size == batch_size for size in sizes[:-1])
    assert not sizes or min_batch <= sizes[-1] <= batch_size


def test_unshuffled_stream_is_the_file_in_order(tmp_path):
    source = _ids_npy(tmp_path, 103, block_rows=10)
    batches = StreamBatches(source, batch_size=7)
    x = torch.cat([x for x, *_ in batches])
    assert x.dtype == torch.float32 and x.shape == (103, 2)
    np.testing.assert_array_equal(x.numpy(), np.load(source.path))


def test_shuffle_visits_every_row_once_in_a_new_order(tmp_path):
    source = _ids_npy(tmp_path, 200, block_rows=16)
    batches = StreamBatches(source, batch_size=12, shuffle=True, shuffle_blocks=3,
                            generator=torch.Generator().manual_seed(0))
    first, second = np.concatenate(_ids(batches)), np.concatenate(_ids(batches))
    for epoch in (first, second):
        np.testing.assert_array_equal(np.sort(epoch), np.arange(200))
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, np.arange(200))


def test_a_row_group_longer_than_two_shuffle_windows_is_warned_of(tmp_path):
    """Its slices are read in order: a sorted file would be trained on in its order."""
    import warnings

    X = np.arange(400.0)[:, None] * [1.0, 2.0]
    table = pa.table({"a": X[:, 0], "b": X[:, 1]})
    pq.write_table(table, tmp_path / "one.parquet")  # one row group of 400 rows
    pq.write_table(table, tmp_path / "many.parquet", row_group_size=40)
    one = ParquetSource(tmp_path / "one.parquet", block_rows=20)
    with pytest.warns(UserWarning, match=r"one.parquet: a row group of 400 rows is read in order "
                                         r"and shuffled only within windows of 60 rows"):
        StreamBatches(one, batch_size=10, shuffle=True, shuffle_blocks=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        StreamBatches(one, batch_size=10)  # in order anyway: nothing to say
        StreamBatches(ParquetSource(tmp_path / "many.parquet", block_rows=20), batch_size=10,
                      shuffle=True, shuffle_blocks=3)  # a row group is two blocks


def test_same_seed_or_restored_state_gives_the_same_batches(tmp_path):
    source = _ids_npy(tmp_path, 150, block_rows=16)

    def stream(generator):
        return StreamBatches(source, batch_size=10, shuffle=True, generator=generator)

    a, b = stream(torch.Generator().manual_seed(3)), stream(torch.Generator().manual_seed(3))
    for _ in range(2):
        for x, y in zip(_ids(a), _ids(b), strict=True):
            np.testing.assert_array_equal(x, y)
    generator = torch.Generator().manual_seed(5)
    c = stream(generator)
    _ids(c)
    state = generator.get_state()
    epoch = np.concatenate(_ids(c))
    generator.set_state(state)
    np.testing.assert_array_equal(np.concatenate(_ids(c)), epoch)


@pytest.mark.parametrize("shuffle", [False, True])
def test_blocks_subset_yields_exactly_those_rows(tmp_path, shuffle):
    source = _ids_npy(tmp_path, 95, block_rows=10)
    batches = StreamBatches(source, batch_size=4, blocks=[9, 2, 5], shuffle=shuffle,
                            generator=torch.Generator().manual_seed(0))
    assert batches.n_rows == 5 + 10 + 10
    rows = np.concatenate(_ids(batches))
    expected = np.r_[20:30, 50:60, 90:95]
    assert sorted(rows) == list(expected)
    if not shuffle:
        np.testing.assert_array_equal(rows, np.r_[90:95, 20:30, 50:60])
    with pytest.raises(ValueError, match=r"blocks \[10\] are out of range"):
        StreamBatches(source, batch_size=4, blocks=[10])


def test_transform_runs_on_blocks(tmp_path):
    source = _ids_npy(tmp_path, 30, block_rows=8)
    batches = StreamBatches(source, batch_size=5, transform=lambda block: block * 2.0)
    x = torch.cat([x for x, *_ in batches])
    assert x.dtype == torch.float32
    np.testing.assert_array_equal(x[:, 0].numpy(), np.arange(30) * 2)


def test_transform_error_reraises_in_the_consumer(tmp_path):
    source = _ids_npy(tmp_path, 30, block_rows=8)

    def check(block):
        if block[0, 0] >= 16:
            raise ValueError("input contains NaN in block starting at row 16")
        return block

    before = threading.active_count()
    batches = StreamBatches(source, batch_size=4, transform=check)
    seen = []
    with pytest.raises(ValueError, match="^input contains NaN in block starting at row 16$"):
        for x, *_ in batches:
            seen.append(len(x))
    assert sum(seen) == 16  # the two good blocks arrived before the error
    assert _wait_for_threads(before) == before


def test_leaving_early_stops_the_reader_thread(tmp_path):
    source = _ids_npy(tmp_path, 2000, block_rows=10)
    before = threading.active_count()
    batches = StreamBatches(source, batch_size=5, shuffle=True, prefetch=1,
                            generator=torch.Generator().manual_seed(0))
    for i, _ in enumerate(batches):
        if i == 3:
            break
    assert _wait_for_threads(before) == before
    with pytest.raises(RuntimeError, match="training failed"):
        for _ in batches:
            raise RuntimeError("training failed")
    assert _wait_for_threads(before) == before


def test_memory_stays_bounded_by_a_few_blocks(tmp_path):
    n_rows, width, block_rows = 100_000, 64, 2048
    path = tmp_path / "big.npy"
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n_rows, width))
    for start in range(0, n_rows, 10_000):  # written in slices, so this test holds no copy either
        out[start:start + 10_000] = np.arange(start, start + 10_000, dtype=np.float32)[:, None]
    out.flush()
    del out
    source = NpySource(path, block_rows=block_rows)
    batches = StreamBatches(source, batch_size=256, shuffle=True, prefetch=2, shuffle_blocks=4,
                            generator=torch.Generator().manual_seed(0))
    tracemalloc.start()
    try:
        rows = sum(len(x) for x, *_ in batches)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == n_rows
    block_bytes = block_rows * width * 4
    assert peak < 12 * block_bytes < path.stat().st_size / 2


def test_a_named_model_over_an_unnamed_source_warns_once_and_errors_count_source_rows(
        tmp_path):
    import pandas as pd

    from aekit import Autoencoder

    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    model = Autoencoder(latent_dim=2, epochs=1, random_state=0, device="cpu").fit(frame)
    X = rng.normal(size=(1000, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    source = NpySource(tmp_path / "x.npy", block_rows=100)
    with pytest.warns(UserWarning) as said:
        model.score_samples(source)
    once = (f"{tmp_path / 'x.npy'} has no column names: its columns are taken by position as "
            "the model's")
    assert [str(w.message) for w in said] == [once]  # once, not once per block
    X[750, 1] = np.nan
    np.save(tmp_path / "x.npy", X)
    with pytest.warns(UserWarning), pytest.raises(
            ValueError, match=r"rows 700 to 799: .*first at row 750, column 'b'"):
        model.score_samples(NpySource(tmp_path / "x.npy", block_rows=100))
