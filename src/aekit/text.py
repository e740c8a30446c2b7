"""A character-level tokenizer: lists of strings <-> padded integer arrays for
``SequenceAutoencoder(tokens=True)``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PAD, UNKNOWN = 0, 1


class CharTokenizer:
    """Maps each character seen in ``fit`` to an id (0 is padding, 1 an unknown character).

    Examples
    --------
    >>> tok = CharTokenizer().fit(["abc", "ab"])
    >>> ids, lengths = tok.transform(["ab", "cab"])
    >>> tok.inverse_transform(ids, lengths)
    ['ab', 'cab']
    """

    def fit(self, texts: Sequence[str]) -> CharTokenizer:
        texts = _check_texts(texts)
        chars = sorted(set("".join(texts)))
        self.vocabulary_ = {c: i + 2 for i, c in enumerate(chars)}
        self.characters_ = ["", "\ufffd", *chars]
        return self

    @property
    def vocab_size(self) -> int:
        return len(self.characters_)

    def transform(self, texts: Sequence[str], max_length: int | None = None):
        """``(ids, lengths)``: ids ``(n, max_length)`` padded with 0, each text cut to
        ``max_length`` (default: the longest text)."""
        texts = _check_texts(texts)
        if not hasattr(self, "vocabulary_"):
            raise ValueError("this CharTokenizer is not fitted yet: call fit(texts) first")
        longest = max(len(t) for t in texts)
        width = max_length or longest
        if width < 1:
            raise ValueError("the texts are all empty: nothing to encode")
        ids = np.full((len(texts), width), PAD, dtype=np.int64)
        for row, text in enumerate(texts):
            codes = [self.vocabulary_.get(c, UNKNOWN) for c in text[:width]]
            ids[row, : len(codes)] = codes
        lengths = np.array([max(1, min(len(t), width)) for t in texts], dtype=np.int64)
        return ids, lengths

    def inverse_transform(self, ids, lengths=None) -> list[str]:
        ids = np.asarray(ids)
        if ids.ndim != 2 or ids.dtype.kind not in "iu":
            raise ValueError(f"ids must be a 2-D integer array, got {ids.dtype} {ids.shape}")
        ends = lengths if lengths is not None else [ids.shape[1]] * len(ids)
        return ["".join(self.characters_[i] if 0 <= i < self.vocab_size else "\ufffd"
                        for i in row[:end] if i != PAD) for row, end in zip(ids, ends)]


def _check_texts(texts) -> list[str]:
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise TypeError("texts must be a list of strings")
    if len(texts) == 0:
        raise ValueError("texts is empty")
    return list(texts)
