"""Dense building blocks shared by every autoencoder variant."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "linear": nn.Identity,
}


def activation(name: str) -> nn.Module:
    """Return a fresh activation module for ``name`` (a key of ``ACTIVATIONS``)."""
    return ACTIVATIONS[name]()


def dense_stack(
    dims: Sequence[int],
    activation_name: str,
    *,
    batch_norm: bool = False,
    dropout: float = 0.0,
    last_is_hidden: bool = False,
) -> nn.Sequential:
    """Linear layers ``dims[0] -> dims[1] -> ... -> dims[-1]``.

    Hidden layers are ``Linear -> [BatchNorm] -> activation -> [Dropout]``. The last layer is a
    bare ``Linear`` (an output layer is never activated, normalised or dropped out here), unless
    ``last_is_hidden``.

    Shapes: ``(n, dims[0]) -> (n, dims[-1])``.
    """
    layers: list[nn.Module] = []
    n_layers = len(dims) - 1
    for i, (d_in, d_out) in enumerate(itertools.pairwise(dims)):
        layers.append(nn.Linear(d_in, d_out))
        if i < n_layers - 1 or last_is_hidden:
            if batch_norm:
                layers.append(nn.BatchNorm1d(d_out))
            layers.append(activation(activation_name))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def glorot_init_(module: nn.Module) -> None:
    """Initialise every linear layer as Keras does: Glorot-uniform weights, zero biases.

    PyTorch's default (Kaiming-uniform with a=sqrt(5)) trains the classic 784-32-784 recipe to a
    visibly worse loss (about 0.102 test BCE against 0.0915); Glorot & Bengio (2010),
    https://proceedings.mlr.press/v9/glorot10a.html.
    """
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
