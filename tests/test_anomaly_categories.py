"""AnomalyDetector on DataFrames with categorical columns (one 0/1 column per category)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from aekit import AnomalyDetector, load
from aekit.cli import main

MEANS = {"a": [0, 0, 0, 0], "b": [3, 0, -3, 1], "c": [-3, 3, 0, -1]}
N_SWAPPED = 12


def grouped_rows(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Four numbers whose means depend on a group (a, b, c); the first ``N_SWAPPED`` rows carry
    another group's label, so only the pairing of numbers and group is wrong in them."""
    rng = np.random.RandomState(seed)
    group = rng.choice(list(MEANS), n)
    frame = pd.DataFrame(np.array([MEANS[g] for g in group]) + rng.normal(size=(n, 4)),
                         columns=list("wxyz"))
    following = dict(zip(MEANS, np.roll(list(MEANS), -1)))
    group[:N_SWAPPED] = [following[g] for g in group[:N_SWAPPED]]
    frame["group"] = pd.Categorical(group)
    return frame


@pytest.fixture(scope="module")
def frame():
    return grouped_rows()


@pytest.fixture(scope="module")
def fitted(frame):
    return AnomalyDetector(random_state=0).fit(frame)


def test_a_category_that_does_not_fit_the_numbers_is_found(frame, fitted):
    swapped = np.arange(len(frame)) < N_SWAPPED
    with_group = roc_auc_score(swapped, -fitted.score_samples(frame))
    numbers = frame.drop(columns="group")  # what the detector saw before: the text dropped
    without = roc_auc_score(swapped, -AnomalyDetector(random_state=0).fit(
        numbers).score_samples(numbers))
    assert with_group > 0.95 and without < 0.7  # measured: 0.999 against 0.589
    assert (fitted.predict(frame)[:N_SWAPPED] == -1).mean() >= 0.9
    shares = fitted.score_features(frame)
    assert list(shares.columns) == list(frame.columns)  # one share per input column
    assert np.allclose(shares.sum(1), 1)
    assert (shares.iloc[:N_SWAPPED].idxmax(axis=1) == "group").mean() >= 0.9


def test_text_reads_as_its_categories_and_the_state_is_per_input_column(frame, fitted):
    assert fitted.n_features_in_ == 5 and list(fitted.feature_names_in_) == list(frame.columns)
    assert [spec.kind for spec in fitted.columns_][-1] == "category"
    assert fitted.center_.shape == (4 + 3,) and fitted.error_scale_.shape[1] == 4 + 3
    shares = frame["group"].value_counts(normalize=True).sort_index().to_numpy()
    assert (fitted.center_[4:] == 0).all() and (fitted.scale_[4:] == 1).all()  # 0/1 as is
    assert np.allclose(fitted.category_shares_[4:], shares)
    as_text = frame.assign(group=frame["group"].astype(str))
    assert np.allclose(AnomalyDetector(random_state=0).fit(as_text).score_samples(as_text),
                       fitted.score_samples(frame))
    assert AnomalyDetector(random_state=0).fit(frame.drop(columns="group")).columns_ is None


def test_save_and_load_keep_the_categories(tmp_path, frame, fitted):
    fitted.save(tmp_path / "detector.safetensors")
    loaded = load(tmp_path / "detector.safetensors")
    assert loaded.columns_ == fitted.columns_
    assert np.allclose(loaded.score_samples(frame), fitted.score_samples(frame))


def test_an_unseen_category_is_read_as_the_rarest_seen_with_a_warning(frame, fitted):
    rows = frame.iloc[N_SWAPPED:N_SWAPPED + 20].copy()
    before = fitted.score_samples(rows)
    rarest = frame["group"].value_counts().idxmin()  # 'c', in 31.5% of the rows
    as_rarest = fitted.score_samples(rows.assign(group=rarest))
    rows["group"] = rows["group"].cat.add_categories("d")
    rows.iloc[:5, 4] = "d"
    with pytest.warns(UserWarning, match=r"column 'group' holds values not seen in training "
                                         r"\('d', in 5 rows\).*read as the rarest one in "
                                         rf"training \('{rarest}', in 31.5%"):
        after = fitted.score_samples(rows)
    assert np.allclose(after[:5], as_rarest[:5]) and np.allclose(after[5:], before[5:])


