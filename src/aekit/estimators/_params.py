"""The parameters every estimator shares: their checks and their documentation.

Each estimator still spells out its whole signature: scikit-learn's ``get_params`` and every IDE
read explicit signatures, so the repeated ``__init__`` lines across the estimators are kept on
purpose. What must not drift is checked instead: ``Param`` entries below are the one source of
each parameter's description and default, the docstrings and the CLI's help are built from
them, and ``tests/test_shared_params.py`` fails when a signature differs from its entries.
"""

from __future__ import annotations

import numbers
import os
import textwrap
import warnings
from dataclasses import dataclass, replace

import numpy as np

from aekit._stack import user_stacklevel
from aekit.estimators import _scaling
from aekit.estimators._architectures import ARCHITECTURES
from aekit.estimators._torch import resolve_device
from aekit.estimators._validation import check_bool, check_choice, check_float, check_int
from aekit.nn import ACTIVATIONS, LOSSES
from aekit.train import Callback
from aekit.train.optim import OPTIMIZERS
from aekit.train.step import PRECISIONS, STEP_MODES, resolve_step_mode

# Parameters that hold data or live objects, or only say how a fit reports: never written to a
# model file (a loaded model has their defaults).
UNSAVED_PARAMS = ("validation_data", "callbacks", "verbose")
# Parameters a resumed run may change without becoming another run.
RUN_ONLY_PARAMS = ("epochs", "verbose", "checkpoint_dir", "resume", "device", "compile")


def check_shared_params(est) -> tuple[int, ...] | None:
    """Validate the shared parameters; returns ``hidden_dims`` as a tuple of ints (None: the
    architecture's automatic choice, settled when the data is seen)."""
    check_training_params(est)
    return _check_hidden_dims(est)


def check_layer_params(est, hidden: tuple[int, ...] | None) -> None:
    """At fit, not at load (a model saved before these checks still loads): refuse what
    recurrent layers have no use for, rather than ignore it: ``hidden_dims=()`` given (the
    default width is taken), batch_norm, and an activation no layer uses; warn of dropout with
    one recurrent layer (it acts between layers), as PyTorch's ``nn.LSTM`` does."""
    if est.architecture not in ("lstm", "gru"):
        return
    cell = est.architecture.upper()
    if est.hidden_dims is not None and len(np.atleast_1d(est.hidden_dims)) == 0:
        raise ValueError(f"hidden_dims=() leaves a {cell} model without layers: give at least "
                         "one width (or None for the default)")
    if est.batch_norm:
        raise ValueError(f"batch_norm applies to dense and conv layers, not to {cell} cells: "
                         "leave it False")
    # activation reaches a recurrent model only as its code's, where latent_activation=None
    code_takes_it = getattr(est, "latent_activation", "given") is None
    if est.activation != "relu" and not code_takes_it:  # relu, the default: nothing to say
        raise ValueError(f"activation={est.activation!r} applies to dense and conv layers (and "
                         f"to the code with latent_activation=None); {cell} cells have their "
                         "own (tanh and sigmoid gates): leave it out")
    if est.dropout > 0 and len(hidden) == 1:
        warnings.warn(f"dropout={est.dropout} acts between recurrent layers, and there is one "
                      f"(hidden_dims={hidden}): it does nothing; give two or more widths",
                      UserWarning, stacklevel=user_stacklevel())


def _check_hidden_dims(est) -> tuple[int, ...] | None:
    check_int("latent_dim", est.latent_dim, allow_none=True)
    check_choice("architecture", est.architecture, ARCHITECTURES)
    hidden = est.hidden_dims
    if hidden is None:  # dense: one hidden layer with a linear path, sized from the code
        return None if est.architecture == "dense" else ARCHITECTURES[est.architecture].default_hidden
    if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
        hidden = (hidden,)
    if not isinstance(hidden, (tuple, list)):
        raise TypeError(f"hidden_dims must be a tuple of layer widths, got {hidden!r}")
    for width in hidden:
        check_int("each of hidden_dims", width)
    return tuple(int(w) for w in hidden) or ARCHITECTURES[est.architecture].default_hidden


