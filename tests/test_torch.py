# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""blitzlearn.torch.AdaScale: one process, and DDP over gloo on 127.0.0.1."""

import io
import math
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed (pip install torch==2.13.0)")

import _torch_worker as worker  # noqa: E402

from blitzlearn.torch import AdaScale  # noqa: E402

WORKER = Path(__file__).with_name("_torch_worker.py")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(scenarios, world, out):
    port = _free_port()
    return [subprocess.Popen(
        [sys.executable, str(WORKER), scenarios, str(rank), str(world), str(port),
         str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for rank in range(world)]


def _finish(procs, limit=120):
    outs = []
    for p in procs:
        out, _ = p.communicate(timeout=limit)
        outs.append((p.returncode, out))
    return outs


def _accumulate(model, X, y, step, samples, accum):
    """Backward passes of the given gradient samples, losses divided by accum."""
    for k in samples:
        xb, yb = worker.batch(X, y, step, k)
        (torch.nn.functional.mse_loss(model(xb), yb) / accum).backward()


def _single_process(n_grads, steps=worker.N_STEPS, **kwargs):
    model, X, y = worker.model_and_data()
    opt = AdaScale(worker.make_optimizer(model), num_gradients_to_accumulate=n_grads,
                   **kwargs)
    for step in range(steps):
        _accumulate(model, X, y, step, range(n_grads), n_grads)
        opt.step()
        opt.zero_grad()
    return model, opt


def _reference(n_grads):
    """The gains from the paper's formulas on explicit per-sample gradients."""
    model, X, y = worker.model_and_data()
    sgd = worker.make_optimizer(model)
    decay = sgd.param_groups[0]["weight_decay"]
    S, theta = float(n_grads), max(1.0 - n_grads / 1000.0, 0.0)
    m_sigma = m_mu = weight = 0.0
    gains = []
    params = list(model.parameters())
    for step in range(worker.N_STEPS):
        grads = []
        for k in range(n_grads):
            sgd.zero_grad()
            _accumulate(model, X, y, step, [k], 1)
            grads.append(torch.cat([p.grad.ravel() for p in params]).numpy().copy())
        w = torch.cat([p.detach().ravel() for p in params]).numpy()
        G = np.array(grads) + decay * w  # the penalty is part of every sample
        g_bar = G.mean(axis=0)
        sum_sq, mean_sq = float((G * G).sum()), float(g_bar @ g_bar)
        r = 1.0 if weight == 0 else min(max(
            (m_sigma / weight + m_mu / weight)
            / (m_sigma / weight / S + m_mu / weight), 1.0), S)
        sigma2 = max((sum_sq - S * mean_sq) / (S - 1), 1e-6)
        mu2 = max(mean_sq - sigma2 / S, 0.0)
        m_sigma = theta * m_sigma + (1 - theta) * sigma2
        m_mu = theta * m_mu + (1 - theta) * mu2
        weight = theta * weight + (1 - theta)
        mean_raw = np.mean(grads, axis=0)
        offset = 0
        for p in params:
            p.grad = torch.from_numpy(mean_raw[offset:offset + p.numel()].copy()
                                      ).reshape(p.shape)
            offset += p.numel()
        for group in sgd.param_groups:
            group["lr"] *= r
        sgd.step()
        for group in sgd.param_groups:
            group["lr"] /= r
        gains.append(r)
    return gains, [p.detach() for p in params]


def _sample_grads(model, params, X, y, step, samples):
    """Explicit gradient of every sample's (unscaled) loss w.r.t. ``params``."""
    rows = []
    for k in samples:
        xb, yb = worker.batch(X, y, step, k)
        grads = torch.autograd.grad(
            torch.nn.functional.mse_loss(model(xb), yb), params)
        rows.append(torch.cat([g.ravel() for g in grads]).numpy())
    return np.array(rows)


def _paper_gains(steps):
    """The gains of the paper's estimator (debiased EWMA, r from the steps
    before), written out on explicit per-sample gradients.

    ``steps``: one ``(G, S)`` per step, ``G`` of shape ``(K, d)``.
    """
    m_sigma = m_mu = weight = 0.0
    gains = []
    for G, S in steps:
        K, theta = len(G), max(1.0 - S / 1000.0, 0.0)
        r = 1.0 if weight == 0 else min(max(
            (m_sigma + m_mu) / (m_sigma / S + m_mu), 1.0), S)
        gains.append(r)
        g_bar = G.mean(axis=0)
        sum_sq, mean_sq = float((G * G).sum()), float(g_bar @ g_bar)
        sigma2 = (S / K) * (sum_sq - K * mean_sq) / (K - 1)
        mu2 = max(mean_sq - sigma2 / S, 0.0)
        m_sigma = theta * m_sigma + (1 - theta) * max(sigma2, 1e-6)
        m_mu = theta * m_mu + (1 - theta) * mu2
        weight = theta * weight + (1 - theta)
    return gains


# --- distributed: 2 gloo processes on 127.0.0.1 ----------------------------------

# the scenarios that end well, in one launch (starting processes is the cost)
SCENARIOS = ("train:1", "train:2", "train-own-all-reduce:2", "loops:1", "sharded:1")


@pytest.fixture(scope="module")
def ddp_runs(tmp_path_factory):
    """``name:accum -> [rank 0 result, rank 1 result]`` of the 2-process runs."""
    out = tmp_path_factory.mktemp("ddp") / "run"
    for code, text in _finish(_launch(",".join(SCENARIOS), 2, out)):
        assert code == 0, text
    return {s: [torch.load(f"{out}.{s.replace(':', '-')}.rank{r}.pt",
                           weights_only=True) for r in (0, 1)] for s in SCENARIOS}


@pytest.mark.parametrize("scenario, accum", [
    ("train", 1), ("train", 2), ("train-own-all-reduce", 2)])
def test_ddp_gains_match_reference_and_single_process(ddp_runs, scenario, accum):
    ranks = ddp_runs[f"{scenario}:{accum}"]
    # every rank took the same steps
    assert ranks[0]["gains"] == ranks[1]["gains"]
    for a, b in zip(ranks[0]["weights"], ranks[1]["weights"], strict=True):
        assert torch.equal(a, b)
    gains = np.array(ranks[0]["gains"])
    assert gains[0] == 1.0 and np.all((gains >= 1.0) & (gains <= 2 * accum))
    assert gains[1:].max() > 1.05  # the statistics are live
    # an independent reimplementation on the same per-worker gradients
    ref_gains, ref_weights = _reference(2 * accum)
    np.testing.assert_allclose(gains, ref_gains, rtol=1e-6)
    for a, b in zip(ranks[0]["weights"], ref_weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-9)
    # 2 workers x accum micro-batches = one process accumulating 2 * accum
    model, opt = _single_process(2 * accum)
    np.testing.assert_allclose(gains, opt.gain_history, rtol=1e-9)
    for a, b in zip(ranks[0]["weights"], model.parameters(), strict=True):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-9,
                                   atol=1e-12)


@pytest.mark.parametrize("scenario, message", [
    ("die-before-step", "AdaScale: the all-reduce of the gradient statistics"),
    ("die-before-backward", "remote worker"),  # gloo's own error, from DDP
])
def test_dead_worker_fails_the_others_quickly(tmp_path, scenario, message):
    start = time.monotonic()
    procs = _launch(f"{scenario}:1", 2, tmp_path / "run")
    (code0, text0), (code1, _) = _finish(procs, limit=90)
    assert code1 == 3  # the worker that died
    assert code0 != 0, text0  # the survivor failed instead of hanging
    assert time.monotonic() - start < 90
    assert message in text0
    assert "Error" in text0


# --- one process ----------------------------------------------------------------------

def test_scale_one_is_plain_sgd():
    model, opt = _single_process(1)
    ref, X, y = worker.model_and_data()
    sgd = worker.make_optimizer(ref)
    for step in range(worker.N_STEPS):
        _accumulate(ref, X, y, step, [0], 1)
        sgd.step()
        sgd.zero_grad()
    assert opt.scale == 1.0 and opt.gain_history == [1.0] * worker.N_STEPS
    for a, b in zip(model.parameters(), ref.parameters(), strict=True):
        assert torch.equal(a, b)


def test_checkpoint_resume_continues_exactly():
    half = worker.N_STEPS // 2
    whole_model, whole = _single_process(3)
    model, X, y = worker.model_and_data()
    opt = AdaScale(worker.make_optimizer(model), num_gradients_to_accumulate=3)
    for step in range(half):
        _accumulate(model, X, y, step, range(3), 3)
        opt.step()
        opt.zero_grad()
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)
    model2, _, _ = worker.model_and_data(seed=5)  # other weights, then restored
    model2.load_state_dict(saved["model"])
    opt2 = AdaScale(worker.make_optimizer(model2), num_gradients_to_accumulate=3)
    opt2.load_state_dict(saved["opt"])
    assert opt2.tau == opt.tau and opt2.gain() == opt.gain()
    for step in range(half, worker.N_STEPS):
        _accumulate(model2, X, y, step, range(3), 3)
        opt2.step()
        opt2.zero_grad()
    assert opt2.gain_history == whole.gain_history
    assert opt2.tau == whole.tau
    for a, b in zip(model2.parameters(), whole_model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_grad_scaler_statistics_are_unscaled():
    plain_model, plain = _single_process(4)
    model, X, y = worker.model_and_data()
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 12, growth_interval=3)
    opt = AdaScale(worker.make_optimizer(model), num_gradients_to_accumulate=4,
                   grad_scaler=scaler)
    for step in range(worker.N_STEPS):
        for k in range(4):
            xb, yb = worker.batch(X, y, step, k)
            scaler.scale(torch.nn.functional.mse_loss(model(xb), yb) / 4).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
    assert scaler.get_scale() > 2.0 ** 12  # the scale changed along the way
    np.testing.assert_allclose(opt.gain_history, plain.gain_history, rtol=1e-10)
    for a, b in zip(model.parameters(), plain_model.parameters(), strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(),
                                   rtol=1e-10, atol=1e-13)


