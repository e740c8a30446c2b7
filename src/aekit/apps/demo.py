"""The built-in demo: an autoencoder on scikit-learn's digits, set against PCA."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from aekit.apps.report import plot_history, plot_image_rows
from aekit.io import atomic_write_bytes


@dataclass
class DemoResult:
    n_train: int
    n_test: int
    latent_dim: int
    epochs_run: int
    kept_epoch: int  # the epoch whose weights the model holds (early stopping's best)
    final_loss: float  # the kept epoch's
    final_val_loss: float
    test_mse_autoencoder: float
    test_mse_pca: float
    seconds: float
    output_dir: str

    @property
    def mse_ratio(self) -> float:
        """Autoencoder MSE over PCA MSE: below 1 means the autoencoder reconstructs better."""
        return self.test_mse_autoencoder / self.test_mse_pca


def run_demo(output_dir: str | Path = "aekit-demo", *, latent_dim: int = 8, epochs: int = 100,
             random_state: int = 0, verbose: int = 1) -> DemoResult:
    """Train on 75% of the digits (scaled to [0, 1]), compare test MSE with ``PCA(latent_dim)``
    and write ``loss.png``, ``reconstructions.png``, ``summary.json`` and ``model.safetensors``."""
    import time

    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split

    from aekit.estimators import Autoencoder

    pixels = 64  # the digits are 8 x 8: neither PCA nor a code can be wider
    if not 1 <= latent_dim <= pixels:
        raise ValueError(f"latent_dim must be between 1 and {pixels} (the digits' pixels), "
                         f"got {latent_dim}")
    out = Path(output_dir)
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=random_state,
                                       stratify=digits.target)
    started = time.perf_counter()
    ae = Autoencoder(latent_dim=latent_dim, hidden_dims=(128, 64), latent_activation="linear",
                     loss="bce", epochs=epochs, batch_size=64, validation_data=X_test,
                     random_state=random_state, verbose=verbose)
    ae.fit(X_train)
    seconds = time.perf_counter() - started
    kept = max(ae.best_epoch_, 1)  # random initial weights: the first epoch beats them
    pca = PCA(latent_dim, random_state=random_state).fit(X_train)
    ae_rec = ae.reconstruct(X_test)
    pca_rec = pca.inverse_transform(pca.transform(X_test))
    result = DemoResult(
        n_train=len(X_train), n_test=len(X_test), latent_dim=latent_dim,
        epochs_run=ae.n_epochs_, kept_epoch=kept, final_loss=ae.history_["loss"][kept - 1],
        final_val_loss=ae.history_["val_loss"][kept - 1],
        test_mse_autoencoder=float(np.mean((ae_rec - X_test) ** 2)),
        test_mse_pca=float(np.mean((pca_rec - X_test) ** 2)),
        seconds=seconds, output_dir=str(out),
    )
    out.mkdir(parents=True, exist_ok=True)  # once there is something to write into it
    plot_history(ae.history_, out / "loss.png", title=f"Autoencoder on digits (code size "
                 f"{latent_dim})")
    shown = slice(0, 12)
    plot_image_rows({"original": X_test[shown], "autoencoder": ae_rec[shown],
                     f"PCA({latent_dim})": pca_rec[shown]}, (8, 8),
                    out / "reconstructions.png",
                    title=f"Test MSE: autoencoder {result.test_mse_autoencoder:.4f}, "
                          f"PCA {result.test_mse_pca:.4f}")
    ae.save(out / "model.safetensors")
    summary = dict(asdict(result), mse_ratio=result.mse_ratio)
    atomic_write_bytes(out / "summary.json", json.dumps(summary, indent=2).encode())
    return result
