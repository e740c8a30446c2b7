"""ONNX export: every exportable variant and architecture gives, in onnxruntime, what PyTorch
gives (|onnx - torch| <= 1e-5 + 1e-5 * |torch|), at any batch size; the rest gets a clear error."""

import json
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

import aekit
from aekit.cli import main
from aekit.estimators import _onnx
from aekit.estimators.ensemble import EnsembleAutoencoder
from aekit.estimators.masked import MaskedAutoencoder

TOL = {"rtol": 1e-5, "atol": 1e-5}
RNG = np.random.RandomState(0)
TABLE = (RNG.normal(size=(40, 6)) * [1, 2, 3, 4, 5, 6] + 100).astype(np.float32)
IMAGES = RNG.uniform(size=(40, 8, 8)).astype(np.float32)
SERIES = RNG.normal(size=(40, 10, 2)).astype(np.float32)
SERIES[::3, 6:] = np.nan  # padding: the rows' lengths are 6 or 10
HOLES = np.where(RNG.uniform(size=TABLE.shape) < 0.1, np.nan, TABLE)
FLAGS = np.where(np.arange(40) % 5 == 0, np.nan, np.arange(40) % 2)  # 0/1, some missing
SMALL = {"epochs": 1, "random_state": 0, "device": "cpu"}

CASES = {
    "autoencoder": (lambda: aekit.Autoencoder(latent_dim=2, **SMALL), TABLE),
    "autoencoder-batchnorm-dropout": (lambda: aekit.Autoencoder(
        latent_dim=2, hidden_dims=(8,), batch_norm=True, dropout=0.1, **SMALL), TABLE),
    "vae": (lambda: aekit.VAE(latent_dim=2, **SMALL), TABLE),
    "vae-bce": (lambda: aekit.VAE(latent_dim=2, **SMALL), IMAGES.reshape(40, -1)),
    "sparse-topk": (lambda: aekit.SparseAutoencoder(latent_dim=4, **SMALL), TABLE),
    "sparse-l1": (lambda: aekit.SparseAutoencoder(sparsity="l1", latent_dim=4, **SMALL), TABLE),
    "sparse-kl": (lambda: aekit.SparseAutoencoder(sparsity="kl", latent_dim=4, **SMALL), TABLE),
    "denoising": (lambda: aekit.DenoisingAutoencoder(latent_dim=2, **SMALL), TABLE),
    "compression": (lambda: aekit.CompressionAutoencoder(latent_dim=2, **SMALL), TABLE),
    "ensemble": (lambda: EnsembleAutoencoder(n_members=3, latent_dim=2, **SMALL), TABLE),
    "masked-with-nan": (lambda: MaskedAutoencoder(latent_dim=2, gaussian=False, **SMALL),
                        np.c_[HOLES, FLAGS]),
    "conv-n-h-w": (lambda: aekit.Autoencoder(architecture="conv", hidden_dims=(4, 8),
                                             latent_dim=3, **SMALL), IMAGES),
    "conv-vae-n-c-h-w": (lambda: aekit.VAE(architecture="conv", hidden_dims=(4,), latent_dim=3,
                                           **SMALL), IMAGES[:, None]),
    "lstm-padded": (lambda: aekit.SequenceAutoencoder(hidden_dims=(8, 4), latent_dim=3, **SMALL),
                    SERIES),
    "gru-n-t-padded": (lambda: aekit.SequenceAutoencoder(architecture="gru", hidden_dims=(8,),
                                                  latent_dim=3, **SMALL), SERIES[..., 0]),
}


