"""Streaming in bounded bytes: Parquet row groups in slices, .npy by file reads, a memory
budget, outputs written block by block; and the peak memory of a process that streams."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from conftest import quick

from aekit import Autoencoder
from aekit.cli import main
from aekit.io import NpySource, ParquetSource, read_table
from aekit.io.stream_writer import write_blocks
from aekit.train import StreamBatches
from aekit.train.stream import read_blocks

SRC = Path(__file__).resolve().parents[1] / "src"


def _ids_parquet(path: Path, n_rows: int, group_rows: int, width: int = 3) -> Path:
    """Rows whose every column is the row id, in row groups of ``group_rows``."""
    ids = np.arange(n_rows, dtype=np.float64)
    pq.write_table(pa.table({f"c{j}": ids for j in range(width)}), path,
                   row_group_size=group_rows)
    return path


class _Logged:
    """A source that records which blocks were read, in order."""

    def __init__(self, source):
        self.source, self.reads = source, []

    def __getattr__(self, name):
        return getattr(self.source, name)

    def read_block(self, i):
        self.reads.append(i)
        return self.source.read_block(i)


# --- sources in bounded blocks -------------------------------------------------------------


def test_parquet_row_groups_are_read_in_slices_in_any_order(tmp_path):
    path = _ids_parquet(tmp_path / "ids.parquet", 100, group_rows=40)
    source = ParquetSource(path, block_rows=15)
    # groups of 40, 40, 20 rows -> slices of 15, 15, 10 | 15, 15, 10 | 15, 5
    assert source.n_blocks == 8 and source.n_rows == 100
    assert source.runs() == [[0, 1, 2], [3, 4, 5], [6, 7]]
    for order in (range(8), [5, 3, 4, 0, 7, 2, 1, 6, 6]):  # backwards, skipping, repeating
        for i in order:
            start, stop = source.block_bounds(i)
            np.testing.assert_array_equal(source.read_block(i)[:, 2], np.arange(start, stop))
    pq.write_table(pa.table({"x": [1.0, 1e300], "y": [1.0, np.inf]}), tmp_path / "big.parquet")
    with pytest.raises(ValueError, match="column 'x' of .* beyond float32's range"):
        ParquetSource(tmp_path / "big.parquet").read_block(0)
    assert np.isinf(ParquetSource(tmp_path / "big.parquet", columns=["y"]).read_block(0)[1, 0])
    copy = pickle.loads(pickle.dumps(source))  # e.g. for a worker process
    np.testing.assert_array_equal(copy.read_block(7), source.read_block(7))
    # by default a block holds memory / 64 bytes of float32
    assert ParquetSource(path, memory=2**20).block_rows == 2**20 // 64 // (3 * 4)
    assert ParquetSource(path).n_blocks == 3


def test_npy_blocks_are_file_reads_of_any_dtype_and_order(tmp_path):
    rng = np.random.RandomState(0)
    for name, X in {"f8": rng.rand(50, 3), "i2be": rng.randint(-9, 9, (50, 3)).astype(">i2"),
                    "bool": rng.rand(50, 2, 2) > 0.5,
                    "fortran": np.asfortranarray(rng.rand(50, 4))}.items():
        np.save(tmp_path / f"{name}.npy", X)
        source = NpySource(tmp_path / f"{name}.npy", block_rows=7)
        assert source.n_blocks == 8
        blocks = {i: source.read_block(i) for i in (7, 6, 0, 3, 1, 2, 4, 5)}  # out of order
        whole = np.concatenate([blocks[i] for i in range(8)])
        assert whole.dtype == np.float32
        np.testing.assert_array_equal(whole, X.astype(np.float32))
    assert NpySource(tmp_path / "f8.npy", memory=2**20).block_rows == 2**20 // 64 // 12
    data = (tmp_path / "f8.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[:-8])  # the header is whole, one value is missing
    with pytest.raises(ValueError, match="cut.npy as .npy .truncated or corrupted.*promises"):
        NpySource(tmp_path / "cut.npy")
    with open(tmp_path / "z.npy", "wb") as handle:  # a zip archive under a .npy name
        np.savez(handle, X=np.ones((3, 2)))
    with pytest.raises(ValueError, match="is not a .npy array"):
        NpySource(tmp_path / "z.npy")
    with pytest.raises(ValueError, match="memory must be at least"):
        NpySource(tmp_path / "f8.npy", memory=1000)


# --- the stream's memory budget -------------------------------------------------------------


def test_stream_fits_its_budget_and_reads_runs_in_order(tmp_path):
    path = _ids_parquet(tmp_path / "ids.parquet", 600, group_rows=100)
    source = _Logged(ParquetSource(path, block_rows=25))  # 6 groups of 4 slices
    batches = StreamBatches(source, batch_size=32, shuffle=True, memory=source.reader_bytes
                            + 40 * 25 * (3 * 4 + 8), generator=torch.Generator().manual_seed(0))
    block_bytes = 25 * (3 * 4 + 8)
    assert (batches.prefetch + batches.shuffle_blocks + 4) * block_bytes <= 40 * block_bytes
    assert batches.shuffle_blocks == 10  # a quarter of the 40 blocks the budget holds
    rows = np.concatenate([x[:, 0].numpy() for x, *_ in batches])
    np.testing.assert_array_equal(np.sort(rows), np.arange(600))
    # each row group's slices are read together and in order: no slice is decoded twice
    runs = [source.reads[k:k + 4] for k in range(0, 24, 4)]
    assert sorted(runs) == [[g * 4 + s for s in range(4)] for g in range(6)]
    assert [run[0] for run in runs] != [0, 4, 8, 12, 16, 20]  # but the groups were permuted
    with pytest.warns(UserWarning, match="the file reader holds about .* fewest blocks"):
        few = StreamBatches(source.source, batch_size=8, shuffle=True,
                            memory=source.reader_bytes + 5 * block_bytes)
    assert (few.prefetch, few.shuffle_blocks) == (1, 1)  # a wide file still streams
    with pytest.raises(ValueError, match=r"needs .* MiB .* but the memory budget is"):
        StreamBatches(source.source, batch_size=8, shuffle=True, memory=5 * block_bytes)


def test_reading_a_wide_file_alone_warns_that_its_reader_takes_the_budget(tmp_path):
    """Scoring reads blocks without a training stream: a reader over the budget warned only
    when training (a trial: ``score --stream`` went over ``--memory`` without a word)."""
    path = _ids_parquet(tmp_path / "wide.parquet", 60, group_rows=60, width=8)
    source = ParquetSource(path, memory=2**20)
    assert source.reader_bytes > source.memory  # 8 columns of at least 256 KiB each
    with pytest.warns(UserWarning, match="the file reader holds about .* fewest blocks"):
        rows = np.concatenate(list(read_blocks(source)))
    assert rows.shape == (60, 8)
    roomy = ParquetSource(path, memory=64 * 2**20)
    np.save(tmp_path / "big.npy", np.zeros((100_000, 4), np.float32))
    large = NpySource(tmp_path / "big.npy", block_rows=100_000, memory=2**20)  # no reader
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(read_blocks(roomy))) == 1
        assert len(list(read_blocks(large))) == 1  # (a review: "the reader holds 0 MiB")


def test_read_blocks_reads_ahead_in_order_and_stops_when_left(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(400, dtype=np.float32).reshape(200, 2))
    source = NpySource(tmp_path / "x.npy", block_rows=30)
    blocks = list(read_blocks(source, prefetch=2))
    np.testing.assert_array_equal(np.concatenate(blocks), np.load(tmp_path / "x.npy"))
    before = threading.active_count()
    for _ in read_blocks(source, [5, 1], prefetch=1):
        break
    deadline = time.monotonic() + 2
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


# --- outputs written block by block -------------------------------------------------------


def test_write_blocks_writes_each_format_block_by_block(tmp_path):
    blocks = [np.arange(i, i + 10, dtype=np.float32).reshape(5, 2) for i in (0, 10, 20)]
    assert write_blocks(tmp_path / "o.parquet", iter(blocks), ["a", "b"]) == 15
    assert pq.ParquetFile(tmp_path / "o.parquet").metadata.num_row_groups == 3
    for suffix in (".parquet", ".csv", ".tsv.gz"):
        write_blocks(tmp_path / f"t{suffix}", iter(blocks), ["a", "b"])
        table = read_table(tmp_path / f"t{suffix}")
        assert table.columns == ["a", "b"]
        np.testing.assert_array_equal(table.X, np.concatenate(blocks))
    write_blocks(tmp_path / "s.npy", (b[:, 0] for b in blocks), n_rows=15)
    np.testing.assert_array_equal(np.load(tmp_path / "s.npy"), np.arange(0, 30, 2))
    with pytest.raises(ValueError, match="needs n_rows"):
        write_blocks(tmp_path / "s.npy", iter(blocks))
    with pytest.raises(ValueError, match="block by block: write .parquet, .csv or .npy"):
        write_blocks(tmp_path / "s.npz", iter(blocks))


def test_write_blocks_leaves_the_old_file_on_an_error(tmp_path):
    target = tmp_path / "out.parquet"
    target.write_bytes(b"old")

    def failing():
        yield np.ones((3, 1))
        raise ValueError("block 2 is broken")

    with pytest.raises(ValueError, match="block 2 is broken"):
        write_blocks(target, failing(), ["score"])
    with pytest.raises(ValueError, match="2 rows were written where 3 were expected"):
        write_blocks(target, iter([np.ones(2)]), ["score"], n_rows=3)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet"]  # no temporary left


def test_cli_scores_and_encodes_a_stream_into_parquet(digits_split, tmp_path, capsys,
                                                       monkeypatch):
    X_train, X_test = digits_split
    names = [f"p{i}" for i in range(64)]
    data = tmp_path / "test.parquet"
    shuffled = X_test[:, ::-1]  # columns in another order: matched to the model's by name
    pq.write_table(pa.table(dict(zip(names[::-1], shuffled.T))), data, row_group_size=100)
    model = tmp_path / "m.safetensors"
    Autoencoder(**quick(epochs=1)).fit(pa.table(dict(zip(names, X_train.T)))).save(model)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # a terminal: a bar of rows
    assert main(["score", str(model), str(data), "--stream", "--memory", "4",
                 "-o", str(tmp_path / "s.parquet")]) == 0
    out = capsys.readouterr()
    assert "wrote 450 scores" in out.out and "450/450" in out.err
    monkeypatch.undo()
    assert pq.ParquetFile(tmp_path / "s.parquet").metadata.num_row_groups == 5
    assert main(["score", str(model), str(data), "-o", str(tmp_path / "s_mem.parquet")]) == 0
    np.testing.assert_allclose(read_table(tmp_path / "s.parquet").X,
                               read_table(tmp_path / "s_mem.parquet").X, rtol=1e-6)
    assert main(["encode", str(model), str(data), "--stream", "-o", str(tmp_path / "z.csv")]) == 0
    assert "450/450" not in capsys.readouterr().err  # no bar in a pipe or a log
    codes = read_table(tmp_path / "z.csv")
    assert codes.columns[0] == "z0" and codes.X.shape[0] == 450
    assert main(["score", str(model), str(data), "--memory", "4", "-o", str(tmp_path / "x.csv")]) == 1
    assert "--memory applies with --stream only" in capsys.readouterr().err


def test_cli_stream_outputs_keep_the_index_pandas_stored(tmp_path, capsys):
    """A Parquet file written from a DataFrame stores its index as a column: the in-memory
    output kept it as the first column, the streamed one dropped it (a trial)."""
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(900, 3)), columns=["a", "b", "c"],
                         index=pd.Index([f"id{i}" for i in range(900)], name="row_id"))
    data = tmp_path / "d"
    data.mkdir()
    frame.iloc[:500].to_parquet(data / "0.parquet", row_group_size=200)  # slices of groups
    frame.iloc[500:].to_parquet(data / "1.parquet", row_group_size=400)
    whole_file = tmp_path / "whole.parquet"  # a table loaded whole is one file
    frame.to_parquet(whole_file)
    model = tmp_path / "m.safetensors"
    Autoencoder(**quick(epochs=1)).fit(frame).save(model)
    for command, out in (("score", "s.parquet"), ("encode", "z.csv")):
        assert main([command, str(model), str(data), "--stream", "--memory", "1",
                     "-o", str(tmp_path / out)]) == 0
        assert main([command, str(model), str(whole_file), "-o", str(tmp_path / f"mem_{out}")]) == 0
        streamed, whole = (read_table(tmp_path / name, index="row_id")
                           for name in (out, f"mem_{out}"))
        assert streamed.index_name == "row_id" and list(streamed.index) == list(frame.index)
        assert streamed.columns == whole.columns
        np.testing.assert_allclose(streamed.X, whole.X, rtol=1e-5, atol=1e-6)
    # a streamed Parquet output stores it as pandas' index, as the in-memory one does
    back = pd.read_parquet(tmp_path / "s.parquet")
    assert back.index.name == "row_id" and list(back.columns) == ["score"]
    assert list(back.index) == list(frame.index)
    sliced = pd.DataFrame(frame.to_numpy(), columns=frame.columns).iloc[300:]  # a range index
    sliced.to_parquet(tmp_path / "slice.parquet", row_group_size=250)
    assert main(["score", str(model), str(tmp_path / "slice.parquet"), "--stream", "--memory",
                 "1", "-o", str(tmp_path / "s.csv")]) == 0
    streamed = read_table(tmp_path / "s.csv")  # unnamed: an empty header, read as the index
    assert streamed.index.tolist() == list(range(300, 900)) and streamed.columns == ["score"]
    assert main(["encode", str(model), str(tmp_path / "slice.parquet"), "--stream", "--memory",
                 "1", "-o", str(tmp_path / "z.parquet")]) == 0
    back = pd.read_parquet(tmp_path / "z.parquet")  # unnamed: pandas' unnamed index
    assert back.index.name is None and back.index.tolist() == list(range(300, 900))
    assert list(back.columns) == [f"z{i}" for i in range(back.shape[1])]
    clash = frame.rename_axis("score")
    clash.to_parquet(tmp_path / "clash.parquet")
    capsys.readouterr()
    assert main(["score", str(model), str(tmp_path / "clash.parquet"), "--stream",
                 "-o", str(tmp_path / "c.parquet")]) == 1
    assert "index column 'score'" in capsys.readouterr().err


# --- peak memory of a streaming process -------------------------------------------------

CHILD = """
import sys
import pyarrow.compute, pyarrow.parquet, torch
from aekit.io import open_source
from aekit.train.stream import StreamBatches, read_blocks

