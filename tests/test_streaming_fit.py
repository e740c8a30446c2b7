"""Estimators and the CLI on streamed sources: same results as in memory, bounded memory."""

import tracemalloc

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from conftest import quick

from aekit import Autoencoder, DenoisingAutoencoder
from aekit.cli import main
from aekit.io import NpySource, ParquetSource


@pytest.fixture
def digits_npy(digits_split, tmp_path):
    path = tmp_path / "digits.npy"
    np.save(path, digits_split[0])
    return path


def test_unshuffled_stream_fit_matches_the_in_memory_fit(digits_split, digits_npy, tabular,
                                                         tmp_path):
    # Without shuffling both paths see the same batches in the same order, so they must agree.
    X_train, X_test = digits_split
    params = quick(shuffle=False, hidden_dims=(16,))
    memory = Autoencoder(**params).fit(X_train)
    stream = Autoencoder(**params).fit(NpySource(digits_npy, block_rows=100))
    np.testing.assert_allclose(stream.history_["loss"], memory.history_["loss"], rtol=1e-5)
    np.testing.assert_allclose(stream.transform(X_test), memory.transform(X_test),
                               rtol=1e-4, atol=1e-5)
    # Standard scaling from block-merged statistics equals the one from the whole array.
    np.save(tmp_path / "tabular.npy", tabular)
    whole = Autoencoder(**quick(epochs=1)).fit(tabular)
    merged = Autoencoder(**quick(epochs=1)).fit(NpySource(tmp_path / "tabular.npy", block_rows=7))
    assert merged.scaling_ == whole.scaling_ == "standard"
    np.testing.assert_allclose(merged.shift_, whole.shift_, rtol=1e-6)
    np.testing.assert_allclose(merged.scale_, whole.scale_, rtol=1e-6)


def test_shuffled_stream_fit_learns_and_scores_like_arrays(digits_split, digits_npy):
    X_train, X_test = digits_split
    source = NpySource(digits_npy, block_rows=128)
    ae = Autoencoder(validation_split=0.2, **quick(epochs=10, latent_dim=8, hidden_dims=(16,))).fit(source)
    memory = Autoencoder(validation_split=0.2, **quick(epochs=10, latent_dim=8, hidden_dims=(16,))).fit(X_train)
    assert ae.history_["loss"][-1] < 0.7 * ae.history_["loss"][0]
    assert ae.history_["loss"][-1] == pytest.approx(memory.history_["loss"][-1], rel=0.05)
    assert len(ae.history_["val_loss"]) == 10
    assert ae.loss_ == "mse" and ae.n_features_in_ == 64
    np.testing.assert_allclose(ae.score_samples(source), ae.score_samples(X_train), rtol=1e-5)
    np.testing.assert_allclose(ae.transform(source), ae.transform(X_train), rtol=1e-5)
    again = Autoencoder(validation_split=0.2, **quick(epochs=10, latent_dim=8, hidden_dims=(16,))).fit(source)
    np.testing.assert_array_equal(again.transform(X_test), ae.transform(X_test))


def test_stream_fit_on_a_parquet_folder_with_validation_data(digits_split, tmp_path):
    X_train, X_test = digits_split
    folder = tmp_path / "parts"
    folder.mkdir()
    columns = [f"p{i}" for i in range(64)]
    for part, rows in enumerate(np.array_split(X_train, 3)):
        pq.write_table(pa.table(dict(zip(columns, rows.T))), folder / f"part{part}.parquet",
                       row_group_size=200)
    ae = DenoisingAutoencoder(validation_data=X_test, **quick(epochs=3)).fit(
        ParquetSource(folder))
    assert len(ae.history_["val_loss"]) == 3
    assert np.isfinite(ae.score_samples(X_test)).all()


