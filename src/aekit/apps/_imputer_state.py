"""Rebuild a saved ``AutoencoderImputer``, trusting nothing in the file."""

from __future__ import annotations

import numpy as np

from aekit.apps._table_codec import specs_from_json
from aekit.estimators.masked import MaskedAutoencoder
from aekit.estimators.persistence import construct, unnest_state


def restore_imputer(cls, tensors: dict, config: dict, device, path):
    """A fitted imputer of class ``cls`` from its ``_model_state`` output; ``ValueError``
    naming ``path`` for anything malformed."""
    def bad(what: str) -> ValueError:
        return ValueError(f"{path} is not a valid imputer file: {what}")

    params = dict(config.get("params", {}))
    if isinstance(params.get("hidden_dims"), list):
        params["hidden_dims"] = tuple(params["hidden_dims"])
    params.setdefault("gaussian", False)  # a file saved before the normal model existed
    imputer = construct(cls, {**config, "params": params}, device, path)
    inner = config.get("inner")
    if not isinstance(inner, dict) or inner.get("model") != MaskedAutoencoder.model_name:
        raise bad("the inner model is missing or of the wrong type")
    imputer.model_ = unnest_state("model", tensors, inner, device, path)
    fitted = config.get("fitted")
    if not isinstance(fitted, dict):
        raise bad("no fitted state")
    n_features = fitted.get("n_features_in_")
    if not isinstance(n_features, int) or n_features < 1:
        raise bad(f"n_features_in_ = {n_features!r}")
    imputer.n_features_in_ = n_features
    imputer.columns_ = specs_from_json(fitted.get("columns_"), n_features, bad)
    if "feature_names_in_" in fitted:
        names = fitted["feature_names_in_"]
        if not (isinstance(names, list) and len(names) == n_features
                and all(isinstance(n, str) for n in names)):
            raise bad("feature_names_in_ does not list one name per column")
        imputer.feature_names_in_ = np.asarray(names, dtype=object)
    width = imputer.model_.n_features_in_
    encoded = n_features if imputer.columns_ is None else sum(s.width for s in imputer.columns_)
    if encoded != width:
        raise bad(f"the columns encode to {encoded} values but the network takes {width}")
    residual = tensors.get("fitted.residual_std_")
    if residual is None or tuple(residual.shape) != (width,):
        raise bad("residual_std_ is missing or of the wrong shape")
    imputer.residual_std_ = residual.numpy()
    if not (np.isfinite(imputer.residual_std_).all() and (imputer.residual_std_ >= 0).all()):
        raise bad("residual_std_ holds negative or non-finite values")
    return imputer
