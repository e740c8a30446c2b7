"""The standard dense autoencoder estimator."""

from __future__ import annotations

from aekit.estimators.base import BaseAutoencoder
from aekit.nn import DenseAutoencoder, Reconstruction


class Autoencoder(BaseAutoencoder):
    """Dense autoencoder with a scikit-learn interface: a non-linear PCA.

    The encoder maps ``n_features -> hidden_dims -> latent_dim``; the decoder mirrors it. The
    defaults are the classic Keras recipe (one ``relu`` code layer, Adam, 50 epochs, batch 256)
    with the loss and output chosen from the data.

    Parameters
    ----------
    latent_dim : int or None, default=None
        Size of the code. None: min(32, n_features // 2), at least 1.
    hidden_dims : tuple of int, default=()
        Widths of the encoder's hidden layers, input side first; the decoder mirrors them.
    activation : str, default="relu"
        Hidden-layer activation: relu, leaky_relu, elu, selu, gelu, silu, tanh, sigmoid, linear.
    latent_activation : str or None, default=None
        Activation of the code layer. None: the same as activation.
    output_activation : str, default="auto"
        Activation of the reconstruction. auto: sigmoid with the bce loss, else linear.
    loss : {"auto", "mse", "bce"}, default="auto"
        Reconstruction loss. auto: bce when the data already lies in [0, 1] and is not rescaled,
        else mse.
    optimizer : {"adam", "adamw", "rmsprop", "sgd"}, default="adam"
        Optimizer, with Keras' defaults (eps=1e-7).
    learning_rate : float or None, default=None
        Step size. None: the optimizer's default (1e-3; 1e-2 for sgd).
    weight_decay : float, default=0.0
        L2 penalty (decoupled for adamw).
    epochs : int, default=50
        Passes over the training data.
    batch_size : int, default=256
        Rows per gradient step.
    shuffle : bool, default=True
        Reshuffle the training rows every epoch.
    validation_split : float, default=0.0
        Fraction of the rows, drawn at random, held out to report val_loss.
    validation_data : array-like or None, default=None
        Rows to report val_loss on instead of a split (a Keras-style (x, y) tuple also works).
    batch_norm : bool, default=False
        Batch normalisation after each hidden layer.
    dropout : float, default=0.0
        Dropout rate after each hidden layer.
    patience : int or None, default=None
        Early stopping: stop after this many epochs without improvement of val_loss (or loss
        without validation). None: train all epochs.
    restore_best_weights : bool, default=True
        With early stopping, end with the weights of the best epoch.
    clip_grad_norm : float or None, default=None
        Clip the gradients' global norm to this value before each step. None: no clipping.
    checkpoint_dir : str or None, default=None
        Folder where the whole training state is saved after every epoch, so a killed run can be
        resumed. None: no checkpoints.
    resume : bool, default=False
        Continue the run checkpointed in checkpoint_dir (same data and parameters; epochs may
        grow) instead of refusing to overwrite it.
    callbacks : list of aekit.train.Callback or None, default=None
        Extra callbacks (checkpoints, learning-rate schedules, ...).
    scaling : {"auto", "standard", "minmax", "none"}, default="auto"
        Per-feature input scaling, inverted on output. auto: none when the data lies in [0, 1],
        else standard.
    random_state : int, RandomState or None, default=None
        Seed for initialisation, shuffling and dropout; an int makes fits reproducible on CPU.
    device : str, default="auto"
        Where to train: auto (CUDA when available), cpu, cuda or cuda:N.
    verbose : int, default=0
        0: silent; 1: a progress bar per epoch; 2: one line per epoch.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network, in evaluation mode.
    history_ : dict of list of float
        Per-epoch ``loss``, ``val_loss`` (with validation) and ``lr``.
    n_epochs_ : int
        Epochs actually run.
    latent_dim_, loss_, output_activation_, scaling_ :
        The resolved settings.
    n_features_in_ : int
        Number of input features.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from aekit import Autoencoder
    >>> X = load_digits().data / 16
    >>> ae = Autoencoder(latent_dim=8, hidden_dims=(32,), epochs=5, random_state=0).fit(X)
    >>> ae.transform(X).shape
    (1797, 8)
    """

    model_name = "autoencoder"

    def __init__(
        self,
        latent_dim: int | None = None,
        hidden_dims: tuple[int, ...] = (),
        activation: str = "relu",
        latent_activation: str | None = None,
        output_activation: str = "auto",
        loss: str = "auto",
        optimizer: str = "adam",
        learning_rate: float | None = None,
        weight_decay: float = 0.0,
        epochs: int = 50,
        batch_size: int = 256,
        shuffle: bool = True,
        validation_split: float = 0.0,
        validation_data=None,
        batch_norm: bool = False,
        dropout: float = 0.0,
        patience: int | None = None,
        restore_best_weights: bool = True,
        clip_grad_norm: float | None = None,
        checkpoint_dir: str | None = None,
        resume: bool = False,
        callbacks: list | None = None,
        scaling: str = "auto",
        random_state: int | None = None,
        device: str = "auto",
        verbose: int = 0,
    ):
        self.latent_dim = latent_dim
        self.hidden_dims = hidden_dims
        self.activation = activation
        self.latent_activation = latent_activation
        self.output_activation = output_activation
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.validation_split = validation_split
        self.validation_data = validation_data
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.clip_grad_norm = clip_grad_norm
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.callbacks = callbacks
        self.scaling = scaling
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _build_module(self) -> DenseAutoencoder:
        return DenseAutoencoder(
            self.n_features_in_,
            self.latent_dim_,
            self._hidden_dims,
            activation=self.activation,
            latent_activation=self.latent_activation or self.activation,
            reconstruction=Reconstruction(self.loss_, self.output_activation_),
            batch_norm=self.batch_norm,
            dropout=self.dropout,
        )