def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) * 1024

def stream(path):
    source = open_source(path, memory=int(memory))
    for block in read_blocks(source):  # as the statistics pass does
        block.sum()
    batches = StreamBatches(source, batch_size=4096, shuffle=True,
                            generator=torch.Generator().manual_seed(0))
    assert sum(len(x) for x, *_ in batches) == source.n_rows

memory, warm, *paths = sys.argv[1:]
stream(warm)  # Arrow's reader and torch's first use, on a tiny file
peaks = [peak()]
for path in paths:
    stream(path)
    peaks.append(peak())
print(*peaks)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_peak_memory_does_not_grow_with_the_data(tmp_path):
    # 16 MB of float32 rows and 64 MB (4x, Parquet and .npy), streamed with an 8 MB budget: the
    # process's peak resident memory (Arrow's, NumPy's and torch's allocations alike) must not
    # follow the data.
    rng = np.random.default_rng(0)
    paths = []
    for name, rows in (("warm", 1000), ("x1", 2**21), ("x4", 2**23)):
        table = pa.table({f"c{j}": rng.random(rows, dtype=np.float32) for j in range(2)})
        pq.write_table(table, tmp_path / f"{name}.parquet", row_group_size=2**21,
                       compression="none", use_dictionary=False)
        paths.append(str(tmp_path / f"{name}.parquet"))
    data = (tmp_path / "x4.parquet").stat().st_size
    np.save(tmp_path / "x4.npy", rng.random((2**23, 2), dtype=np.float32))  # read, not mapped
    paths.append(str(tmp_path / "x4.npy"))
    budget = 8 * 2**20
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CHILD, str(budget), *paths], env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    base, x1, x4, npy = map(int, out.stdout.split())
    print(f"peak growth: {(x1 - base) / 2**20:.1f} MB (1x), {(x4 - base) / 2**20:.1f} MB (4x), "
          f"{(npy - base) / 2**20:.1f} MB (4x .npy)")
    assert x4 - base < 3 * budget < data / 2, f"grew {(x4 - base) / 2**20:.1f} MB"
    assert x4 - x1 < budget / 2, f"4x the data took {(x4 - x1) / 2**20:.1f} MB more"
    assert npy - base < 3 * budget, f".npy grew {(npy - base) / 2**20:.1f} MB"


