"""The jobs: 2-D maps, reports (HTML + figures), generation, denoising, and the README's
snippets for them."""

import base64
import html.parser
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from aekit import VAE, DenoisingAutoencoder, MaskedAutoencoder
from aekit.apps import denoise, load, project_2d, write_report
from aekit.cli import main

FAST = {"batch_size": 32, "device": "cpu", "random_state": 0}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def blobs():
    """Two well separated clusters in 8-D, labelled 0 and 1."""
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.normal(-3, 1, (100, 8)), rng.normal(3, 1, (100, 8))])
    return X.astype(np.float32), np.repeat([0, 1], 100)


@pytest.fixture(scope="module")
def vae(blobs):
    return VAE(latent_dim=2, hidden_dims=(16,), epochs=30, **FAST).fit(blobs[0])


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.data[:200] / 16).astype(np.float32), data.target[:200]


@pytest.fixture(scope="module")
def image_vae(digits):
    return VAE(latent_dim=3, hidden_dims=(32,), epochs=3, **FAST).fit(digits[0])


@pytest.fixture
def files(tmp_path, blobs, vae):
    """A CSV of the blobs with a text label column, the VAE's model file."""
    X, y = blobs
    table = pa.table({**{f"f{i}": X[:, i] for i in range(8)},
                      "cluster": np.array(["left", "right"])[y]})
    pacsv.write_csv(table, tmp_path / "blobs.csv")
    vae.save(tmp_path / "vae.safetensors")
    return tmp_path / "blobs.csv", tmp_path / "vae.safetensors"