def test_non_finite_statistics_skip_the_estimator_update():
    model, X, y = worker.model_and_data()
    opt = AdaScale(worker.make_optimizer(model), num_gradients_to_accumulate=2)
    for step in range(3):
        _accumulate(model, X, y, step, range(2), 2)
        opt.step()
        opt.zero_grad()
    before = opt.state_dict()["adascale"]["estimator"]
    # a micro-batch whose gradient overflows; the user repairs .grad (as an
    # AMP-style skip would) but the hooks saw the non-finite values
    _accumulate(model, X, y, 3, [0], 2)
    xb, yb = worker.batch(X, y, 3, 1)
    (torch.nn.functional.mse_loss(model(xb) * float("inf"), yb) / 2).backward()
    for p in model.parameters():
        torch.nan_to_num_(p.grad, nan=0.0, posinf=0.0, neginf=0.0)
    with pytest.warns(RuntimeWarning, match="not finite"):
        opt.step()
    opt.zero_grad()
    assert opt.skipped_steps == 1
    assert opt.state_dict()["adascale"]["estimator"] == before
    for step in range(4, 8):
        _accumulate(model, X, y, step, range(2), 2)
        opt.step()
        opt.zero_grad()
    assert all(math.isfinite(g) and 1.0 <= g <= 2.0 for g in opt.gain_history)
    assert opt.skipped_steps == 1


