"""Input kinds other than values: what the rows hold decides how they are checked, whether
they are scaled, which loss scores them and what comes back out.

Values (the default, ``BaseAutoencoder``'s own code) are scaled per feature and scored by mse
or bce. Token ids (text) are checked as integers, never scaled, embedded by the encoder and
scored by cross-entropy (``loss="ce"``) over the vocabulary; reconstructions come back as ids.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import validate_data

from aekit.text import PAD


class TokenIds:
    """Integer token ids ``(n, timesteps)`` (0 = padding), as ``aekit.CharTokenizer`` makes
    them: the input kind of ``SequenceAutoencoder(tokens=True)``."""

    loss = "ce"

    def check(self, est, X, *, reset: bool, lengths=None):
        """``(ids, lengths)``: ids checked against the fitted vocabulary and length; each
        sequence's length from its trailing padding unless given."""
        if _holds_text(X):
            raise TypeError("tokens=True takes token ids, not texts: encode them first, "
                            "ids, lengths = aekit.CharTokenizer().fit(texts).transform(texts)")
        ids = validate_data(est, X, reset=reset, dtype=None, ensure_all_finite=True)
        if ids.dtype.kind == "f" and ids.size and (ids == np.round(ids)).all():
            ids = ids.astype(np.int64)  # whole numbers read as floats (a CSV), as Keras takes
        if ids.dtype.kind not in "iu" or ids.min() < 0:
            raise TypeError("tokens=True needs non-negative integer token ids (n, timesteps), "
                            "e.g. from aekit.CharTokenizer")
        known = est.vocab_size if reset else est.vocab_size_
        if known is not None and ids.max() >= known:
            hint = ("" if est.vocab_size is not None else " (the largest id of its training "
                    "rows, plus one): fit it with vocab_size=tokenizer.vocab_size")
            raise ValueError(f"X holds token id {ids.max()}, but the model knows ids below "
                             f"{known}{hint}")
        if reset:
            est.squeeze_axis_, est.input_shape_ = None, (ids.shape[1],)
        elif ids.shape[1] != est.input_shape_[0]:
            raise ValueError(f"X has {ids.shape[1]} time steps, the model was trained on "
                             f"{est.input_shape_[0]}: pad or cut the token ids to that length")
        if lengths is None:  # trailing padding ids mark the end
            filled = ids != PAD
            lengths = np.maximum(1, ids.shape[1] - np.argmax(filled[:, ::-1], axis=1))
            lengths = np.where(filled.any(1), lengths, 1)
        return ids.astype(np.int64), est._sequence_lengths(ids[..., None], lengths)

    def settle(self, est, ids: np.ndarray) -> None:
        """The settings token ids fix: the vocabulary, no scaling, cross-entropy."""
        est.vocab_size_ = est.vocab_size or int(ids.max()) + 1
        est.scaling_, est.loss_, est.output_activation_ = "none", self.loss, "linear"
        est.shift_, est.scale_ = np.zeros(1, np.float32), np.ones(1, np.float32)
        est.latent_dim_ = est.latent_dim or min(32, max(1, ids.shape[1] // 2))

    @staticmethod
    def unscale(X: np.ndarray) -> np.ndarray:
        return X.astype(np.int64)  # the decoder's output is already the most likely id


def _holds_text(X) -> bool:
    """Whether ``X`` is strings (a list of texts), which token ids must be made from."""
    if isinstance(X, str):
        return True
    if isinstance(X, (list, tuple)):
        return bool(X) and isinstance(X[0], str)
    kind = getattr(getattr(X, "dtype", None), "kind", None)  # a DataFrame has dtypes
    return kind is not None and kind in "US"


TOKEN_IDS = TokenIds()
