"""NumPy <-> torch at the estimator boundary."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from sklearn.utils import check_random_state

from aekit.estimators._validation import all_finite
from aekit.train.distributed import local_rank

GPU_INFERENCE_BATCH = 8192
# A CPU evaluates fastest when a batch's arrays stay in cache: 10000 MNIST rows (784 values
# each) took 0.030 s in batches of 512 rows and 0.069 s in batches of 8192 (2-core EPYC).
CPU_INFERENCE_VALUES = 1 << 19


def inference_batch(device: torch.device, row_shape: Sequence[int]) -> int:
    """Rows per batch for evaluation and scoring: large on a GPU, where each launch costs;
    about ``CPU_INFERENCE_VALUES`` values on a CPU, where memory traffic does."""
    if device.type != "cpu":
        return GPU_INFERENCE_BATCH
    values_per_row = max(1, int(np.prod(row_shape)))
    return int(np.clip(CPU_INFERENCE_VALUES // values_per_row, 64, GPU_INFERENCE_BATCH))


def resolve_device(name: str) -> torch.device:
    """``"auto"`` picks CUDA when available; other names are passed to ``torch.device``.
    Under ``torchrun``, ``"auto"`` and ``"cuda"`` take ``cuda:LOCAL_RANK`` (one GPU per
    process)."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {name!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={name!r} was asked for but no CUDA GPU is available: "
                         "use device='cpu' or 'auto'")
    if device.type == "meta":  # shapes without values: nothing could be trained or computed
        raise ValueError("device='meta' holds no values: use device='cpu', 'cuda' or 'auto'")
    if device.type not in ("cpu", "cuda"):  # mps, xpu, ...: this PyTorch build may lack them
        try:
            torch.empty(1, device=device)
        except Exception:  # noqa: BLE001 - each backend fails its own way (hpu: an import)
            raise ValueError(f"device={name!r} is not available in this PyTorch build or on "
                             "this machine: use device='cpu' or 'auto'") from None
    if device.type == "cuda" and device.index is None and local_rank() is not None:
        device = torch.device("cuda", local_rank())
    return device


def untracked(X):
    """A tensor given as input (from a training graph, or on a GPU) as a NumPy array; anything
    else as it is."""
    return X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else X


def to_tensor(X: np.ndarray, device: torch.device) -> torch.Tensor:
    """float32 tensor on ``device``; copies read-only arrays (torch cannot share them)."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    if not X.flags.writeable:
        X = X.copy()
    return torch.from_numpy(X).to(device)


def as_batch(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """int64 for integer arrays (lengths, token ids), float32 otherwise."""
    if array.dtype.kind in "iu":  # sequence lengths, token ids
        return torch.from_numpy(np.ascontiguousarray(array, dtype=np.int64)).to(device)
    return to_tensor(array, device)


@torch.no_grad()
def map_batches(fn: Callable[..., torch.Tensor], arrays: tuple[np.ndarray, ...],
                device: torch.device, batch_size: int | None = None) -> np.ndarray:
    """Apply ``fn`` to row batches of ``arrays`` on ``device`` (``inference_batch`` rows by
    default); returns a float32 array.

    Raises ``ValueError`` rather than return NaN or inf.
    """
    n_rows = len(arrays[0])
    batch_size = batch_size or inference_batch(device, arrays[0].shape[1:])
    outputs = [fn(*(as_batch(a[start:start + batch_size], device) for a in arrays)).float().cpu()
               for start in range(0, n_rows, batch_size)]
    result = torch.cat(outputs).numpy() if outputs else np.empty((0,), dtype=np.float32)
    if not all_finite(result):
        rows = np.unique(np.argwhere(~np.isfinite(result))[:, 0])
        raise ValueError(f"the model produced NaN or inf for {len(rows)} rows (first: row "
                         f"{rows[0]}): those inputs lie far outside the training data's range")
    return result


def draw_seed(random_state) -> int:
    """A torch seed from an int, a ``RandomState`` or None (scikit-learn's convention)."""
    try:
        generator = check_random_state(random_state)
    except ValueError:  # NumPy's own words name neither the parameter nor its range
        raise ValueError(f"random_state must be None, a whole number from 0 to 2**32 - 1 or a "
                         f"numpy RandomState, got {random_state!r}") from None
    return int(generator.randint(np.iinfo(np.int32).max))


def seeded_rng(device: torch.device):
    """Fork torch's global RNG (CPU, and the CUDA device if used) so fitting leaves it untouched."""
    devices = [device.index or 0] if device.type == "cuda" else []
    return torch.random.fork_rng(devices=devices)
