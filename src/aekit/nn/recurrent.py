"""Recurrent (LSTM/GRU) encoder and decoder for sequences ``(n, T, F)`` or tokens ``(n, T)``."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class RecurrentEncoder(nn.Module):
    """Stacked recurrent layers (one per entry of ``hidden_dims``); the code is read from the
    last layer's state at each row's last valid step (padding is skipped via packing).

    Shapes: ``(n, T, F)`` floats, or ``(n, T)`` token ids with ``vocab_size`` -> ``(n, out_dim)``.
    """

    def __init__(self, n_features: int, hidden_dims: Sequence[int], cell: str,
                 vocab_size: int | None = None, embedding_dim: int = 32, dropout: float = 0.0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim) if vocab_size else None
        width = embedding_dim if vocab_size else n_features
        self.layers = nn.ModuleList()
        for hidden in hidden_dims:
            self.layers.append(CELLS[cell](width, hidden, batch_first=True))
            width = hidden
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.out_dim = width

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        seq = self.embedding(x) if self.embedding is not None else x
        if lengths is not None and torch.jit.is_tracing():
            return self._traced(seq, lengths)
        for i, layer in enumerate(self.layers):
            out, state = self._run(layer, seq, lengths)
            if i < len(self.layers) - 1:
                seq = self.dropout(out)
        hidden = state[0] if isinstance(state, tuple) else state
        return hidden[-1]

    def _traced(self, seq: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """What packing gives, in operations an exporter writes (ONNX has no packed sequences):
        every layer also runs over the padding, which no earlier step's output depends on, and
        the code is the last layer's output at each row's last valid step."""
        for i, layer in enumerate(self.layers):
            seq, _ = layer(seq)
            if i < len(self.layers) - 1:
                seq = self.dropout(seq)
        last = (lengths - 1).reshape(-1, 1, 1).expand(-1, 1, seq.shape[2])
        return seq.gather(1, last).squeeze(1)

    @staticmethod
    def _run(layer: nn.Module, seq: torch.Tensor, lengths: torch.Tensor | None):
        """``(outputs (n, T, units), final state)``. Full-length rows need no packing, which
        keeps the lengths off the host (and the step capturable as a CUDA graph)."""
        if lengths is None:
            return layer(seq)
        packed = pack_padded_sequence(seq, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = layer(packed)
        return pad_packed_sequence(out, batch_first=True, total_length=seq.shape[1])[0], state


class RecurrentDecoder(nn.Module):
    """The code, repeated at every step, drives stacked recurrent layers (mirroring the
    encoder) and a linear read-out to ``n_features`` values or ``vocab_size`` logits per step.

    Shapes: ``(n, latent_dim) -> (n, T, n_features)`` or ``(n, T, vocab_size)``.
    """

    def __init__(self, latent_dim: int, hidden_dims: Sequence[int], n_out: int, cell: str,
                 steps: int):
        super().__init__()
        self.steps = steps
        self.layers = nn.ModuleList()
        width = latent_dim
        for hidden in reversed(hidden_dims):
            self.layers.append(CELLS[cell](width, hidden, batch_first=True))
            width = hidden
        self.readout = nn.Linear(width, n_out)

    def forward(self, z: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        seq = z[:, None, :].expand(-1, self.steps, -1)
        for layer in self.layers:
            seq, _ = layer(seq)
        return self.readout(seq)