def check_training_params(est) -> None:
    """Validate the parameters every estimator shares, other than the network's shape."""
    check_choice("activation", est.activation, ACTIVATIONS)
    check_choice("output_activation", est.output_activation, ("auto", *ACTIVATIONS))
    check_choice("loss", est.loss, ("auto", *LOSSES))
    check_choice("optimizer", est.optimizer, OPTIMIZERS)
    check_float("learning_rate", est.learning_rate, low=0, high=np.inf, low_open=True,
                allow_none=True)
    check_float("weight_decay", est.weight_decay, low=0, high=np.inf)
    for name in ("epochs", "batch_size"):
        if getattr(est, name) != "auto":
            check_int(name, getattr(est, name))
    check_bool("shuffle", est.shuffle)
    check_float("validation_split", est.validation_split, low=0, high=1)
    check_bool("batch_norm", est.batch_norm)
    check_float("dropout", est.dropout, low=0, high=1)
    check_int("patience", est.patience, allow_none=True)
    check_bool("restore_best_weights", est.restore_best_weights)
    check_float("clip_grad_norm", est.clip_grad_norm, low=0, high=np.inf, low_open=True,
                allow_none=True)
    if not (est.checkpoint_dir is None or isinstance(est.checkpoint_dir, (str, os.PathLike))):
        raise ValueError(f"checkpoint_dir must be a folder path or None, got {est.checkpoint_dir!r}")
    if est.resume and est.checkpoint_dir is None:
        raise ValueError("resume=True needs checkpoint_dir, the folder of the run to resume "
                         "(CLI: --resume with --checkpoint DIR)")
    check_bool("resume", est.resume)
    if not all(isinstance(c, Callback) for c in est.callbacks or []):
        raise TypeError("callbacks must be a list of aekit.train.Callback instances")
    check_choice("scaling", "none" if est.scaling is None else est.scaling, _scaling.SCALINGS)
    verbose = int(est.verbose) if isinstance(est.verbose, bool) else est.verbose
    check_int("verbose", verbose, low=0)
    check_choice("compile", est.compile, STEP_MODES)
    resolve_step_mode(est.compile, resolve_device(est.device))
    check_choice("precision", est.precision, PRECISIONS)


def store_params(est, params: dict) -> None:
    """``__init__`` body of every estimator: keep each argument under its own name."""
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(est, name, value)


@dataclass(frozen=True)
class Param:
    """One parameter's documentation: the single source of the estimators' docstrings and the
    CLI's help, checked against the signatures by ``tests/test_shared_params.py``."""

    name: str
    kind: str  # numpydoc's type field
    default: object
    text: str

    def entry(self) -> str:
        """The numpydoc entry."""
        shown = f'"{self.default}"' if isinstance(self.default, str) else repr(self.default)
        body = textwrap.fill(self.text, 96, initial_indent=" " * 8, subsequent_indent=" " * 8)
        return f"    {self.name} : {self.kind}, default={shown}\n{body}\n"


def numpydoc(summary: str, params, rest: str = "") -> str:
    """A numpydoc docstring from a summary, ``Param`` entries and further sections."""
    entries = "".join(p.entry() for p in params)
    return f"{summary}\n\n    Parameters\n    ----------\n{entries}{rest}"


def document_params(cls, params) -> None:
    """Give a class with a hand-written docstring (summary first, then sections) its
    ``Param`` entries: they go in as the Parameters section and become ``cls.param_docs``."""
    summary, _, rest = cls.__doc__.partition("\n\n    Attributes\n")
    cls.param_docs = {p.name: p for p in params}
    cls.__doc__ = numpydoc(summary.rstrip(), params, "\n    Attributes\n" + rest)


