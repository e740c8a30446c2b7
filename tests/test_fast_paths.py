"""The fast step modes follow the plain path's loss trajectory; bfloat16 trains.

The CUDA tests run only where a GPU is present (the device check script runs them there)."""

import copy
import warnings

import numpy as np
import pytest
import torch
from conftest import quick

from aekit import VAE, Autoencoder, DenoisingAutoencoder, SequenceAutoencoder, SparseAutoencoder
from aekit.nn import Batch
from aekit.train import LearningRateScheduler, manual, optim
from aekit.train.optim import LeanStep, make_optimizer
from aekit.train.step import has_cpp_compiler, resolve_step_mode

requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def fit_pair(X, mode, **params):
    """The same fit with the plain step and with ``mode``."""
    plain = Autoencoder(compile="none", **params).fit(X)
    fast = Autoencoder(compile=mode, **params).fit(X)
    return plain, fast


def assert_same_run(plain, fast, rtol):
    for key in ("loss", "val_loss"):
        if key in plain.history_:
            np.testing.assert_allclose(fast.history_[key], plain.history_[key], rtol=rtol)
    for (name, a), (_, b) in zip(plain.module_.state_dict().items(),
                                 fast.module_.state_dict().items()):
        torch.testing.assert_close(b.float(), a.float(), rtol=rtol, atol=rtol, msg=name)


@pytest.mark.parametrize("params", [
    {"hidden_dims": (), "latent_activation": "relu"},  # the reference recipe's shape
    {"hidden_dims": (32, 16), "activation": "tanh", "optimizer": "rmsprop"},
    {"loss": "mse", "output_activation": "linear", "activation": "leaky_relu",
     "hidden_dims": (20,), "clip_grad_norm": 0.5},
    {"loss": "mse", "output_activation": "sigmoid", "activation": "sigmoid",
     "latent_activation": "relu", "hidden_dims": (24,), "optimizer": "sgd"},
])
def test_manual_step_follows_the_eager_trajectory(digits_split, params):
    # 1347 rows in batches of 64: a short last batch every epoch, taken by the manual step too.
    X_train, _ = digits_split
    plain, fast = fit_pair(X_train, "manual", validation_split=0.1,
                           **quick(epochs=3, batch_size=64), **params)
    assert manual.chain(fast.module_, None) is not None  # the manual step did train it
    assert_same_run(plain, fast, rtol=1e-5)


def test_manual_step_is_the_cpu_default_for_plain_dense_networks_only(digits_split):
    X_train, _ = digits_split
    assert resolve_step_mode("auto", torch.device("cpu")) == "manual"
    assert resolve_step_mode("auto", torch.device("cuda")) == "cuda_graph"
    served = Autoencoder(latent_dim=4, hidden_dims=(8,), **quick(epochs=1)).fit(X_train)
    assert manual.chain(served.module_, None) is not None
    assert manual.chain(served.module_, torch.bfloat16) is None
    for est in [Autoencoder(activation="gelu", hidden_dims=(8,)),
                Autoencoder(batch_norm=True, hidden_dims=(8,)),
                Autoencoder(dropout=0.1, hidden_dims=(8,)),
                Autoencoder(),  # the default network's linear path around its hidden layer
                SparseAutoencoder(), DenoisingAutoencoder(), VAE()]:
        est.set_params(latent_dim=4, **quick(epochs=1)).fit(X_train)
        assert manual.chain(est.module_, None) is None, type(est).__name__


def test_manual_step_refuses_a_batch_with_more_than_x(digits_split):
    """A mask or lengths beside x would be silently ignored by the written-out backward."""
    net = Autoencoder(latent_dim=4, hidden_dims=(8,), **quick(epochs=1)).fit(digits_split[0])
    layers, loss = manual.chain(net.module_, None)
    step = manual.ManualStep(layers, loss, torch.optim.Adam(net.module_.parameters()))
    x = torch.as_tensor(digits_split[0][:8])
    step(Batch(x))
    with pytest.raises(ValueError, match="batches of x alone"):
        step(Batch(x, mask=torch.ones_like(x)))
    with pytest.raises(ValueError, match="batches of x alone"):
        step(Batch(x, lengths=torch.full((8,), 3)))


@pytest.mark.skipif(not has_cpp_compiler(), reason="torch.compile needs a C++ compiler")
def test_inductor_step_follows_the_eager_trajectory(digits_split):
    # 1347 rows in batches of 64: the short last batch takes the eager path each epoch.
    X_train, _ = digits_split
    plain, fast = fit_pair(X_train, "inductor", hidden_dims=(32,), validation_split=0.1,
                           **quick(epochs=3, batch_size=64))
    assert plain.history_["loss"][-1] < plain.history_["loss"][0]
    assert_same_run(plain, fast, rtol=1e-4)


