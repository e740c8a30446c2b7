"""The CLI answers at once: --help, --version, info and argument errors import neither PyTorch
nor scikit-learn, and fit's options (read from a static table) match the estimators."""

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "sklearn", "numpy", "scipy", "pandas", "matplotlib")

# Runs the CLI in a fresh interpreter and reports which heavy modules it imported.
PROBE = """
import json, sys
from aekit.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "heavy": sorted(m for m in HEAVY if m in sys.modules)}),
      file=sys.stderr)
""".replace("HEAVY", repr(HEAVY))


def probe(*args):
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                            timeout=60, check=False)
    report = json.loads(result.stderr.strip().splitlines()[-1])
    return report, result.stdout, result.stderr


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["fit", "--help"],
                                  ["report", "--help"], ["map", "--help"], ["denoise", "--help"],
                                  ["fit", "data.csv"],
                                  ["fit", "d.csv", "-o", "m.safetensors", "--loss", "l2"]])
def test_help_version_and_usage_errors_import_nothing_heavy(args):
    report, _stdout, stderr = probe(*args)
    assert report["heavy"] == [], report
    assert report["code"] in (0, 2)
    if args == ["fit", "d.csv", "-o", "m.safetensors", "--loss", "l2"]:
        assert "invalid choice: 'l2'" in stderr


@pytest.mark.parametrize("args, message", [
    (["fit", "missing.csv", "-o", "m.safetensors"], "data file missing.csv does not exist"),
    (["score", "missing.safetensors", "d.csv", "-o", "s.csv"], "model file missing"),
    (["detect", "missing.csv", "-o", "out.csv"], "data file missing.csv does not exist"),
    (["fit", "d.csv", "--stream", "-o", "m.safetensors"], "--stream reads .npy or Parquet"),
])
def test_missing_input_files_are_answered_before_anything_heavy(args, message, tmp_path):
    (tmp_path / "d.csv").write_text("a,b\n1,2\n")
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                            text=True, timeout=60, check=False, cwd=tmp_path)
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report == {"code": 1, "heavy": []} and message in result.stderr


def test_info_reads_the_header_only(tmp_path):
    from aekit import Autoencoder

    X = __import__("numpy").random.RandomState(0).rand(40, 5)
    path = tmp_path / "m.safetensors"
    Autoencoder(latent_dim=2, hidden_dims=(4,), epochs=1, device="cpu").fit(X).save(path)
    report, stdout, _ = probe("info", str(path))
    assert report == {"code": 0, "heavy": []}
    # 5*4+4 + 4*2+2 encoder, 2*4+4 + 4*5+5 decoder
    assert "5 features -> code 2" in stdout and "weights:     71\n" in stdout
    damaged = tmp_path / "damaged.safetensors"
    data = bytearray(path.read_bytes())
    data[-3] ^= 1
    damaged.write_bytes(bytes(data))
    report, _, stderr = probe("info", str(damaged))
    assert report["code"] == 1 and "checksum does not match" in stderr


def test_import_aekit_is_lazy_but_complete():
    code = ("import sys, aekit, aekit.io; print(aekit.__version__, "
            f"sorted(m for m in {HEAVY!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.stdout.split() == ["0.1.0", "[]"], result.stderr
    import aekit
    import aekit.io
    from aekit import Autoencoder  # noqa: F401  (the public names still import)

    assert all(hasattr(aekit, name) for name in aekit.__all__)
    assert all(hasattr(aekit.io, name) for name in aekit.io.__all__)
    assert sorted(aekit.io.__all__) == sorted(aekit.io._EXPORTS)  # written out for linters
    assert set(aekit.__all__) <= set(dir(aekit))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        aekit.Nope  # noqa: B018


def test_option_table_matches_the_estimators():
    from aekit._cli_options import build_table
    from aekit._cli_table import MODELS, OPTIONS

    assert build_table() == (MODELS, OPTIONS), (
        "the estimators changed: run `PYTHONPATH=src python -m aekit._cli_options`")


def test_choice_options_list_and_enforce_their_values(capsys):
    from aekit.cli import build_parser, main

    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    out = capsys.readouterr().out
    for values in ("{dense,conv,lstm,gru}", "{adam,adamw,rmsprop,sgd}", "{l1,kl,topk}",
                   "{gaussian,masking,salt_pepper}", "{auto,mse,bce,ce}"):
        assert values in out
    assert "relu,leaky_relu" in out
    args = build_parser().parse_args(["fit", "d.csv", "-o", "m.safetensors",
                                      "--latent-activation", "none", "--activation", "tanh"])
    assert args.latent_activation is None and args.activation == "tanh"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["fit", "d.csv", "-o", "m.safetensors", "--activation", "none"])