def test_stream_fit_resumes_exactly(digits_npy, tmp_path):
    source = NpySource(digits_npy, block_rows=256)
    straight = Autoencoder(**quick(epochs=4)).fit(source)
    Autoencoder(checkpoint_dir=tmp_path / "run", **quick(epochs=2)).fit(source)
    resumed = Autoencoder(checkpoint_dir=tmp_path / "run", resume=True,
                          **quick(epochs=4)).fit(source)
    assert resumed.history_["loss"] == straight.history_["loss"]
    other_budget = NpySource(digits_npy, block_rows=256, memory=source.memory // 2)
    with pytest.raises(ValueError, match=r"belongs to another run \(stream differ\)"):
        Autoencoder(checkpoint_dir=tmp_path / "run", resume=True,  # another shuffle window:
                    **quick(epochs=5)).fit(other_budget)  # the rows would come in another order


def test_stream_fit_memory_stays_bounded(tmp_path):
    # 60000 x 96 float32 = 23 MB on disk; the fit may only hold a few blocks of it.
    rng = np.random.RandomState(0)
    path = tmp_path / "big.npy"
    big = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(60000, 96))
    for start in range(0, 60000, 10000):
        big[start:start + 10000] = rng.rand(10000, 96)
    big.flush()
    del big
    block_bytes = 1024 * 96 * 4
    source = NpySource(path, block_rows=1024, memory=16 * block_bytes)  # a budget of 16 blocks
    Autoencoder(**quick(epochs=1)).fit(np.random.RandomState(0).rand(64, 96))  # imports done
    tracemalloc.start()
    Autoencoder(**quick(epochs=1, batch_size=512)).fit(source)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert source.memory < path.stat().st_size / 3
    assert peak < source.memory, f"peak {peak / block_bytes:.1f} blocks"


def test_stream_errors(digits_split, tmp_path):
    X = digits_split[0].copy()
    X[700, 3] = np.nan
    np.save(tmp_path / "nan.npy", X)
    with pytest.raises(ValueError, match=r"nan.npy, rows 600 to 899: X contains NaN .*first "
                       r"at row 700, column 3\)"):  # as scoring says it
        Autoencoder(**quick()).fit(NpySource(tmp_path / "nan.npy", block_rows=300))
    np.save(tmp_path / "images.npy", digits_split[0].reshape(-1, 8, 8))
    with pytest.raises(ValueError, match="streaming fits take tables"):
        Autoencoder(architecture="conv", **quick()).fit(NpySource(tmp_path / "images.npy"))
    np.save(tmp_path / "ok.npy", digits_split[0])
    source = NpySource(tmp_path / "ok.npy", block_rows=2000)  # one block
    with pytest.raises(ValueError, match="holds out whole blocks"):
        Autoencoder(validation_split=0.2, **quick()).fit(source)
    ae = Autoencoder(**quick(epochs=1)).fit(source)
    with pytest.raises(TypeError, match="read_block"):
        ae.reconstruct(source)
    blocks = NpySource(tmp_path / "ok.npy", block_rows=300)  # score: as on the rows whole
    assert ae.score(blocks) == pytest.approx(ae.score(digits_split[0]), rel=1e-12)  # (a trial)
    np.save(tmp_path / "wide.npy", np.zeros((10, 65), np.float32))
    with pytest.raises(ValueError, match=r"wide.npy, rows 0 to 9: X has 65 features"):
        ae.score_samples(NpySource(tmp_path / "wide.npy"))