def test_a_rare_category_scores_high_and_an_unseen_one_as_high():
    rng = np.random.RandomState(0)
    rows = pd.DataFrame(rng.normal(size=(1500, 4)), columns=list("abcd"))
    rows["city"] = rng.choice(["Paris", "Lyon", "Nice"], 1500)
    rows.loc[:4, "city"] = "Oslo"  # five rows of 1500
    detector = AnomalyDetector(contamination=0.02, random_state=0).fit(rows)
    assert (detector.predict(rows[:5]) == -1).all()
    new = rows[100:120].assign(city="Rome")
    with pytest.warns(UserWarning, match="'Oslo', in 0.3% of its rows"):
        assert (detector.predict(new) == -1).all()


def test_what_a_detector_with_categories_refuses(tmp_path, frame, fitted):
    gap = frame.copy()
    gap.loc[3, "group"] = np.nan
    with pytest.raises(ValueError, match=r"column 'group' has 1 missing values \(first in row "
                                         r"3, index 3\): fill them first"):
        fitted.score_samples(gap)
    with pytest.raises(TypeError, match="fitted on a DataFrame with categorical columns "
                                        r"\('group'\): pass a DataFrame"):
        fitted.score_samples(frame.to_numpy())
    with pytest.raises(TypeError, match="column 'w' held numbers in training but holds"):
        fitted.score_samples(frame.assign(w=frame["w"].astype(str)))
    with pytest.raises(ValueError, match="feature names"):
        fitted.score_samples(frame[["group", *"wxyz"]])
    with pytest.raises(ValueError, match=r"NaN .*column 'x'"):
        fitted.score_samples(frame.assign(x=np.nan))
    with pytest.raises(ValueError, match="no ONNX export.*pd.get_dummies"):
        fitted.export_onnx(tmp_path / "onnx")


def test_columns_that_are_not_categories_are_refused_by_name(frame):
    ids = frame.assign(name=[f"row{i}" for i in range(len(frame))])
    with pytest.raises(ValueError, match="column 'name' holds text of 600 distinct values"):
        AnomalyDetector().fit(ids)
    dated = frame.assign(when=pd.date_range("2026-01-01", periods=len(frame), freq="h"))
    with pytest.raises(TypeError, match="column 'when' holds datetime64.*make it the index"):
        AnomalyDetector().fit(dated)
    numbers = frame.assign(group=frame["group"].astype(str).replace("a", "?").replace(
        {"b": "1", "c": "2"}))
    with pytest.raises(ValueError, match=r"column 'group' holds numbers and text \('\?'"):
        AnomalyDetector().fit(numbers)


