# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""AdaScale wrapper around torch.optim.SGD (one process or DDP)."""

import math
import warnings
from datetime import timedelta

import torch
import torch.distributed as dist

from .._adascale import GainEstimator
from ._stats import GradientStatistics

# optimizers whose rate AdamScale's rule scales (torch's AdamW is an Adam)
_ADAPTIVE = (torch.optim.Adam, torch.optim.AdamW)


def _refuse_sharded(optimizer, ddp_model):
    """FSDP (1 and 2) shard parameters and gradients: refuse them clearly."""
    if ddp_model is not None and not isinstance(
            ddp_model, torch.nn.parallel.DistributedDataParallel):
        raise TypeError(
            "AdaScale: ddp_model must be a torch.nn.parallel.DistributedDataParallel; "
            f"got {type(ddp_model).__name__}."
        )
    dtensor = None
    if dist.is_available():
        try:
            from torch.distributed.tensor import DTensor as dtensor
        except ImportError:  # pragma: no cover - older torch
            dtensor = None
    for group in optimizer.param_groups:
        for p in group["params"]:
            sharded = (getattr(p, "_is_flat_param", False)
                       or getattr(p, "_fsdp_flattened", False)
                       or (dtensor is not None and isinstance(p, dtensor)))
            if sharded:
                raise NotImplementedError(
                    "AdaScale does not support sharded parameters (FSDP's "
                    "FullyShardedDataParallel or fully_shard, DTensor): each worker "
                    "holds only a shard of the averaged gradient and FSDP writes "
                    "the gradients without the backward hooks AdaScale reads the "
                    "per-worker norms from. Use DistributedDataParallel."
                )