def test_frozen_and_unused_parameters():
    torch.manual_seed(0)
    used = torch.nn.Linear(4, 1).double()
    unused = torch.nn.Linear(4, 1).double()
    frozen = torch.nn.Linear(4, 1).double()
    frozen.requires_grad_(False)
    sgd = torch.optim.SGD([{"params": used.parameters()},
                           {"params": list(unused.parameters())
                            + list(frozen.parameters()), "lr": 0.01}], lr=0.1)
    opt = AdaScale(sgd, num_gradients_to_accumulate=2)
    x = torch.randn(16, 4, dtype=torch.float64)
    for _ in range(4):
        for half in (x[:8], x[8:]):
            (used(half).square().mean() / 2).backward()
        opt.step()
        opt.zero_grad()
    assert len(opt.gain_history) == 4 and all(math.isfinite(g)
                                              for g in opt.gain_history)
    assert sgd.param_groups[1]["lr"] == 0.01  # the base rates are restored


def test_scheduler_follows_tau_and_budget():
    model, X, y = worker.model_and_data()
    sgd = worker.make_optimizer(model)
    sched = torch.optim.lr_scheduler.MultiStepLR(sgd, milestones=[20], gamma=0.1)
    opt = AdaScale(sgd, num_gradients_to_accumulate=4, scheduler=sched, budget=40)
    step = 0
    while not opt.done:
        _accumulate(model, X, y, step, range(4), 4)
        opt.step()
        opt.zero_grad()
        step += 1
        assert sched.last_epoch == math.floor(opt.tau)
        expected = 0.05 * (0.1 if opt.tau >= 20 else 1.0)
        assert sgd.param_groups[0]["lr"] == pytest.approx(expected)
    assert opt.tau >= 40 > opt.tau - opt.gain_history[-1]
    assert math.ceil(40 / 4) <= opt.steps <= 40


