"""The aekit command line: every subcommand, its help, and one-line errors."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

import aekit
from aekit.cli import main
from aekit.io import read_table, write_table

SUBCOMMANDS = ["fit", "encode", "reconstruct", "score", "info", "demo"]


@pytest.fixture
def data_csv(tmp_path):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3)) @ rng.normal(size=(3, 6)) + 5
    path = tmp_path / "data.csv"
    write_table(path, X, [f"f{i}" for i in range(6)])
    return path


@pytest.fixture
def model_file(data_csv, tmp_path):
    path = tmp_path / "model.safetensors"
    assert main(["fit", str(data_csv), "-o", str(path), "--latent-dim", "2",
                 "--hidden-dims", "16,8", "--epochs", "3", "--random-state", "0",
                 "--no-shuffle", "--device", "cpu", "--verbose", "0"]) == 0
    return path


def test_fit_reports_the_epoch_whose_weights_it_saved(digits_split, tmp_path, capsys):
    # SGD at a large learning rate: the validation loss jumps about, early stopping stops
    # and restores an earlier epoch, and the report must give its losses, not the last epoch's
    data = tmp_path / "d.csv"
    write_table(data, digits_split[0], [f"p{i}" for i in range(64)])
    out = tmp_path / "m.safetensors"
    assert main(["fit", str(data), "-o", str(out), "--epochs", "30", "--patience", "2",
                 "--validation-split", "0.25", "--optimizer", "sgd", "--learning-rate", "5",
                 "--loss", "mse", "--hidden-dims", "16", "--batch-size", "32",
                 "--random-state", "0", "--device", "cpu", "--verbose", "0"]) == 0
    said = capsys.readouterr().out
    model = aekit.load(out)
    kept, last = model.best_epoch_, model.n_epochs_
    assert 0 < kept < last, (kept, last)
    assert f"for {last} epochs, keeping the weights of epoch {kept}, its best" in said
    kept_loss = f"val_loss {model.history_['val_loss'][kept - 1]:.5g}"
    assert kept_loss in said
    assert main(["info", str(out)]) == 0  # info and the report say the same, not the last's
    assert f"{last} epochs, keeping the weights of epoch {kept}, its best (" in (
        info := capsys.readouterr().out) and kept_loss in info
    from aekit.apps import write_report

    page = write_report(model, digits_split[0][:50], tmp_path / "rep").index.read_text()
    assert f"<th>epoch {kept}&#x27;s (kept) val_loss</th><td>" in page
    assert "final val_loss" not in page


@pytest.mark.parametrize(("argv", "help_of"), [
    (["fit", "d.csv", "-o", "m.safetensors", "--latent-dim", "abc"], "aekit fit"),
    (["fit", "d.csv", "-o", "m.safetensors", "--bogus"], "aekit fit"),  # fit's --help lists it
    (["fit"], "aekit fit"), (["fot"], "aekit"),
    (["fit", "d.csv", "-o", "m.safetensors", "--stream", "--memory", "-5"], "aekit fit"),
    (["score", "m.safetensors", "d.csv", "-o", "s.csv", "--columns", "a,b,a"], "aekit score")])
def test_a_mistyped_command_line_is_answered_in_one_line(argv, help_of, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and len(err.strip().splitlines()) == 1, err
    assert "error: " in err and f"(see '{help_of} --help')" in err
    assert "--memory" not in argv or "whole number of MB, at least 1, got '-5'" in err
    assert "--columns" not in argv or "'a' is named twice" in err  # read once: not a, b, a


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_for_every_subcommand(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: aekit " + command in capsys.readouterr().out


def test_fit_options_mirror_the_parameters(model_file):
    import aekit

    model = aekit.load(model_file)
    params = model.get_params()
    assert (params["latent_dim"], params["hidden_dims"], params["epochs"]) == (2, (16, 8), 3)
    assert params["shuffle"] is False and params["random_state"] == 0


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".npy", ".npz"])
def test_encode_reconstruct_score(model_file, data_csv, tmp_path, suffix, capsys):
    codes = tmp_path / f"codes{suffix}"
    recon = tmp_path / f"recon{suffix}"
    scores = tmp_path / f"scores{suffix}"
    assert main(["encode", str(model_file), str(data_csv), "-o", str(codes)]) == 0
    assert main(["reconstruct", str(model_file), str(data_csv), "-o", str(recon)]) == 0
    assert main(["score", str(model_file), str(data_csv), "-o", str(scores)]) == 0
    Z, z_columns = read_table(codes)
    R, r_columns = read_table(recon)
    S, s_columns = read_table(scores)
    assert Z.shape == (120, 2) and R.shape == (120, 6) and S.reshape(120, -1).shape == (120, 1)
    if suffix == ".csv":
        assert z_columns == ["z0", "z1"] and r_columns[0] == "f0" and s_columns == ["score"]
    assert "wrote 120 scores" in capsys.readouterr().out


def test_info(model_file, capsys):
    assert main(["info", str(model_file)]) == 0
    out = capsys.readouterr().out
    assert "autoencoder" in out and "6 features -> code 2" in out and "3 epochs" in out
    assert "columns:     f0, f1, f2, f3, f4, f5" in out
    assert main(["info", str(model_file), "--json"]) == 0
    assert '"latent_dim": 2' in capsys.readouterr().out


def test_info_on_a_checkpoint_says_what_it_is(data_csv, tmp_path, capsys):
    folder = tmp_path / "run"
    assert main(["fit", str(data_csv), "-o", str(tmp_path / "m.safetensors"), "--epochs", "2",
                 "--verbose", "0", "--checkpoint-dir", str(folder)]) == 0
    capsys.readouterr()
    assert main(["info", str(folder / "checkpoint.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "not a model" in out and "epochs done: 2" in out and "--resume" in out


def test_a_headerless_file_scored_by_a_named_model_is_taken_by_position(model_file, data_csv,
                                                                         tmp_path, capsys):
    headerless = tmp_path / "rows.csv"
    headerless.write_text("\n".join(data_csv.read_text().splitlines()[1:]) + "\n")
    for source, out in ((data_csv, "named.csv"), (headerless, "bare.csv")):
        assert main(["score", str(model_file), str(source), "-o", str(tmp_path / out)]) == 0
    err = capsys.readouterr().err
    assert "taken by position as the model's (f0, f1, f2, f3, ...)" in err
    assert "valid feature names" not in err  # scikit-learn's Python wording stays out
    assert (tmp_path / "named.csv").read_text() == (tmp_path / "bare.csv").read_text()


def test_validation_file(data_csv, tmp_path, capsys):
    out = tmp_path / "m.safetensors"
    assert main(["fit", str(data_csv), "-o", str(out), "--epochs", "2", "--verbose", "0",
                 "--validation-data", str(data_csv)]) == 0
    assert "val_loss" in capsys.readouterr().out


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "aekit.cli", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_errors_are_one_line(tmp_path, data_csv, model_file, capsys):
    words = tmp_path / "words.csv"
    words.write_text("a,b\n1,x\n2,y\n")
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(model_file.read_bytes()[:200])
    narrow = tmp_path / "narrow.csv"
    narrow.write_text("a,b\n1,2\n")
    gaps = tmp_path / "gaps.csv"
    gaps.write_text("a,b\n1,2\n3,\n5,6\n")
    header_only = tmp_path / "header.csv"
    header_only.write_text("a,b\n")
    labelled = tmp_path / "labelled.csv"  # a column the model never read: only to be dropped
    lines = data_csv.read_text().splitlines()
    labelled.write_text("\n".join([lines[0] + ",kind"] + [f"{line},x" for line in lines[1:]]))
    cases = [
        (["score", str(model_file), str(labelled), "-o", str(tmp_path / "s.csv")],
         "column 'kind' of labelled.csv holds text, and the model was not trained on it"),
        (["impute", str(header_only), "-o", str(tmp_path / "f.csv")], "header.csv has no rows"),
        (["fit", str(header_only), "-o", str(tmp_path / "e.safetensors")],
         "header.csv has no rows, only column names"),
        (["fit", str(gaps), "-o", str(tmp_path / "m.safetensors")],
         "gaps.csv contains NaN (1 non-finite values, first at row 1, column 'b')"),
        (["fit", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "m.safetensors")],
         "does not exist"),
        (["fit", str(words), "-o", str(tmp_path / "m.safetensors")],
         "--model autoencoder takes numbers, while --model detector and 'aekit impute' read"),
        (["fit", str(data_csv), "-o", str(tmp_path / "m.safetensors"), "--epochs", "0"],
         "epochs must be"),
        (["encode", str(broken), str(data_csv), "-o", str(tmp_path / "z.csv")], "corrupted"),
        (["encode", str(model_file), str(narrow), "-o", str(tmp_path / "z.csv")],
         "columns the model was trained on (missing 'f0'"),
        (["score", str(model_file), str(data_csv), "-o", str(tmp_path / "s.txt")],
         "unsupported file type"),
        (["info", str(tmp_path / "none.safetensors")], "does not exist"),
        (["info", str(tmp_path)], "is a folder, not a model file"),
        (["generate", str(model_file), "-n", "1", "--like", str(data_csv), "--interpolate",
          "-o", str(tmp_path / "g.csv")], "-n 1: --interpolate needs at least 2 steps"),
        (["compress", str(model_file), str(data_csv), "--step", "1e-30", "-o",
          str(tmp_path / "s.aekz")], "quantisation steps of 1e-30: compress with a larger"),
        (["fit", str(tmp_path), "-o", str(tmp_path / "m.safetensors")],
         "is a folder, not a data file"),
        (["decompress", str(model_file), str(tmp_path), "-o", str(tmp_path / "d.csv")],
         "is a folder, not a compressed file"),
        (["export", str(model_file), "-o", str(data_csv)], "is a file: ONNX export writes"),
        (["fit", str(data_csv), "-o", str(tmp_path / "no" / "m.safetensors")],
         "folder " + str(tmp_path / "no") + " does not exist"),
        (["detect", str(data_csv), "-o", str(data_csv)], "is the file this command reads"),
        (["fit", str(data_csv), "-o", str(tmp_path)], "is a folder: name a file inside it"),
        (["impute", str(data_csv), "-o", str(tmp_path / "x.json")], "unsupported file type"),
        (["impute", str(data_csv), "-o", str(tmp_path / "x.csv"), "--save-model",
          str(tmp_path / "no" / "i.safetensors")], "does not exist"),
        (["fit", str(data_csv), "-o", str(tmp_path / "m.safetensors"), "--model", "vae",
          "--sparsity", "l1", "--noise", "masking"], "--sparsity, --noise do not apply"),
    ]
    for args, message in cases:
        capsys.readouterr()
        assert main(args) == 1, args
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("aekit: error: ") and message in lines[0], (
            args, lines)
    assert not (tmp_path / "z.csv").exists()


def test_no_command_overwrites_a_file_it_reads(tmp_path, data_csv, model_file, capsys):
    """-o naming the data or the model is refused before any work: both are left as they
    were (a compressed stream written over its model could never be decoded)."""
    data, model = tmp_path / "in.csv", tmp_path / "m.safetensors"
    data.write_bytes(data_csv.read_bytes())
    model.write_bytes(model_file.read_bytes())
    stream = tmp_path / "s.aekz"
    assert main(["compress", str(model), str(data), "-o", str(stream)]) == 0
    cases = [[command, str(model), str(data), "-o", str(target)]
             for command in ("encode", "reconstruct", "score", "compress")
             for target in (data, model)]
    cases += [["decompress", str(model), str(stream), "-o", str(target)]
              for target in (stream, model)]
    cases += [["map", str(model), str(data), "-o", str(tmp_path / "m.png"), "--codes", str(data)]]
    before = {path: path.read_bytes() for path in (data, model, stream)}
    for args in cases:
        capsys.readouterr()
        assert main(args) == 1, args
        assert "is the file this command reads" in capsys.readouterr().err, args
    assert {path: path.read_bytes() for path in before} == before
    png = str(tmp_path / "m.png")
    assert main(["map", str(model), str(data), "-o", png, "--codes", png]) == 1
    assert "--codes and -o name the same file" in capsys.readouterr().err


def test_detect_writes_an_id_column_as_the_file_has_it(tmp_path):
    data, out = tmp_path / "ids.csv", tmp_path / "flags.csv"
    rng = np.random.RandomState(0)
    data.write_text("id,a,b\n" + "".join(f"{i:05d},{x:.4f},{y:.4f}\n"
                                          for i, (x, y) in enumerate(rng.normal(size=(60, 2)))))
    assert main(["detect", str(data), "--time", "id", "-o", str(out)]) == 0
    assert pa_csv.read_csv(out, convert_options=pa_csv.ConvertOptions(
        column_types={"id": pa.string()}))["id"].to_pylist() == [f"{i:05d}" for i in range(60)]


def test_real_process_shows_no_traceback(tmp_path):
    result = run_cli("encode", str(tmp_path / "missing.safetensors"), str(tmp_path / "d.csv"),
                     "-o", str(tmp_path / "z.csv"))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"aekit: error: model file {tmp_path / 'missing.safetensors'} does not exist")


def test_hidden_dims_none_is_the_default_network_and_parentheses_are_none():
    """A trial: --hidden-dims None gave no hidden layer, where the help's None is the default
    (as --latent-dim none is)."""
    from aekit._cli_options import _auto_tuple

    assert _auto_tuple("None") is None and _auto_tuple("auto") is None
    assert _auto_tuple("()") == () and _auto_tuple("") == () and _auto_tuple("64,32") == (64, 32)


def test_usage_errors_exit_non_zero(data_csv, capsys):
    for args, message in [(["fit", str(data_csv)], "required: -o"),
                          (["fit", str(data_csv), "-o", "m.safetensors", "--hidden-dims", "a,b"],
                           "comma-separated integers"),
                          (["fit", str(data_csv), "-o", "m.safetensors", "--hidden-dims",
                            "64,,32"], "got '64,,32'")]:  # a slip, not (64, 32)
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_progress_bar_shows_loss_when_asked_or_on_a_terminal(data_csv, tmp_path, capsys):
    common = ["fit", str(data_csv), "-o", str(tmp_path / "m.safetensors"), "--epochs", "2",
              "--validation-split", "0.2"]
    assert main(common) == 0  # stderr is captured, not a terminal: no bar to fill a log with
    piped = capsys.readouterr().err
    assert "Epoch" not in piped, piped
    assert main([*common, "--verbose", "1"]) == 0
    asked = capsys.readouterr().err
    assert "Epoch 2/2" in asked and "val_loss" in asked


def test_every_model_from_the_cli(tmp_path, capsys):
    """fit --model X for each variant, generate from a VAE, conv images from .npy."""
    from sklearn.datasets import load_digits

    digits = (load_digits().data[:300] / 16).astype("float32")
    np.save(tmp_path / "flat.npy", digits)
    np.save(tmp_path / "images.npy", digits.reshape(-1, 8, 8))
    common = ["--epochs", "2", "--verbose", "0", "--device", "cpu", "--random-state", "0"]
    runs = {
        "vae": ["flat.npy", "--model", "vae", "--beta", "0.5", "--kl-warmup-epochs", "2"],
        "sparse": ["flat.npy", "--model", "sparse", "--sparsity", "topk", "--k", "3"],
        "denoising": ["images.npy", "--model", "denoising", "--architecture", "conv",
                      "--noise", "masking", "--noise-level", "0.2", "--hidden-dims", "4,8"],
        "sequence": ["images.npy", "--model", "sequence", "--architecture", "gru",
                     "--hidden-dims", "8"],
    }
    for name, args in runs.items():
        model = tmp_path / f"{name}.safetensors"
        data = str(tmp_path / args[0])
        assert main(["fit", data, *args[1:], *common, "-o", str(model)]) == 0, name
        assert main(["reconstruct", str(model), data, "-o", str(tmp_path / f"{name}.npy")]) == 0
        assert np.load(tmp_path / f"{name}.npy").shape == np.load(data).shape
    assert main(["generate", str(tmp_path / "vae.safetensors"), "-n", "5", "-o",
                 str(tmp_path / "new.csv")]) == 0
    assert read_table(tmp_path / "new.csv")[0].shape == (5, 64)
    capsys.readouterr()
    assert main(["generate", str(tmp_path / "sparse.safetensors"), "-o",
                 str(tmp_path / "x.csv")]) == 1
    assert "needs one trained with --model vae" in capsys.readouterr().err
    assert main(["fit", str(tmp_path / "flat.npy"), "--beta", "2", "-o",
                 str(tmp_path / "m.safetensors")]) == 1
    assert "--beta does not apply to --model autoencoder" in capsys.readouterr().err


def test_fit_matches_validation_data_columns_by_name(tmp_path, capsys):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3)) * [1.0, 10.0, 100.0]
    write_table(tmp_path / "train.csv", X[:150], ["a", "b", "c"])
    write_table(tmp_path / "val.csv", X[150:, ::-1], ["c", "b", "a"])
    write_table(tmp_path / "val_same.csv", X[150:], ["a", "b", "c"])
    losses = []
    for val in ("val.csv", "val_same.csv"):
        assert main(["fit", str(tmp_path / "train.csv"), "--validation-data", str(tmp_path / val),
                     "-o", str(tmp_path / "m.safetensors"), "--epochs", "2",
                     "--random-state", "0"]) in (0, None)
        losses.append(capsys.readouterr().out.split("val_loss")[1].split(")")[0])
    assert losses[0] == losses[1]


@pytest.fixture(scope="module")
def wrappers(tmp_path_factory):
    """A saved imputer and a saved detector, and a CSV of their columns."""
    import pandas as pd

    from aekit import AnomalyDetector, Autoencoder, AutoencoderImputer

    folder = tmp_path_factory.mktemp("wrappers")
    frame = pd.DataFrame(np.random.RandomState(0).normal(size=(64, 4)), columns=list("abcd"))
    frame.to_csv(folder / "rows.csv", index=False)
    AutoencoderImputer(epochs=1, random_state=0, device="cpu").fit(frame).save(
        folder / "imputer.safetensors")
    AnomalyDetector(model=Autoencoder(epochs=1, random_state=0, device="cpu")).fit(frame).save(
        folder / "detector.safetensors")
    return folder


@pytest.mark.parametrize(("command", "model", "output"), [
    ("encode", "imputer", "out.csv"),  # its transform fills gaps: not codes
    ("encode", "detector", "out.csv"),
    ("reconstruct", "detector", "out.csv"),
    ("score", "imputer", "out.csv"),
    ("map", "imputer", "out.png"),
    ("denoise", "detector", "out.csv"),
])
def test_commands_refuse_a_model_that_cannot_do_their_job(wrappers, command, model, output,
                                                          capsys):
    saved, rows = wrappers / f"{model}.safetensors", wrappers / "rows.csv"
    assert main([command, str(saved), str(rows), "-o", str(wrappers / output)]) == 1
    error = capsys.readouterr().err
    assert f"'aekit {command}' takes an autoencoder" in error and "Traceback" not in error
    assert not (wrappers / output).exists()


def test_commands_without_a_model_of_their_own_choose_columns_too(wrappers, tmp_path, capsys):
    """map, denoise, report and compress take --columns/--drop/--time as encode does."""
    import pandas as pd

    from aekit import Autoencoder

    frame = pd.read_csv(wrappers / "rows.csv")
    Autoencoder(latent_dim=2, epochs=1, random_state=0, device="cpu").fit(frame).save(
        tmp_path / "ae.safetensors")
    frame.insert(0, "when", range(len(frame)))
    frame["label"] = "x"
    frame.to_csv(tmp_path / "labelled.csv", index=False)
    model, data = str(tmp_path / "ae.safetensors"), str(tmp_path / "labelled.csv")
    chosen = ["--time", "when", "--drop", "label"]
    assert main(["map", model, data, "-o", str(tmp_path / "m.png"), *chosen]) == 0
    assert main(["denoise", model, data, "-o", str(tmp_path / "d.csv"), *chosen]) == 0
    assert list(pd.read_csv(tmp_path / "d.csv").columns) == ["when", "a", "b", "c", "d"]
    assert main(["report", model, data, "-o", str(tmp_path / "r"), "--columns", "a,b,c,d"]) == 0
    assert main(["compress", model, data, "-o", str(tmp_path / "c.bin"), *chosen]) == 0
    assert main(["map", model, data, "-o", str(tmp_path / "m.png")]) == 1
    assert "not numeric" in capsys.readouterr().err


def test_a_model_is_not_written_under_a_data_file_name(data_csv, tmp_path, capsys):
    for args in (["fit", str(data_csv), "-o", str(tmp_path / "m.csv")],
                 ["detect", str(data_csv), "-o", str(tmp_path / "r.csv"),
                  "--save", str(tmp_path / "d.parquet")],
                 ["impute", str(data_csv), "-o", str(tmp_path / "f.csv"),
                  "--save-model", str(tmp_path / "i.npy")]):
        assert main(args) == 1
        assert "writes a model, not a data file" in capsys.readouterr().err
        assert not list(tmp_path.glob("[mdi].*")) and not (tmp_path / "r.csv").exists()


def test_detect_names_what_its_options_take(data_csv, capsys):
    with pytest.raises(SystemExit) as exit_code:
        main(["detect", str(data_csv), "-o", "r.csv", "--contamination", "abc"])
    assert exit_code.value.code == 2
    assert "expected auto or a share such as 0.02, got 'abc'" in capsys.readouterr().err


def test_refusals_before_any_work(data_csv, tmp_path, capsys):
    """A demo code wider than the digits, and --stream on a CSV, are refused up front."""
    assert main(["demo", "--latent-dim", "100", "--epochs", "1", "-o", str(tmp_path / "d")]) == 1
    assert "latent_dim must be between 1 and 64" in capsys.readouterr().err
    assert main(["demo", "--epochs", "0", "-o", str(tmp_path / "d0")]) == 1
    assert not (tmp_path / "d").exists() and not (tmp_path / "d0").exists()  # no empty folder
    assert main(["fit", str(data_csv), "--stream", "-o", str(tmp_path / "m.safetensors")]) == 1
    assert "leave out --stream to load it whole" in capsys.readouterr().err


def test_dash_writes_the_table_to_standard_output_and_messages_to_standard_error(
        model_file, data_csv, tmp_path, capsys):
    assert main(["score", str(model_file), str(data_csv), "-o", str(tmp_path / "s.csv")]) == 0
    written = (tmp_path / "s.csv").read_text()
    capsys.readouterr()
    assert main(["score", str(model_file), str(data_csv), "-o", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out == written  # the table alone, as the file holds it
    assert "wrote 120 scores to standard output" in captured.err
    assert main(["map", str(model_file), str(data_csv), "-o", "-"]) == 1
    assert "'aekit map' does not write a table of rows to standard output" in capsys.readouterr().err


def test_a_pipe_that_fails_gets_no_word_of_rows_written(model_file, data_csv, monkeypatch,
                                                        capsys):
    import errno

    import aekit._cli_stdout as stdout

    def full_disk(source, target):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(stdout.shutil, "copyfileobj", full_disk)  # as `-o - > /dev/full` does
    assert main(["score", str(model_file), str(data_csv), "-o", "-"]) == 1
    said = capsys.readouterr().err
    assert "No space left on device" in said and "wrote" not in said


@pytest.mark.parametrize("raised, code, said", [
    (MemoryError(), 1, "aekit: error: out of memory (MemoryError): ask for less at once"),
    (RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 5 GB"), 1,
     "error: out of memory (DefaultCPUAllocator: can't allocate memory"),
    ("SIGTERM", 143, "aekit: terminated"),
])
def test_out_of_memory_and_sigterm_end_in_one_line(raised, code, said, tmp_path, monkeypatch,
                                                    capsys):
    import os
    import signal

    import aekit.cli_jobs as jobs
    from aekit.io import atomic_path

    def handler(args):
        if raised == "SIGTERM":
            with atomic_path(tmp_path / "g.csv") as half_written:
                half_written.write_text("x\n1\n")
                os.kill(os.getpid(), signal.SIGTERM)  # as `kill` sends it
        raise raised

    monkeypatch.setattr(jobs, "_generate", handler)
    (tmp_path / "vae.safetensors").write_bytes(b"")
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as a shell starts aekit
    try:
        assert main(["generate", str(tmp_path / "vae.safetensors"), "-o",
                     str(tmp_path / "g.csv")]) == code
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back after the run
    finally:
        signal.signal(signal.SIGTERM, before)
    assert said in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vae.safetensors"]  # nothing half
    monkeypatch.setattr(jobs, "_generate", lambda args: (_ for _ in ()).throw(
        RuntimeError("a bug, not memory")))
    with pytest.raises(RuntimeError, match="a bug"):  # other runtime errors are not hidden
        main(["generate", str(tmp_path / "vae.safetensors"), "-o", str(tmp_path / "g.csv")])


def test_an_unwritable_folder_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    import os

    import aekit._cli_common as common

    folder = tmp_path / "locked"
    folder.mkdir()
    np.save(tmp_path / "x.npy", np.random.RandomState(0).rand(30, 4))
    real_access = os.access  # root may write anywhere: lock the folder in the check's view
    monkeypatch.setattr(common.os, "access",
                        lambda path, mode: Path(path) != folder and real_access(path, mode))
    assert main(["fit", str(tmp_path / "x.npy"), "-o", str(folder / "m.safetensors")]) == 1
    assert f"the folder {folder} is not writable: write elsewhere" in capsys.readouterr().err
    assert not list(folder.iterdir())


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_temporary_file_that_cannot_be_made_is_named_by_the_file_asked_for(tmp_path):
    from aekit.io import atomic_write_bytes

    with pytest.raises(FileNotFoundError,  # its type and errno kept
                       match=r"^cannot write /proc/x.csv: .* \(in the folder /proc\)$") as error:
        atomic_write_bytes("/proc/x.csv", b"rows")
    assert error.value.errno == 2


def test_a_1d_array_and_a_negative_seed_are_named_in_the_commands_terms(tmp_path, capsys):
    np.save(tmp_path / "one.npy", np.arange(50.0))
    assert main(["fit", str(tmp_path / "one.npy"), "-o", str(tmp_path / "m.safetensors")]) == 1
    assert f"{tmp_path / 'one.npy'} holds a 1-D array, and a table has rows and columns" in (
        capsys.readouterr().err)
    np.save(tmp_path / "two.npy", np.random.RandomState(0).rand(30, 3))
    assert main(["fit", str(tmp_path / "two.npy"), "-o", str(tmp_path / "m.safetensors"),
                 "--random-state", "-1"]) == 1
    assert "random_state must be None, a whole number from 0 to 2**32 - 1" in (
        capsys.readouterr().err)


def test_standard_input_is_refused_as_such(model_file, capsys):
    assert main(["score", str(model_file), "-", "-o", "x.csv"]) == 1
    assert "data file -: aekit does not read standard input" in capsys.readouterr().err


def test_an_interrupted_fit_says_how_to_resume_once_a_checkpoint_exists(tmp_path, monkeypatch,
                                                                         capsys):
    from aekit import cli

    folder = tmp_path / "ckpt"

    def interrupted(args, owners):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_fit", interrupted)
    np.save(tmp_path / "x.npy", np.random.RandomState(0).rand(30, 3))
    command = ["fit", str(tmp_path / "x.npy"), "-o", str(tmp_path / "m.safetensors"),
               "--checkpoint-dir", str(folder)]
    assert main(command) == 130
    assert capsys.readouterr().err.strip() == "aekit: interrupted"  # no checkpoint yet
    from aekit.train.checkpoint import CHECKPOINT_NAME

    folder.mkdir()
    (folder / CHECKPOINT_NAME).write_bytes(b"")  # (the CLI names it without importing torch)
    assert main(command) == 130
    assert (f"aekit: interrupted; the checkpoint in {folder} continues the run: the same "
            "command with --resume") in capsys.readouterr().err
