"""The README's job figures, drawn by the aekit command from scikit-learn's digits (8x8 images
in [0, 1]): a 2-D map, VAE samples, denoised digits, and a report folder (kept in a
temporary folder; its reconstruction figure is copied out).

    OMP_NUM_THREADS=1 python benchmarks/job_figures.py [--out docs/figures]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from sklearn.datasets import load_digits


def aekit(*args: str) -> None:
    print("$ aekit " + " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", "aekit", *args], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/figures")
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        draw(out, Path(folder), args.epochs)


def draw(out: Path, work: Path, epochs: int) -> None:
    digits = load_digits()
    X = (digits.data / 16).astype(np.float32)
    np.save(work / "digits.npy", X)
    table = pa.table({**{f"p{i}": X[:, i] for i in range(64)}, "digit": digits.target})
    pacsv.write_csv(table, work / "digits.csv")
    noisy = np.clip(X + 0.3 * np.random.RandomState(1).normal(size=X.shape), 0, 1)
    np.save(work / "noisy.npy", noisy.astype(np.float32))
    common = ["--epochs", str(epochs), "--batch-size", "64", "--random-state", "0",
              "--device", "cpu", "--verbose", "0", "--hidden-dims", "128,64"]
    aekit("fit", str(work / "digits.npy"), "--model", "vae", "--latent-dim", "2",
          "-o", str(work / "vae.safetensors"), *common)
    aekit("map", str(work / "vae.safetensors"), str(work / "digits.csv"), "--labels", "digit",
          "-o", str(out / "map.png"))
    aekit("generate", str(work / "vae.safetensors"), "-n", "30", "--random-state", "0",
          "-o", str(out / "samples.png"))
    aekit("fit", str(work / "digits.npy"), "--model", "denoising", "--noise-level", "0.3",
          "--latent-dim", "16", "-o", str(work / "dae.safetensors"), *common)
    aekit("denoise", str(work / "dae.safetensors"), str(work / "noisy.npy"),
          "-o", str(out / "denoised.png"))
    aekit("report", str(work / "vae.safetensors"), str(work / "digits.csv"), "--labels",
          "digit", "-o", str(work / "report"))
    shutil.copyfile(work / "report" / "reconstructions.png", out / "reconstructions.png")


if __name__ == "__main__":
    main()
