"""Torch modules only: building blocks, variants and their losses. No NumPy, no IO."""

from aekit.nn.autoencoder import AutoencoderNet
from aekit.nn.batch import Batch
from aekit.nn.blocks import ACTIVATIONS
from aekit.nn.dense import DenseDecoder, DenseEncoder, pca_init_
from aekit.nn.latent import SPARSITIES, DenseCode, GaussianCode, SparseCode
from aekit.nn.losses import LOSSES, Reconstruction
from aekit.nn.noise import NOISES, Corruption

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "NOISES",
    "SPARSITIES",
    "AutoencoderNet",
    "Batch",
    "Corruption",
    "DenseCode",
    "DenseDecoder",
    "DenseEncoder",
    "GaussianCode",
    "Reconstruction",
    "SparseCode",
    "pca_init_",
]
