# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The gradient norms AdaScale needs, taken by hooks during the backward passes.

One optimizer step averages ``K`` gradient samples (backward passes of
micro-batches, on every worker).  The gain estimator needs

- ``sum_k ||g_k||^2``, the squared norms of the samples, and
- ``||g_bar||^2``, the squared norm of their mean (what DDP leaves in
  ``.grad`` after the last micro-batch),

both over the parameters of one optimizer only.  Both are taken during the
backward passes, so that whatever the training loop does to ``.grad`` between
the last backward and the step (gradient clipping, ``GradScaler.unscale_``)
leaves the statistics alone: they describe the gradients, not the update.

Per parameter that requires a gradient:

- a tensor hook takes the norm of one pass's gradient, before it is added to
  ``.grad``, and keeps it as *pending*;
- a post-accumulate-grad hook commits the pending norm when the pass really
  adds into ``.grad``.  ``torch.autograd.grad`` calls (gradient penalties,
  per-sample diagnostics) fire the first hook but not the second, so they are
  not counted as samples;
- a parameter whose ``.grad`` was set to None or changed in place between
  two backward passes (``zero_grad(set_to_none=False)`` of a discarded step)
  starts a new count; what DDP writes into ``.grad`` during a backward pass
  does not count as a change.

At the end of every ``backward()`` (an autograd-engine callback queued from
another callback, so that it runs after DDP's own, which writes the averaged
gradient into ``.grad``) the mean gradient's squared norm is taken once the
pass count reaches the number of micro-batches, and parameters that became
trainable since the last look (unfrozen, or added with ``add_param_group``)
are hooked; in the pass where they first have a gradient their ``.grad`` is
that pass's gradient, so they are counted from that step on.
"""

import torch

_ENGINE = torch.autograd.Variable._execution_engine


def _dense(grad):
    """A tensor with the norm of ``grad`` (the values of a sparse gradient)."""
    return grad.coalesce().values() if grad.is_sparse else grad


def _norm(grad, denominator):
    """``||grad / denominator||`` (no division when ``denominator`` is None)."""
    if denominator is None:
        return torch.linalg.vector_norm(_dense(grad))
    return torch.linalg.vector_norm(grad / denominator)


def sum_of_squares(tensors, device):
    """``sum_t ||t||^2`` in float64, one fused norm per device and dtype."""
    if not tensors:
        return torch.zeros((), dtype=torch.float64, device=device)
    groups = {}
    for t in tensors:
        groups.setdefault((t.device, t.dtype), []).append(t)
    total = torch.zeros((), dtype=torch.float64, device=device)
    for group in groups.values():
        norms = torch.stack(torch._foreach_norm(group)).to(device, torch.float64)
        total = total + norms.square().sum()
    return total


class GradientStatistics:
    """Per-step squared gradient norms of the parameters of some groups.

    Parameters
    ----------
    param_groups : callable
        Returns the optimizer's parameter groups (called at every look, so
        that groups added or reloaded later are seen).
    decay : callable
        ``group -> lambda``, the coefficient of a penalty ``lambda / 2 ||w||^2``
        whose gradient ``lambda w`` the optimizer adds to every sample (0 when
        none, or when the decay is decoupled from the gradient).
    precondition : callable or None, default=None
        ``param -> tensor or None``: divide that parameter's gradients (and
        the penalty's) by this tensor before taking norms (Adam's
        ``sqrt(v_hat) + eps``); None: no preconditioning.
    """

    def __init__(self, param_groups, decay, precondition=None):
        self._groups = param_groups
        self.decay = decay
        self.precondition = precondition or (lambda param: None)
        self.accumulate = 1  # backward passes per step on this worker
        self._params, self._index, self._handles = [], {}, []
        self._norms, self._pending, self._marks = [], [], []
        self._frozen, self._n_seen = [], 0
        self._open = False
        self._touched = []  # parameters that took a gradient in this pass
        self.snapshot = None  # float64 [sum ||g||^2, sum lam g.w, sum lam^2 ||w||^2]
        self.error = None
        self.sync()

    # -- which parameters ----------------------------------------------------

    @property
    def param_groups(self):
        return self._groups()

    def _all_params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def sync(self):
        """Hook the parameters of the groups that require a gradient."""
        added = []
        params = self._all_params()
        for p in params:
            if id(p) not in self._index and p.requires_grad:
                added.append(self._add(p))
        self._frozen = [p for p in params if id(p) not in self._index]
        self._n_seen = len(params)
        return added

    def _add(self, p):
        k = len(self._params)
        self._params.append(p)
        self._index[id(p)] = k
        self._norms.append([])
        self._pending.append(None)
        self._marks.append(None)
        self._handles.append(p.register_hook(self._pre_hook(k, p)))
        self._handles.append(p.register_post_accumulate_grad_hook(self._post_hook(k)))
        return k

    @property
    def n_params(self):
        """Parameters hooked (trainable now or earlier)."""
        return len(self._params)

    # -- the hooks -------------------------------------------------------------

    def _pre_hook(self, k, param):
        norms, pending, marks = self._norms[k], self._pending, self._marks
        precondition = self.precondition

        def hook(grad):
            current = param.grad
            if current is None or (id(current), current._version) != marks[k]:
                norms.clear()  # zeroed, set to None or changed since the last pass
            pending[k] = _norm(grad, precondition(param))

        return hook

    def _post_hook(self, k):
        norms, pending = self._norms[k], self._pending

        def hook(param):
            norm = pending[k]
            pending[k] = None
            if norm is None:  # hooked during this very pass
                norm = _norm(param.grad, self.precondition(param))
            norms.append(norm)
            self._touched.append(k)
            if not self._open:
                self._open = True
                _ENGINE.queue_callback(self._queue_end_of_pass)

        return hook

    def _queue_end_of_pass(self):
        # queued from a callback, it runs after every callback queued during
        # the backward pass, DDP's (which averages .grad) included
        _ENGINE.queue_callback(self._end_of_pass)

    def _end_of_pass(self):
        self._open = False
        # what .grad is now, after DDP wrote the average into it: a change
        # before the next pass is the training loop's (a discarded step)
        for k in self._touched:
            g = self._params[k].grad
            self._marks[k] = None if g is None else (id(g), g._version)
        self._touched = []
        if (any(p.requires_grad for p in self._frozen)
                or self._n_seen != sum(len(g["params"]) for g in self.param_groups)):
            self._adopt_new_parameters()
        if self.passes() >= self.accumulate:
            self.snapshot = self._mean_pieces()

    def _adopt_new_parameters(self):
        first_pass = self.passes() <= 1
        for k in self.sync():
            p = self._params[k]
            if p.grad is None:
                continue
            if first_pass:  # .grad is this pass's gradient
                self._norms[k].append(_norm(p.grad, self.precondition(p)))
                self._marks[k] = (id(p.grad), p.grad._version)
            else:
                self.error = (
                    f"a parameter of shape {tuple(p.shape)} became trainable in the "
                    "middle of an accumulation cycle, so its gradient samples are "
                    "unknown; unfreeze parameters (or add parameter groups) between "
                    "steps."
                )

    @torch.no_grad()
    def _mean_pieces(self):
        """``||g_bar||^2`` and the penalty terms, from ``.grad`` as it is now."""
        grads = []
        device = self._params[0].device
        dots = torch.zeros(2, dtype=torch.float64, device=device)
        for group in self.param_groups:
            lam = self.decay(group)
            for p in group["params"]:
                if p.grad is None or id(p) not in self._index:
                    continue
                g = p.grad.to_dense() if p.grad.is_sparse else p.grad
                w = p.detach()
                denominator = self.precondition(p)
                if denominator is not None:
                    g, w = g / denominator, w / denominator
                grads.append(g)
                if lam:
                    gd = g.reshape(-1).to(device, torch.float64)
                    w = w.reshape(-1).to(device, torch.float64)
                    dots += torch.stack([lam * torch.dot(gd, w),
                                         lam * lam * torch.dot(w, w)])
        return torch.cat([sum_of_squares(grads, device).reshape(1), dots])

    # -- what a step reads ---------------------------------------------------

    def passes(self):
        """Backward passes counted since the last step (most of any parameter)."""
        return max(map(len, self._norms), default=0)

    def local_sum_sq(self, device):
        """``sum_k ||g_k||^2`` of this worker's passes since the last step."""
        norms = [n for per_param in self._norms for n in per_param]
        if not norms:
            return torch.zeros((), dtype=torch.float64, device=device)
        return torch.stack([n.to(device) for n in norms]).to(
            torch.float64).square().sum()

    def clear(self):
        """Forget the passes since the last step."""
        for norms in self._norms:
            norms.clear()
        for k in range(len(self._pending)):
            self._pending[k] = None
        self._touched = []
        self.snapshot = None
        self.error = None

    def remove(self):
        """Detach the hooks."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