def test_set_scale_keeps_the_variance_estimate():
    model, opt = _single_process(4, steps=5)
    sigma2, mu2 = opt.sigma2, opt.mu2
    opt.set_scale(8)
    assert (opt.sigma2, opt.mu2) == (sigma2, mu2)
    assert opt.scale == 8.0 and opt.smoothing == pytest.approx(0.992)
    assert opt.gain() == pytest.approx((sigma2 + mu2) / (sigma2 / 8 + mu2))


def test_errors():
    model = torch.nn.Linear(2, 1)
    with pytest.raises(TypeError, match="torch.optim.SGD, Adam or AdamW"):
        AdaScale(torch.optim.RMSprop(model.parameters()))
    with pytest.raises(TypeError, match="DistributedDataParallel"):
        AdaScale(torch.optim.SGD(model.parameters(), lr=0.1), ddp_model=model)
    with pytest.raises(ValueError, match="at least 2 gradient samples"):
        AdaScale(torch.optim.SGD(model.parameters(), lr=0.1), scale=4)
    with pytest.raises(ValueError, match="positive integer"):
        AdaScale(torch.optim.SGD(model.parameters(), lr=0.1),
                 num_gradients_to_accumulate=0)
    with pytest.raises(ValueError, match="without a budget"):
        AdaScale(torch.optim.SGD(model.parameters(), lr=0.1)).done  # noqa: B018
    with pytest.raises(ValueError, match="smoothing"):
        AdaScale(torch.optim.SGD(model.parameters(), lr=0.1),
                 num_gradients_to_accumulate=2, smoothing=1.5)


# --- training loops that must not change the gain (lr = 0: the gain is exact) ------

def _mlp_reference(steps, n_grads):
    model, X, y = worker.model_and_data()
    params = list(model.parameters())
    return _paper_gains([(_sample_grads(model, params, X, y, step, range(n_grads)),
                          float(n_grads)) for step in range(steps)])


def _frozen_sgd(params):
    return torch.optim.SGD(params, lr=0.0, momentum=0.9)


@pytest.mark.parametrize("max_norm", [None, 0.5, 0.01])
def test_clipping_between_backward_and_step_keeps_the_gain(max_norm):
    model, X, y = worker.model_and_data()
    opt = AdaScale(_frozen_sgd(model.parameters()), num_gradients_to_accumulate=4)
    for step in range(6):
        _accumulate(model, X, y, step, range(4), 4)
        if max_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        opt.step()
        opt.zero_grad()
    reference = _mlp_reference(6, 4)
    assert max(reference) < 3.0  # well below S = 4, where clipping pushed it
    np.testing.assert_allclose(opt.gain_history, reference, rtol=1e-9)


def test_autograd_grad_and_discarded_passes_are_not_samples():
    model, X, y = worker.model_and_data()
    sgd = _frozen_sgd(model.parameters())
    opt = AdaScale(sgd, num_gradients_to_accumulate=3)
    params = list(model.parameters())
    for step in range(6):
        if step in (2, 4):  # a cycle thrown away, zeroed in place
            _accumulate(model, X, y, step + 100, range(3), 3)
            sgd.zero_grad(set_to_none=False)
        for k in range(3):
            xb, yb = worker.batch(X, y, step, k)
            loss = torch.nn.functional.mse_loss(model(xb), yb) / 3
            torch.autograd.grad(loss, params, retain_graph=True)  # e.g. a log
            loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=step % 2 == 0)
    np.testing.assert_allclose(opt.gain_history, _mlp_reference(6, 3), rtol=1e-9)
    # a pass too many is an error, not a sample
    _accumulate(model, X, y, 0, range(4), 3)
    with pytest.raises(RuntimeError, match="expects 3 backward pass.*counted 4"):
        opt.step()


