"""Compression: real byte streams out of any model and back, and the rate-distortion model."""

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

import aekit
from aekit import Autoencoder, CompressionAutoencoder, compress, decompress
from aekit.apps import _stream
from aekit.cli import main
from aekit.io import write_table
from aekit.nn.refine import row_objective

SRC = str(Path(aekit.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def data(digits_split):
    X_train, X_test = digits_split
    return X_train[:400], X_test[:60]


@pytest.fixture(scope="module")
def plain(data):
    return Autoencoder(latent_dim=4, hidden_dims=(16,), epochs=2, batch_size=64,
                       random_state=0, device="cpu").fit(data[0])


def in_range(model, rows: np.ndarray) -> np.ndarray:
    """``rows`` of a model of pixels in [0, 1] within [0, 1], as ``decompress`` gives them."""
    return np.clip(rows, 0, 1).astype(rows.dtype)


def _reseal(body: bytes) -> bytes:
    """A stream body with a valid checksum again, to reach the checks behind it."""
    return body + struct.pack("<I", zlib.crc32(body))


def test_round_trip_decodes_the_quantised_codes_exactly(plain, data):
    X = data[1]
    stream = compress(plain, X, step=0.05)
    X_hat = decompress(stream, plain)
    assert isinstance(stream, bytes) and X_hat.shape == X.shape
    step = float(np.float32(0.05))  # the header stores the step as float32
    quantised = np.rint(plain.transform(X).astype(np.float64) / step) * step
    # each pixel comes back within its training range (an overshoot only adds error)
    decoded = plain.inverse_transform(quantised.astype(np.float32))
    assert decoded.min() < 0 or decoded.max() > 1  # the clip has work to do here
    np.testing.assert_array_equal(X_hat, in_range(plain, decoded))
    assert X_hat.min() >= 0 and X_hat.max() <= 1
    assert np.abs(X_hat - X).mean() < np.abs(decoded - X).mean()
    # a fine step reconstructs as the model does; a coarse one is smaller and coarser
    fine, coarse = compress(plain, X, step=1e-3), compress(plain, X, step=0.5)
    np.testing.assert_allclose(decompress(fine, plain), in_range(plain, plain.reconstruct(X)),
                               atol=2e-3)
    assert len(coarse) < len(stream) < len(fine)
    assert len(stream) < X.size  # fewer bytes than values, let alone float32 values


def test_rows_outside_the_unit_range_are_not_clipped(data):
    """Only a model that saw [0, 1] data clips: a table in its own units comes back as is."""
    train, X = data[0] * 10 - 5, data[1] * 10 - 5
    model = Autoencoder(latent_dim=4, hidden_dims=(16,), epochs=2, batch_size=64,
                        random_state=0, device="cpu").fit(train)
    X_hat = decompress(compress(model, X), model)
    assert X_hat.min() < -1 and X_hat.max() > 1


def test_8_bit_pixels_for_a_model_of_unit_pixels_are_refused_not_coded(plain, data):
    with pytest.raises(ValueError, match=r"values up to 255, but the model was trained on "
                       r"values in \[0, 1\]: .* X / 255"):
        compress(plain, np.rint(data[1] * 255))


def test_a_few_rows_need_a_step_given_not_one_from_their_own_spread(plain, data):
    X = data[1]
    for few, why in ((X[:1], "at least 20 rows, not 1"), (X[:19], "at least 20 rows, not 19"),
                     (np.repeat(X[:1], 30, axis=0), "these rows all have the same code")):
        with pytest.raises(ValueError, match=rf"{why}.*: give step="):
            compress(plain, few)
    step = float(np.float32(0.05))
    stream = compress(plain, X[:1], step=step)  # the step of a larger batch: as good as there
    np.testing.assert_allclose(decompress(stream, plain)[0],  # (but for float32 rounding)
                               decompress(compress(plain, X, step=step), plain)[0], atol=1e-6)


def test_default_step_and_bad_steps(plain, data):
    X = data[1]
    X_hat = decompress(compress(plain, X), plain)
    assert np.abs(X_hat - in_range(plain, plain.reconstruct(X))).max() < 0.05
    for step in (0, -1.0, float("nan"), "big"):
        with pytest.raises(ValueError, match="step must be a positive number"):
            compress(plain, X, step=step)


def test_decoding_is_bit_exact_in_another_process(plain, data, tmp_path):
    X = data[1]
    plain.save(tmp_path / "m.safetensors")
    np.save(tmp_path / "x.npy", X)
    stream = compress(plain, X)
    (tmp_path / "s.aekz").write_bytes(stream)
    script = (
        "import sys, numpy as np, aekit; d = sys.argv[1]\n"
        "m = aekit.load(d + '/m.safetensors')\n"
        "np.save(d + '/out.npy', aekit.decompress(open(d + '/s.aekz', 'rb').read(), m))\n"
        "open(d + '/again.aekz', 'wb').write(aekit.compress(m, np.load(d + '/x.npy')))\n")
    # the same device as this process's model (a GPU would decode in other rounding)
    path = os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True,
                   env={"PYTHONPATH": path, "PATH": "/usr/bin:/bin", "CUDA_VISIBLE_DEVICES": ""})
    assert np.load(tmp_path / "out.npy").tobytes() == decompress(stream, plain).tobytes()
    assert (tmp_path / "again.aekz").read_bytes() == stream


def test_another_model_is_refused(plain, data):
    other = Autoencoder(latent_dim=4, hidden_dims=(16,), epochs=2, batch_size=64,
                        random_state=1, device="cpu").fit(data[0])
    with pytest.raises(ValueError, match="written with another model"):
        decompress(compress(plain, data[1]), other)


def test_damaged_streams_raise_value_error(plain, data):
    stream = compress(plain, data[1])
    for cut in (0, 3, 10, len(stream) // 2, len(stream) - 1):
        with pytest.raises(ValueError):
            decompress(stream[:cut], plain)
    for position in (0, 5, 12, len(stream) // 2, len(stream) - 2):
        damaged = bytearray(stream)
        damaged[position] ^= 0x10
        with pytest.raises(ValueError):
            decompress(bytes(damaged), plain)
    with pytest.raises(TypeError, match="bytes"):
        decompress("not bytes", plain)


def test_header_version_is_checked(plain, data):
    body = bytearray(compress(plain, data[1])[:-4])
    assert bytes(body[:4]) == _stream.MAGIC and body[4] == _stream.VERSION
    body[4] = _stream.VERSION + 1
    with pytest.raises(ValueError, match="format version 2"):
        decompress(_reseal(bytes(body)), plain)


def test_cli_compress_and_decompress(plain, data, tmp_path, capsys):
    model, X = tmp_path / "m.safetensors", data[1]
    plain.save(model)
    np.save(tmp_path / "x.npy", X)
    stream, out = tmp_path / "x.aekz", tmp_path / "back.npy"
    assert main(["compress", str(model), str(tmp_path / "x.npy"), "-o", str(stream)]) == 0
    assert main(["decompress", str(model), str(stream), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "compressed 60 rows" in said
    raw = X.size * 4  # the ratio is against the values as the file holds them
    assert f"{raw / stream.stat().st_size:.3g}x smaller than the values as float32" in said
    np.save(tmp_path / "x8.npy", np.rint(X).astype(np.uint8))  # 0/1 pixels as bytes
    pixels = tmp_path / "x8.aekz"
    assert main(["compress", str(model), str(tmp_path / "x8.npy"), "-o", str(pixels)]) == 0
    said = capsys.readouterr().out
    assert f"{X.size / pixels.stat().st_size:.3g}x smaller than the values as uint8" in said
    # a CSV of whole numbers: against the smallest integers that hold them (a trial: float32)
    np.savetxt(tmp_path / "x8.csv", np.rint(X), delimiter=",", fmt="%d",
               header=",".join(f"f{i}" for i in range(X.shape[1])), comments="")
    assert main(["compress", str(model), str(tmp_path / "x8.csv"), "-o", str(pixels)]) == 0
    said = capsys.readouterr().out
    assert f"{X.size / pixels.stat().st_size:.3g}x smaller than the values as uint8" in said
    from aekit.cli_compress import _held_as  # the smallest type that holds both ends

    for ends, held in (([-7, 101], "int8"), ([-129, 0], "int16"), ([0, 70000], "float32"),
                       ([0.5, 1], "float32")):
        assert _held_as(np.array([ends], dtype=np.float64)) == held, ends  # (a review: int16)
    np.save(tmp_path / "x255.npy", np.rint(X * 255).astype(np.uint8))  # for a [0, 1] model
    assert main(["compress", str(model), str(tmp_path / "x255.npy"), "-o", str(pixels)]) == 1
    assert "values up to 255, but the model was trained on" in capsys.readouterr().err
    assert main(["compress", str(model), str(tmp_path / "x.npy"), "-o",
                 str(tmp_path / "x.csv")]) == 1  # a table's name for bytes: refused
    assert "the compressed stream is bytes, not a table: name it .aekz" in (
        capsys.readouterr().err)
    np.testing.assert_array_equal(np.load(out), decompress(stream.read_bytes(), plain))
    stream.write_bytes(stream.read_bytes()[:-1])
    assert main(["decompress", str(model), str(stream), "-o", str(out)]) == 1
    assert "truncated" in capsys.readouterr().err
    table = tmp_path / "x.csv"  # an id column taken out with --time is not in the stream
    write_table(table, X, [f"x{i}" for i in range(X.shape[1])], index=np.arange(len(X)),
                index_name="id")
    assert main(["compress", str(model), str(table), "--time", "id", "-o", str(stream)]) == 0
    assert "--time id: the stream holds the features only" in capsys.readouterr().err


# ------------------------------------------------------------------ CompressionAutoencoder
def _codec_params(**overrides):
    params = {"latent_dim": 4, "hidden_dims": (16,), "epochs": 5, "batch_size": 16,
              "learning_rate": 1e-2, "random_state": 0, "device": "cpu"}
    return {**params, **overrides}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_codec_trained_on_a_gpu_compresses(data):
    X_train, X_test = data
    codec = CompressionAutoencoder(lmbda=0.01, **_codec_params(device="cuda")).fit(X_train)
    assert (codec.coding_freq_ >= 0).all() and (codec.coding_freq_[:, 0] > 0).all()
    for refine in (0, 3):
        codes = codec.refined_transform(X_test, refine) if refine else codec.transform(X_test)
        stream = compress(codec, X_test, refine=refine)
        np.testing.assert_array_equal(decompress(stream, codec),
                                      in_range(codec, codec.inverse_transform(codes)))


@pytest.fixture(scope="module")
def curve(data):
    X_train, X_test = data
    return aekit.rate_distortion_curve(X_train[:200], X_test, lmbdas=(1e-4, 1.0),
                                       **_codec_params())


def test_rate_falls_as_lmbda_grows(curve, data):
    cheap, fine = curve[1], curve[0]
    assert [p.lmbda for p in curve] == [1e-4, 1.0]
    assert cheap.n_bytes < 0.8 * fine.n_bytes and cheap.mse > fine.mse
    for point in curve:
        assert point.n_bytes == len(compress(point.model, data[1]))
        assert point.bits_per_value == pytest.approx(8 * point.n_bytes / data[1].size)
        errors = decompress(compress(point.model, data[1]), point.model) - data[1]
        assert point.nmse == pytest.approx(np.mean((errors / point.model.score_scale_) ** 2),
                                           rel=1e-5)
        # the learned prior prices the codes close to what the range coder spends
        estimate = point.model.bits_per_row(data[1]).sum() / 8
        assert estimate <= point.n_bytes <= estimate + 40  # header, checksum, last word


def test_codec_streams_use_the_learned_tables(curve, data):
    model, X = curve[0].model, data[1]
    stream = compress(model, X)
    assert stream[5] & _stream.FLAG_MODEL_TABLES  # no tables in the stream
    codes = model.transform(X)
    np.testing.assert_array_equal(codes, np.rint(codes))  # integer codes
    np.testing.assert_array_equal(decompress(stream, model),
                                  in_range(model, model.inverse_transform(codes)))
    one = compress(model, X[:1])
    assert len(one) < 40 and decompress(one, model).shape == (1, X.shape[1])


def test_an_ensembles_stream_decodes_with_the_model_that_wrote_it(data):
    """Its codes are all members' side by side, wider than one member's latent_dim_."""
    ensemble = aekit.EnsembleAutoencoder(n_members=3, latent_dim=4, epochs=1, random_state=0,
                                         device="cpu").fit(data[0])
    X = data[1]
    X_hat = decompress(compress(ensemble, X, step=1e-3), ensemble)
    np.testing.assert_allclose(
        X_hat, in_range(ensemble, ensemble.inverse_transform(ensemble.transform(X))), atol=2e-2)


def test_padded_sequences_are_refused_not_returned_as_values():
    sequences = np.random.RandomState(0).rand(32, 12, 1).astype(np.float32)
    model = aekit.SequenceAutoencoder(architecture="gru", epochs=1, random_state=0,
                                      device="cpu").fit(sequences)
    assert decompress(compress(model, sequences), model).shape == sequences.shape
    sequences[0, 8:] = np.nan  # a shorter sequence, padded
    with pytest.raises(ValueError, match="keeps no lengths"):
        compress(model, sequences)


def test_codec_save_load_round_trip(curve, data, tmp_path):
    model, X = curve[0].model, data[1]
    model.save(tmp_path / "codec.safetensors")
    loaded = aekit.load(tmp_path / "codec.safetensors")
    assert type(loaded) is aekit.CompressionAutoencoder and loaded.lmbda == 1e-4
    stream = compress(model, X)
    assert compress(loaded, X) == stream
    np.testing.assert_array_equal(decompress(stream, loaded), decompress(stream, model))
    for (lo_a, f_a), (lo_b, f_b) in zip(model.coding_tables(), loaded.coding_tables()):
        assert lo_a == lo_b and np.array_equal(f_a, f_b)


def _objective(model, X, codes) -> np.ndarray:
    """Each row's ``distortion + rate`` as the model was trained to weigh them."""
    x = torch.from_numpy(model._scale(X))
    with torch.no_grad():
        return row_objective(model.module_, torch.from_numpy(codes), x).numpy()


def test_refined_codes_lower_every_rows_objective(curve, data):
    model, X = curve[0].model, data[1]
    before = [(p.detach().clone(), None if p.grad is None else p.grad.clone())
              for p in model.module_.parameters()]
    encoded, refined = model.transform(X), model.refined_transform(X, steps=30)
    np.testing.assert_array_equal(refined, np.rint(refined))  # integer codes
    np.testing.assert_array_equal(model.refined_transform(X, steps=0), encoded)
    np.testing.assert_array_equal(model.refined_transform(X, steps=30), refined)  # repeatable
    old, new = _objective(model, X, encoded), _objective(model, X, refined)
    assert (new <= old).all() and new.sum() < 0.98 * old.sum()
    assert (refined != encoded).any(axis=1).mean() > 0.5  # most rows found a better code
    for p, (value, grad) in zip(model.module_.parameters(), before):  # left as it was
        assert torch.equal(p, value)
        assert (p.grad is None) if grad is None else torch.equal(p.grad, grad)
    stream = compress(model, X, refine=30)
    np.testing.assert_array_equal(decompress(stream, model),
                                  in_range(model, model.inverse_transform(refined)))
    point = aekit.rate_distortion_curve(data[0][:200], X, lmbdas=(1e-4,), refine=30,
                                        **_codec_params())[0]
    assert point.n_bytes == len(stream)  # the same training, the same refined stream


def test_refined_codes_depend_on_their_row_alone(curve, data):
    model, X = curve[0].model, data[1]
    refined = model.refined_transform(X, steps=20)
    np.testing.assert_array_equal(model.refined_transform(X[::-1], steps=20), refined[::-1])
    np.testing.assert_array_equal(model.refined_transform(X[:3], steps=20), refined[:3])
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with torch.inference_mode():  # as callers' scoring code may run it
        stream = compress(model, X, refine=20)
    assert torch.equal(torch.rand(3), expected)  # the global generator is untouched
    np.testing.assert_array_equal(decompress(stream, model),
                                  in_range(model, model.inverse_transform(refined)))
    model.module_.train()  # a caller's mode is kept, and batch norm's statistics untouched
    try:
        np.testing.assert_array_equal(model.refined_transform(X, steps=20), refined)
        assert model.module_.training
    finally:
        model.module_.eval()


def test_refine_is_refused_where_it_cannot_work(plain, curve, data):
    X = data[1]
    with pytest.raises(TypeError, match=r"refine \(--refine\) needs a CompressionAutoencoder"):
        compress(plain, X, refine=10)
    for bad in (-1, 2.5, True):
        with pytest.raises(ValueError, match="refine must be a whole number"):
            compress(curve[0].model, X, refine=bad)
    with pytest.raises(ValueError, match="step=0.5"):
        compress(curve[0].model, X, refine=10, step=0.5)
    with pytest.raises(ValueError, match="refine must be"):  # before any training
        aekit.rate_distortion_curve(data[0], X, lmbdas=(0.1,), refine=-1, epochs=10**6)


def test_cli_compress_refines(curve, data, tmp_path):
    model, X = curve[0].model, data[1]
    model.save(tmp_path / "codec.safetensors")
    np.save(tmp_path / "x.npy", X)
    args = ["compress", str(tmp_path / "codec.safetensors"), str(tmp_path / "x.npy")]
    assert main([*args, "-o", str(tmp_path / "plain.aekz")]) == 0
    assert main([*args, "-o", str(tmp_path / "refined.aekz"), "--refine", "30"]) == 0
    assert (tmp_path / "refined.aekz").read_bytes() == compress(model, X, refine=30)
    assert (tmp_path / "plain.aekz").read_bytes() != (tmp_path / "refined.aekz").read_bytes()


def test_codec_rejects_a_bad_lmbda(data):
    with pytest.raises(ValueError, match="lmbda"):
        aekit.CompressionAutoencoder(lmbda=-1.0, epochs=1).fit(data[0])


def test_readme_snippet_runs():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("## Compression"):]
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(snippet, "README.md (Compression)", "exec"), namespace)  # noqa: S102
    assert namespace["X_hat"].shape == (1797, 64)


def test_the_default_codec_trains_enough_on_a_small_table():
    """With batches sized to the table, 178 rows get hundreds of steps, not fifty: the
    decoded rows beat the column means (error 1 in standard deviations) by far."""
    from sklearn.datasets import load_wine

    X = load_wine().data
    codec = CompressionAutoencoder(latent_dim=4, random_state=0, device="cpu").fit(X)
    error = np.mean(((decompress(compress(codec, X), codec) - X) / X.std(0)) ** 2)
    assert codec.batch_size_ == 16 and error < 0.7, error


def test_rows_come_back_within_their_training_range_and_other_units_are_refused():
    """8-bit values came back from -102 to 406 (a trial: 6 dB after a cast to uint8), and
    rows in other units than training's were coded without a word."""
    from sklearn.datasets import load_digits

    X = load_digits().data.astype(np.float32)  # whole numbers 0..16
    eight = np.round(X * 250 / 16)  # flattened 8-bit images (none quite white: a review)
    pixels = CompressionAutoencoder(lmbda=0.01, **_codec_params(epochs=2)).fit(eight)
    rows = decompress(compress(pixels, eight), pixels)
    decoded = pixels.inverse_transform(pixels.transform(eight))
    assert decoded.min() < 0 or decoded.max() > 255  # the clip has work here
    assert rows.min() >= 0 and rows.max() <= 255
    assert np.abs(rows - eight).mean() < np.abs(decoded - eight).mean()
    codec = CompressionAutoencoder(lmbda=0.01, **_codec_params(epochs=2)).fit(X)
    with pytest.raises(ValueError, match=r"fractions in \[0, 1\], but the model was trained "
                                         r"on values in \[0, 16\]"):
        compress(codec, X / 16)  # scaled as the model's data was not
    unit = CompressionAutoencoder(lmbda=0.01, **_codec_params(epochs=1)).fit(X / 16)
    with pytest.raises(ValueError, match="of X's values lie outside the training range"):
        compress(unit, X / 8 - 1)  # [-1, 1] to a model of [0, 1]
    assert len(compress(unit, np.clip(X / 16 + 0.01, 0, 1)))  # near its range: coded
    for step in (0.5, np.float32(0.1)):  # whole-number codes: a finer step only costs bytes
        with pytest.raises(ValueError, match=r"step=0.\d \(--step\): a CompressionAutoencoder"):
            compress(codec, X, step=step)
    for step in (0, -1.0):
        with pytest.raises(ValueError, match="step must be a positive number"):
            compress(codec, X, step=step)
    assert len(compress(codec, X, step=2)) < len(compress(codec, X))


def test_a_table_of_other_data_is_neither_clipped_nor_refused():
    """Rows drifted past the training range came back pinned to its edge, and probabilities
    beside a count were refused as pixels in the wrong units (a review)."""
    rng = np.random.default_rng(0)
    for X in (rng.normal(size=(400, 4)), rng.normal(25, 3, size=(400, 4))):  # in [0, 255] too
        X = X.astype(np.float32)
        codec = CompressionAutoencoder(lmbda=1e-4, **_codec_params(epochs=2)).fit(X)
        drifted = X[:50] + np.float32([5, 0, 0, 0]) * X.std(0)
        rows = decompress(compress(codec, drifted), codec)
        np.testing.assert_array_equal(rows, codec.inverse_transform(codec.transform(drifted)))
        assert (rows[:, 0] > X[:, 0].max()).any()  # beyond the training range, as decoded
    from aekit.apps.compression import _within_training_range

    fractions = CompressionAutoencoder(lmbda=0.01, **_codec_params(epochs=1)).fit(
        rng.uniform(0.3, 0.7, size=(400, 4)))  # pixels in [0, 1]: kept there, not at 0.7
    decoded = np.float32([[0.85, -0.2, 1.3, 0.5]])
    np.testing.assert_array_equal(_within_training_range(fractions, decoded.copy()),
                                  np.float32([[0.85, 0.0, 1.0, 0.5]]))
    mixed = np.column_stack([rng.uniform(size=(400, 3)), rng.integers(0, 51, 400)])
    counts = CompressionAutoencoder(lmbda=0.01, **_codec_params(epochs=1)).fit(mixed)
    assert len(compress(counts, [[0.3, 0.6, 0.2, 0.0]]))  # a row of a count of 0: coded


def test_psnr_counts_against_the_datas_largest_possible_value(curve, data):
    """Against the test rows' own span (0.56 for some image tiles) it read 5 dB below the
    PSNR image codecs report (a trial)."""
    for point in curve:  # digits in [0, 1]: the peak is 1
        assert point.psnr == pytest.approx(10 * np.log10(1 / point.mse))
    X_train, X_test = data
    dim = aekit.rate_distortion_curve(X_train[:200] * 0.5, X_test * 0.5, lmbdas=(0.1,),
                                      **_codec_params(epochs=1))[0]
    assert dim.psnr == pytest.approx(10 * np.log10(1 / dim.mse))  # still pixels in [0, 1]
    eight = aekit.rate_distortion_curve(np.round(X_train[:200] * 255), np.round(X_test * 255),
                                        lmbdas=(0.1,), peak=None, **_codec_params(epochs=1))[0]
    assert eight.psnr == pytest.approx(10 * np.log10(255**2 / eight.mse))
    other = aekit.rate_distortion_curve(X_train[:200] * 2, X_test * 2, lmbdas=(0.1,),
                                        **_codec_params(epochs=1))[0]  # not pixels: the span
    assert other.psnr == pytest.approx(10 * np.log10(np.ptp(X_test * 2) ** 2 / other.mse))
    with pytest.raises(ValueError, match="peak must be a positive number"):
        aekit.rate_distortion_curve(X_train, X_test, lmbdas=(0.1,), peak=0)


def test_image_rows_of_another_shape_get_the_fix_that_applies(tmp_path, capsys):
    """Flattened images (as decompress writes them to a table) and colour images to a grey
    model got 'pad, crop or window the data' (a trial); the CLI now takes flattened rows."""
    from sklearn.datasets import load_digits

    from aekit.cli import main

    images = (load_digits().images[:300] / 16).astype(np.float32)
    codec = CompressionAutoencoder(architecture="conv", hidden_dims=(4,), latent_dim=4,
                                   epochs=1, random_state=0, device="cpu").fit(images)
    for X, fix in ((images.reshape(-1, 64), r"X.reshape\(-1, 8, 8\)"),
                   (np.repeat(images[..., None], 3, -1), r"3 channel\(s\), the model's 1"),
                   (images[0], r"pass X\[None\]")):
        with pytest.raises(ValueError, match=fix):
            codec.transform(X)
    axis = CompressionAutoencoder(architecture="conv", hidden_dims=(4,), latent_dim=4,
                                  epochs=1, random_state=0, device="cpu").fit(images[:, None])
    with pytest.raises(ValueError, match=r"X\[:, None\]"):  # not X[None] (a review)
        axis.transform(images)
    colour = CompressionAutoencoder(architecture="conv", hidden_dims=(4,), latent_dim=4,
                                    epochs=1, random_state=0, device="cpu").fit(
                                        np.repeat(images[:64, None], 3, 1))
    with pytest.raises(ValueError, match=r"1 channel\(s\), the model's 3: .*grey to colour"):
        colour.transform(images)
    with pytest.raises(ValueError, match=r"one image: pass X\[None\]"):
        colour.transform(np.repeat(images[0][None], 3, 0))  # one colour image, no batch axis
    codec.save(tmp_path / "c.safetensors")
    np.save(tmp_path / "x.npy", images)
    for args in (["compress", "c.safetensors", "x.npy", "-o", "a.aekz"],
                 ["decompress", "c.safetensors", "a.aekz", "-o", "flat.csv"],
                 ["compress", "c.safetensors", "flat.csv", "-o", "b.aekz"]):
        assert main([str(tmp_path / a) if "." in a else a for a in args]) == 0
    assert "taken as one of the model's rows of shape (8, 8)" in capsys.readouterr().err
    assert main(["info", str(tmp_path / "c.safetensors")]) == 0  # as transform takes them
    assert "input:       rows of shape (8, 8) -> code 4" in capsys.readouterr().out
    assert main(["info", str(tmp_path / "a.aekz")]) == 0
    out = capsys.readouterr().out
    assert "rows:        300, codes of size 4, step 1" in out and "fingerprint" in out
    (tmp_path / "cut.aekz").write_bytes((tmp_path / "a.aekz").read_bytes()[:40])
    assert main(["info", str(tmp_path / "cut.aekz")]) == 1
    assert "cut.aekz: compressed stream is corrupted or truncated" in capsys.readouterr().err