class ImageSources(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


def check_page(index: Path) -> list[str]:
    """Every image the page shows is embedded as a PNG equal to the file it names beside it."""
    parser = ImageSources()
    parser.feed(index.read_text())
    names = []
    for image in parser.images:
        prefix = "data:image/png;base64,"
        assert image["src"].startswith(prefix)
        data = base64.b64decode(image["src"][len(prefix):])
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert (index.parent / image["data-file"]).read_bytes() == data
        names.append(image["data-file"])
    return names


# ----------------------------------------------------------------- reports
def test_report_on_a_table_from_the_cli(files, tmp_path, capsys):
    data, model = files
    assert main(["report", str(model), str(data), "--labels", "cluster",
                 "-o", str(tmp_path / "rep")]) == 0
    index = tmp_path / "rep" / "index.html"
    assert sorted(check_page(index)) == ["feature_errors.png", "latent_map.png", "loss.png",
                                         "scores.png"]
    page = index.read_text()
    assert "VariationalAutoencoder" in page and "<th>code size</th><td>2</td>" in page
    assert "f0" in page and "cluster" not in page  # the label column is not a feature
    two = tmp_path / "two.csv"
    two.write_text("".join(data.read_text().splitlines(keepends=True)[:3]))
    assert main(["report", str(model), str(two), "--labels", "cluster", "-o",
                 str(tmp_path / "few")]) == 1
    assert "a report needs at least 3 rows" in capsys.readouterr().err
    assert not (tmp_path / "few").exists()  # refused before any figure is written


def test_report_on_images_and_a_detector_threshold(image_vae, digits, tmp_path):
    X, _ = digits

    class Detector:  # what a detector wrapping an autoencoder offers
        model_name = "detector"

        def __init__(self, model):  # scores below offset_ are outliers, as in scikit-learn
            self.model_, self.offset_ = model, float(np.quantile(model.score_samples(X), .1))

        def score_samples(self, X):
            return self.model_.score_samples(X)

    report = write_report(Detector(image_vae), X, tmp_path / "rep")
    assert sorted(check_page(report.index)) == ["latent_map.png", "loss.png",
                                                "reconstructions.png", "scores.png"]
    assert report.numbers["rows below the threshold"] == "10.00%"
    assert "reconstruction squared error per row" in report.numbers


def test_report_on_an_anomaly_detector(blobs, tmp_path):
    """The detector's threshold on its scores' scale, its autoencoder shown the rows it was
    trained on (scaled robustly and clipped), the features by the table's names."""
    import pandas as pd

    from aekit import AnomalyDetector, Autoencoder

    frame = pd.DataFrame(blobs[0] * 100 + 1000, columns=[f"g{i}" for i in range(8)])
    detector = AnomalyDetector(model=Autoencoder(latent_dim=2, epochs=5, **FAST),
                               contamination=0.1).fit(frame)
    report = write_report(detector, frame, tmp_path / "rep")
    flagged = np.mean(detector.predict(frame) == -1)
    assert report.numbers["rows below the threshold"] == f"{flagged:.2%}"
    names = list(report.numbers)  # unit-free figures before the MSE, which one column decides
    key = "reconstruction MSE (AnomalyDetector's scaled units)"  # (no column weighs most)
    assert names.index("reconstruction error / variance (mean over features)") < names.index(key)
    mse = float(report.numbers[key])
    assert mse < 1  # robust units: in data units (values near 1000) it would be far larger
    assert report.numbers["worst features"].startswith("g")
    scaled = detector.model_input(frame)  # as the autoencoder saw the rows
    errors = np.square(scaled - detector.model_.reconstruct(scaled)).mean(0) / scaled.var(0)
    assert report.numbers["reconstruction error / variance (mean over features)"] == (
        f"{errors.mean():.4g}")
    scores = detector.score_samples(frame)
    assert report.numbers["median score (higher = more normal)"] == f"{np.median(scores):.5g}"


def test_scores_spanning_decades_are_drawn_on_a_log_scale():
    from aekit.apps.report import spans_decades

    tailed = -np.r_[np.full(990, 1.0), np.geomspace(10, 35000, 10)]  # a detector's, on cardio
    assert spans_decades(-tailed) and not spans_decades(-tailed[:990] - 0.5)
    assert not spans_decades(np.r_[-1.0, 2.0])  # signs mixed: no log scale


def test_report_refuses_reordered_columns(blobs, tmp_path):
    import pandas as pd

    from aekit import Autoencoder, AutoencoderImputer

    frame = pd.DataFrame(blobs[0], columns=[f"g{i}" for i in range(8)])
    reordered = frame[frame.columns[::-1]]
    model = Autoencoder(latent_dim=2, epochs=2, **FAST).fit(frame)
    write_report(model, frame, tmp_path / "ok")
    with pytest.raises(ValueError, match="feature names should match"):
        write_report(model, reordered, tmp_path / "reordered")
    imputer = AutoencoderImputer(epochs=1, random_state=0, device="cpu").fit(frame)
    with pytest.raises(ValueError, match="feature names should match"):  # its names, not its
        write_report(imputer, reordered, tmp_path / "imputer")  # inner model's (none)
    with pytest.raises(ValueError, match="column 'g0' of X holds"):
        write_report(model, frame.assign(g0=frame["g0"].astype(str)), tmp_path / "text")


def test_report_on_an_imputer_fitted_with_categories(blobs, tmp_path, monkeypatch):
    """A trial: every way to report on an imputer of a table with a text column was refused
    (the text 'not numeric'; dropped, 'missing')."""
    import pandas as pd

    from aekit import AutoencoderImputer
    from aekit.apps import model_report

    drawn, draw = [], model_report.plot_feature_errors
    monkeypatch.setattr(model_report, "plot_feature_errors", lambda errors, names, *a, **k: (
        drawn.append(names), draw(errors, names, *a, **k)))
    X, y = blobs
    frame = pd.DataFrame(X[:, :3], columns=["a", "b", "c"]).assign(
        side=np.where(y == 0, "left", "right"))
    imputer = AutoencoderImputer(epochs=2, random_state=0, device="cpu").fit(frame)
    report = write_report(imputer, frame, tmp_path / "py")
    assert drawn[0] == ["a", "b", "c", "side=left", "side=right"]  # a category's 0/1 columns
    assert "reconstruction MSE (data units)" in " ".join(report.numbers)  # not scaled ones
    gaps = frame.mask(np.random.default_rng(0).random(frame.shape) < 0.1)  # as imputers see
    figures = write_report(imputer, gaps, tmp_path / "gaps").numbers  # (a review: all NaN)
    assert int(figures["missing cells (left out of the errors)"]) == gaps.isna().sum().sum()
    assert "nan" not in " ".join(figures.values())
    imputer.save(tmp_path / "imp.safetensors")
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert main(["report", str(tmp_path / "imp.safetensors"), str(tmp_path / "t.csv"), "-o",
                 str(tmp_path / "cli")]) == 0
    assert "feature_errors.png" in check_page(tmp_path / "cli" / "index.html")
    assert drawn[1] == drawn[0]


# ----------------------------------------------------------------- maps
def test_square_rows_of_unit_values_are_images_unless_their_columns_are_named_otherwise():
    from types import SimpleNamespace

    from aekit.apps.images import image_shape_of

    def model(names):
        return SimpleNamespace(input_shape_=(25,), scaling_="none", feature_names_in_=names)

    assert image_shape_of(model(None)) == (5, 5)
    assert image_shape_of(model(np.array([f"pixel{i}" for i in range(25)]))) == (5, 5)
    assert image_shape_of(model(np.array([f"{i}x{j}" for i in range(5) for j in range(5)]))) \
        == (5, 5)
    table = np.array(["mean radius", "mean texture", *(f"error {i}" for i in range(23))])
    assert image_shape_of(model(table)) is None  # a min-max scaled table, not a 5x5 image


def test_the_feature_error_figure_says_when_it_shows_only_the_largest(monkeypatch, tmp_path):
    from aekit.apps import report

    titles = []
    monkeypatch.setattr(report, "_save", lambda fig, path: titles.append(fig.axes[0].get_title()))
    errors = np.linspace(0, 1, 400)
    report.plot_feature_errors(errors, [f"f{i}" for i in range(400)], tmp_path / "a.png", "E")
    report.plot_feature_errors(errors[:12], [f"f{i}" for i in range(12)], tmp_path / "b.png", "E")
    assert titles == ["E\nthe 30 largest of 400 features", "E"]


def test_map_projects_only_codes_larger_than_two(blobs):
    Z = np.random.RandomState(0).normal(size=(50, 2))
    points, axes = project_2d(Z)
    assert np.array_equal(points, Z) and axes == ("z0", "z1")
    Z3 = np.column_stack([Z, 0.01 * Z[:, 0]])
    points, axes = project_2d(Z3)
    assert axes[0].startswith("PC1") and points.shape == (50, 2)
    from scipy.spatial.distance import pdist

    assert np.allclose(pdist(points), pdist(Z3), rtol=1e-3, atol=1e-3)  # a near-flat code
    with pytest.raises(ValueError, match="umap|one of"):
        project_2d(Z3, "isomapx")


def test_map_cli_separates_the_labelled_clusters(files, tmp_path, monkeypatch):
    from aekit.apps import report

    drawn, draw = {}, report.plot_latent_map
    monkeypatch.setattr(report, "plot_latent_map",
                        lambda *a, **k: (drawn.update(k), draw(*a, **k)))
    data, model = files
    assert main(["map", str(model), str(data), "--labels", "cluster", "-o",
                 str(tmp_path / "map.png"), "--codes", str(tmp_path / "xy.csv")]) == 0
    assert (tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"
    assert drawn["label_name"] == "cluster"  # the legend says what the colours are
    from aekit.io import read_table

    written = read_table(tmp_path / "xy.csv", index="cluster")  # each point beside its label
    points = written.X
    assert written.columns == ["x", "y"] and len(written.index) == len(points)
    left, right = points[:100].mean(0), points[100:].mean(0)
    assert np.linalg.norm(left - right) > 2 * points[:100].std(0).max()
    assert len(set(written.index[:100])) == 1 and written.index[0] != written.index[-1]


def test_map_colours_by_a_column_the_model_also_reads(files, blobs, tmp_path, capsys):
    import pandas as pd

    from aekit import Autoencoder

    data, _ = files
    X, _ = blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    Autoencoder(latent_dim=2, epochs=1, **FAST).fit(frame).save(tmp_path / "named.safetensors")
    args = ["map", str(tmp_path / "named.safetensors"), str(data), "--drop", "cluster",
            "--codes", str(tmp_path / "xy.csv"), "-o", str(tmp_path / "m.png")]
    assert main([*args, "--labels", "f0"]) == 0  # f0 stays a feature, and colours the points
    assert "the map's groups may come from the labels themselves" in capsys.readouterr().err
    from aekit.io import read_table

    assert read_table(tmp_path / "xy.csv", index="f0").index.tolist() == pytest.approx(X[:, 0])
    assert main([*args, "--labels", "f0", "--columns", "f1,f2"]) == 1
    assert "--labels f0: the column is left out by --columns/--drop" in capsys.readouterr().err


def test_map_labels_name_a_column_or_follow_the_rows_index(blobs, tmp_path, monkeypatch):
    """A trial: ``labels="cluster"`` was read as the letters of the word, and a Series of
    labels was taken by position, so that rows given in another order were coloured by other
    rows' labels without a word."""
    import pandas as pd

    from aekit import Autoencoder
    from aekit.apps import latent_map, report

    drawn, draw = [], report.plot_latent_map
    monkeypatch.setattr(report, "plot_latent_map", lambda points, path, labels, *a, **k: (
        drawn.append(np.asarray(labels)), draw(points, path, labels, *a, **k)))
    X, y = blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)]).assign(
        cluster=np.where(y == 0, "left", "right"))
    model = Autoencoder(latent_dim=2, epochs=1, **FAST).fit(frame.drop(columns="cluster"))
    latent_map(model, frame, tmp_path / "a.png", labels="cluster")  # taken out of the features
    shuffled = frame.sample(frac=1, random_state=0)
    latent_map(model, shuffled.drop(columns="cluster"), tmp_path / "b.png",
               labels=frame["cluster"])  # by index, not by position
    write_report(model, shuffled, tmp_path / "report", labels="cluster")
    assert list(drawn[0]) == list(frame["cluster"])
    assert list(drawn[1]) == list(shuffled["cluster"]) == list(drawn[2])
    numbered = frame.set_axis([*range(8), "cluster"], axis=1)  # columns named 0, 1, ...
    model_of_numbers = Autoencoder(latent_dim=2, epochs=1, **FAST).fit(numbered.iloc[:, :7])
    latent_map(model_of_numbers, numbered.drop(columns="cluster"), tmp_path / "n.png",
               labels=7)  # (a review: "object of type 'int' has no len()")
    assert list(drawn[-1]) == list(numbered[7])
    with pytest.raises(ValueError, match="labels='kind' names no column of X"):
        latent_map(model, frame, tmp_path / "c.png", labels="kind")
    with pytest.raises(ValueError, match="whose index is not X's rows.*labels.to_numpy"):
        latent_map(model, frame.iloc[:150], tmp_path / "c.png",
                   labels=frame["cluster"].iloc[50:])


