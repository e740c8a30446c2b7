"""Torch modules only: building blocks, variants and their losses. No NumPy, no IO."""

from aekit.nn.autoencoder import DenseAutoencoder
from aekit.nn.blocks import ACTIVATIONS
from aekit.nn.losses import LOSSES, Reconstruction

__all__ = ["ACTIVATIONS", "LOSSES", "DenseAutoencoder", "Reconstruction"]