class AdaScale(torch.optim.Optimizer):
    """Scale ``torch.optim.SGD`` (or Adam/AdamW) to ``S`` times its batch.

    Each optimizer step averages ``K = world_size * num_gradients_to_accumulate``
    gradient samples (one per worker and micro-batch), each of the ``S = 1``
    recipe's batch size.  From their squared norms AdaScale estimates the
    variance ``sigma^2`` of one batch gradient and ``mu^2 = ||grad F||^2``,
    and the step uses the learning rate ``r * lr`` with the gain

    .. math::

        r = \\frac{\\sigma^2 + \\mu^2}{\\sigma^2 / S + \\mu^2} \\in [1, S].

    ``tau``, the number of ``S = 1`` iterations done, grows by ``r`` per
    step: drive the ``S = 1`` schedule with it (``scheduler``) and stop once
    ``tau`` reaches the ``S = 1`` budget (``budget`` / :attr:`done`).

    The estimator is the one of :class:`blitzlearn.AdaScaleSGDClassifier`:
    debiased moving averages with factor ``theta = max(1 - S / 1000, 0)``
    unless ``smoothing`` is given, each step's estimates clipped (``sigma^2
    >= 1e-6``, ``mu^2 >= 0``), ``r`` computed from the steps before the
    current one (so ``r = 1`` on the first step) and clipped to ``[1, S]``,
    one gain for all parameter groups.  A group's ``weight_decay`` ``lambda``
    counts as part of every sample's gradient (``g_k + lambda w``), as the
    penalty of the training objective (not AdamW's decoupled decay).

    The norms are taken by hooks during the backward passes, over this
    optimizer's parameters only: what the loop does to ``.grad`` between the
    last backward and :meth:`step` (``clip_grad_norm_``, ``unscale_``) does
    not change the gain; ``torch.autograd.grad`` calls are not samples; a
    ``.grad`` zeroed between passes starts the step's count again;
    parameters unfrozen or added later count from their first gradient.
    Each step needs exactly ``num_gradients_to_accumulate`` backward passes
    (else ``RuntimeError``).  Sharded parameters (FSDP 1 and 2) are refused.

    With ``torch.optim.Adam`` or ``AdamW`` the rule is AdaptDL's AdamScale
    (Qiao et al., OSDI 2021): the samples are divided by Adam's
    preconditioner ``sqrt(v_hat) + eps`` before their norms are taken, the
    rate is ``sqrt(r) * lr`` and ``tau`` still grows by ``r``.

    It is a ``torch.optim.Optimizer`` sharing the wrapped optimizer's
    ``param_groups`` and ``state``: schedulers, step hooks, ``GradScaler``
    and ``torch.compile(opt.step)`` (the statistics run eagerly; SGD's rate
    reaches the compiled update as a tensor, so it does not recompile) work
    on it.

    Parameters
    ----------
    optimizer : torch.optim.SGD, torch.optim.Adam or torch.optim.AdamW
        The wrapped optimizer (momentum, weight decay and several parameter
        groups allowed).  Its ``lr`` is the ``S = 1`` rate; :meth:`step`
        multiplies it by the gain (``sqrt`` of it for Adam) only for the
        duration of the update.
    scale : float or None, default=None
        ``S``; None means ``K``.
    smoothing : float or None, default=None
        ``theta`` in ``[0, 1)``; None means ``max(1 - S / 1000, 0)``.
    num_gradients_to_accumulate : int, default=1
        Backward passes (micro-batches) per step and per worker.  Divide each
        micro-batch's loss by this number, and under DDP run all but the last
        micro-batch inside ``model.no_sync()``.
    process_group : ProcessGroup or None, default=None
        The data-parallel group; None means the default group when
        ``torch.distributed`` is initialised, else a single process.
    grad_scaler : torch.amp.GradScaler or None, default=None
        The AMP scaler of the run, so that the statistics are taken on
        unscaled gradients.  Call ``scaler.step(adascale)``.
    scheduler : torch.optim.lr_scheduler.LRScheduler or None, default=None
        A scheduler of the wrapped optimizer written in ``S = 1`` iterations;
        :meth:`step` advances it so that it stands at ``floor(tau)``.
    budget : float or None, default=None
        ``S = 1`` iterations of the recipe (``T_SI``); :attr:`done` is True
        once ``tau >= budget``.
    ddp_model : DistributedDataParallel or None, default=None
        The DDP-wrapped model.  AdaScale then registers a communication hook
        on it that carries the workers' sums of squared gradient norms in
        the gradients' own all-reduce (one collective per step instead of
        two).  Without it (or with a communication hook of your own) the
        statistics take a separate all-reduce.
    timeout : datetime.timedelta, default=5 minutes
        Longest wait for the all-reduce of the statistics before a
        ``RuntimeError`` (a worker that died or hangs).

    Attributes
    ----------
    tau : float
        Scale-invariant iterations done.
    steps : int
        Optimizer steps taken.
    skipped_steps : int
        Steps whose statistics were not finite (estimator not updated).
    gain_history : list of float
        Gain used at every step.

    Examples
    --------
    >>> import torch
    >>> from blitzlearn.torch import AdaScale
    >>> model = torch.nn.Linear(3, 1)
    >>> sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> opt = AdaScale(sgd, num_gradients_to_accumulate=4)
    >>> x, y = torch.randn(64, 3), torch.randn(64, 1)
    >>> for micro in range(4):
    ...     loss = torch.nn.functional.mse_loss(model(x[16 * micro:16 * (micro + 1)]),
    ...                                         y[16 * micro:16 * (micro + 1)])
    ...     (loss / 4).backward()
    >>> opt.step()
    >>> opt.zero_grad()
    >>> opt.scale, opt.steps, opt.tau  # r = 1 on the first step
    (4.0, 1, 1.0)
    """

    def __init__(self, optimizer, *, scale=None, smoothing=None,
                 num_gradients_to_accumulate=1, process_group=None,
                 grad_scaler=None, scheduler=None, budget=None,
                 ddp_model=None, timeout=timedelta(minutes=5)):
        if not isinstance(optimizer, (torch.optim.SGD, *_ADAPTIVE)):
            raise TypeError(
                "AdaScale wraps a torch.optim.SGD, Adam or AdamW (AdaScale is "
                "defined for SGD with momentum, AdamScale for Adam); got "
                f"{type(optimizer).__name__}."
            )
        _refuse_sharded(optimizer, ddp_model)
        # torch.optim.Optimizer's own machinery (step hooks, profiling,
        # schedulers' checks), then the wrapped optimizer's groups and state,
        # shared: what a scheduler or GradScaler does to one it does to both
        self._initialising = True
        super().__init__([dict(group) for group in optimizer.param_groups],
                         optimizer.defaults)
        self._initialising = False
        self.optimizer = optimizer
        self.process_group = process_group
        if process_group is None and dist.is_available() and dist.is_initialized():
            self.process_group = dist.group.WORLD
        self.world_size = (dist.get_world_size(self.process_group)
                           if self.process_group is not None else 1)
        self.grad_scaler = grad_scaler
        self.scheduler = scheduler
        self.budget = None if budget is None else float(budget)
        self.timeout = timeout
        self.tau = 0.0
        self.steps = 0
        self.skipped_steps = 0
        self.gain_history = []
        self._estimator = GainEstimator(1.0)
        self._fixed_smoothing = None
        self.adaptive = isinstance(optimizer, _ADAPTIVE)
        self._group_of = {}
        self._stats = GradientStatistics(
            lambda: self.param_groups, self._coupled_decay,
            self._adam_denominator if self.adaptive else None)
        self._reduced = None  # the all-reduced sum, when the DDP hook made it
        self._lr_tensors = []  # the rates of a step, as tensors (torch.compile)
        self._base_lrs = []
        self._step_gain = 1.0
        try:
            if not self._stats.n_params:
                raise ValueError(
                    "AdaScale: the optimizer has no trainable parameter (at least "
                    "one must require a gradient when AdaScale is built; others "
                    "may be unfrozen later)."
                )
            self.set_scale(scale, num_gradients_to_accumulate, smoothing)
            if ddp_model is not None:
                if self.process_group is None:
                    raise ValueError(
                        "AdaScale: ddp_model needs torch.distributed to be "
                        "initialised."
                    )
                ddp_model.register_comm_hook(None, self._comm_hook)
        except BaseException:
            self._stats.remove()  # no hooks left behind on the parameters
            raise

    # -- configuration -----------------------------------------------------

    def set_scale(self, scale=None, num_gradients_to_accumulate=None,
                  smoothing=None):
        """Change ``S`` and/or the accumulation (elastic training).

        The estimate of ``sigma^2`` is per base batch, so it is kept as it is;
        only the gain formula (and the default smoothing) follow the new
        ``S``.

        Parameters
        ----------
        scale : float or None, default=None
            The new ``S``; None means the new ``K``.
        num_gradients_to_accumulate : int or None, default=None
            The new number of micro-batches per step and worker; None keeps
            it.
        smoothing : float or None, default=None
            The new ``theta`` in ``[0, 1)``; None keeps the one given
            before, or else the default ``max(1 - S / 1000, 0)`` of the new
            ``S``.
        """
        if num_gradients_to_accumulate is not None:
            n = int(num_gradients_to_accumulate)
            if n < 1 or n != num_gradients_to_accumulate:
                raise ValueError(
                    "num_gradients_to_accumulate must be a positive integer; got "
                    f"{num_gradients_to_accumulate!r}."
                )
            self.num_gradients_to_accumulate = n
        n_grads = self.world_size * self.num_gradients_to_accumulate
        scale = float(n_grads if scale is None else scale)
        if scale > 1 and n_grads < 2:
            raise ValueError(
                f"AdaScale at scale {scale:g} needs at least 2 gradient samples per "
                "step to estimate the gain: run several workers or accumulate "
                "several micro-batches (num_gradients_to_accumulate)."
            )
        if smoothing is not None:
            self._fixed_smoothing = smoothing
        self._estimator.set_scale(scale, self._fixed_smoothing)
        self._stats.accumulate = self.num_gradients_to_accumulate

    @property
    def scale(self):
        """``S``."""
        return self._estimator.scale

    @property
    def smoothing(self):
        """``theta`` of the moving averages."""
        return self._estimator.smoothing

    @property
    def n_gradients(self):
        """``K``: gradient samples per step (workers x micro-batches)."""
        return self.world_size * self.num_gradients_to_accumulate

    # the wrapped optimizer's groups, state and defaults, shared: what a
    # scheduler or a GradScaler does to one it does to the other, also after
    # the wrapped optimizer's load_state_dict replaced them
    def _shared(name):
        def get(self):
            inner = self.__dict__.get("optimizer")
            return self.__dict__["_" + name] if inner is None else getattr(inner, name)

        def set_(self, value):
            inner = self.__dict__.get("optimizer")
            if inner is None:
                self.__dict__["_" + name] = value
            else:
                setattr(inner, name, value)

        return property(get, set_, doc=f"The wrapped optimizer's ``{name}``.")

    param_groups = _shared("param_groups")
    state = _shared("state")
    defaults = _shared("defaults")
    del _shared

    @property
    def done(self):
        """True once ``tau`` has reached ``budget``."""
        if self.budget is None:
            raise ValueError("AdaScale was built without a budget.")
        return self.tau >= self.budget

    def gain(self):
        """The gain the next :meth:`step` uses (1 before any statistics)."""
        return self._estimator.gain()

    @property
    def sigma2(self):
        """Smoothed variance of one base-batch gradient."""
        return self._estimator.sigma2

    @property
    def mu2(self):
        """Smoothed squared norm of the full gradient."""
        return self._estimator.mu2

    # -- the statistics ---------------------------------------------------

    def _coupled_decay(self, group):
        """``lambda`` of a weight decay that the optimizer adds to the gradient."""
        decoupled = group.get("decoupled_weight_decay",
                              isinstance(self.optimizer, torch.optim.AdamW))
        return 0.0 if self.adaptive and decoupled else group.get("weight_decay", 0.0)

    def _adam_denominator(self, param):
        """Adam's ``sqrt(v_hat) + eps`` of ``param`` (None before its first step)."""
        state = self.optimizer.state.get(param)
        if not state or "exp_avg_sq" not in state:
            return None
        group = self._group_of.get(id(param))
        if group is None:
            self._group_of = {id(p): g for g in self.param_groups for p in g["params"]}
            group = self._group_of[id(param)]
        v = state["max_exp_avg_sq"] if group.get("amsgrad") else state["exp_avg_sq"]
        correction = math.sqrt(1.0 - group["betas"][1] ** float(state["step"]))
        return (v.sqrt() / correction).add_(group["eps"])

    def _comm_hook(self, state, bucket):
        """DDP's bucket all-reduce (mean), carrying the statistics on the last."""
        buf = bucket.buffer()
        buf.div_(self.world_size)
        group = self.process_group
        if not bucket.is_last() or buf.dtype not in (torch.float32, torch.float64):
            fut = dist.all_reduce(buf, group=group, async_op=True).get_future()
            return fut.then(lambda f: f.value()[0])
        # every parameter is ready once the last bucket is: this worker's
        # sum (over this optimizer's parameters only) is complete; it travels,
        # not divided, after the gradients
        local = self._stats.local_sum_sq(buf.device).to(buf.dtype).reshape(1)
        packed = torch.cat([buf, local])
        fut = dist.all_reduce(packed, group=group, async_op=True).get_future()

        def unpack(f):
            out = f.value()[0]
            self._reduced = out[-1:].to(torch.float64)
            buf.copy_(out[:-1])
            return buf

        return fut.then(unpack)

    def _start_all_reduce(self, tensor):
        if self.process_group is None:
            return None
        try:
            return dist.all_reduce(tensor, group=self.process_group, async_op=True)
        except Exception as exc:  # noqa: BLE001 - re-raised with context
            self._all_reduce_failed(exc)

    def _finish_all_reduce(self, work):
        if work is None:
            return
        try:
            work.wait(timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001 - re-raised with context
            self._all_reduce_failed(exc)

    def _all_reduce_failed(self, exc):
        raise RuntimeError(
            "AdaScale: the all-reduce of the gradient statistics across "
            f"{self.world_size} workers failed or timed out (timeout "
            f"{self.timeout}); a worker may have died. Original error: {exc}"
        ) from exc

    def _check_passes(self):
        stats = self._stats
        if stats.error is not None:
            raise RuntimeError(f"AdaScale: {stats.error}")
        passes, wanted = stats.passes(), self.num_gradients_to_accumulate
        if passes != wanted:
            raise RuntimeError(
                f"AdaScale expects {wanted} backward pass(es) per step on each "
                f"worker (num_gradients_to_accumulate) and counted {passes} since "
                "the last step. Step after exactly that many loss.backward() calls "
                "(change it with set_scale(num_gradients_to_accumulate=...)); "
                "gradients set without backward (FSDP, or by hand) are not "
                "supported."
            )

    @torch.no_grad()
    def _statistics(self):
        """``(sum_k ||g_k||^2, ||g_bar||^2)`` in the units of unscaled losses.

        Both come from the backward passes (the mean gradient before any
        clipping or unscaling between the last backward and the step).
        """
        device = self._stats._params[0].device
        if self._reduced is not None:  # summed across workers by the DDP hook
            total, work = self._reduced, None
        else:
            total = self._stats.local_sum_sq(device).reshape(1)
            work = self._start_all_reduce(total)
        self._finish_all_reduce(work)
        # .grad held scaled gradients (loss scale s) when the hooks read it:
        # ||g / s + lam w||^2 = ||g||^2 / s^2 + 2 lam g.w / s + lam^2 ||w||^2
        s = 1.0 if self.grad_scaler is None else float(self.grad_scaler.get_scale())
        g2, gw, ww = self._stats.snapshot.to(device)
        penalty = 2.0 * gw / s + ww
        c = self.num_gradients_to_accumulate
        k = float(self.n_gradients)
        sum_sq = total[0] * (c * c / (s * s)) + k * penalty
        mean_sq = g2 / (s * s) + penalty
        values = torch.stack([sum_sq, mean_sq]).tolist()  # one host sync
        return values[0], values[1]

    # -- the optimizer interface -------------------------------------------

    def step(self, closure=None):
        """Update the gain statistics, then step with the rate ``r * lr``.

        The gain used is that of the earlier steps (independent of this
        step's gradients); this step's statistics are folded in afterwards.
        Non-finite statistics skip the estimator update (counted in
        ``skipped_steps``, with a RuntimeWarning).  Under ``torch.compile``
        the statistics run eagerly and the wrapped optimizer's update is
        compiled once: the rates reach it as tensors, whose values change
        without a recompilation.

        Parameters
        ----------
        closure : None
            Not supported (``torch.optim.SGD`` does not need one); anything
            but None raises ``ValueError``.
        """
        if closure is not None:
            raise ValueError("AdaScale.step does not take a closure.")
        self._before_update()
        try:
            self.optimizer.step()
        finally:
            self._after_update()

    @torch.compiler.disable
    @torch.no_grad()
    def _before_update(self):
        r = self.gain()
        if self.n_gradients >= 2:
            self._check_passes()
            sum_sq, mean_sq = self._statistics()
            if not self._estimator.observe(sum_sq, mean_sq, self.n_gradients):
                self.skipped_steps += 1
                warnings.warn(
                    f"AdaScale step {self.steps}: the gradient statistics are not "
                    f"finite (sum of squared norms {sum_sq}, squared norm of the "
                    f"mean {mean_sq}); the gain estimate was not updated.",
                    RuntimeWarning, stacklevel=4,
                )
        groups = self.param_groups
        self._base_lrs = [group["lr"] for group in groups]
        self._step_gain = r
        if self.adaptive:  # AdamScale: the rate grows by sqrt(r)
            for group in groups:
                group["lr"] = group["lr"] * math.sqrt(r)
            return
        while len(self._lr_tensors) < len(groups):
            self._lr_tensors.append(torch.zeros((), dtype=torch.float64))
        for group, rate in zip(groups, self._lr_tensors, strict=False):
            rate.fill_(float(group["lr"]) * r)  # exact: float64 holds the double
            group["lr"] = rate

    @torch.compiler.disable
    def _after_update(self):
        for group, lr in zip(self.param_groups, self._base_lrs, strict=False):
            group["lr"] = lr
        r = self._step_gain
        before = math.floor(self.tau)
        self.tau += r
        self.steps += 1
        self.gain_history.append(r)
        if self.scheduler is not None:
            for _ in range(math.floor(self.tau) - before):
                self.scheduler.step()
        self._clear()

    def _clear(self):
        self._stats.clear()
        self._reduced = None
        self._group_of = {}

    def zero_grad(self, set_to_none=True):
        """Zero the gradients and the per-step statistics.

        Parameters
        ----------
        set_to_none : bool, default=True
            Passed to the wrapped optimizer's ``zero_grad``.
        """
        self.optimizer.zero_grad(set_to_none=set_to_none)
        self._clear()

    def add_param_group(self, param_group):
        """Add a parameter group to the wrapped optimizer (counted from now).

        Parameters
        ----------
        param_group : dict
            As for ``torch.optim.Optimizer.add_param_group``.
        """
        if getattr(self, "_initialising", False):  # torch.optim.Optimizer.__init__
            return super().add_param_group(param_group)
        params = param_group["params"]
        param_group = dict(param_group, params=[params] if isinstance(
            params, torch.Tensor) else list(params))
        _refuse_sharded(_Groups([param_group]), None)
        self.optimizer.add_param_group(param_group)
        self._stats.sync()
        return None

    def state_dict(self):
        """Wrapped optimizer's state plus ``tau`` and the moving averages.

        Only tensors, numbers, strings, lists and dicts: it loads with
        ``torch.load(weights_only=True)``.
        """
        return {
            "optimizer": self.optimizer.state_dict(),
            "adascale": {
                "tau": self.tau, "steps": self.steps,
                "skipped_steps": self.skipped_steps,
                "num_gradients_to_accumulate": self.num_gradients_to_accumulate,
                "smoothing": self._fixed_smoothing,
                "estimator": self._estimator.state_dict(),
                "gain_history": list(self.gain_history),
            },
        }

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned, in this run's configuration.

        The progress (``tau``, steps, gain history), the wrapped optimizer's
        state and the moving averages of ``sigma^2`` and ``mu^2`` carry over,
        as :meth:`set_scale` carries them; this run's scale, accumulation and
        smoothing stay (an elastic restart with other workers or micro-batches
        trains at its own gain).  A scale that differs from the checkpoint's
        is reported with a ``UserWarning``.

        Parameters
        ----------
        state_dict : dict
            A dictionary returned by :meth:`state_dict`.
        """
        self.optimizer.load_state_dict(state_dict["optimizer"])
        own = state_dict["adascale"]
        self.tau = float(own["tau"])
        self.steps = int(own["steps"])
        self.skipped_steps = int(own["skipped_steps"])
        self.gain_history = [float(v) for v in own["gain_history"]]
        scale, smoothing = self.scale, self.smoothing
        self._estimator.load_state_dict(own["estimator"])
        saved = self._estimator.scale
        self._estimator.set_scale(scale, smoothing)
        if saved != scale:
            warnings.warn(
                f"AdaScale: the checkpoint was taken at scale {saved:g} "
                f"({own['num_gradients_to_accumulate']} micro-batches per worker); "
                f"this run goes on at scale {scale:g} "
                f"({self.num_gradients_to_accumulate} per worker, {self.world_size} "
                "workers), with the statistics of the checkpoint.",
                UserWarning, stacklevel=2,
            )
        self._clear()

    def remove_hooks(self):
        """Detach the gradient hooks from the parameters."""
        self._stats.remove()

    def __repr__(self):
        return (f"AdaScale(scale={self.scale:g}, n_gradients={self.n_gradients}, "
                f"tau={self.tau:.1f}, optimizer={self.optimizer!r})")


class _Groups:
    """Parameter groups in the shape ``_refuse_sharded`` reads."""

    def __init__(self, groups):
        self.param_groups = groups
