"""Training on two processes (gloo, CPU) as ``torchrun`` starts them.

The ranks are forked from this process with torchrun's environment (``tests/ddp_ranks.py``),
which spares each the seconds of importing torch; this file compares what they wrote with one
process fitted here. (``torchrun --standalone --nproc_per_node=2 -m aekit fit`` itself was run
by hand: it takes about 25 s here, mostly three imports of torch.) The batch size (33) is odd and the last batch of each epoch (27 rows)
splits unevenly, so a gradient averaged without weighting by rows would show.

Stated tolerance: two ranks match one process within 1e-6 (absolute) in every weight and
1e-6 (relative) in every logged loss; measured differences are about 3e-8, float32 rounding
of the different summation order. The ranks agree with each other exactly.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import ddp_ranks
import numpy as np
import pytest
import torch

import aekit
from aekit import Autoencoder
from aekit.io import open_source
from aekit.train import TensorBatches
from aekit.train import distributed as dist_train
from aekit.train.step import resolve_step_mode

PARAMS = {"epochs": 4, "batch_size": 33, "random_state": 0, "device": "cpu",
          "hidden_dims": [16], "latent_dim": 3, "validation_split": 0.2}
STOCHASTIC = {"dropout": 0.2}  # per-rank random streams: resume must restore each rank's
CLI_PARAMS = {"epochs": 3, "batch_size": 32, "random_state": 0, "device": "cpu",
              "hidden_dims": (16,), "latent_dim": 3}
VARIANTS = ["vae", "sparse", "denoising"]  # their own losses, codes and noise under DDP
KILL_AT = 3
DEADLINE_S = 90  # a rank still running then has hung: killed and reported as "hung"
TOLERANCE = 1e-6


def _table() -> np.ndarray:
    rng = np.random.RandomState(0)
    latent = rng.normal(size=(240, 3))
    return (latent @ rng.normal(size=(3, 8)) * 5 + 3
            + rng.normal(scale=0.1, size=(240, 8))).astype(np.float32)


def _run_ranks(folder: Path, config: dict, *phases: str) -> dict:
    return {phase: ddp_ranks.launch(phase, folder, config) for phase in phases}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def ranks(tmp_path_factory, one_torch_thread):
    """Every scenario on two ranks, run once: ``(folder, results)``."""
    if torch.cuda.is_initialized():  # on a GPU machine, after a CUDA test in this worker
        pytest.skip("forked ranks cannot train once this process has used CUDA: run "
                    "tests/test_distributed.py in a process of its own")
    folder = tmp_path_factory.mktemp("ddp")
    X = _table()
    np.save(folder / "X.npy", X)
    header = ",".join(f"c{i}" for i in range(X.shape[1]))
    np.savetxt(folder / "X.csv", X, delimiter=",", header=header, comments="", fmt="%.9e")
    cli = ["fit", str(folder / "X.csv"), "-o", str(folder / "cli.safetensors"),
           "--epochs", "3", "--batch-size", "32", "--random-state", "0", "--device", "cpu",
           "--hidden-dims", "16", "--latent-dim", "3"]
    config = {"world": 2, "deadline": DEADLINE_S, "kill_at": KILL_AT, "block_rows": 30,
              "modes": ["none", "manual"], "params": PARAMS, "stochastic": STOCHASTIC,
              "cli": cli, "variants": VARIANTS}
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # imports torch._dynamo once
    return folder, _run_ranks(folder, config, "modes", "kill", "resume")


def _load(folder: Path, name: str) -> dict:
    with np.load(folder / f"{name}.npz") as data:
        return dict(data)


def _weights(dump: dict) -> dict:
    return {k: v for k, v in dump.items() if k.startswith("w.")}


def _assert_ranks_agree(folder: Path, name: str) -> dict:
    rank0, rank1 = _load(folder, f"{name}_rank0"), _load(folder, f"{name}_rank1")
    for key in rank0:
        np.testing.assert_array_equal(rank0[key], rank1[key], err_msg=f"{name}: {key}")
    return rank0


def _assert_matches(two: dict, one: Autoencoder) -> None:
    for key, value in one.module_.state_dict().items():
        np.testing.assert_allclose(two[f"w.{key}"], value.numpy(), rtol=0, atol=TOLERANCE,
                                   err_msg=key)
    np.testing.assert_allclose(two["loss"], one.history_["loss"], rtol=TOLERANCE)
    np.testing.assert_allclose(two["val_loss"], one.history_["val_loss"], rtol=TOLERANCE)
    np.testing.assert_allclose(two["shift"], one.shift_, rtol=TOLERANCE)
    np.testing.assert_allclose(two["scale"], one.scale_, rtol=TOLERANCE)


@pytest.mark.parametrize("mode", ["none", "manual"])
def test_two_ranks_match_one_process(ranks, mode):
    """Eager DDP, and the manual step, which all-reduces its hand-written gradients itself."""
    folder, results = ranks
    assert results["modes"]["codes"] == [0, 0]
    two = _assert_ranks_agree(folder, mode)
    _assert_matches(two, Autoencoder(**PARAMS, compile=mode).fit(_table()))


@pytest.mark.skipif(os.environ.get("AEKIT_SLOW_TESTS") != "1",
                    reason="compiling under two ranks takes about 50 s on a 2-core machine "
                           "(run with AEKIT_SLOW_TESTS=1)")
def test_two_ranks_match_one_process_inductor(tmp_path):
    np.save(tmp_path / "X.npy", _table())
    config = {"world": 2, "deadline": 300, "params": PARAMS, "stochastic": {}}
    results = _run_ranks(tmp_path, config, "inductor")
    assert results["inductor"]["codes"] == [0, 0]
    two = _assert_ranks_agree(tmp_path, "inductor")
    _assert_matches(two, Autoencoder(**PARAMS, compile="inductor").fit(_table()))


def test_ranks_end_with_the_same_batch_norm_statistics(ranks):
    """Each rank normalises its part of the batch (as DDP does); the running statistics, which
    follow those parts, are rank 0's on every rank at the end."""
    folder, _ = ranks
    assert any("running_mean" in key for key in _assert_ranks_agree(folder, "batchnorm"))


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_trains_alike_on_every_rank(ranks, variant):
    folder, results = ranks
    assert results["modes"]["codes"] == [0, 0]
    trained = _assert_ranks_agree(folder, variant)
    assert np.isfinite(trained["loss"]).all()