def test_cli_streams_fit_and_score(digits_npy, tmp_path, capsys):
    model = tmp_path / "model.safetensors"
    assert main(["fit", str(digits_npy), "-o", str(model), "--stream", "--epochs", "2",
                 "--device", "cpu", "--verbose", "0"]) == 0
    assert main(["score", str(model), str(digits_npy), "-o", str(tmp_path / "s.csv"),
                 "--stream"]) == 0
    assert "wrote 1347 scores" in capsys.readouterr().out
    assert main(["fit", str(tmp_path / "missing.npy"), "-o", str(model), "--stream"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_cli_stream_drops_named_columns_of_a_parquet_file(tmp_path, capsys):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    table = {"id": [f"row{i}" for i in range(200)], "a": X[:, 0], "b": X[:, 1], "c": X[:, 2]}
    pq.write_table(pa.table(table), tmp_path / "t.parquet")  # a text column to leave out
    pq.write_table(pa.table(dict(reversed(table.items()))), tmp_path / "rev.parquet")
    model = tmp_path / "m.safetensors"
    assert main(["fit", str(tmp_path / "t.parquet"), "-o", str(model), "--stream", "--drop",
                 "id", "--epochs", "1", "--verbose", "0"]) == 0
    from aekit import load

    assert list(load(model).feature_names_in_) == ["a", "b", "c"]
    for name in ("t", "rev"):  # a saved model reads its own columns, by name
        assert main(["score", str(model), str(tmp_path / f"{name}.parquet"), "--stream",
                     "--drop", "id", "-o", str(tmp_path / f"{name}.csv")]) == 0
    assert (tmp_path / "t.csv").read_text() == (tmp_path / "rev.csv").read_text()
    capsys.readouterr()
    assert main(["fit", str(tmp_path / "t.parquet"), "-o", str(model), "--stream", "--drop",
                 "label"]) == 1
    assert "--drop names 'label'" in capsys.readouterr().err
    np.save(tmp_path / "t.npy", X)
    assert main(["fit", str(tmp_path / "t.npy"), "-o", str(model), "--stream", "--drop",
                 "a"]) == 1
    assert "no column names" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_stream_fit_on_cuda_matches_arrays(digits_split, digits_npy):
    # Pinned host blocks, copied without blocking, into the CUDA graph's input buffers.
    params = quick(shuffle=False, device="cuda", compile="cuda_graph")
    memory = Autoencoder(**params).fit(digits_split[0])
    stream = Autoencoder(**params).fit(NpySource(digits_npy, block_rows=100))
    np.testing.assert_allclose(stream.history_["loss"], memory.history_["loss"], rtol=1e-4)


def test_stream_fit_refuses_bce_outside_the_unit_range(tmp_path):
    np.save(tmp_path / "wide.npy", np.linspace(-3, 3, 600, dtype=np.float32).reshape(100, 6))
    with pytest.raises(ValueError, match=r"loss='bce' needs X in \[0, 1\]"):
        Autoencoder(loss="bce", scaling="none", **quick()).fit(NpySource(tmp_path / "wide.npy"))


def test_a_parquet_stream_fit_keeps_the_column_names(tmp_path, capsys):
    """A model fitted on a Parquet source matches later files by column name, as one fitted on
    a table in memory does (it used to forget the names and take columns by position)."""
    rng = np.random.RandomState(0)
    names = ["a", "b", "c"]
    X = rng.normal(size=(300, 3)) * [1.0, 10.0, 100.0]
    pq.write_table(pa.table({n: X[:, i] for i, n in enumerate(names)}), tmp_path / "t.parquet")
    pq.write_table(pa.table({n: X[:, i] for i, n in reversed(list(enumerate(names)))}),
                   tmp_path / "rev.parquet")
    model = Autoencoder(**quick(epochs=2)).fit(ParquetSource(tmp_path / "t.parquet"))
    assert list(model.feature_names_in_) == names
    model.save(tmp_path / "m.safetensors")
    scores = []
    for data in ("t.parquet", "rev.parquet"):
        out = tmp_path / f"{data}.csv"
        assert main(["score", str(tmp_path / "m.safetensors"), str(tmp_path / data),
                     "-o", str(out)]) in (0, None)
        scores.append(np.loadtxt(out, delimiter=",", skiprows=1))
    np.testing.assert_array_equal(scores[0], scores[1])


def test_a_stream_fit_starts_from_pca_like_an_array_fit(tmp_path):
    """The default dense model starts at PCA's solution from the first training blocks, as it
    does from the rows of an array (streamed fits used to start from random weights)."""
    rng = np.random.RandomState(0)
    X = (rng.normal(size=(2000, 3)) @ rng.normal(size=(3, 12))).astype(np.float32)
    np.save(tmp_path / "t.npy", X)
    streamed = Autoencoder(**quick(epochs=1)).fit(NpySource(tmp_path / "t.npy", block_rows=256))
    in_memory = Autoencoder(**quick(epochs=1)).fit(X)
    assert streamed._started_from_pca and in_memory._started_from_pca
    assert streamed.history_["loss"][0] < 2 * in_memory.history_["loss"][0]


def test_a_streamed_fit_leaves_no_reader_open_in_the_calling_thread(tmp_path):
    """The PCA start read the first slices of a row group in the calling thread and kept its
    reader (every column's page) open beside the stream's own: a 512 MB fit peaked 100 MB
    higher (benchmarks/stream_memory.py)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from aekit.io import open_source

    X = np.random.default_rng(0).normal(size=(30000, 6)).astype(np.float32)
    pq.write_table(pa.table({f"c{i}": X[:, i] for i in range(6)}), tmp_path / "d.parquet")
    source = open_source(tmp_path / "d.parquet", block_rows=5000)  # one group, six slices
    source.read_block(0)
    assert getattr(source._local, "cursor", None) is not None  # a row group read part-way
    source.release_thread_reader()
    assert getattr(source._local, "cursor", None) is None
    Autoencoder(epochs=1, random_state=0, device="cpu").fit(source)
    assert getattr(source._local, "cursor", None) is None
