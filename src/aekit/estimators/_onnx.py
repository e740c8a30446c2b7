"""ONNX export: a fitted model's encoder, decoder and scorer as graphs that take raw rows.

Each graph holds the model's ``aekit.nn.preprocess.Preprocessor`` (reshaping and scaling), so a
program without aekit or PyTorch feeds it rows in the data's own units and gets what ``transform``,
``inverse_transform`` and ``score_samples`` return. The batch axis is dynamic. Graphs are traced
with PyTorch's TorchScript-based exporter (``dynamo=False``): the torch.export-based one needs
the ``onnxscript`` package, which nothing else here does. Before anything is written, each graph
is run in ``onnxruntime`` on a batch of a size other than the traced one and compared with
PyTorch, so an export that would answer wrongly fails here instead of in the user's program.
"""

from __future__ import annotations

import copy
import inspect
import io
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from aekit.io.atomic import atomic_write_bytes
from aekit.nn.preprocess import Preprocessor, Scaling

OPSET = 17
MANIFEST = "manifest.json"
# the check after export: outputs of onnxruntime and PyTorch on the same rows
CHECK_RTOL, CHECK_ATOL = 1e-4, 1e-4
NOTES = ("Inputs are float32 with any number of rows (the batch axis is dynamic).",
         ("The graphs do not validate their input: NaN, inf or values far outside the training "
          "data come out as NaN or inf where aekit would raise an error."))
SEQUENCE_NOTE = ("Sequences may be padded at the end with time steps that are all NaN, as "
                 "aekit reads them; the graphs take no lengths input.")
TRACE_ROWS, CHECK_ROWS = 2, 5  # traced and checked batch sizes differ: the axis is dynamic
GRAPH_NAMES = {"encoder", "decoder", "imputer", "scorer"}  # every graph an export may write


@dataclass
class Graph:
    """One graph to export: ``module`` maps ``input`` ``(batch, *row_shape)`` to ``output``."""

    module: nn.Module
    input_name: str
    row_shape: tuple[int, ...]
    output_name: str
    description: str
    example: np.ndarray  # CHECK_ROWS rows of valid input, float32


# ---------------------------------------------------------------------------- graph modules
class RowInputs(nn.Module):
    """Raw rows -> the network's arguments, through the estimator's ``Preprocessor`` (the
    channel axis images given as ``(n, H, W)`` and series as ``(n, T)`` lack, then the
    scaling)."""

    def __init__(self, preprocess: Preprocessor):
        super().__init__()
        self.preprocess = preprocess

    @property
    def scaling(self) -> Scaling:
        return self.preprocess.scaling

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return (self.preprocess(x),)


class ObservedInputs(RowInputs):
    """Rows with NaN for missing cells -> ``(scaled rows with missing cells at 0, mask)``, the
    arguments of ``MaskedAutoencoderNet``."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        observed = (~torch.isnan(x)).float()
        return self.preprocess(x, mask=observed), observed


class SequenceInputs(RowInputs):
    """Sequences whose trailing all-NaN steps are padding -> ``(scaled steps with the padding
    at 0, lengths)``, as ``BaseAutoencoder`` reads them."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        (scaled,) = super().forward(x)
        steps = scaled.shape[1]
        valid = ~torch.isnan(scaled).all(dim=2)
        lengths = steps - torch.argmax(valid.flip(1).long(), dim=1)
        inside = torch.arange(steps)[None, :] < lengths[:, None]
        return torch.where(inside[..., None], scaled, 0.0), lengths


class EncoderGraph(nn.Module):
    """Raw rows -> codes ``(n, latent_dim)`` (a Gaussian code's mean)."""

    def __init__(self, inputs: RowInputs, net: nn.Module):
        super().__init__()
        self.inputs, self.net = inputs, net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.encode(*self.inputs(x))


class DecoderGraph(nn.Module):
    """Codes ``(n, latent_dim)`` -> rows in the data's units and shape."""

    def __init__(self, net: nn.Module, preprocess: Preprocessor):
        super().__init__()
        self.net, self.preprocess = net, preprocess

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.preprocess.inverse(self.net.decode(z))