def test_rank_zero_alone_writes_the_model(ranks):
    folder, _ = ranks
    assert (folder / "manual_saved_by_rank0.safetensors").is_file()
    assert not (folder / "manual_saved_by_rank1.safetensors").exists()
    saved = aekit.load(folder / "manual_saved_by_rank0.safetensors")
    for key, value in _weights(_load(folder, "manual_rank1")).items():
        np.testing.assert_array_equal(saved.module_.state_dict()[key[2:]].numpy(), value)


def test_command_line_under_torchrun_matches_one_process(ranks):
    """``torchrun -m aekit fit`` as each rank runs it: found the group with no flag."""
    folder, _ = ranks
    two = aekit.load(folder / "cli.safetensors")
    one = Autoencoder(**CLI_PARAMS).fit(_table())
    for key, value in one.module_.state_dict().items():
        np.testing.assert_allclose(two.module_.state_dict()[key].numpy(), value.numpy(),
                                   rtol=0, atol=TOLERANCE, err_msg=key)


def test_streamed_ranks_read_their_blocks_and_scale_alike(ranks):
    """Each rank streams its own blocks; statistics merged over ranks equal one process's."""
    folder, _ = ranks
    two = _assert_ranks_agree(folder, "stream")
    params = {**PARAMS, "validation_split": 0.25, "epochs": 1}
    one = Autoencoder(**params).fit(open_source(folder / "X.npy", block_rows=30))
    np.testing.assert_allclose(two["shift"], one.shift_, rtol=TOLERANCE)
    np.testing.assert_allclose(two["scale"], one.scale_, rtol=TOLERANCE)
    assert np.isfinite(two["val_loss"]).all() and two["loss"][-1] < two["loss"][0]


def test_a_killed_rank_fails_the_job_loudly(ranks):
    folder, results = ranks
    survivor, killed = results["kill"]["codes"]
    assert killed == -9  # SIGKILL
    assert survivor == 1, f"the surviving rank ended with {survivor!r}"  # not "hung"
    assert results["kill"]["seconds"] < DEADLINE_S
    assert "remote worker" in (folder / "kill_rank0.err").read_text()  # gloo's own words


def test_resume_after_a_kill_reproduces_the_uninterrupted_run(ranks):
    folder, results = ranks
    assert results["resume"]["codes"] == [0, 0]
    resumed = _load(folder, "resume_rank0")
    assert resumed["first_epoch"] == KILL_AT - 1  # it started from the last checkpoint
    uninterrupted = _assert_ranks_agree(folder, "uninterrupted")
    for key, value in _weights(uninterrupted).items():
        np.testing.assert_array_equal(resumed[key], value, err_msg=key)
    np.testing.assert_array_equal(resumed["loss"], uninterrupted["loss"])
    # rank 1 holds the same model; each rank's dropout stream came back from the checkpoint
    np.testing.assert_array_equal(_load(folder, "resume_rank1")["w.latent.linear.weight"],
                                  resumed["w.latent.linear.weight"])