def fitted(make, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # latent_dim warnings of tiny models
        return make().fit(X)


def run(path, name: str, x: np.ndarray) -> np.ndarray:
    return ort.InferenceSession(str(path)).run(None, {name: x.astype(np.float32)})[0]


@pytest.mark.parametrize("case", CASES)
def test_graphs_match_pytorch_at_any_batch_size(case, tmp_path):
    make, X = CASES[case]
    model = fitted(make, X)
    before = model.transform(X[:7])
    paths = model.export_onnx(tmp_path)
    assert not any(m.training for m in model.module_.modules())  # the model is left as it was
    np.testing.assert_array_equal(model.transform(X[:7]), before)
    for n in (1, 7):  # neither is the traced batch size
        rows = X[:n]
        codes = model.transform(rows)
        np.testing.assert_allclose(run(paths["encoder"], "rows", rows), codes, **TOL)
        np.testing.assert_allclose(run(paths["scorer"], "rows", rows),
                                   model.score_samples(rows), **TOL)
        if "decoder" in paths:
            np.testing.assert_allclose(run(paths["decoder"], "codes", codes),
                                       model.inverse_transform(codes), **TOL)


def test_a_masked_model_exports_an_imputer_and_no_decoder_codes_cannot_drive(tmp_path):
    make, X = CASES["masked-with-nan"]  # skip=True: its rows need more than their codes
    model = fitted(make, X)
    paths = model.export_onnx(tmp_path)
    assert "decoder" not in paths and not (tmp_path / "decoder.onnx").exists()
    with pytest.raises(ValueError, match="skip=True"):
        model.inverse_transform(model.transform(X[:3]))
    rows = X[:9].astype(np.float32)
    assert np.isnan(rows).any()
    assert model.fill_max_[-1] == 1  # the 0/1 column: its fills are clipped
    filled = run(paths["imputer"], "rows", rows)
    np.testing.assert_allclose(filled, model.impute(rows), **TOL)
    observed = ~np.isnan(rows)
    np.testing.assert_array_equal(filled[observed], rows[observed])
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "impute" in manifest["graphs"]["imputer"]["description"]
    # without the skip path (and the normal model) a code gives a row: the decoder is kept
    plain = fitted(lambda: MaskedAutoencoder(latent_dim=2, gaussian=False, skip=False, **SMALL), X)
    assert {"decoder", "imputer"} <= set(plain.export_onnx(tmp_path / "plain"))


def test_a_second_export_into_the_same_folder_leaves_no_stale_graph(tmp_path):
    fitted(*CASES["autoencoder"]).export_onnx(tmp_path)
    assert (tmp_path / "decoder.onnx").exists()
    make, X = CASES["masked-with-nan"]
    fitted(make, X).export_onnx(tmp_path)  # no decoder for it: the old one must go
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "encoder.onnx", "imputer.onnx", "manifest.json", "scorer.onnx"]


