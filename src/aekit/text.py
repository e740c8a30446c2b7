"""A character-level tokenizer: lists of strings <-> padded integer arrays for
``SequenceAutoencoder(tokens=True)``."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from aekit._stack import user_stacklevel

PAD, UNKNOWN = 0, 1


class CharTokenizer(BaseEstimator):
    """Maps each character seen in ``fit`` to an id (0 is padding, 1 an unknown character).

    Examples
    --------
    >>> tok = CharTokenizer().fit(["abc", "ab"])
    >>> ids, lengths = tok.transform(["ab", "cab"])
    >>> tok.inverse_transform(ids, lengths)
    ['ab', 'cab']
    """

    def fit(self, texts: Sequence[str]) -> CharTokenizer:
        """Learn the characters of ``texts``, and their longest length (``max_length_``, the
        width ``transform`` pads to, so that later texts fit the model trained on these)."""
        texts = _check_texts(texts, "a text model has nothing to learn from one")
        chars = sorted(set("".join(texts)))
        self.vocabulary_ = {c: i + 2 for i, c in enumerate(chars)}
        self.characters_ = ["", "\ufffd", *chars]
        self.max_length_ = max(len(t) for t in texts)  # at least 1: no text is empty
        return self

    @property
    def vocab_size(self) -> int:
        return len(self.characters_)

    def transform(self, texts: Sequence[str], max_length: int | None = None):
        """``(ids, lengths)``: ids ``(n, max_length)`` padded with 0, each text cut to
        ``max_length`` (default: ``max_length_``, the longest text ``fit`` saw, the width a
        model trained on its output takes)."""
        # all padding, an empty text would be scored and rebuilt as a text that is not there
        texts = _check_texts(texts, "there is nothing to encode")
        check_is_fitted(self, "vocabulary_")
        if max_length is not None and (isinstance(max_length, bool) or not isinstance(
                max_length, (int, np.integer)) or max_length < 1):
            raise ValueError(f"max_length must be a whole number of characters, at least 1, "
                             f"or None, got {max_length!r}")
        longest = max(len(t) for t in texts)  # a tokenizer pickled before max_length_: this
        width = max_length or getattr(self, "max_length_", longest)
        cut = sum(len(t) > width for t in texts)
        if cut and max_length is None:
            warnings.warn(f"{cut} of {len(texts)} texts are longer than the {width} characters "
                          "fit saw (max_length_), the width the model takes: they are cut to it",
                          UserWarning, stacklevel=user_stacklevel())
        ids = np.full((len(texts), width), PAD, dtype=np.int64)
        for row, text in enumerate(texts):
            codes = [self.vocabulary_.get(c, UNKNOWN) for c in text[:width]]
            ids[row, : len(codes)] = codes
        lengths = np.array([min(len(t), width) for t in texts], dtype=np.int64)
        return ids, lengths

    def inverse_transform(self, ids, lengths=None) -> list[str]:
        ids = np.asarray(ids)
        if ids.ndim != 2 or ids.dtype.kind not in "iu":
            raise ValueError(f"ids must be a 2-D integer array, got {ids.dtype} {ids.shape}")
        ends = lengths if lengths is not None else [ids.shape[1]] * len(ids)
        return ["".join(self.characters_[i] if 0 <= i < self.vocab_size else "\ufffd"
                        for i in row[:end] if i != PAD) for row, end in zip(ids, ends)]


def _check_texts(texts, why_not_empty: str) -> list[str]:
    """``texts`` as a list of strings, none of them empty (``why_not_empty`` says why not)."""
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise TypeError("texts must be a list of strings")
    if len(texts) == 0:
        raise ValueError("texts is empty")
    empty = [i for i, text in enumerate(texts) if not text]
    if empty:
        raise ValueError(f"texts[{empty[0]}] is empty ({len(empty)} empty texts): "
                         f"{why_not_empty}; leave them out")
    return list(texts)