def test_cli_stream_writes_each_files_range_index(tmp_path):
    """A folder of slices of one frame (``df.iloc[100:300]``, ``df.iloc[400:]``) keeps each
    file's rows' labels in a streamed output (they were dropped for folders); files whose
    ranges only count the rows carry no index, as pandas reads such a folder."""
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(600, 3)), columns=["a", "b", "c"])
    model = tmp_path / "m.safetensors"
    Autoencoder(**quick(epochs=1)).fit(frame).save(model)
    cases = {"sliced": ((100, 300), (400, 600)), "counted": ((0, 300), (300, 600))}
    for name, cuts in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        for k, (a, b) in enumerate(cuts):
            frame.iloc[a:b].to_parquet(folder / f"{k}.parquet", row_group_size=120)
        fresh = tmp_path / f"fresh_{name}"  # each file's own 0..n-1
        fresh.mkdir()
        for k, (a, b) in enumerate(cuts):
            frame.iloc[a:b].reset_index(drop=True).to_parquet(fresh / f"{k}.parquet")
        for source in (folder, fresh):
            out = tmp_path / f"{source.name}.parquet"
            assert main(["score", str(model), str(source), "--stream", "--memory", "1",
                         "-o", str(out)]) == 0
            back = pd.read_parquet(out)
            labels = [i for a, b in cuts for i in range(a, b)]
            assert list(back.columns) == ["score"] and len(back) == len(labels)
            expected = labels if source is folder and name == "sliced" else list(range(len(labels)))
            assert back.index.tolist() == expected, source


