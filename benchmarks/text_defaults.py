"""A text model on 180 Python identifiers (built-ins, keywords, str methods): the share of its
training words, and of their characters, that its reconstructions give back, with the
settings given as a Python dict (default: the model's defaults).

    OMP_NUM_THREADS=1 python benchmarks/text_defaults.py "{}"
    OMP_NUM_THREADS=1 python benchmarks/text_defaults.py "{'epochs': 300}"
"""

from __future__ import annotations

import ast
import builtins
import keyword
import sys
import time
import warnings

import numpy as np

from aekit import CharTokenizer, SequenceAutoencoder


def identifiers() -> list[str]:
    public = [w for w in dir(builtins) + dir(str) if not w.startswith("_")]
    return sorted(set(public + keyword.kwlist))


def character_share(decoded: list[str], texts: list[str]) -> float:
    """Mean share of each word's characters given back in place (0 for a wrong length)."""
    return float(np.mean([np.mean([a == b for a, b in zip(got, want)])
                          if len(got) == len(want) else 0.0
                          for got, want in zip(decoded, texts)]))


def main() -> None:
    settings = ast.literal_eval(sys.argv[1]) if len(sys.argv) > 1 else {}
    words = identifiers()
    train = [words[i] for i in np.random.RandomState(0).permutation(len(words))[:180]]
    tokenizer = CharTokenizer().fit(words)
    ids, lengths = tokenizer.transform(train)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SequenceAutoencoder(tokens=True, vocab_size=tokenizer.vocab_size,
                                    random_state=0, **settings).fit(ids, lengths=lengths)
    decoded = tokenizer.inverse_transform(model.reconstruct(ids, lengths=lengths), lengths)
    exact = np.mean([got == want for got, want in zip(decoded, train)])
    print(f"{settings}: code {model.latent_dim_}, {model.n_epochs_} epochs (kept "
          f"{model.best_epoch_}), words back {exact:.1%}, characters back "
          f"{character_share(decoded, train):.1%}, {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
