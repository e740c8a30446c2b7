"""The built-in demo writes its report and beats PCA."""

import json

import aekit
from aekit.apps import run_demo
from aekit.cli import main


def test_demo_writes_report(tmp_path):
    result = run_demo(tmp_path, epochs=40, verbose=0)
    assert result.mse_ratio < 1  # the autoencoder reconstructs better than PCA
    for name in ("loss.png", "reconstructions.png", "summary.json", "model.safetensors"):
        assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["test_mse_autoencoder"] == result.test_mse_autoencoder
    assert aekit.load(tmp_path / "model.safetensors").latent_dim_ == 8


def test_demo_command(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path), "--epochs", "3", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "test reconstruction MSE: autoencoder" in out and "PCA(8)" in out