def test_bfloat16_training_tracks_float32(digits_split):
    X_train, X_test = digits_split
    params = quick(epochs=8, batch_size=64, latent_dim=8, hidden_dims=(32,))
    full = Autoencoder(**params).fit(X_train)
    half = Autoencoder(precision="bfloat16", **params).fit(X_train)
    assert half.history_["loss"][-1] < half.history_["loss"][0]
    assert half.history_["loss"][-1] == pytest.approx(full.history_["loss"][-1], rel=0.05)
    assert half.transform(X_test).dtype == np.float32  # inference stays float32
    assert next(half.module_.parameters()).dtype == torch.float32


@pytest.mark.parametrize(("params", "message"), [
    ({"compile": "cuda_graph", "device": "cpu"}, "needs a CUDA device"),
    ({"compile": "jit"}, "compile must be one of"),
    ({"precision": "float16"}, "precision must be one of"),
])
def test_bad_fast_path_settings(digits_split, params, message):
    with pytest.raises(ValueError, match=message):
        Autoencoder(**{**quick(), **params}).fit(digits_split[0])


# ----------------------------------------------------------------------------- CUDA
def cuda(**overrides):
    return {**quick(device="cuda"), **overrides}


@requires_cuda
@pytest.mark.parametrize("extra", [{}, {"batch_norm": True, "clip_grad_norm": 1.0},
                                   {"optimizer": "rmsprop"}, {"optimizer": "sgd"}])
def test_cuda_graph_follows_the_eager_trajectory(digits_split, extra):
    X_train, _ = digits_split
    plain, fast = fit_pair(X_train, "cuda_graph", hidden_dims=(64,), validation_split=0.1,
                           **cuda(epochs=4, batch_size=64, **extra))
    assert_same_run(plain, fast, rtol=1e-4)


@requires_cuda
def test_cuda_graph_recaptures_when_the_learning_rate_changes(digits_split):
    def schedule():
        return [LearningRateScheduler(lambda epoch, lr: 1e-2 * 0.5 ** epoch)]
    plain = Autoencoder(compile="none", callbacks=schedule(), **cuda(epochs=4)).fit(
        digits_split[0])
    fast = Autoencoder(compile="cuda_graph", callbacks=schedule(), **cuda(epochs=4)).fit(
        digits_split[0])
    assert_same_run(plain, fast, rtol=1e-4)


@requires_cuda
def test_cuda_graph_bfloat16_trains(digits_split):
    ae = Autoencoder(precision="bfloat16", compile="cuda_graph", **cuda(epochs=5)).fit(
        digits_split[0])
    assert ae.history_["loss"][-1] < ae.history_["loss"][0]


@requires_cuda
@pytest.mark.parametrize("make", [
    lambda: VAE(**cuda()),
    lambda: SparseAutoencoder(sparsity="topk", k=4, **cuda()),
    lambda: DenoisingAutoencoder(noise="gaussian", **cuda()),
    lambda: Autoencoder(architecture="conv", **cuda()),
    lambda: SequenceAutoencoder(architecture="lstm", **cuda()),
])
def test_cuda_graph_trains_every_variant(digits_split, make):
    X = digits_split[0][:512]
    if isinstance(make(), SequenceAutoencoder) or make().architecture == "conv":
        X = X.reshape(-1, 8, 8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = make().set_params(compile="cuda_graph").fit(X)
    messages = [str(w.message) for w in caught]
    assert not any("capture failed" in m for m in messages), messages
    assert np.isfinite(est.history_["loss"]).all()
    assert est.history_["loss"][-1] < est.history_["loss"][0]


@requires_cuda
@pytest.mark.parametrize("capturable", [False, True])
def test_lean_step_on_cuda_updates_exactly_as_optimizer_step(capturable, step_calls):
    sets = []
    for _ in range(2):  # the reference network's tensors, and one of an odd size (2145
        # values: the kernel's unaligned path whole, its aligned one for a first piece)
        torch.manual_seed(0)
        params = [torch.nn.Parameter(torch.randn(shape, device="cuda"))
                  for shape in ((32, 784), (32,), (784, 32), (784,), (33, 65))]
        sets.append((params, make_optimizer("adam", params, device_type="cuda",
                                            capturable=capturable)))
    (a, plain), (b, optimizer) = sets
    lean = LeanStep(optimizer)
    for i in range(5):
        torch.manual_seed(i)
        for p, q in zip(a, b):
            p.grad = torch.randn_like(p)
            q.grad = p.grad.clone()
        plain.step()
        lean()
    assert step_calls(optimizer) == 1 and _same(a, b)
    assert _same_state(optimizer, plain)
    assert len(lean._groups[0].kept[0]) > 5  # it did cut them


@requires_cuda
def test_cuda_graph_falls_back_when_capture_fails():
    # Variable lengths pack the sequences, which needs the lengths on the host.
    rng = np.random.RandomState(0)
    X = rng.rand(256, 12, 2).astype(np.float32)
    lengths = rng.randint(3, 13, size=256)
    est = SequenceAutoencoder(architecture="gru", compile="cuda_graph", **cuda(epochs=2))
    with pytest.warns(RuntimeWarning, match="CUDA graph capture failed"):
        est.fit(X, lengths=lengths)
    assert np.isfinite(est.history_["loss"]).all()


# ------------------------------------------------------------------ lean optimizer step
def _pair(name: str, weight_decay: float = 0.0):
    """Two identical parameter sets, each with its own optimizer."""
    sets = []
    for _ in range(2):
        torch.manual_seed(0)
        params = [torch.nn.Parameter(torch.randn(shape)) for shape in ((8, 5), (8,), (5, 8))]
        sets.append((params, make_optimizer(name, params, weight_decay=weight_decay)))
    return sets


def _same(a, b) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a, b))