def document(cls, summary: str, own=(), examples: str = "", defaults: dict | None = None):
    """Set ``cls.__doc__`` and ``cls.param_docs`` from the variant's ``own`` parameters and the
    shared ones (with the variant's ``defaults`` where they differ); the CLI reads
    ``param_docs``."""
    defaults = defaults or {}
    shared = [replace(p, default=defaults[p.name]) if p.name in defaults else p
              for p in (*CODE_PARAMS, *TRAINING_PARAMS)]
    code, training = shared[:len(CODE_PARAMS)], shared[len(CODE_PARAMS):]
    cls.param_docs = {p.name: p for p in (*code, *own, *training)}
    cls.__doc__ = numpydoc(summary, (*code, *own, *training), ATTRIBUTES_DOC + examples)


def latent_activation(default: str | None) -> Param:
    """The ``latent_activation`` entry, with the variant's own default."""
    return Param("latent_activation", "str or None", default,
                 "Activation of the code layer. None: the same as activation.")


CODE_PARAMS = (
    Param("latent_dim", "int or None", None,
          "Size of the code. None: min(32, half the values per row), at least 1; for a "
          "dense denoising model min(32, the values per row), as a tighter code loses more "
          "of a table's rows than the noise it removes."),
    Param("architecture", '{"dense", "conv", "lstm", "gru"}', "dense",
          "Network type: dense for tables (n, features); conv for images (n, H, W) or (n, "
          "C, H, W); lstm or gru for sequences (n, timesteps) or (n, timesteps, features)."),
    Param("hidden_dims", "tuple of int or None", None,
          "Hidden layer widths, input side first (conv: channels; lstm/gru: units); the "
          "decoder mirrors them. (): none. None: for dense, one hidden layer of min(256, "
          "max(64, 4 * latent_dim)) with a linear path around it, started at PCA's solution"
          " for tables scored by MSE; (32, 64) for conv, (64,) for lstm/gru."),
    Param("activation", "str", "relu",
          "Hidden-layer activation: relu, leaky_relu, elu, selu, gelu, silu, tanh, sigmoid,"
          " linear."),
)