class ImputerGraph(nn.Module):
    """Rows with NaN for missing cells -> the same rows with those cells filled, as
    ``impute`` (observed cells pass through unchanged)."""

    def __init__(self, inputs: ObservedInputs, net: nn.Module, low: np.ndarray,
                 high: np.ndarray):
        super().__init__()
        self.inputs, self.net = inputs, net
        with np.errstate(over="ignore"):  # float64's extremes (no bound) become inf
            self.register_buffer("low", torch.from_numpy(low.astype(np.float32)))
            self.register_buffer("high", torch.from_numpy(high.astype(np.float32)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scaled, observed = self.inputs(x)
        filled = self.inputs.preprocess.inverse(self.net.reconstruct(scaled, observed))
        filled = torch.minimum(torch.maximum(filled, self.low), self.high)
        return torch.where(observed > 0, x, filled)


class ScorerGraph(nn.Module):
    """Raw rows -> per-row score ``(n,)``: the negative training loss, higher is more normal."""

    def __init__(self, inputs: RowInputs, net: nn.Module):
        super().__init__()
        self.inputs, self.net = inputs, net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return -self.net.row_loss(*self.inputs(x))


# ---------------------------------------------------------------------------- estimators
def check_exportable(estimator) -> None:
    """Raise ValueError for the models whose graphs would not mean what their methods do."""
    if getattr(estimator, "tokens", False):
        raise ValueError("text models (SequenceAutoencoder(tokens=True)) cannot be exported to "
                         "ONNX: the exported graphs take and return float32 values, not token "
                         "ids")
    if getattr(getattr(estimator, "module_", None), "base", None) is not None:
        raise ValueError("this MaskedAutoencoder starts from a normal model whose fill solves a "
                         "linear system per row, which ONNX has no operator for: fit it with "
                         "gaussian=False to export it")


def estimator_graphs(estimator) -> dict[str, Graph]:
    """The encoder, decoder and scorer graphs of a fitted aekit estimator."""
    check_is_fitted(estimator)
    check_exportable(estimator)
    net = inference_copy(estimator.module_)
    inputs = network_inputs(estimator)
    row_shape = user_row_shape(estimator)
    rows = example_rows(estimator, row_shape)
    with warnings.catch_warnings():  # example rows carry no names; the user passed none
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        codes = estimator._encode(rows)  # codes the decoder really meets (bare, as set_output is)
    masked = isinstance(inputs, ObservedInputs)
    nan_note = " (NaN marks a missing cell)" if masked else ""
    graphs = {"encoder": Graph(EncoderGraph(inputs, net), "rows", row_shape, "codes",
                               f"raw rows{nan_note} -> codes, as transform", rows)}
    if getattr(net, "decodes_alone", True):  # else codes alone do not give rows
        graphs["decoder"] = Graph(DecoderGraph(net, inputs.preprocess), "codes",
                                  (codes.shape[1],), "rows",
                                  "codes -> rows in the data's units, as inverse_transform",
                                  codes.astype(np.float32))
    if masked:
        unbounded = np.full(row_shape, np.inf)
        low = getattr(estimator, "fill_min_", -unbounded)
        high = getattr(estimator, "fill_max_", unbounded)
        graphs["imputer"] = Graph(ImputerGraph(inputs, net, low, high), "rows", row_shape,
                                  "filled",
                                  "raw rows (NaN marks a missing cell) -> the rows with their "
                                  "missing cells filled, as impute", rows)
    graphs["scorer"] = Graph(ScorerGraph(inputs, net), "rows", row_shape, "score",
                             f"raw rows{nan_note} -> per-row score (higher is more normal), as "
                             "score_samples", rows)
    return graphs


def inference_copy(module: nn.Module) -> nn.Module:
    """A CPU copy of ``module`` in evaluation mode: tracing it leaves the model as it is, and
    the graph is the same whatever device trained it."""
    return copy.deepcopy(module).cpu().eval()


def network_inputs(estimator) -> RowInputs:
    """The module taking raw rows to the arguments of ``estimator.module_``."""
    preprocess = estimator._preprocessor(torch.device("cpu"))
    if estimator.architecture in ("lstm", "gru"):
        kind = SequenceInputs
    elif estimator.__sklearn_tags__().input_tags.allow_nan:  # NaN marks missing cells
        kind = ObservedInputs
    else:
        kind = RowInputs
    return kind(preprocess)


def user_row_shape(estimator) -> tuple[int, ...]:
    """One row's shape as the user passes it (without the axis ``canonical`` adds)."""
    shape = list(estimator.input_shape_)
    if estimator.squeeze_axis_ is not None:
        del shape[estimator.squeeze_axis_ - 1]
    return tuple(shape)


def example_rows(estimator, row_shape: tuple[int, ...]) -> np.ndarray:
    """``CHECK_ROWS`` rows whose scaled values lie in [0, 1) (valid for every loss); every
    other sequence padded to the full length from half of it; a cell of every other row
    missing where NaN marks missing cells."""
    unit = np.random.RandomState(0).uniform(0, 1, (CHECK_ROWS, *estimator.input_shape_))
    rows = (unit * estimator.scale_ + estimator.shift_).astype(np.float32)
    if estimator.squeeze_axis_ is not None:
        rows = rows.squeeze(estimator.squeeze_axis_)
    if estimator.architecture in ("lstm", "gru"):
        steps = rows.shape[1]
        rows[::2, steps - steps // 2:] = np.nan
    elif estimator.__sklearn_tags__().input_tags.allow_nan:
        rows[::2, 0] = np.nan
    return rows.reshape(CHECK_ROWS, *row_shape)


# ---------------------------------------------------------------------------- writing
def export_graphs(graphs: dict[str, Graph], directory, model, notes: tuple[str, ...] = (),
                  extra: dict | None = None) -> dict[str, Path]:
    """Write each graph to ``directory/NAME.onnx`` and a ``manifest.json`` describing them
    (with more ``notes`` and ``extra`` entries); returns the paths written. Each graph is
    checked in onnxruntime before anything is written."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f"{directory} is a file: ONNX export writes a folder of "
                                 "graphs, so name a folder (it is created if missing)")
    ort = require_onnx()
    blobs = {name: trace(name, graph) for name, graph in graphs.items()}
    for name, graph in graphs.items():
        check_graph(ort, name, graph, blobs[name])
    described = {**manifest(graphs, model, notes), **(extra or {})}
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, blob in blobs.items():
        paths[name] = directory / f"{name}.onnx"
        atomic_write_bytes(paths[name], blob)
    for stale in GRAPH_NAMES - set(blobs):  # a graph an earlier export left, not this one
        (directory / f"{stale}.onnx").unlink(missing_ok=True)
    paths["manifest"] = directory / MANIFEST
    atomic_write_bytes(paths["manifest"], json.dumps(described, indent=2).encode())
    return paths


def require_onnx():
    """``onnxruntime``, or a one-line error saying how to install the extra."""
    try:
        import onnx  # noqa: F401 - torch's exporter needs it; the check runs onnxruntime
        import onnxruntime
    except ImportError:
        raise ImportError("ONNX export needs onnx and onnxruntime: pip install aekit[onnx]") \
            from None
    return onnxruntime


def trace(name: str, graph: Graph) -> bytes:
    """The graph as ONNX bytes, its batch axis dynamic; ValueError where the exporter fails."""
    module = graph.module.eval()
    example = torch.from_numpy(graph.example[:TRACE_ROWS])
    kwargs = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters \
        else {}
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        # the TorchScript exporter announces its deprecation; check_graph guards its output
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(module, (example,), buffer, input_names=[graph.input_name],
                              output_names=[graph.output_name], opset_version=OPSET,
                              dynamic_axes={graph.input_name: {0: "batch"},
                                            graph.output_name: {0: "batch"}}, **kwargs)
        except RuntimeError as error:  # the exporter's own errors derive from it
            reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise ValueError(f"PyTorch cannot export the {name} graph of this model to ONNX: "
                             f"{reason or type(error).__name__}") from error
    return buffer.getvalue()



def check_graph(ort, name: str, graph: Graph, blob: bytes) -> None:
    """Raise if onnxruntime's output differs from PyTorch's on ``CHECK_ROWS`` rows."""
    session = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {graph.input_name: graph.example})
    expected = run_eval(graph.module, torch.from_numpy(graph.example))
    if got.shape != expected.shape:
        raise ValueError(f"the exported {name} graph does not reproduce PyTorch's output "
                         f"(shape {got.shape}, not {expected.shape}): this model cannot be "
                         "exported to ONNX")
    if not np.allclose(got, expected, rtol=CHECK_RTOL, atol=CHECK_ATOL):
        gap = np.nanmax(np.where(np.isnan(got), np.inf, np.abs(got - expected)))
        raise ValueError(f"the exported {name} graph does not reproduce PyTorch's output "
                         f"(largest difference {gap:.3g}): this model cannot be exported to "
                         "ONNX")


def manifest(graphs: dict[str, Graph], model, notes: tuple[str, ...] = ()) -> dict:
    """What a program without aekit needs to call the graphs."""
    from aekit import __version__

    described = {
        "aekit_version": __version__,
        "model_class": type(model).__name__,
        "model_name": getattr(model, "model_name", None),
        "opset": OPSET,
        "graphs": {
            name: {
                "file": f"{name}.onnx",
                "description": graph.description,
                "input": {"name": graph.input_name, "dtype": "float32",
                          "shape": ["batch", *graph.row_shape]},
                "output": {"name": graph.output_name, "dtype": "float32",
                           "shape": ["batch", *output_shape(graph)]},
            } for name, graph in graphs.items()},
        "notes": [*NOTES, *notes],
    }
    names = getattr(model, "feature_names_in_", None)
    if names is not None:  # the column order the rows' values follow
        described["feature_names"] = [str(name) for name in names]
    return described


def output_shape(graph: Graph) -> tuple[int, ...]:
    return run_eval(graph.module, torch.from_numpy(graph.example[:1])).shape[1:]


@torch.no_grad()
def run_eval(module: nn.Module, x: torch.Tensor) -> np.ndarray:
    """``module(x)`` in evaluation mode, as traced."""
    return module.eval()(x).float().numpy()


def export_estimator(estimator, directory: str | os.PathLike) -> dict[str, Path]:
    """``BaseAutoencoder.export_onnx``: see its docstring."""
    notes = (SEQUENCE_NOTE,) if estimator.architecture in ("lstm", "gru") else ()
    return export_graphs(estimator_graphs(estimator), directory, estimator, notes)