def test_a_category_and_one_varying_number_are_not_enough():
    rows = pd.DataFrame({"x": np.arange(50.0) % 7, "kind": ["a"] * 50})
    with pytest.raises(ValueError, match="only one column of X varies"):
        AnomalyDetector().fit(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AnomalyDetector(random_state=0).fit(rows.assign(kind=list("ab") * 25))


def test_the_few_values_warning_names_a_rare_category():
    rng = np.random.RandomState(0)
    rows = pd.DataFrame(rng.normal(size=(2000, 5)), columns=list("abcde"))
    rows["plan"] = np.where(rng.uniform(size=2000) < 0.1, "gold", "basic")
    with pytest.warns(UserWarning, match="most of them for category column 'plan' "
                                         r"\(2 values\): a rare category"):
        AnomalyDetector(random_state=0).fit(rows)


# ----------------------------------------------------------------------------- CLI
def test_cli_detects_scores_and_reports_a_csv_with_text_columns(tmp_path, frame, capsys):
    data, out, saved = tmp_path / "rows.csv", tmp_path / "out.csv", tmp_path / "det.safetensors"
    frame.assign(id=np.arange(len(frame))).set_index("id").to_csv(data)
    assert main(["detect", str(data), "--time", "id", "-o", str(out), "--save", str(saved)]) == 0
    assert "group: read as categories" in capsys.readouterr().err
    results = pd.read_csv(out)
    assert (results["feature_1"][:N_SWAPPED] == "group").mean() >= 0.9
    assert roc_auc_score(np.arange(len(frame)) < N_SWAPPED, -results["score"]) > 0.9
    detector = load(saved)
    assert np.allclose(results["score"], detector.score_samples(frame), atol=1e-6)

    moved = tmp_path / "moved.csv"
    frame[["group", *"wxyz"]].to_csv(moved, index=False)  # matched by name
    scores = tmp_path / "scores.csv"
    assert main(["score", str(saved), str(moved), "-o", str(scores)]) == 0
    assert "reordered by name" in capsys.readouterr().err
    assert np.allclose(pd.read_csv(scores)["score"], results["score"], atol=1e-6)

    assert main(["report", str(saved), str(moved), "-o", str(tmp_path / "report"),
                 "--labels", "group"]) == 0
    assert (tmp_path / "report" / "feature_errors.png").is_file()
    assert main(["info", str(saved)]) == 0
    assert "categories:  group (a, b, c)" in capsys.readouterr().out

    assert main(["score", "--stream", str(saved), str(moved), "-o",
                 str(tmp_path / "s.parquet")]) == 1
    assert "categorical columns, which scores rows read whole" in capsys.readouterr().err
    assert main(["export", str(saved), "-o", str(tmp_path / "onnx")]) == 1
    assert "no ONNX export" in capsys.readouterr().err


def test_cli_fit_a_detector_reads_categories_as_detect_does(tmp_path, frame, capsys):
    data, saved = tmp_path / "rows.csv", tmp_path / "det.safetensors"
    frame.to_csv(data, index=False)
    assert main(["fit", str(data), "--model", "detector", "--random-state", "0", "-o",
                 str(saved)]) == 0
    assert "group: read as categories" in capsys.readouterr().err
    assert np.allclose(load(saved).score_samples(frame), AnomalyDetector(
        random_state=0).fit(frame.assign(group=frame["group"].astype(str))).score_samples(
        frame), atol=1e-6)


def test_cli_detect_refuses_text_that_is_not_a_category_by_name(tmp_path, frame, capsys):
    data = tmp_path / "rows.csv"
    frame.assign(name=[f"row{i}" for i in range(len(frame))],
                 day=pd.date_range("2026-01-01", periods=len(frame)).strftime("%Y-%m-%d")
                 ).to_csv(data, index=False)
    assert main(["detect", str(data), "-o", str(tmp_path / "out.csv")]) == 1
    err = capsys.readouterr().err
    assert "columns 'name', 'day' of" in err and "--drop name,day" in err
    assert "--time day" in err and "Traceback" not in err
    assert main(["detect", str(data), "-o", str(tmp_path / "out.csv"), "--drop", "name",
                 "--time", "day"]) == 0


def test_readme_example_finds_the_relabelled_rows(capsys):
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme[readme.index("## Anomaly detection"):]
    code = next(block.split("```")[0] for block in section.split("```python\n")[1:]
                if "species" in block)
    exec(compile(code, "README.md", "exec"), {"AnomalyDetector": AnomalyDetector})  # noqa: S102
    assert capsys.readouterr().out.split()[0] == "5"  # all five relabelled rows flagged


def test_a_detector_pickled_before_categories_were_read_still_scores(frame):
    import pickle

    numbers = frame.drop(columns="group")
    detector = AnomalyDetector(random_state=0).fit(numbers)
    expected = detector.score_samples(numbers)
    del detector.columns_  # as one pickled before the attribute existed
    assert np.allclose(pickle.loads(pickle.dumps(detector)).score_samples(numbers), expected)


def test_a_category_read_as_numbers_is_matched_by_its_text(frame, fitted):
    sized = frame.assign(size=np.where(np.arange(len(frame)) % 3, "S", "10"))
    detector = AnomalyDetector(random_state=0).fit(sized)
    tens = sized[sized["size"] == "10"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no value unseen: '10' read as 10 is the category
        assert np.allclose(detector.score_samples(tens.assign(size=10)),
                           detector.score_samples(tens))
    with pytest.raises(ValueError, match=r"column 'group' held the categories 'a', 'b', 'c' in "
                                         r"training but holds '1' now \(numbers where its "
                                         r"categories are text\): give its categories"):
        fitted.score_samples(frame.assign(group=1))  # a number where categories were text
    upper = frame.assign(group=frame["group"].astype(str).str.upper())
    for rows in (upper, upper[:1]):  # the same answer, whatever else the batch holds
        with pytest.raises(ValueError, match=r"holds '[ABC]'.* now \('[ABC]' is '[abc]' written "
                                             "otherwise"):
            fitted.score_samples(rows)
    codes = frame.assign(group=frame["group"].map({"a": "02134", "b": "10115", "c": "75001"}))
    detector = AnomalyDetector(random_state=0).fit(codes)
    with pytest.raises(ValueError, match=r"holds '2134' now \('2134' is '02134' written "
                                         r"otherwise\)"):
        detector.score_samples(codes[:20].assign(group=codes["group"][:20].str.lstrip("0")))


def test_what_a_frame_with_categories_may_hold():
    import pyarrow as pa

    rng = np.random.RandomState(0)
    rows = pd.DataFrame(rng.normal(size=(200, 3)), columns=list("abc"))
    rows["kind"] = rng.choice(["x", "y"], 200)
    dictionary = rows.astype({"kind": pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string()))})
    expected = AnomalyDetector(random_state=0).fit(rows).score_samples(rows)
    assert np.allclose(AnomalyDetector(random_state=0).fit(dictionary).score_samples(
        dictionary), expected)  # pd.read_parquet(..., dtype_backend="pyarrow")
    with pytest.raises(ValueError, match="repeated column names"):
        AnomalyDetector().fit(pd.concat([rows, rows[["kind"]]], axis=1))
    days = rows.assign(kind=pd.Categorical(pd.to_datetime(["2026-01-01", "2026-01-02"] * 100)))
    with pytest.raises(TypeError, match="column 'kind' holds categories of Timestamp values"):
        AnomalyDetector().fit(days)
    with pytest.warns(UserWarning, match=r"column 'n' holds numbers written as text, read as 3 "
                                         r"categories.*pd.to_numeric"):
        AnomalyDetector(random_state=0).fit(rows.assign(n=rng.choice(["1", "2", "3"], 200)))
    with pytest.raises(ValueError, match=r"column 'n' holds numbers written as text \(200 "
                                         r"distinct values\): convert it with pd.to_numeric"):
        AnomalyDetector().fit(rows.assign(n=rng.normal(size=200).astype(str)))