@pytest.mark.parametrize("labels", [
    np.where(np.arange(90) % 3 == 0, np.nan, np.arange(90) % 3),  # classes with NaN
    np.where(np.arange(90) % 3 == 0, np.nan, np.arange(90) * 1.5),  # numbers with NaN
    np.array([None if i % 3 == 0 else "ab"[i % 2] for i in range(90)], dtype=object),
    np.array([f"grower_{i % 25}" for i in range(90)]),  # more text labels than colours
])
def test_a_map_draws_every_row_whatever_its_label(labels):
    """A trial: rows labelled NaN were left out of the map without a word, and text labels
    with a gap, or more than 20 of them, crashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from aekit.apps.report import _draw_labelled

    points = np.random.RandomState(0).normal(size=(90, 2))
    fig, ax = plt.subplots()
    _draw_labelled(fig, ax, points, labels, 5, "kind")
    assert sum(len(c.get_offsets()) for c in ax.collections) == 90
    legend = [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else []
    if labels.dtype.kind in "fO":
        assert "no label (30)" in legend
    if labels.dtype.kind == "U":
        assert "6 other labels (18)" in legend and len(legend) == 20
    plt.close(fig)


def test_map_errors_are_one_line(files, tmp_path, capsys):
    data, model = files
    assert main(["map", str(model), str(data), "--labels", "colour", "-o",
                 str(tmp_path / "m.png")]) == 1
    assert "has no column 'colour'" in capsys.readouterr().err
    renamed = tmp_path / "y.csv"  # a labels column named like a point column: refused
    renamed.write_text(data.read_text().replace('"cluster"', '"y"', 1))
    assert main(["map", str(model), str(renamed), "--labels", "y", "-o",
                 str(tmp_path / "m.png"), "--codes", str(tmp_path / "xy.csv")]) == 1
    assert "names its points x and y" in capsys.readouterr().err
    assert not (tmp_path / "xy.csv").exists()
    assert main(["map", str(model), str(data), "-o", str(tmp_path / "m.jpg")]) == 1
    assert main(["map", str(model), str(data), "-o", str(tmp_path / "m2.png"), "--codes",
                 str(tmp_path / "c.xyz")]) == 1  # refused before the map is drawn
    assert "--codes" in capsys.readouterr().err and not (tmp_path / "m2.png").exists()


# ----------------------------------------------------------------- generation
def test_interpolate_runs_between_the_latent_means(vae, blobs):
    X, _ = blobs
    path = vae.interpolate(X[0], X[150], steps=5)
    assert path.shape == (5, 8)
    assert np.allclose(path[[0, -1]], vae.inverse_transform(vae.transform(X[[0, 150]])),
                       atol=1e-5)
    codes = vae.transform(path)
    assert np.all(np.diff(codes @ (codes[-1] - codes[0])) > 0)  # moves one way
    with pytest.raises(ValueError, match="steps"):
        vae.interpolate(X[0], X[1], steps=1)
    np.testing.assert_array_equal(vae.interpolate(X[[0]], X[150:151], steps=5), path)
    with pytest.raises(ValueError, match="a must be one row, got 2"):
        vae.interpolate(X[:2], X[150])


def test_interpolate_takes_rows_of_a_frame(vae, blobs):
    import pandas as pd

    X, _ = blobs
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    named = type(vae)(**vae.get_params()).fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # named rows: no "valid feature names" warning
        path = named.interpolate(frame.iloc[[0]], frame.iloc[[150]], steps=4)
        np.testing.assert_array_equal(named.interpolate(frame.iloc[0], frame.iloc[150], 4),
                                      path)
    assert list(path.columns) == list(frame.columns) and len(path) == 4  # named rows out
    with pytest.raises(ValueError, match="a must be one row, got a DataFrame of 2"):
        named.interpolate(frame.iloc[:2], frame.iloc[[150]])
    with pytest.raises(ValueError, match="same order"):
        named.interpolate(frame.iloc[[0]][frame.columns[::-1]], frame.iloc[[150]])


def test_sample_like_stays_near_its_row(vae, blobs):
    X, _ = blobs
    rows = vae.sample_like(X[[0, 150]], 20, random_state=0)
    assert rows.shape == (40, 8)
    assert rows[:20].mean() < -1 and rows[20:].mean() > 1  # each near its own cluster
    assert np.array_equal(rows, vae.sample_like(X[[0, 150]], 20, random_state=0))
    assert rows[:20].std(0).min() > 0


def test_generated_values_keep_to_each_features_training_range(tmp_path, capsys):
    """A trial: VAE samples of iris had petal widths below 0 in 4% of the rows."""
    from sklearn.datasets import load_iris

    counts = load_iris().data  # lengths and widths in cm: never negative
    model = VAE(random_state=0, device="cpu").fit(counts)
    low, high = model.data_min_, model.data_max_  # float32's view of the range
    np.testing.assert_allclose(np.c_[low, high], np.c_[counts.min(0), counts.max(0)], rtol=1e-6)
    free = model.sample(2000, random_state=0, clip=False)
    assert (free < 0).any()  # the decoder's mean leaves the range here
    for rows in (model.sample(2000, random_state=0), model.sample_like(counts[:50], 5),
                 model.interpolate(counts[0], counts[1], 5)):
        assert (rows >= low).all() and (rows <= high).all()
    np.testing.assert_array_equal(model.sample(2000, random_state=0), np.clip(free, low, high))
    model.save(tmp_path / "v.safetensors")
    assert np.array_equal(load(tmp_path / "v.safetensors").data_max_, high)
    del model.data_min_, model.data_max_  # as a model saved before they were kept
    with pytest.warns(UserWarning, match="saved before aekit kept each feature's training range"):
        np.testing.assert_array_equal(model.sample(2000, random_state=0), free)
    for flags, clipped in (([], True), (["--no-clip"], False)):
        assert main(["generate", str(tmp_path / "v.safetensors"), "-n", "2000", "--random-state",
                     "0", "-o", str(tmp_path / "g.npy"), *flags]) == 0
        assert (np.load(tmp_path / "g.npy").min() >= 0) == clipped


def test_generated_counts_stay_whole_numbers(tmp_path):
    """Generated rows held no integer types: VAE(latent_dim=2, epochs=30, random_state=0) of
    wine gave proline 880.0875 and a class of 0.46 (clip=False shows it still)."""
    import pandas as pd
    from sklearn.datasets import load_wine

    from aekit.estimators._scaling import FeatureStats

    wine = load_wine(as_frame=True).frame  # magnesium, proline and the class: whole numbers
    model = VAE(latent_dim=2, epochs=20, random_state=0, device="cpu").fit(wine)
    whole = ["magnesium", "proline", "target"]
    assert list(wine.columns[model.whole_columns()]) == whole
    rows = model.sample_like(wine[:40], 3, random_state=0)
    assert (rows[whole].dtypes == "int64").all() and (rows.drop(columns=whole).dtypes
                                                       == "float32").all()
    free = model.sample_like(wine[:40], 3, random_state=0, clip=False)
    assert (free["proline"] != free["proline"].round()).any()
    np.testing.assert_allclose(rows["proline"], np.rint(free["proline"].clip(
        wine["proline"].min(), wine["proline"].max())))
    model.save(tmp_path / "wine.safetensors")
    assert (load(tmp_path / "wine.safetensors").whole_columns() == model.whole_columns()).all()
    assert main(["generate", str(tmp_path / "wine.safetensors"), "-n", "5", "--random-state",
                 "0", "-o", str(tmp_path / "g.csv")]) == 0
    assert pd.read_csv(tmp_path / "g.csv")[whole].dtypes.eq("int64").all()
    assert main(["generate", str(tmp_path / "wine.safetensors"), "-n", "5", "--random-state",
                 "0", "-o", str(tmp_path / "g.parquet")]) == 0
    assert pd.read_parquet(tmp_path / "g.parquet")[whole].dtypes.eq("int64").all()
    counts = np.random.RandomState(0).poisson(3, size=(200, 3)).astype(float)
    counts[::5, 0] = np.nan  # gaps do not make a column of counts fractional
    assert MaskedAutoencoder(epochs=1, random_state=0).fit(counts).whole_features_.all()
    binary = (np.random.RandomState(0).rand(200, 16) > 0.5).astype(np.float32)
    pixels = VAE(latent_dim=2, epochs=2, random_state=0, device="cpu").fit(binary)
    assert pixels.loss_ == "bce" and pixels.whole_columns() is None  # probabilities stay so
    halves = np.r_[np.ones((300000, 1)), [[0.5]]]  # merged block by block
    assert FeatureStats.of(halves).whole.tolist() == [False]
    assert FeatureStats.of(halves[:-1]).whole.tolist() == [True]


def test_generated_rows_are_named_as_set_output_or_the_rows_given_ask(vae, blobs, tmp_path):
    import pandas as pd

    X, _ = blobs
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])],
                         index=[f"r{i}" for i in range(len(X))])
    named = type(vae)(**vae.get_params()).fit(frame)
    assert isinstance(named.sample(3, random_state=0), np.ndarray)  # arrays, as sklearn's
    near = named.sample_like(frame.iloc[[0, 150]], 2, random_state=0)
    assert near.index.tolist() == ["r0", "r0", "r150", "r150"]
    assert list(near.columns) == list(frame.columns)
    drawn = named.set_output(transform="pandas").sample(3, random_state=0)
    assert list(drawn.columns) == list(frame.columns) and len(drawn) == 3
    named.save(tmp_path / "named.safetensors")  # a saved model keeps set_output: so does
    assert main(["generate", str(tmp_path / "named.safetensors"), "-n", "3",  # generate
                 "-o", str(tmp_path / "rows.csv")]) == 0
    assert pd.read_csv(tmp_path / "rows.csv").columns.tolist() == list(frame.columns)


def test_generate_cli_png_grid_and_tables(image_vae, files, tmp_path, capsys):
    from PIL import Image

    image_vae.save(tmp_path / "digits.safetensors")
    digits_model = str(tmp_path / "digits.safetensors")
    assert main(["generate", digits_model, "-n", "20", "-o", str(tmp_path / "g.png")]) == 0
    width, height = Image.open(tmp_path / "g.png").size
    assert width > 1.5 * height  # 2 rows of 10
    _, model = files
    assert main(["generate", str(model), "-n", "4", "-o", str(tmp_path / "g.npy")]) == 0
    assert np.load(tmp_path / "g.npy").shape == (4, 8)
    assert main(["generate", str(model), "-o", str(tmp_path / "g2.png")]) == 1
    assert "not images" in capsys.readouterr().err
    np.save(tmp_path / "ends.npy", np.full((2, 8), [[-3.0], [3.0]], dtype=np.float32))
    for extra, rows in ((["--interpolate"], 4), ([], 8)):
        assert main(["generate", str(model), "--like", str(tmp_path / "ends.npy"), *extra,
                     "-n", "4", "--random-state", "0", "-o", str(tmp_path / "near.npy")]) == 0
        near = np.load(tmp_path / "near.npy")
        assert near.shape == (rows, 8) and near[0].mean() < 0 < near[-1].mean()
    blobs_csv = str(files[0])  # its text column is refused with a fix generate takes
    like = ["generate", str(model), "--like", blobs_csv, "-n", "2", "-o", str(tmp_path / "l.csv")]
    assert main(like) == 1 and "--drop cluster" in capsys.readouterr().err
    assert main([*like, "--drop", "cluster"]) == 0
    assert main(["generate", str(model), "--drop", "cluster", "-o", str(tmp_path / "l.csv")]) == 1
    assert "choose the columns of --like DATA" in capsys.readouterr().err


# ----------------------------------------------------------------- denoising
def test_denoise_warns_unless_the_model_denoises(blobs, vae, tmp_path, capsys):
    X, _ = blobs
    with pytest.warns(UserWarning, match="not trained to denoise"):
        denoise(vae, X[:5])
    dae = DenoisingAutoencoder(latent_dim=2, hidden_dims=(16,), epochs=2, **FAST).fit(X)
    dae.save(tmp_path / "dae.safetensors")
    np.save(tmp_path / "noisy.npy", X + np.random.RandomState(1).normal(0, .5, X.shape))
    assert main(["denoise", str(tmp_path / "dae.safetensors"), str(tmp_path / "noisy.npy"),
                 "-o", str(tmp_path / "clean.npy")]) == 0
    assert "warning" not in capsys.readouterr().err
    assert np.load(tmp_path / "clean.npy").shape == X.shape
    assert main(["denoise", str(tmp_path / "dae.safetensors"), str(tmp_path / "noisy.npy"),
                 "-o", str(tmp_path / "pairs.jpg")]) == 1  # refused before any work
    assert "'.jpg': use .csv" in capsys.readouterr().err


def test_denoised_pixels_stay_pixels(digits):
    X = digits[0]
    dae = DenoisingAutoencoder(latent_dim=8, epochs=2, **FAST).fit(X)
    assert dae.value_range == (0.0, 1.0)
    clean = denoise(dae, dae.add_noise(X, random_state=0))
    assert clean.min() >= 0 and clean.max() <= 1
    with pytest.raises(ValueError, match=r"values up to 255, but the model was trained on "
                       r"values in \[0, 1\]: .* X / 255\) before denoising it"):
        denoise(dae, np.rint(X * 255).astype(np.uint8))  # a trial: clipped nonsense, warned


# ----------------------------------------------------------------- fit's start-up
def test_feature_stats_block_by_block_match_one_pass(monkeypatch):
    from aekit.estimators import _scaling

    X = (np.random.RandomState(0).normal(size=(1001, 7)) * 1e3 + 5e4).astype(np.float32)
    monkeypatch.setattr(_scaling, "BLOCK_VALUES", 7 * 100)  # 11 blocks, the last one short
    stats = _scaling.FeatureStats.of(X)
    X64 = X.astype(np.float64)
    assert (stats.n == 1001).all()
    for got, want in zip((stats.lo, stats.hi, stats.mean, stats.var),
                         (X64.min(0), X64.max(0), X64.mean(0), X64.var(0))):
        assert got.dtype == np.float64 and np.allclose(got, want, rtol=1e-12)


def test_feature_stats_leave_missing_cells_out(monkeypatch):
    """NaN cells are not counted, in any block, also where a block has none of a feature."""
    from aekit.estimators import _scaling

    X = np.random.RandomState(1).normal(size=(300, 3)).astype(np.float32) * 5 + 2
    X[:120, 1] = np.nan  # the first blocks hold no value of feature 1
    X[::7, 2] = np.nan
    monkeypatch.setattr(_scaling, "BLOCK_VALUES", 3 * 50)
    stats = _scaling.FeatureStats.of(X)
    X64 = X.astype(np.float64)
    np.testing.assert_array_equal(stats.n, (~np.isnan(X)).sum(0))
    for got, want in zip((stats.lo, stats.hi, stats.mean, stats.var),
                         (np.nanmin(X64, 0), np.nanmax(X64, 0), np.nanmean(X64, 0),
                          np.nanvar(X64, 0))):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_job_commands_match_a_file_to_the_model_by_column_name(tmp_path, capsys):
    """map, report, denoise and generate --like read a table by the model's column names: a
    file with its columns in another order gives the same result (they took them by position)."""
    rng = np.random.RandomState(0)
    names = ["a", "b", "c", "d"]
    X = rng.normal(size=(120, 4)) * [1.0, 10.0, 100.0, 1000.0]
    for path, order in (("t.csv", names), ("moved.csv", names[::-1])):
        pacsv.write_csv(pa.table({n: X[:, names.index(n)] for n in order}), tmp_path / path)
    vae = str(tmp_path / "vae.safetensors")
    assert main(["fit", str(tmp_path / "t.csv"), "--model", "vae", "-o", vae, "--epochs", "2",
                 "--random-state", "0"]) in (0, None)
    outputs = {}
    for path in ("t.csv", "moved.csv"):
        for job in ("denoise", "generate"):
            out = tmp_path / f"{job}_{path}"
            args = ([job, vae, str(tmp_path / path)] if job == "denoise" else
                    [job, vae, "--like", str(tmp_path / path), "--interpolate", "-n", "3"])
            assert main([*args, "-o", str(out)]) in (0, None)
            table = pacsv.read_csv(out)
            outputs[job, path] = np.column_stack([table[n].to_numpy() for n in names])
    assert "reordered by name" in capsys.readouterr().err
    for job in ("denoise", "generate"):
        np.testing.assert_array_equal(outputs[job, "t.csv"], outputs[job, "moved.csv"])
    assert main(["map", vae, str(tmp_path / "moved.csv"), "-o", str(tmp_path / "m.png")]) in (0,
                                                                                          None)


def test_denoise_draws_colour_images_in_their_colours(tmp_path, monkeypatch, capsys):
    """The PNG shows each (C, H, W) image with its channels as colours: the rows reach the
    grid in the model's layout, not flattened (which mixed the channels into the rows)."""
    from aekit.apps import report

    images = np.zeros((4, 3, 8, 8), np.float32)
    for i in range(3):
        images[i, i] = 1.0  # red, green, blue
    model, data = tmp_path / "dae.safetensors", tmp_path / "rgb.npy"
    np.save(data, images)
    DenoisingAutoencoder(architecture="conv", hidden_dims=(4,), latent_dim=4, epochs=1,
                         random_state=0).fit(images).save(model)
    drawn = {}
    monkeypatch.setattr(report, "plot_image_grid",
                        lambda rows, *a, **k: drawn.setdefault("rows", rows))
    assert main(["denoise", str(model), str(data), "-o", str(tmp_path / "pairs.png")]) == 0
    np.testing.assert_array_equal(drawn["rows"][:4], images.transpose(0, 2, 3, 1))
    assert "drew the first 4 of 4 rows, noisy above denoised" in capsys.readouterr().out