TRAINING_PARAMS = (
    Param("output_activation", "str", "auto",
          "Activation of the reconstruction. auto: sigmoid with the bce loss, else linear."),
    Param("loss", '{"auto", "mse", "bce", "ce"}', "auto",
          'Reconstruction loss. auto: bce for images (architecture="conv") already in [0, '
          "1] and not rescaled (for VariationalAutoencoder, any data in [0, 1] not rescaled, "
          "tables included: a Bernoulli likelihood), ce for token ids "
          "(SequenceAutoencoder(tokens=True)), else mse. ce (cross-entropy) scores token ids "
          "only."),
    Param("optimizer", '{"adam", "adamw", "rmsprop", "sgd"}', "adam",
          "Optimizer, with Keras' defaults (eps=1e-7)."),
    Param("learning_rate", "float or None", None,
          "Step size. None: the optimizer's default (1e-3; 1e-2 for sgd)."),
    Param("weight_decay", "float", 0.0,
          "L2 penalty (decoupled for adamw)."),
    Param("epochs", 'int or "auto"', "auto",
          "Passes over the training data. auto: enough for at least 3000 steps (20 to 1000 "
          "epochs), with early stopping on a held-out fifth of the rows (at most 10000); "
          "a streamed source holds out blocks only when validation_split is given, and "
          "otherwise stops on the training loss."),
    Param("batch_size", 'int or "auto"', "auto",
          "Rows per gradient step. auto: about one batch per 64 rows, a power of two in "
          "[16, 256]."),
    Param("shuffle", "bool", True,
          "Reshuffle the training rows every epoch."),
    Param("validation_split", "float", 0.0,
          "Fraction of the rows, drawn at random, held out to report val_loss."),
    Param("validation_data", "array-like or None", None,
          "Rows to report val_loss on instead of a split (a Keras-style (x, y) tuple also "
          "works; for sequences, (X_val, lengths_val) gives their lengths)."),
    Param("batch_norm", "bool", False,
          "Batch normalisation after each hidden layer."),
    Param("dropout", "float", 0.0,
          "Dropout rate after each hidden layer."),
    Param("patience", "int or None", None,
          "Early stopping: stop after this many epochs without improvement of val_loss (or "
          'loss without validation). None: train all epochs, or with epochs="auto" a tenth '
          "of them (at least 10)."),
    Param("restore_best_weights", "bool", True,
          "With early stopping, end with the weights of the best epoch."),
    Param("clip_grad_norm", "float or None", None,
          "Clip the gradients' global norm to this value before each step. None: no "
          "clipping."),
    Param("checkpoint_dir", "str or None", None,
          "Folder where the whole training state is saved after every epoch, so a killed "
          "run can be resumed. None: no checkpoints. One run per folder: without resume, a "
          "fit is refused a folder that already holds a checkpoint (a second fit, a "
          "cross-validation fold's), so give each fit its own."),
    Param("resume", "bool", False,
          "Continue the run checkpointed in checkpoint_dir (same data and parameters; "
          "epochs may grow) instead of refusing to overwrite it."),
    Param("callbacks", "list of aekit.train.Callback or None", None,
          "Extra callbacks (checkpoints, learning-rate schedules, ...)."),
    Param("scaling", '{"auto", "standard", "minmax", "none"}', "auto",
          "Input scaling per feature (per channel for images and sequences), inverted on "
          "output. auto: none when the data lies in [0, 1], else standard."),
    Param("random_state", "int, RandomState or None", None,
          "Seed for initialisation, shuffling, dropout and noise; an int makes fits "
          "reproducible on CPU (small fits train on one thread; larger ones need the same "
          "number of threads)."),
    Param("device", "str", "auto",
          "Where to train: auto (CUDA when available), cpu, cuda or cuda:N."),
    Param("compile", '{"auto", "none", "manual", "inductor", "cuda_graph"}', "auto",
          "How each training step runs; every choice computes the same updates. cuda_graph:"
          " the whole step recorded once as a CUDA graph and replayed (CUDA only); "
          "inductor: torch.compile fuses the network's element-wise work (costs seconds up "
          "front, pays on long runs); manual: plain dense networks (relu, tanh, sigmoid, "
          "leaky_relu or linear layers; bce or mse; float32) on the CPU take a step with "
          "the backward pass written out, without autograd's bookkeeping, and other "
          "networks run plain PyTorch; none: plain PyTorch. auto: cuda_graph on CUDA, "
          "manual on the CPU."),
    Param("precision", '{"float32", "bfloat16"}', "float32",
          "Training arithmetic: bfloat16 runs the network under autocast (faster on GPUs "
          "with bfloat16 units); weights, optimizer state and inference stay float32."),
    Param("verbose", "int", 0,
          "0: silent; 1: a progress bar per epoch; 2: one line per epoch."),
)

ATTRIBUTES_DOC = """
    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network, in evaluation mode. It takes rows already scaled,
        ``(X - shift_) / scale_``, as ``transform`` and the other methods give them to it.
    history_ : dict of list of float
        Per-epoch ``loss``, ``val_loss`` (with validation) and ``lr``.
    n_epochs_ : int
        Epochs actually run.
    best_epoch_ : int
        The epoch whose weights the model holds: where early stopping restored its best
        epoch (``restore_best_weights``), that one (0: the weights training started from, when
        no epoch improved on them); else the last, ``n_epochs_``.
    latent_dim_, loss_, output_activation_, scaling_ :
        The resolved settings.
    n_features_in_ : int
        Size of the second axis of the training data.
    input_shape_ : tuple of int
        Shape of one row as the network takes it.
    data_min_, data_max_ : ndarray
        Each feature's (an image's: each channel's) lowest and highest training value, in the
        shape of ``shift_``: what generated rows and ``aekit.decompress`` keep to.
    whole_features_ : ndarray of bool
        Whether each feature (channel) held only whole numbers in training, in the shape of
        ``shift_``: a table's such columns come back rounded from a VAE's generated rows.
"""