def test_parameters_that_become_trainable_later_are_counted():
    model = worker.TwoParts()
    X, y = worker.model_and_data()[1:]
    model.trunk[0].requires_grad_(False)
    sgd = _frozen_sgd(model.trunk.parameters())
    opt = AdaScale(sgd, num_gradients_to_accumulate=3)
    counted = []
    for step in range(7):
        if step == 2:
            model.trunk[0].requires_grad_(True)  # unfrozen after wrapping
        if step == 4:
            opt.add_param_group({"params": model.aux.parameters()})
        if step == 5:  # added to the wrapped optimizer: seen at the next pass
            sgd.add_param_group({"params": [model.extra]})
        counted.append([p for g in sgd.param_groups for p in g["params"]
                        if p.requires_grad])
        _accumulate(model, X, y, step, range(3), 3)
        opt.step()
        model.zero_grad()
    ref_model = worker.TwoParts()  # the same weights (lr = 0), all trainable
    same = dict(zip(map(id, model.parameters()), ref_model.parameters(), strict=True))
    reference = _paper_gains([
        (_sample_grads(ref_model, [same[id(p)] for p in params], X, y, step,
                       range(3)), 3.0) for step, params in enumerate(counted)])
    np.testing.assert_allclose(opt.gain_history, reference, rtol=1e-9)
    # a parameter never trainable before, unfrozen between two micro-batches
    # of a step: its samples are unknown, no silent guess
    model = worker.TwoParts()
    model.trunk[0].requires_grad_(False)
    opt = AdaScale(_frozen_sgd(model.trunk.parameters()), num_gradients_to_accumulate=3)
    _accumulate(model, X, y, 0, [0], 3)
    model.trunk[0].requires_grad_(True)
    _accumulate(model, X, y, 0, [1, 2], 3)
    with pytest.raises(RuntimeError, match="became trainable in the middle"):
        opt.step()


def test_restart_at_another_scale_keeps_its_own_configuration():
    model, X, y = worker.model_and_data()
    opt = AdaScale(_frozen_sgd(model.parameters()), num_gradients_to_accumulate=4)
    for step in range(4):
        _accumulate(model, X, y, step, range(4), 4)
        opt.step()
        opt.zero_grad()
    saved = opt.state_dict()
    model2, _, _ = worker.model_and_data()
    opt2 = AdaScale(_frozen_sgd(model2.parameters()), num_gradients_to_accumulate=8)
    with pytest.warns(UserWarning, match="taken at scale 4 .* goes on at scale 8"):
        opt2.load_state_dict(saved)
    assert (opt2.scale, opt2.num_gradients_to_accumulate) == (8.0, 8)
    assert opt2.smoothing == pytest.approx(0.992) and opt2.tau == opt.tau
    for step in range(4, 8):
        _accumulate(model2, X, y, step, range(8), 8)
        opt2.step()
        opt2.zero_grad()
    params = list(worker.model_and_data()[0].parameters())
    ref = worker.model_and_data()[0]
    params = list(ref.parameters())
    reference = _paper_gains(
        [(_sample_grads(ref, params, X, y, step, range(4)), 4.0) for step in range(4)]
        + [(_sample_grads(ref, params, X, y, step, range(8)), 8.0)
           for step in range(4, 8)])
    np.testing.assert_allclose(opt2.gain_history, reference, rtol=1e-9)


def test_two_processes_training_loops(ddp_runs):
    gains = [r["gains"] for r in ddp_runs["loops:1"]]
    assert gains[0] == gains[1]
    model = worker.TwoParts()
    X, y = worker.model_and_data()[1:]
    trunk = list(model.trunk.parameters())
    reference = _paper_gains([
        (_sample_grads(model, trunk + ([model.extra] if step >= 3 else []), X, y,
                       step, range(2)), 2.0) for step in range(worker.N_STEPS)])
    np.testing.assert_allclose(gains[0], reference, rtol=1e-9)


def test_sharded_parameters_are_refused_at_construction(ddp_runs):
    for result in ddp_runs["sharded:1"]:
        assert len(result["errors"]) == 3  # FSDP1, FSDP1 use_orig_params, FSDP2
        assert all("does not support sharded parameters" in e
                   for e in result["errors"])


# --- the torch.optim.Optimizer interface ------------------------------------------

def _train_with_step_lr(step_fn_of, steps=8, hooks=False):
    model, X, y = worker.model_and_data()
    opt = AdaScale(torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
                   num_gradients_to_accumulate=2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    calls = []
    if hooks:
        opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o)))
        opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o)))
    step_fn, frames, rates = step_fn_of(opt), [], []
    for step in range(steps):
        _accumulate(model, X, y, step, range(2), 2)
        step_fn()
        sched.step()
        opt.zero_grad()
        frames.append(torch._dynamo.utils.counters["frames"]["ok"])
        rates.append(opt.param_groups[0]["lr"])
    return model, opt, calls, frames, rates


