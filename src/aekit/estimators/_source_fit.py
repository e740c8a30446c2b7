"""Fitting on an ``ArraySource``: the estimator's side of training on data read from disk.

One pass over the blocks checks the values and collects the per-feature statistics that fix the
scaling and loss (``_settle``, as for arrays); training then streams shuffled batches from disk
(``StreamBatches``) through the same loop as in-memory data. Validation holds out whole blocks.
"""

from __future__ import annotations

import numpy as np
import torch

from aekit.estimators import _distributed, _streaming
from aekit.estimators._torch import inference_batch
from aekit.estimators._validation import refuse_unresolved
from aekit.io.sources import ArraySource
from aekit.train import StreamBatches, TensorBatches

PCA_ROWS = 20000  # scaled training rows the PCA start is fitted on (as for arrays)


class SourceFit:
    """Mixin of ``BaseAutoencoder``: ``_prepare_source`` is its ``fit`` on a source."""

    def _prepare_source(self, source: ArraySource, seed: int, device: torch.device):
        """``(batches, val_batches, data_digest)`` for ``fit`` on ``source``; settles the
        resolved settings from one pass of statistics."""
        _streaming.check_source(self.architecture, source)
        self.n_features_in_ = source.row_shape[0]
        if source.columns is not None:  # a Parquet source: later data is matched by name
            self.feature_names_in_ = np.asarray([str(c) for c in source.columns], dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.squeeze_axis_, self.input_shape_ = None, tuple(source.row_shape)
        split = 0 if self.validation_data is not None else self.validation_split
        train_blocks, val_blocks = _streaming.split_blocks(source, split, seed)
        held_out = bool(val_blocks)
        # on several processes (torchrun) each reads its own blocks; the statistics are merged
        _distributed.check_same_source(lambda: _streaming.digest(source, with_path=False),
                                       source.path)
        start_blocks = train_blocks  # every rank's PCA start reads the same first blocks
        train_blocks = _distributed.my_blocks(train_blocks, source.path, required=True)
        val_blocks = _distributed.my_blocks(val_blocks, source.path, required=False)
        stats = _distributed.merged(_streaming.scan(source, train_blocks))
        # blocks come as float32: a column it cannot resolve is refused, as in memory
        refuse_unresolved(np.sqrt(stats.var), np.maximum(np.abs(stats.lo), np.abs(stats.hi)),
                          lambda i: stats.mean[i], source.columns)
        self._settle(stats, source.row_shape[0])  # also refuses out-of-range training data
        self._settle_schedule(_distributed.total(_streaming.rows_in(source, train_blocks)))
        if val_blocks:
            self._check_source_range(_streaming.scan(source, val_blocks), "the validation blocks")
        generator = torch.Generator().manual_seed(seed)
        batches = StreamBatches(source, batch_size=_distributed.local_batch_size(self.batch_size_),
                                shuffle=self.shuffle, generator=generator, transform=self._scale,
                                device=device, blocks=train_blocks, min_batch=self._min_batch)
        batches = _distributed.equal_steps(batches)
        val_batches = None
        if val_blocks:
            val_batches = StreamBatches(source, transform=self._scale, device=device,
                                        batch_size=inference_batch(device, source.row_shape),
                                        blocks=val_blocks)
        elif held_out:
            val_batches = ()  # this rank holds no validation block; it adds nothing to val_loss
        elif self.validation_data is not None:
            val_batches = self._source_validation_batches(device)
        sample = self._start_sample(source, start_blocks) if self._pca_start_possible else None
        # the memory budget sets the blocks and the shuffle window, so the order of the rows
        layout = f"memory {source.memory} bytes, blocks of {source.block_rows} rows"
        return batches, val_batches, lambda: {"data": _streaming.digest(source),
                                              "stream": layout}, sample

    def _start_sample(self, source: ArraySource, blocks: list[int]) -> np.ndarray:
        """Scaled rows of the first training blocks for the PCA start (as arrays get): up to
        ``PCA_ROWS`` rows, taking (with the decomposition's float64 copies) no more than a
        quarter of the source's memory budget."""
        budget = max(1, source.memory // (16 * 4 * int(np.prod(source.row_shape))))
        wanted, parts = min(PCA_ROWS, budget), []
        for i in blocks:
            if wanted <= 0:
                break
            part = np.array(source.read_block(i)[:wanted], dtype=np.float32)  # buffers reused
            parts.append(part)
            wanted -= len(part)
        source.release_thread_reader()  # a row group's reader, left open mid-group
        return self._scale(np.concatenate(parts))

    def _check_source_range(self, stats, name: str) -> None:
        """The bce loss needs targets in [0, 1] after scaling; scaling is monotone per
        feature, so the scaled minima and maxima decide."""
        if self.loss_ != "bce":
            return
        lo = self._scale(stats.lo[None].astype(np.float32))
        hi = self._scale(stats.hi[None].astype(np.float32))
        self._check_bce_range(np.concatenate([lo, hi]), name)

    def _source_validation_batches(self, device: torch.device):
        data = self.validation_data
        if isinstance(data, ArraySource):
            _streaming.check_source(self.architecture, data)
            if data.row_shape != self.input_shape_:
                raise ValueError(f"validation_data has rows of shape {data.row_shape}, the "
                                 f"training data {self.input_shape_}")
            _streaming.scan(data, list(range(data.n_blocks)))  # NaN and inf checks
            return StreamBatches(data, batch_size=inference_batch(device, data.row_shape),
                                 transform=self._scale, device=device)
        X_val, _ = self._checked_validation_data()
        return TensorBatches(torch.from_numpy(X_val).to(device),
                             batch_size=inference_batch(device, X_val.shape[1:]))