def test_batches_split_into_near_equal_parts_of_the_same_batches():
    x = torch.arange(51.0)[:, None]  # 6 batches of 8 and one of 3: one row for each rank
    one = list(TensorBatches(x, batch_size=8, shuffle=True,
                             generator=torch.Generator().manual_seed(1)))
    parts = [list(TensorBatches(x, batch_size=8, shuffle=True, shard=(rank, 3),
                                generator=torch.Generator().manual_seed(1)))
             for rank in range(3)]
    assert all(len(p) == len(one) == 7 for p in parts)
    for whole, *pieces in zip(one, *parts):
        sizes = [len(piece[0]) for piece in pieces]
        assert max(sizes) - min(sizes) <= 1
        torch.testing.assert_close(torch.cat([piece[0] for piece in pieces]), whole[0])


def test_a_trailing_batch_too_small_to_share_is_dropped():
    x = torch.arange(18.0)[:, None]
    assert len(TensorBatches(x, batch_size=8)) == 3
    assert len(TensorBatches(x, batch_size=8, shard=(0, 3))) == 2  # 2 rows for 3 ranks
    with pytest.raises(ValueError, match="batch_size of at least 3"):
        TensorBatches(x, batch_size=2, shard=(0, 3))


def test_cuda_under_several_processes_takes_the_eager_step():
    cuda = torch.device("cuda")
    assert resolve_step_mode("auto", cuda, distributed=True) == "none"
    assert resolve_step_mode("auto", cuda) == "cuda_graph"


def test_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(dist_train.TIMEOUT_ENV, "12.5")
    assert dist_train.timeout() == timedelta(seconds=12.5)
    monkeypatch.setenv(dist_train.TIMEOUT_ENV, "never")
    with pytest.raises(ValueError, match="positive number of seconds"):
        dist_train.timeout()



