"""Every Python snippet in the README runs, in order, on small real data."""

import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

import aekit.estimators._auto as auto
from aekit.apps import impute

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [re.sub(r"^ {2}", "", block, flags=re.MULTILINE)  # blocks indented under a list item
            for block in re.findall(r"^ *```python\n(.*?)^ *```", text, re.DOTALL | re.MULTILINE)]


def small_data(folder: Path) -> dict:
    """The names the snippets use, bound to small real data (digits, a sine series, words)."""
    X = (load_digits().data[:300] / 16).astype(np.float32)
    rng = np.random.RandomState(0)
    series = np.sin(np.arange(600) * 2 * np.pi / 48) + rng.normal(scale=0.05, size=600)
    padded = np.stack([series[i:i + 48] for i in range(0, 480, 24)]).astype(np.float32)
    lengths = np.full(len(padded), 48)
    lengths[::2] = 32
    padded[::2, 32:] = np.nan
    np.save(folder / "big.npy", X)
    return {"X": X, "X_train": X[:200], "X_test": X[200:], "X_noisy": np.clip(
        X + rng.normal(scale=0.2, size=X.shape), 0, 1).astype(np.float32),
        "images": X.reshape(-1, 8, 8), "series": series, "padded": padded,
        "lengths": lengths, "windows": padded[1::2],
        "texts": ["the cat sat", "a dog ran", "hello world", "good day"] * 5}


def test_readme_snippets_run(tmp_path, monkeypatch):
    blocks = python_blocks()
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    # epochs="auto" plans 3000 steps; a few are enough to show each snippet runs
    monkeypatch.setattr(auto, "MIN_STEPS", 10)
    monkeypatch.setattr(auto, "MAX_EPOCHS", 3)
    monkeypatch.setattr(impute, "TRAINING_STEPS", 10)  # the imputer plans its own
    namespace = small_data(tmp_path)
    for number, block in enumerate(blocks, 1):
        block = block.replace("k=1000", "k=10")  # the IWAE bound's sample count
        try:
            exec(compile(block, f"README python block {number}", "exec"), namespace)  # noqa: S102
        except Exception as error:  # noqa: BLE001 - report which block failed
            pytest.fail(f"README python block {number} failed: {error!r}\n{block}")
