"""One source for the parameters: signatures, docstrings and the CLI's help agree."""

import inspect

import pytest

from aekit._cli_options import fit_models
from aekit._cli_table import OPTIONS
from aekit.estimators import MODELS, BaseAutoencoder
from aekit.estimators._params import CODE_PARAMS, TRAINING_PARAMS

SHARED = {p.name: p for p in (*CODE_PARAMS, *TRAINING_PARAMS)}
# what ``aekit fit`` trains, and every estimator a model file may hold
CLASSES = sorted({*fit_models().values(),
                  *(c for c in MODELS.values() if issubclass(c, BaseAutoencoder))},
                 key=lambda c: c.__name__)


def _signature(cls) -> dict:
    return {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
            if name != "self"}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_parameter_is_documented_with_its_default(cls):
    signature = _signature(cls)
    assert set(cls.param_docs) == set(signature)
    for name, default in signature.items():
        assert cls.param_docs[name].default == default, name
        assert cls.param_docs[name].entry() in cls.__doc__, name


@pytest.mark.parametrize("cls", [c for c in CLASSES if issubclass(c, BaseAutoencoder)],
                         ids=lambda c: c.__name__)
def test_estimators_share_the_shared_parameters(cls):
    """Each estimator takes every shared parameter, under its name, with its description
    (a default may differ per model: the docstring then shows the model's own)."""
    assert set(SHARED) <= set(_signature(cls))
    for name, shared in SHARED.items():
        mine = cls.param_docs[name]
        assert (mine.kind, mine.text) == (shared.kind, shared.text), name


def test_cli_help_and_defaults_come_from_the_same_entries():
    """An option's help is its entry's text (the estimators' one where the detector's own
    differs, as for --random-state), and its defaults are the entries' defaults."""
    models = fit_models()
    for option in OPTIONS:
        params = {model: models[model].param_docs[option["name"]] for model in option["models"]}
        estimators = {p.text for m, p in params.items() if issubclass(models[m], BaseAutoencoder)}
        assert option["help"] in (estimators or {p.text for p in params.values()})
        assert len(estimators) <= 1
        for model, param in params.items():
            default = option["model_defaults"].get(model, option["default"])
            expected = list(param.default) if isinstance(param.default, tuple) else param.default
            assert default == expected, (model, option["name"])