def test_only_rank_zero_writes_and_reports_a_detectors_results(tmp_path, monkeypatch,
                                                                 capsys):
    """A trial: under torchrun every rank wrote the detector, its results and its messages
    (``aekit detect``, ``fit --model detector``, ``detect --series``), and a review found
    ``-o -`` failing on rank 1 and printed by every rank. Rank 1 is played here by its
    environment: it trains as rank 0 does, and leaves the writing and telling to it."""
    from aekit.cli import main
    from aekit.estimators import _distributed

    data = tmp_path / "X.csv"
    header = ",".join(f"c{i}" for i in range(8))
    np.savetxt(data, _table(), delimiter=",", header=header, comments="", fmt="%.6g")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setattr(_distributed, "is_main", lambda: False)
    fast = ["--random-state", "0"]
    assert main(["detect", str(data), "-o", str(tmp_path / "r.csv"), "--save",
                 str(tmp_path / "d.safetensors"), *fast]) == 0
    assert main(["fit", str(data), "--model", "detector", "-o",
                 str(tmp_path / "f.safetensors"), *fast]) == 0
    assert main(["detect", str(data), "--series", "c0", "--window", "8", "-o",
                 str(tmp_path / "s.csv"), *fast]) == 0
    assert main(["detect", str(data), "-o", "-", *fast]) == 0  # a review: it failed
    assert main(["impute", str(data), "-o", str(tmp_path / "i.csv"), "--epochs", "1"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["X.csv"]
    said = capsys.readouterr()
    assert said.out == "" and "note" not in said.err


def test_a_group_that_never_forms_is_one_line_from_the_cli(tmp_path, monkeypatch, capsys):
    """Rank 0 started alone (rank 1 never comes): the CLI says what to check, no traceback."""
    from aekit.cli import main

    data = tmp_path / "X.csv"
    np.savetxt(data, _table()[:40], delimiter=",", header="a,b,c,d,e,f,g,h", comments="")
    for name, value in {"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0",
                        "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(ddp_ranks.free_port()),
                        dist_train.TIMEOUT_ENV: "1"}.items():
        monkeypatch.setenv(name, value)
    assert main(["fit", str(data), "-o", str(tmp_path / "m.safetensors"), "--epochs", "1"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "did not all join" in lines[0], lines
    assert not torch.distributed.is_initialized()


class _TwoRanks:
    """Stands in for the process group: rank 1 passed ``other``'s rows and count."""

    world_size = 2

    def __init__(self, other: np.ndarray):
        self.other = other

    def gather(self, mine):
        from aekit.estimators import _distributed

        return [mine, (len(self.other), _distributed._sample_digest(self.other))]


@pytest.mark.parametrize("other, message", [
    (lambda X: X[:-1], r"passed \[240, 239\] rows"),
    (lambda X: X * 10 + 5, "different data"),  # one rank's copy transformed
    (lambda X: X[::-1].copy(), "different data"),  # its own shard, or another order
])
def test_ranks_refuse_data_that_differs_between_them(monkeypatch, other, message):
    X = _table()
    monkeypatch.setattr(dist_train, "current", lambda: _TwoRanks(other(X)))
    with pytest.raises(ValueError, match=message):
        Autoencoder(**PARAMS).fit(X)
    monkeypatch.setattr(dist_train, "current", lambda: _TwoRanks(X.astype(np.float64)))
    from aekit.estimators import _distributed

    _distributed.check_same_data(X)  # the same values in another dtype pass


def test_ranks_refuse_to_stream_different_data(monkeypatch, tmp_path):
    """Each rank trains on its share of the blocks of what it streams: another file on one rank
    would be half read, half left out, without a word (a trial). A copy at another path is the
    same data."""
    from aekit.estimators import _distributed, _streaming
    from aekit.io import NpySource

    X = _table()
    np.save(tmp_path / "a.npy", X)
    np.save(tmp_path / "b.npy", X * 2 + 1)
    np.save(tmp_path / "copy.npy", X)
    other = {}

    class TwoStreams:
        world_size = 2

        def gather(self, mine):
            return [mine, _streaming.digest(other["source"], with_path=False)]

    monkeypatch.setattr(dist_train, "current", lambda: TwoStreams())
    source = NpySource(tmp_path / "a.npy", block_rows=40)
    other["source"] = NpySource(tmp_path / "b.npy", block_rows=40)
    mine = lambda: _streaming.digest(source, with_path=False)
    with pytest.raises(ValueError, match="the 2 processes stream different data"):
        _distributed.check_same_source(mine, source.path)
    other["source"] = NpySource(tmp_path / "copy.npy", block_rows=40)
    _distributed.check_same_source(mine, source.path)
    other["source"] = NpySource(tmp_path / "b.npy", block_rows=40)
    with pytest.raises(ValueError, match="the 2 processes stream different data"):
        Autoencoder(**PARAMS).fit(source)  # fit on a stream asks the ranks, as above
    with pytest.raises(ValueError, match="some processes stream their data and others pass it"):
        monkeypatch.setattr(dist_train, "current", lambda: _TwoRanks(X))  # an array rank
        _distributed.check_same_source(mine, source.path)


def test_a_lost_peer_ends_in_one_line(monkeypatch, tmp_path):
    """When one torchrun worker was killed, the other printed a traceback through the loop
    (gloo's "Connection closed by peer", a trial)."""
    import types

    from aekit._cli_exit import distributed_failure

    args = types.SimpleNamespace(checkpoint_dir=str(tmp_path))
    (tmp_path / "checkpoint.safetensors").write_bytes(b"x")
    error = RuntimeError("[gloo/transport/tcp/pair.cc:534] Connection closed by peer\nmore")
    group = types.SimpleNamespace(is_available=lambda: True, is_initialized=lambda: True)
    monkeypatch.setitem(sys.modules, "torch.distributed", group)
    line = distributed_failure(error, args)
    assert line.startswith("aekit: error: the run's processes lost each other")
    assert "Connection closed by peer" in line and "\n" not in line and "--resume" in line
    bug = RuntimeError("mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)")
    assert distributed_failure(bug, args) is None  # a real error keeps its traceback
    alone = types.SimpleNamespace(is_available=lambda: True, is_initialized=lambda: False)
    monkeypatch.setitem(sys.modules, "torch.distributed", alone)
    assert distributed_failure(error, args) is None  # one process: PyTorch's own error


def test_too_few_blocks_for_the_processes_points_to_memory_first(monkeypatch):
    """The advice was only a smaller --memory, which then warned of a reader over the budget
    (a trial): data this small fits in memory."""
    import types

    from aekit.estimators import _distributed

    monkeypatch.setattr(_distributed.distributed, "current",
                        lambda: types.SimpleNamespace(world_size=2))
    with pytest.raises(ValueError, match=r"1 training block\(s\) for 2 processes.*leave out "
                                         "--stream"):
        _distributed.my_blocks([0], "small.parquet", required=True)