def test_cli_stream_drop_keeps_a_stored_index_out_of_the_features(tmp_path, capsys):
    """--stream --drop read the columns from the schema, pandas' index among them: the row ids
    became a feature (a trial); and score --stream --drop of a column the model reads was
    scored all the same, where a table loaded whole is refused."""
    import pandas as pd

    from aekit import load

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"],
                         index=pd.Index(np.arange(1000, 1300), name="rid"))
    frame.to_parquet(tmp_path / "d.parquet", row_group_size=100)
    model = tmp_path / "m.safetensors"
    assert main(["fit", str(tmp_path / "d.parquet"), "--stream", "--drop", "a", "--epochs", "1",
                 "-o", str(model)]) == 0
    assert list(load(model).feature_names_in_) == ["b", "c", "d"]
    assert main(["score", str(model), str(tmp_path / "d.parquet"), "--stream", "--drop", "b",
                 "-o", str(tmp_path / "s.csv")]) == 1
    assert "--drop b: the model was trained on it" in capsys.readouterr().err
    assert main(["score", str(model), str(tmp_path / "d.parquet"), "--stream", "--drop", "a",
                 "-o", str(tmp_path / "s.parquet")]) == 0
    assert pd.read_parquet(tmp_path / "s.parquet").index.tolist() == list(range(1000, 1300))
    # a column the model does not read is refused, and a reordered file said to be, as a
    # table loaded whole (a trial: the stream left the one unread and took the other silently)
    assert main(["score", str(model), str(tmp_path / "d.parquet"), "--stream", "-o",
                 str(tmp_path / "s.csv")]) == 1
    assert "d.parquet does not have the columns the model was trained on (unexpected 'a')" in \
        capsys.readouterr().err
    frame[["d", "c", "b"]].to_parquet(tmp_path / "r.parquet", row_group_size=100)
    for command in ("score", "encode"):
        assert main([command, str(model), str(tmp_path / "r.parquet"), "--stream", "-o",
                     str(tmp_path / "r.csv")]) == 0
        assert "r.parquet: columns reordered by name to match the model" in \
            capsys.readouterr().err