def test_manifest_tells_how_to_call_the_graphs(tmp_path):
    make, X = CASES["conv-n-h-w"]
    model = fitted(make, X)
    model.export_onnx(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["model_class"] == "Autoencoder"
    assert manifest["aekit_version"] == aekit.__version__
    for graph in manifest["graphs"].values():
        session = ort.InferenceSession(str(tmp_path / graph["file"]))
        (given,), (out,) = session.get_inputs(), session.get_outputs()
        assert [given.name, out.name] == [graph["input"]["name"], graph["output"]["name"]]
        assert given.shape[1:] == graph["input"]["shape"][1:]  # images as given: (n, 8, 8)
        assert isinstance(given.shape[0], str)  # the batch axis is dynamic
    assert manifest["graphs"]["encoder"]["input"]["shape"] == ["batch", 8, 8]
    assert manifest["graphs"]["scorer"]["output"]["shape"] == ["batch"]


def test_a_model_with_pandas_output_exports_the_same_graphs(tmp_path):
    import pandas as pd

    from aekit import Autoencoder

    frame = pd.DataFrame(np.random.RandomState(0).rand(60, 4), columns=list("abcd"))
    model = Autoencoder(latent_dim=2, epochs=1, random_state=0, device="cpu").fit(frame)
    model.set_output(transform="pandas").export_onnx(tmp_path)
    session = ort.InferenceSession(str(tmp_path / "encoder.onnx"))
    rows = frame.to_numpy(np.float32)
    (codes,) = session.run(None, {session.get_inputs()[0].name: rows})
    np.testing.assert_allclose(codes, model.transform(frame).to_numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("model", ["ensemble", "vae"])  # each member's errors, or one model's
def test_detector_scorer_matches(model, tmp_path):
    X = pd.DataFrame(RNG.normal(size=(150, 5)) * [1, 2, 3, 4, 5] + 10, columns=list("abcde"))
    inner = (EnsembleAutoencoder(n_members=3, latent_dim=2, **SMALL) if model == "ensemble"
             else aekit.VAE(latent_dim=2, **SMALL))
    detector = aekit.AnomalyDetector(model=inner, random_state=0).fit(X)
    paths = detector.export_onnx(tmp_path)
    assert set(paths) == {"scorer", "manifest"}
    for n in (1, 9):
        np.testing.assert_allclose(run(paths["scorer"], "rows", X[:n].to_numpy()),
                                   detector.score_samples(X[:n]), **TOL)
    manifest = json.loads(paths["manifest"].read_text())
    assert manifest["outlier_below_score"] == detector.offset_
    assert manifest["feature_names"] == list("abcde")  # the order of a row's values


def test_cli_writes_the_graphs(tmp_path, capsys):
    make, X = CASES["autoencoder"]
    model_path = tmp_path / "model.aekit"
    fitted(make, X).save(model_path)
    out = tmp_path / "graphs"
    assert main(["export", str(model_path), "--format", "onnx", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["decoder.onnx", "encoder.onnx",
                                                     "manifest.json", "scorer.onnx"]
    assert "wrote encoder.onnx" in capsys.readouterr().out
    np.testing.assert_allclose(run(out / "scorer.onnx", "rows", X[:3]),
                               aekit.load(model_path).score_samples(X[:3]), **TOL)


def test_text_models_get_a_clear_error(tmp_path, capsys):
    ids = np.random.RandomState(0).randint(1, 9, size=(20, 6))
    model = fitted(lambda: aekit.SequenceAutoencoder(tokens=True, hidden_dims=(4,),
                                                     latent_dim=2, **SMALL), ids)
    with pytest.raises(ValueError, match="text models"):
        model.export_onnx(tmp_path / "text")
    model.save(tmp_path / "text.aekit")
    assert main(["export", str(tmp_path / "text.aekit"), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("aekit: error: text models") and err.count("\n") == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_masked_model_on_a_normal_model_gets_a_clear_error(tmp_path):
    model = fitted(lambda: MaskedAutoencoder(latent_dim=2, **SMALL), HOLES)  # gaussian="auto"
    with pytest.raises(ValueError, match="gaussian=False") as info:
        model.export_onnx(tmp_path / "masked")
    assert "\n" not in str(info.value)


def test_cli_refuses_models_without_graphs(tmp_path, capsys):
    imputer = aekit.AutoencoderImputer(hidden_dims=(4,), latent_dim=2, epochs=1, random_state=0,
                                       device="cpu").fit(HOLES)
    imputer.save(tmp_path / "imputer.aekit")
    assert main(["export", str(tmp_path / "imputer.aekit"), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("aekit: error: AutoencoderImputer models cannot be exported to ONNX")
    assert "a MaskedAutoencoder saved from Python exports an imputer graph" in err  # a trial
    assert err.count("\n") == 1


def test_missing_onnx_says_how_to_install(tmp_path, monkeypatch, capsys):
    make, X = CASES["autoencoder"]
    model_path = tmp_path / "model.aekit"
    fitted(make, X).save(model_path)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails
    assert main(["export", str(model_path), "-o", str(tmp_path / "out")]) == 1
    assert "pip install aekit[onnx]" in capsys.readouterr().err


def test_a_graph_that_answers_differently_is_refused():
    make, X = CASES["autoencoder"]
    graph = _onnx.estimator_graphs(fitted(make, X))["encoder"]
    other = _onnx.estimator_graphs(fitted(make, X * 2))["encoder"]
    with pytest.raises(ValueError, match="does not reproduce"):
        _onnx.check_graph(ort, "encoder", graph, _onnx.trace("encoder", other))


@pytest.mark.parametrize("case", ["vae-bce", "conv-n-h-w"])
def test_bce_scores_stay_finite_at_extreme_logits(case, tmp_path):
    make, X = CASES[case]
    model = fitted(make, X)
    assert model.loss_ == "bce"
    last = [m for m in model.module_.decoder.modules() if hasattr(m, "bias")][-1]
    with torch.no_grad():  # logits far past where sigmoid rounds to 0 or 1 in float32
        last.bias[::2] = -300.0
        last.bias[1::2] = 300.0
    paths = model.export_onnx(tmp_path)
    expected = model.score_samples(X[:4])
    np.testing.assert_allclose(run(paths["scorer"], "rows", X[:4]), expected, **TOL)
