"""ONNX export of an ``AnomalyDetector``: its scorer, from raw rows to ``score_samples``."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from aekit.estimators._onnx import CHECK_ROWS, Graph, RowInputs, inference_copy, network_inputs
from aekit.nn.preprocess import Scaling


class DetectorScorer(nn.Module):
    """Raw rows ``(n, d)`` -> ``score_samples`` ``(n,)``: the detector's robust scaling, the
    clipped copy its model reads, the model's reconstruction (each member's for an ensemble)
    and each feature's squared error over its typical size, averaged, summed and negated.

    ``error_scale`` is ``(members, d)``; a model that is not an ensemble counts as one member.
    """

    def __init__(self, robust: Scaling, clip: float | None, inputs: RowInputs, net: nn.Module,
                 error_scale: torch.Tensor):
        super().__init__()
        self.robust, self.clip, self.inputs, self.net = robust, clip, inputs, net
        self.register_buffer("error_scale", error_scale.float()[:, None, :])
        self.members = hasattr(net, "member_outputs")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scaled = self.robust(x)
        clipped = scaled if self.clip is None else scaled.clamp(-self.clip, self.clip)
        args = self.inputs(clipped)
        if self.members:
            recon = self.inputs.scaling.inverse(self.net.member_outputs(*args)).transpose(0, 1)
        else:
            recon = self.inputs.scaling.inverse(self.net.reconstruct(*args))[None]
        errors = (scaled[None] - recon).square() / self.error_scale  # (members, n, d)
        return -(errors.mean(0) / x.shape[1]).sum(1)


def detector_graphs(detector) -> dict[str, Graph]:
    """The scorer graph of a fitted ``AnomalyDetector``."""
    model = detector.model_
    robust = Scaling(torch.from_numpy(detector.center_).float(),
                     torch.from_numpy(detector.scale_).float())
    scorer = DetectorScorer(robust, detector.clip, network_inputs(model),
                            inference_copy(model.module_),
                            torch.from_numpy(detector.error_scale_))
    rows = np.random.RandomState(0).normal(size=(CHECK_ROWS, detector.n_features_in_))
    rows = (rows * detector.scale_ + detector.center_).astype(np.float32)
    return {"scorer": Graph(scorer, "rows", (detector.n_features_in_,), "score",
                            "raw rows -> per-row score (higher is more normal), as "
                            "AnomalyDetector.score_samples", rows)}