def test_is_a_torch_optimizer_with_schedulers_and_hooks():
    model, opt, calls, _, rates = _train_with_step_lr(lambda o: o.step, hooks=True)
    assert isinstance(opt, torch.optim.Optimizer)
    assert calls == [("pre", opt), ("post", opt)] * 8
    # StepLR on AdaScale sets the S = 1 rate; AdaScale multiplies it in step()
    assert rates == pytest.approx([0.05 * 0.5 ** ((s + 1) // 3) for s in range(8)])
    assert opt.param_groups is opt.optimizer.param_groups
    assert opt.state is opt.optimizer.state
    assert 1.0 < max(opt.gain_history) <= 2.0


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit, inside dynamo
def test_torch_compile_of_the_step_does_not_recompile_every_step():
    eager_model, eager, _, _, _ = _train_with_step_lr(lambda o: o.step)
    torch._dynamo.reset()
    model, opt, _, frames, _ = _train_with_step_lr(
        lambda o: torch.compile(o.step, backend="eager"))
    # step 0 compiles, step 1 once more (the momentum buffers appear); the
    # gain and the scheduler's rate change every step, nothing compiles
    assert frames[2:] == [frames[1]] * (len(frames) - 2)
    np.testing.assert_allclose(opt.gain_history, eager.gain_history, rtol=1e-12)
    for a, b in zip(model.parameters(), eager_model.parameters(), strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(),
                                   rtol=1e-12, atol=1e-15)


# --- Adam and AdamW: AdamScale (preconditioned statistics, rate x sqrt(r)) ---------

@pytest.mark.parametrize("make, coupled", [
    (lambda ps: torch.optim.AdamW(ps, lr=0.0, weight_decay=0.05), 0.0),
    (lambda ps: torch.optim.Adam(ps, lr=0.0, weight_decay=1e-2), 1e-2)])
def test_adam_gains_from_preconditioned_samples(make, coupled):
    model, X, y = worker.model_and_data()
    inner = make(model.parameters())
    opt = AdaScale(inner, num_gradients_to_accumulate=4)
    rates = []
    inner.register_step_pre_hook(
        lambda o, args, kwargs: rates.append(o.param_groups[0]["lr"]))
    for step in range(6):
        _accumulate(model, X, y, step, range(4), 4)
        opt.step()
        opt.zero_grad()
    # the reference: Adam's second moments written out, lr = 0 keeps w fixed
    beta2, eps = 0.999, 1e-8
    ref_model = worker.model_and_data()[0]
    params = list(ref_model.parameters())
    w = torch.cat([p.detach().ravel() for p in params]).numpy()
    v, steps = np.zeros_like(w), []
    for step in range(6):
        G = _sample_grads(ref_model, params, X, y, step, range(4)) + coupled * w
        D = 1.0 if step == 0 else np.sqrt(v) / np.sqrt(1 - beta2 ** step) + eps
        steps.append((G / D, 4.0))
        v = beta2 * v + (1 - beta2) * G.mean(axis=0) ** 2
    reference = _paper_gains(steps)
    assert max(reference) > 1.3  # the statistics are live
    np.testing.assert_allclose(opt.gain_history, reference, rtol=1e-8)
    assert opt.tau == pytest.approx(sum(reference))  # tau grows by r
    assert rates == [0.0] * 6  # lr = 0 stays 0 ...
    opt.param_groups[0]["lr"] = 1e-3  # ... and a rate grows by sqrt(r)
    _accumulate(model, X, y, 6, range(4), 4)
    r = opt.gain()
    opt.step()
    assert rates[-1] == pytest.approx(1e-3 * math.sqrt(r), rel=1e-15)
    assert opt.param_groups[0]["lr"] == 1e-3


def test_grad_scaler_unscale_and_clip_keep_the_gain():
    model, X, y = worker.model_and_data()
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10, growth_interval=2)
    opt = AdaScale(_frozen_sgd(model.parameters()), num_gradients_to_accumulate=4,
                   grad_scaler=scaler)
    for step in range(6):
        for k in range(4):
            xb, yb = worker.batch(X, y, step, k)
            scaler.scale(torch.nn.functional.mse_loss(model(xb), yb) / 4).backward()
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.01)
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
    assert scaler.get_scale() > 2.0 ** 10
    np.testing.assert_allclose(opt.gain_history, _mlp_reference(6, 4), rtol=1e-9)