def _same_state(ours, theirs) -> bool:
    """Two optimizers' states (moments, step counters) equal, value for value."""
    a, b = ours.state_dict()["state"], theirs.state_dict()["state"]
    return all(torch.equal(a[k][n], b[k][n]) for k in b for n in b[k])


def _step_both(a, plain, b, lean, steps: int) -> None:
    """``steps`` steps of ``plain`` on ``a`` and of ``lean`` on ``b``, with the same gradients."""
    for i in range(steps):
        _set_grads(a, b, seed=i)
        plain.step()
        lean()


def _set_grads(*param_lists, seed=0):
    torch.manual_seed(seed)
    grads = [torch.randn_like(p) for p in param_lists[0]]
    for params in param_lists:
        for p, g in zip(params, grads):
            p.grad = g.clone()


@pytest.fixture
def step_calls(monkeypatch):
    """How often each optimizer class's own ``step`` ran (LeanStep's fallback)."""
    calls = {}
    for cls in (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD, torch.optim.RMSprop):
        if "step" not in vars(cls):  # AdamW may inherit Adam's
            continue
        cls([torch.nn.Parameter(torch.zeros(1))], lr=0.1)  # torch wraps step with its hooks
        original = cls.step

        def counted(self, *args, _original=original, **kwargs):
            calls[id(self)] = calls.get(id(self), 0) + 1
            return _original(self, *args, **kwargs)

        counted.hooked = True  # torch wraps an unmarked step (its hooks would run twice)
        monkeypatch.setattr(cls, "step", counted)
    return lambda optimizer: calls.get(id(optimizer), 0)


@pytest.mark.parametrize("name,weight_decay", [("adam", 0.0), ("adam", 0.01), ("adamw", 0.01)])
def test_lean_step_updates_exactly_as_optimizer_step(name, weight_decay, step_calls):
    (a, plain), (b, optimizer) = _pair(name, weight_decay)
    lean = LeanStep(optimizer)
    for i in range(12):
        _set_grads(a, b, seed=i)
        plain.step()
        lean()
        if i == 5:  # a schedule changes the learning rate between steps
            for group in (plain.param_groups[0], optimizer.param_groups[0]):
                group["lr"] = 3e-4
    assert step_calls(optimizer) == 1  # the first call creates the state; then lean calls
    assert _same(a, b)
    assert _same_state(optimizer, plain)


@pytest.mark.parametrize("name,weight_decay", [("adam", 0.0), ("adamw", 0.01)])
def test_lean_step_in_pieces_updates_exactly_as_whole(name, weight_decay, step_calls,
                                                      monkeypatch):
    # The GPU cuts each tensor into pieces for the fused kernel; the CPU kernel takes the same
    # pieces, so the bookkeeping is checked here. Lengths are whole numbers of the CPU's vector
    # registers (a value in a vector's tail rounds otherwise); 40 values go as 16 + 16 + 8
    # and as 32 + 8.
    for length in (16, 32):
        monkeypatch.setattr(optim, "piece_length", lambda sizes, device, n=length: n)
        (a, plain), (b, optimizer) = _pair(name, weight_decay)
        lean = LeanStep(optimizer)
        _step_both(a, plain, b, lean, steps=6)
        assert step_calls(optimizer) == 1 and _same(a, b)
        assert _same_state(optimizer, plain)
        assert len(lean._groups[0].kept[0]) > len(b)  # it did cut them