@pytest.mark.parametrize(("low", "high", "shades"), [
    (0.0, 1.0, (0.0, 1.0)), (-0.3, 1.6, (0.0, 1.0)),   # a reconstruction's overshoot: clipped
    (-1.0, 1.0, (-1.0, 1.0)), (-0.2, 0.9, (0.0, 1.0)),  # centred at 0 (tanh), or nearly [0, 1]
    (0.0, 255.0, (0.0, 255.0)), (-12.5, 142.9, (0.0, 255.0)),  # 8-bit pixels
    (-500.0, 3000.0, (-500.0, 3000.0)), (5000.0, 5000.0, (5000.0, 5001.0)),
])
def test_images_are_shaded_by_the_range_their_values_are_in(low, high, shades):
    from aekit.apps.report import display_range

    assert display_range([np.array([low, high]), np.array([])]) == shades


def test_a_report_gives_an_ensembles_code_size_as_its_map_draws_it(blobs):
    """A detector's report read "code size 5" above a map of "50-d codes" (a trial)."""
    from aekit import EnsembleAutoencoder
    from aekit.apps._report_page import model_settings

    ensemble = EnsembleAutoencoder(n_members=3, latent_dim=2, epochs=1, random_state=0,
                                   device="cpu").fit(blobs[0])
    assert model_settings(ensemble, ensemble)[0]["code size"] == "6 (3 members' codes of 2)"