@pytest.mark.parametrize(("change", "message"), [
    (lambda spec: spec.update(name="other"), "do not name its columns"),
    (lambda spec: spec.update(categories=["a", "a", "c"]), "repeated or malformed categories"),
])
def test_a_tampered_detector_file_is_refused(tmp_path, fitted, change, message):
    from aekit.io import write_model_file

    tensors, config = fitted._model_state()
    change(config["fitted"]["columns_"][-1])
    write_model_file(tmp_path / "bad.safetensors", tensors, config)  # a valid checksum
    with pytest.raises(ValueError, match=f"not a valid anomaly detector file.*{message}"):
        load(tmp_path / "bad.safetensors")


def test_refit_threshold_reads_categories_too(frame):
    detector = AnomalyDetector(random_state=0).fit(frame)
    before = detector.threshold_
    shifted = frame.iloc[N_SWAPPED:].assign(w=frame["w"].iloc[N_SWAPPED:] + 3)
    assert detector.refit_threshold(shifted).threshold_ > before


def test_cli_reads_headerless_files_codes_and_postcodes_as_categories(tmp_path, frame, capsys):
    headerless = tmp_path / "headerless.csv"
    frame.to_csv(headerless, header=False, index=False)
    for header in ([], ["--no-header"]):  # the first row, 0.76,...,b, is data either way
        out = tmp_path / "out.csv"
        assert main(["detect", str(headerless), *header, "-o", str(out)]) == 0
        assert len(pd.read_csv(out)) == len(frame)
    assert "x4: read as categories" in capsys.readouterr().err

    coded = tmp_path / "coded.csv"
    frame.assign(group=frame["group"].map({"a": 101, "b": 202, "c": 303})).to_csv(
        coded, index=False)
    saved = tmp_path / "coded.safetensors"
    assert main(["detect", str(coded), "--categories", "group", "-o", str(out), "--save",
                 str(saved)]) == 0
    assert [spec.kind for spec in load(saved).columns_][-1] == "category"
    assert roc_auc_score(np.arange(len(frame)) < N_SWAPPED, -pd.read_csv(out)["score"]) > 0.95
    assert main(["detect", "--model", str(saved), str(coded), "--categories", "group",
                 "-o", str(out)]) == 1
    assert "knows its categories" in capsys.readouterr().err

    postcodes = frame.assign(group=frame["group"].map({"a": "02134", "b": "10115",
                                                       "c": "75001"}))
    detector = AnomalyDetector(random_state=0).fit(postcodes)  # text in Python
    detector.save(saved)
    postcodes.to_csv(coded, index=False)  # read back by the CLI as numbers: 2134, ...
    assert main(["score", str(saved), str(coded), "-o", str(out)]) == 0
    assert "not seen in training" not in capsys.readouterr().err
    assert np.allclose(pd.read_csv(out)["score"], detector.score_samples(postcodes), atol=1e-6)

    texts = frame.assign(w=np.where(np.arange(len(frame)) % 2, "high", "low"))
    texts.to_csv(coded, index=False)
    assert main(["score", str(saved), str(coded), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "column 'w' of" in err and "holds text where the detector was fitted on numbers" in err
    assert main(["fit", str(coded), "--model", "detector", "--memory", "100", "-o",
                 str(saved)]) == 1
    assert "--memory applies with --stream only" in capsys.readouterr().err


def test_a_category_that_says_nothing_does_not_hide_anomalies_in_the_numbers():
    """A trial: scaled by their spread, the 0/1 columns of a balanced yes/no column unrelated
    to anything carried half of every row's score, and ROC-AUC fell from 0.99 to 0.85."""
    rng = np.random.RandomState(1)
    a, b = rng.normal(size=(2, 1500))
    rows = pd.DataFrame({"a": a, "b": b, "c": a + b + rng.normal(0, 0.1, 1500)})
    rows.loc[:14, "c"] += 3  # off the plane the other rows lie on
    planted = np.arange(1500) < 15
    alone = roc_auc_score(planted, -AnomalyDetector(random_state=1).fit(rows).score_samples(rows))
    noisy = rows.assign(k=rng.choice(["v", "w"], 1500))
    beside = roc_auc_score(planted, -AnomalyDetector(random_state=1).fit(noisy).score_samples(
        noisy))
    assert alone > 0.95 and beside > alone - 0.02


def test_parquet_text_of_digits_is_codes_and_other_numbers_as_text_are_refused(tmp_path):
    from aekit.io import read_table

    rows = pd.DataFrame({"a": np.arange(6.0), "zip": ["02134", "10115"] * 3,
                         "amount": ["53.49", "12.5", None] * 2})
    rows.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(ValueError, match="'amount'"):  # numbers stored as text, as before
        read_table(tmp_path / "t.parquet", text=True)
    table = read_table(tmp_path / "t.parquet", text=True, drop=["amount"])
    assert table.text.column_names == ["zip"]  # codes: text, not numbers


def test_a_detector_file_without_its_category_shares_asks_for_a_refit(tmp_path, fitted):
    from aekit.io import write_model_file

    tensors, config = fitted._model_state()
    del tensors["detector.category_shares_"]  # as a development build saved it
    write_model_file(tmp_path / "old.safetensors", tensors, config)
    with pytest.raises(ValueError, match="holds no category shares.*fit it again"):
        load(tmp_path / "old.safetensors")


def test_a_saved_detector_reads_its_category_as_text_whatever_the_batch(tmp_path, frame, capsys):
    """A trial: two rows of postcodes, '02134' and 'Paris', were read as a column of numbers
    with a mark and refused; four such rows were text (the reader's guess by share)."""
    codes = frame.assign(group=frame["group"].map({"a": "02134", "b": "10115", "c": "75001"}))
    codes.to_parquet(tmp_path / "codes.parquet")
    saved = tmp_path / "codes.safetensors"
    assert main(["detect", str(tmp_path / "codes.parquet"), "--save", str(saved)]) == 0
    for n in (2, 5):
        codes[:n].assign(group=["02134", *["Paris"] * (n - 1)]).to_parquet(tmp_path / "new.parquet")
        assert main(["score", str(saved), str(tmp_path / "new.parquet"), "-o",
                     str(tmp_path / "s.csv")]) == 0
        assert "holds values not seen in training ('Paris'" in capsys.readouterr().err