def test_lean_step_pieces_follow_empty_and_replaced_parameters(step_calls, monkeypatch):
    monkeypatch.setattr(optim, "piece_length", lambda sizes, device: 16)
    sets = []
    for _ in range(2):  # an empty tensor is one piece, with its own step counter
        torch.manual_seed(0)
        params = [torch.nn.Parameter(torch.randn(shape)) for shape in ((40,), (0,), (5, 8))]
        sets.append((params, make_optimizer("adam", params)))
    (a, plain), (b, optimizer) = sets
    lean = LeanStep(optimizer)
    for i in range(3):
        _set_grads(a, b, seed=i)
        plain.step()
        lean()
        if i == 1:  # a parameter given new memory: the pieces must follow it
            for params in (a, b):
                params[2].data = params[2].data.clone() + 1
    assert _same(a, b) and step_calls(optimizer) == 1


def test_pieces_carry_no_autograd_history():
    # a view made of a parameter with autograd on would keep its gradient node alive
    weight = torch.nn.Parameter(torch.randn(40))
    assert all(piece.grad_fn is None for piece in optim._cut([weight], 16))


def test_pieces_spread_a_small_network_over_one_launch():
    cuda, reference = torch.device("cuda"), [784 * 32, 32, 32 * 784, 784]
    length = optim.piece_length(reference, cuda)
    pieces = sum(-(-n // length) for n in reference)
    assert length == optim.PIECE_VALUES and 4 < pieces <= optim.PIECES_PER_LAUNCH + 4
    deeper = [784 * 512, 512, 512 * 256, 256, 256 * 32, 32] * 2
    assert optim.PIECE_VALUES < optim.piece_length(deeper, cuda) < 65536
    assert optim.piece_length([8_000_000], cuda) is None  # the kernel's own blocks fill it
    assert optim.piece_length(reference, torch.device("cpu")) is None


def test_lean_step_follows_changes_to_the_optimizer(step_calls):
    (a, plain), (b, optimizer) = _pair("adam")
    lean = LeanStep(optimizer)
    _set_grads(a, b)
    plain.step()
    lean()
    # a resumed run: new state tensors (copied: loading keeps the very tensors it is given)
    optimizer.load_state_dict(copy.deepcopy(plain.state_dict()))
    _set_grads(a, b, seed=1)
    plain.step()
    lean()
    assert _same(a, b) and step_calls(optimizer) == 1
    extra = [torch.nn.Parameter(torch.zeros(3)) for _ in range(2)]
    plain.add_param_group({"params": [extra[0]]})
    optimizer.add_param_group({"params": [extra[1]]})
    for k in range(2, 4):  # a new group is updated too
        _set_grads(a, b, seed=k)
        extra[0].grad = extra[1].grad = torch.ones(3)
        plain.step()
        lean()
    assert _same(a, b) and torch.equal(*extra) and extra[1].abs().sum() > 0
    plain.state.clear()
    optimizer.state.clear()  # state dropped in place: created anew, as optimizer.step() does
    _set_grads(a, b, seed=5)
    plain.step()
    lean()
    assert _same(a, b) and optimizer.state_dict()["state"].keys() == plain.state_dict()[
        "state"].keys()


def test_lean_step_defers_to_hooks_and_schedulers(step_calls):
    _, (b, optimizer) = _pair("adam")
    lean = LeanStep(optimizer)
    _set_grads(b)
    lean()
    calls = []
    handle = optimizer.register_step_post_hook(lambda *_: calls.append(1))
    lean()  # a hook expects optimizer.step(): it gets it
    handle.remove()
    assert calls == [1]
    torch.optim.lr_scheduler.StepLR(optimizer, 1)  # wraps optimizer.step to count its calls
    before = step_calls(optimizer)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "lr_scheduler.step() before optimizer.step()"
        lean()
    assert step_calls(optimizer) == before + 1


def test_lean_step_leaves_other_optimizers_to_their_own_step(step_calls):
    for name in ("sgd", "rmsprop"):
        (a, plain), (b, optimizer) = _pair(name)
        lean = LeanStep(optimizer)
        for k in range(3):
            _set_grads(a, b, seed=k)
            plain.step()
            lean()
        assert _same(a, b) and step_calls(optimizer) == 3


def test_a_cpu_fit_takes_the_lean_step(digits_split, step_calls, monkeypatch):
    optimizers = []
    original = LeanStep.__init__

    def record(self, optimizer):
        optimizers.append(optimizer)
        original(self, optimizer)

    monkeypatch.setattr(LeanStep, "__init__", record)
    X_train, _ = digits_split
    model = Autoencoder(**quick(epochs=2)).fit(X_train)
    steps = model.n_epochs_ * -(-len(X_train) // model.batch_size)
    assert optimizers and steps > 4
    assert {step_calls(o) for o in optimizers} <= {0, 1}  # not once per step: lean calls
