# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Working-set subproblems solved on the device (the GPU backend).

Written once against the array module ``xp`` of the
:class:`~blitzlearn._backend.DeviceMatrix` (CuPy on a GPU, NumPy/SciPy in
the stand-in of the tests).  Each subproblem minimises a composite function
``F(x) = f(x) + h(x)`` of the working set's variables ``x``, ``f`` smooth and
read through an affine image of ``x`` (the residual, the scores or the SVM's
weight vector: one product with the working set's columns ``X_W``, gathered
on the device once per subproblem), ``h`` separable with a closed-form
proximal operator:

* the L1 models (Lasso, elastic net, penalty weights, ``positive``; the
  logistic loss with its free intercept as one more coordinate):
  ``f`` is the loss plus ``lambda_2/2 ||w||^2``, ``h = lambda sum_j v_j |w_j|``
  (soft thresholding, one-sided with ``positive``);
* the SVM dual (examples as components): ``f = -D`` restricted to the working
  set, ``h`` the indicator of the box ``0 <= alpha_i <= u_i`` (a projection;
  ``alpha_i >= 0`` for the squared hinge).

The solver is FISTA (Beck and Teboulle, 2009) with backtracking on the
Lipschitz constant, which may also decrease (Scheinberg, Goldfarb and Bai,
2014), and adaptive restart (O'Donoghue and Candes, 2015), in the metric
of the columns' squared norms (diagonal preconditioning: each coordinate
moves by coordinate descent's step, divided by the backtracked constant, as
in parallel coordinate descent).  An iteration is two products with ``X_W``
(the gradient ``X_W^T g`` and the image ``X_W x``) and a few vector
operations over the samples: every step is a parallel operation over all
entries, where coordinate descent would run one coordinate after another.
The backtracking test compares a bound on ``f``'s Bregman divergence,
computed from the images' difference (exact for the squared loss and the
SVM dual), with the step's norm: no difference of two values of ``f``, whose
rounding would accept any step near the optimum.  Only scalars (the
backtracking and restart tests) go to the host per iteration; a gap check
brings the working set's ``O(|W|)`` vectors (the SVM's margins) at most.

Every ``CHECK_EVERY`` iterations (and after the last) the subproblem's own
duality gap is evaluated on the device in float64, and the solver stops by
the rule shared with the CPU kernels (:mod:`blitzlearn._kernels._stopping`):
the budget is spent, or the gap is at most ``eps`` times the outer gap and
the lower bound rose enough.  Work is counted in matrix entries, as there.
"""

import math

import numpy as np

from .._kernels._stopping import budget_spent, enough_progress, gap_reached
from .._kernels._svm import margin_segment_minimiser, squared_segment_minimiser

# Iterations between two checks of the subproblem's gap.
CHECK_EVERY = 10

# Doublings of the Lipschitz estimate allowed in one backtracking search.
MAX_DOUBLINGS = 60

# Each iteration first tries the Lipschitz estimate times this factor: the
# local curvature (the logistic loss's, away from the decision boundary) can
# be far below the global bound the backtracking would otherwise keep.
SHRINK = 0.8


def _dot(xp, a, b):
    return float(xp.dot(a, b))


def fista(sub, x0, lip, budget):
    """Minimise ``sub``'s ``f + h`` from ``x0`` by FISTA with restart.

    ``sub`` provides ``image(x)``, ``grad(img, x)`` (of ``f``), ``prox(v,
    step)`` (of ``h``), ``bregman(img_a, img_b, a - b)`` (an upper bound on
    ``f(a) - f(b) - grad(b)^T (a - b)``, computed from the images without the
    cancellation of the difference of two values of ``f``), ``check(x, img)``
    (``(gap, progress, dist2)`` of the subproblem's stopping rule),
    ``gamma``, ``xp``, ``pass_cost`` (the work of one product) and
    ``metric``, positive weights ``D`` of the variables: the steps are taken
    in the norm ``|v|_D^2 = sum_j D_j v_j^2`` (a step ``1 / (L D_j)`` on
    coordinate ``j``, the prox's thresholds alike), which with ``D_j`` the
    squared norm of the variable's column is the diagonal (Jacobi)
    preconditioning that gives each coordinate the step of coordinate
    descent, scaled down by ``L`` to what the coupling of the columns allows.
    ``lip`` is the starting estimate of ``L``, ``f``'s Lipschitz constant in
    that norm; ``budget`` the tuple of
    :func:`~blitzlearn._kernels._stopping.make_budget`.

    Returns ``(x, img, epochs, work, gap, lip)``: the last iterate, its image,
    the iterations, the work, the last gap and the Lipschitz estimate reached.
    """
    xp, metric = sub.xp, sub.metric
    x, img = x0, sub.image(x0)
    y, img_y = x, img
    t = 1.0
    work = sub.pass_cost
    epochs, gap = 0, math.inf
    while epochs < budget[4]:
        g = sub.grad(img_y, y)
        work += sub.pass_cost
        lip_old, lip = lip, lip * SHRINK  # try a longer step first
        for _ in range(MAX_DOUBLINGS):
            steps = 1.0 / (lip * metric)
            x_new = sub.prox(y - steps * g, steps)
            img_new = sub.image(x_new)
            work += sub.pass_cost
            step = x_new - y
            if sub.bregman(img_new, img_y, step) <= 0.5 * lip * _dot(
                    xp, metric * step, step):
                break
            lip *= 2.0
        epochs += 1
        # restart when the momentum points uphill (gradient scheme)
        moved = x_new - x
        if _dot(xp, metric * (y - x_new), moved) > 0.0:
            t_new, beta = 1.0, 0.0
        else:  # the momentum of a step size that may have grown
            t_new = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * (lip / lip_old) * t * t))
            beta = (t - 1.0) / t_new
        x, img_old, img = x_new, img, img_new
        t = t_new
        if beta > 0.0:
            y = x + beta * moved
            img_y = img + beta * (img - img_old)
        else:
            y, img_y = x, img
        if epochs % CHECK_EVERY and not budget_spent(budget, epochs, work):
            continue
        gap, progress, dist2 = sub.check(x, img)
        work += sub.pass_cost
        if budget_spent(budget, epochs, work):
            break
        if gap_reached(budget, work, gap) and enough_progress(
                budget, sub.gamma, progress, dist2):
            break
    return x, img, epochs, work, gap, lip


def soft_threshold(xp, v, level, positive):
    """``argmin_x |x - v|^2 / 2 + level |x|`` (with ``x >= 0`` when ``positive``)."""
    if positive:
        return xp.maximum(v - level, 0.0)
    return xp.sign(v) * xp.maximum(xp.abs(v) - level, 0.0)


def dual_scale(xp, g, v, lam, l2, positive):
    """``(kappa, conj)`` of the products ``g = X_W^T r`` (see ``_kernels._l1``).

    ``kappa = min(1, lam / max_j |g_j| / v_j)`` over the penalised features
    without ``l2`` (the unpenalised ones are left to the exact certificate),
    ``kappa = 1`` and ``conj = sum_j [|g_j| - lam v_j]_+^2 / (2 l2)`` with it.
    """
    a = g if positive else xp.abs(g)
    if l2 > 0.0:
        e = xp.maximum(a - lam * v, 0.0)
        return 1.0, _dot(xp, e, e) / (2.0 * l2)
    scaled = xp.where(v > 0.0, a / xp.where(v > 0.0, v, 1.0), 0.0)
    top = float(scaled.max()) if scaled.size else 0.0
    return (1.0 if top <= lam else lam / top), 0.0


class _L1Working:
    """What the L1 losses' subproblems share: ``X_W``, the penalty, the prox.

    ``cols`` are the working set's columns of ``X`` (``ws`` by default; the
    L1 SVM's synthetic intercept column is not one of them).
    """

    def __init__(self, problem, ws, cols=None):
        dm = problem._dm
        self.xp = xp = dm.backend.xp
        cols = ws if cols is None else cols
        self.B = dm.gather(cols)
        self.m = cols.size
        self.lam, self.l2, self.positive = problem.lam, problem.l2, problem.positive
        self.v = xp.asarray(problem._v[ws], dtype=np.float64)
        self.pass_cost = float(problem.costs[ws].sum()) + problem.n

    def penalty(self, u):
        xp = self.xp
        out = self.lam * _dot(xp, self.v, xp.abs(u))
        if self.l2 > 0.0:
            out += 0.5 * self.l2 * _dot(xp, u, u)
        return out

    def shrink(self, u, step):
        return soft_threshold(self.xp, u, step * self.lam * self.v, self.positive)

    def column_metric(self, sq_norms):
        """The metric ``D_j = |x_j|^2 + lambda_2`` (1 for a null column)."""
        d = self.xp.asarray(sq_norms, dtype=np.float64) + self.l2
        return self.xp.where(d > 0.0, d, 1.0)


class LassoWorkingSet(_L1Working):
    """The Lasso / elastic-net subproblem of a device problem on ``ws``.

    ``x = w_W``; the image is the residual at the optimal intercept, ``r =
    r_0 - X_c (x - x_0)`` with the columns centred along ``d`` implicitly
    (``X_c v = X_W v - d (d_W^T v) / |d|^2``), so ``d^T r = 0`` throughout.
    ``f = |r|^2 / 2 + lambda_2 |x|^2 / 2``; the gap is that of ``kappa r``
    against the working set's constraints, as in the CPU kernel.
    """

    gamma = 1.0

    def __init__(self, problem, ws):
        super().__init__(problem, ws)
        xp = self.xp
        self.fit_intercept = problem.fit_intercept
        self.d = problem._device_vector("d")
        self.y_dual = problem._device_vector("_y_dual")
        self.dd = xp.asarray(problem.d_dots[ws], dtype=np.float64)
        self.inv_dn2 = 1.0 / problem.d_norm2
        self.x0 = xp.asarray(problem.w[ws], dtype=np.float64)
        self.r0 = xp.asarray(problem.r, dtype=np.float64)
        self.metric = self.column_metric(problem.sq_norms[ws])
        self.p_start = 0.5 * _dot(xp, self.r0, self.r0) + self.penalty(self.x0)

    def image(self, x):
        delta = x - self.x0
        out = self.r0 - self.B @ delta
        if self.fit_intercept:
            out = out + (_dot(self.xp, self.dd, delta) * self.inv_dn2) * self.d
        return out

    def _xt(self, r):
        g = self.B.T @ r
        if self.fit_intercept:
            g = g - self.dd * (_dot(self.xp, self.d, r) * self.inv_dn2)
        return g

    def bregman(self, r_a, r_b, step):
        """Exact: ``|r_a - r_b|^2 / 2 + lambda_2 |step|^2 / 2``."""
        diff = r_a - r_b
        value = 0.5 * _dot(self.xp, diff, diff)
        if self.l2 > 0.0:
            value += 0.5 * self.l2 * _dot(self.xp, step, step)
        return value

    def grad(self, r, x):
        g = -self._xt(r)
        return g + self.l2 * x if self.l2 > 0.0 else g

    def prox(self, u, step):
        return self.shrink(u, step)

    def check(self, x, r):
        xp = self.xp
        rr = _dot(xp, r, r)
        primal = 0.5 * rr + self.penalty(x)
        kappa, conj = dual_scale(xp, self._xt(r), self.v, self.lam, self.l2,
                                 self.positive)
        dual = kappa * _dot(xp, self.y_dual, r) - 0.5 * kappa * kappa * rr - conj
        diff = self.r0 - kappa * r
        return primal - dual, self.p_start - primal, _dot(xp, diff, diff)


class LogisticWorkingSet(_L1Working):
    """The L1-logistic subproblem of a device problem on ``ws``.

    ``x = (w_W, e)``: the working set's weights, then (when there is one) the
    weight ``e`` of a constant column of value ``extra``: the free intercept
    ``c`` (``extra = 1``, unpenalised) here, the L1 SVM's synthetic feature
    below.  The image is the scores ``z = z_0 + X_W (w_W - w_0) + extra (e -
    e_0)``.  ``f`` is ``sum_i s_i log(1 + exp(-y_i z_i)) + lambda_2 |w_W|^2 /
    2``; the gap is that of the rescaled, class-balanced residual against the
    working set's constraints, with the dual's entropies evaluated from the
    log-sigmoids (accurate where the probabilities are close to 0 or 1).
    """

    def __init__(self, problem, ws, cols=None, extra=None, start=0.0,
                 penalised=False):
        super().__init__(problem, ws, cols)
        xp = self.xp
        if extra is None and problem.fit_intercept:
            extra, start = 1.0, problem.c
        self.extra, self.n_pen = extra, self.m + (1 if penalised else 0)
        self.gamma = problem.gamma
        self.balance = problem.fit_intercept
        self.y = problem._device_vector("y")
        self.s = problem._device_vector("s")
        self.pos = self.y > 0.0
        real = ws if cols is None else cols
        x0 = problem.w[real] if extra is None else np.append(problem.w[real], start)
        self.x0 = xp.asarray(x0, dtype=np.float64)
        self.z0 = xp.asarray(problem.z, dtype=np.float64)
        # the columns' and the constant column's (|x_j|^2 against extra^2
        # |s|_1: the loss's curvature is at most proportional to s_i)
        self.metric = self.column_metric(problem.sq_norms[real])
        if extra is not None:
            self.metric = xp.concatenate(
                [self.metric, xp.asarray([extra * extra * float(problem.s.sum())])])
        self.r_start = xp.asarray(problem.r, dtype=np.float64)
        self.p_start = problem.loss + self.penalty(self.x0[:self.n_pen])

    def image(self, x):
        m = self.m
        out = self.z0 + self.B @ (x[:m] - self.x0[:m])
        if self.extra is not None:
            out = out + self.extra * (x[m] - self.x0[m])
        return out

    def _margins(self, z):
        return self.y * z

    def _state(self, z):
        """``(r_raw, loss, aux)``: ``s_i y_i sigma(-y_i z_i)``, the loss, and
        the log-sigmoids ``log sigma(-+ m_i)`` for the dual."""
        xp = self.xp
        margins = self._margins(z)
        log_neg = -xp.logaddexp(0.0, margins)  # log sigma(-m)
        log_pos = -xp.logaddexp(0.0, -margins)  # log sigma(m)
        loss = -_dot(xp, self.s, log_pos)
        return self.s * self.y * xp.exp(log_neg), loss, (log_neg, log_pos)

    def _dual_value(self, k, r_raw, aux):
        """``D(theta)`` at ``theta_i = k_i r_raw_i`` (``k`` per sample)."""
        # q_i = k_i sigma(-m_i); s_i H(q_i), H(q) = q log q + (1-q) log(1-q)
        xp = self.xp
        log_neg, log_pos = aux
        q = k * xp.exp(log_neg)
        one_minus = xp.exp(log_pos) + (1.0 - k) * xp.exp(log_neg)
        log_q = xp.where(k > 0.0, xp.log(xp.where(k > 0.0, k, 1.0)) + log_neg, 0.0)
        ent = q * log_q + xp.where(one_minus > 0.0,
                                   one_minus * xp.log(xp.where(one_minus > 0.0,
                                                               one_minus, 1.0)),
                                   0.0)
        return -_dot(xp, self.s, ent)

    def bregman(self, z_a, z_b, step):
        """``sum_i s_i c_i (m_a - m_b)_i^2 / 2`` (plus the L2 part's, exact).

        ``c_i`` is the largest curvature ``sigma(t) sigma(-t)`` of the loss
        on the segment between the two margins: 1/4 where it crosses 0, at
        the end nearer 0 otherwise.
        """
        xp = self.xp
        m_a, m_b = self._margins(z_a), self._margins(z_b)
        near = xp.where(xp.abs(m_a) < xp.abs(m_b), m_a, m_b)
        curv = xp.where(m_a * m_b <= 0.0, 0.25,
                        xp.exp(-xp.logaddexp(0.0, near) - xp.logaddexp(0.0, -near)))
        diff = m_a - m_b
        value = 0.5 * _dot(xp, self.s * curv, diff * diff)
        if self.l2 > 0.0:
            u = step[:self.m]
            value += 0.5 * self.l2 * _dot(xp, u, u)
        return value

    def _xt_pen(self, v):
        """Products of ``v`` with the penalised coordinates' columns."""
        g = self.B.T @ v
        if self.n_pen > self.m:
            g = self.xp.concatenate([g, self.xp.reshape(self.extra * v.sum(), (1,))])
        return g

    def grad(self, z, x):
        xp = self.xp
        r_raw = self._state(z)[0]
        g = -(self.B.T @ r_raw)
        if self.l2 > 0.0:
            g = g + self.l2 * x[:self.m]
        if self.extra is not None:
            g = xp.concatenate([g, xp.reshape(-self.extra * r_raw.sum(), (1,))])
        return g

    def prox(self, u, step):
        n = self.n_pen
        if n == u.size:
            return self.shrink(u, step)
        return self.xp.concatenate([self.shrink(u[:n], step[:n]), u[n:]])

    def check(self, x, z):
        xp = self.xp
        r_raw, loss, aux = self._state(z)
        f_pos = f_neg = 1.0
        if self.balance:  # class factors making sum(r) = 0
            pos = float(r_raw[self.pos].sum())
            neg = -float(r_raw[~self.pos].sum())
            if pos > neg > 0.0:
                f_pos = neg / pos
            elif neg > pos > 0.0:
                f_neg = pos / neg
        factor = xp.where(self.pos, f_pos, f_neg)
        r = factor * r_raw
        primal = loss + self.penalty(x[:self.n_pen])
        kappa, conj = dual_scale(xp, self._xt_pen(r), self.v, self.lam, self.l2,
                                 self.positive)
        dual = self._dual_value(kappa * factor, r_raw, aux) - conj
        diff = self.r_start - kappa * r
        return primal - dual, self.p_start - primal, _dot(xp, diff, diff)


class L1SVMWorkingSet(LogisticWorkingSet):
    """The L1 squared-hinge SVM's subproblem of a device problem on ``ws``.

    As the logistic one, with the loss ``sum_i s_i max(0, 1 - m_i)^2``, its
    residual ``r_i = 2 s_i y_i max(0, 1 - m_i)`` and the dual ``D(theta) =
    sum_i (y_i theta_i - theta_i^2 / (4 s_i))``; the constant column is the
    synthetic intercept feature ``B`` (penalised, when in the working set) or
    the free intercept.  ``ws`` must be sorted (the synthetic component,
    ``n_features``, last).
    """

    def __init__(self, problem, ws):
        p = problem.n_features
        real = ws[ws < p]
        if problem.mode == "penalized" and real.size < ws.size:
            super().__init__(problem, ws, real, extra=problem.bias,
                             start=float(problem.w[p]), penalised=True)
        else:
            super().__init__(problem, ws, real)

    def _state(self, z):
        xp = self.xp
        slack = xp.maximum(1.0 - self._margins(z), 0.0)
        loss = _dot(xp, self.s, slack * slack)
        return 2.0 * self.s * self.y * slack, loss, None

    def _dual_value(self, k, r_raw, aux):
        xp = self.xp
        theta = k * r_raw
        live = self.s > 0.0
        quad = xp.where(live, theta * theta / (4.0 * xp.where(live, self.s, 1.0)),
                        0.0)
        return _dot(xp, self.y, theta) - float(quad.sum())

    def bregman(self, z_a, z_b, step):
        """``sum_i s_i (m_a - m_b)_i^2``: the loss's curvature is at most ``2 s_i``."""
        diff = self._margins(z_a) - self._margins(z_b)
        return _dot(self.xp, self.s, diff * diff)


class SVMWorkingSet:
    """The SVM dual subproblem of a device problem on ``ws`` (sorted).

    ``x = alpha_W``; the image is the weight vector ``w(alpha) = b +
    sum_{i in W} alpha_i y_i x~_i`` (``b`` the fixed examples' part, length
    ``dim + 1``).  ``f = |w|^2 / 2 - sum(alpha_W)`` (plus ``sum alpha_i^2 / (4
    u_i)`` for the squared hinge), ``h`` the box's indicator.  The gap is the
    relaxed one of the CPU kernel: the relaxed primal at the best point of
    the segment from the outer upper point ``v`` to ``w``, found on the host
    from the working set's margins.
    """

    gamma = 1.0

    def __init__(self, problem, ws, fixed_w, fixed_u):
        dm = problem._dm
        self.xp = xp = dm.backend.xp
        self.B = dm.gather(ws)  # examples as columns: X^T's
        self.ws = ws
        self.m = ws.size
        self.squared = problem._squared
        self.bias = problem.bias
        self.y_host = problem.y[ws]
        self.y = xp.asarray(self.y_host, dtype=np.float64)
        self.upper_host = problem.upper[ws]
        upper = xp.asarray(self.upper_host, dtype=np.float64)
        live = upper > 0.0
        self.top = (xp.where(live, xp.inf, 0.0) if self.squared else upper)
        self.diag = (xp.where(live, 0.5 / xp.where(live, upper, 1.0), 0.0)
                     if self.squared else None)
        metric = xp.asarray(problem.sq_norms[ws], dtype=np.float64)  # |x~_i|^2
        if self.squared:
            metric = metric + self.diag
        self.metric = xp.where(metric > 0.0, metric, 1.0)
        self.fixed_w = xp.asarray(fixed_w, dtype=np.float64)
        self.fixed_u = float(fixed_u)
        self.v = xp.asarray(problem.v, dtype=np.float64)
        self.m_v = problem.m_v[ws]
        self.w_start = xp.asarray(problem.w, dtype=np.float64)
        self.pass_cost = 2.0 * float(problem.costs[ws].sum()) + self.m
        self.d_start = self._dual(xp.asarray(problem.alpha[ws], dtype=np.float64),
                                  self.w_start)

    def image(self, a):
        xp = self.xp
        coef = a * self.y
        return self.fixed_w + xp.concatenate(
            [self.B @ coef, xp.reshape(self.bias * coef.sum(), (1,))])

    def margins(self, w):
        """``y_i x~_i^T w`` over the working set (device)."""
        return self.y * (self.B.T @ w[:-1] + self.bias * w[-1])

    def _quad(self, a):
        return 0.5 * _dot(self.xp, self.diag, a * a) if self.squared else 0.0

    def _dual(self, a, w):
        return self.fixed_u + float(a.sum()) - 0.5 * _dot(self.xp, w, w) - self._quad(a)

    def bregman(self, w_a, w_b, step):
        """Exact: ``|w_a - w_b|^2 / 2`` (plus ``sum_i step_i^2 / (4 u_i)``)."""
        diff = w_a - w_b
        return 0.5 * _dot(self.xp, diff, diff) + self._quad(step)

    def grad(self, w, a):
        g = self.margins(w) - 1.0
        return g + self.diag * a if self.squared else g

    def prox(self, a, step):
        xp = self.xp
        return xp.minimum(xp.maximum(a, 0.0), self.top)

    def check(self, a, w):
        xp = self.xp
        to_host = (np.asarray if xp is np else xp.asnumpy)
        m_w = to_host(self.margins(w))
        self.last_margins = m_w
        delta = w - self.v
        v_sq, v_dot = _dot(xp, self.v, self.v), _dot(xp, self.v, delta)
        d_sq, lin = _dot(xp, delta, delta), _dot(xp, self.fixed_w, delta)
        fixed_v = _dot(xp, self.fixed_w, self.v)
        rows = np.arange(self.m)
        minimiser = (squared_segment_minimiser if self.squared
                     else margin_segment_minimiser)
        s = minimiser(v_dot, d_sq, lin, self.m_v, m_w, self.upper_host, rows)
        h = np.maximum(1.0 - self.m_v - s * (m_w - self.m_v), 0.0)
        loss = float(self.upper_host @ (h * h if self.squared else h))
        primal = (0.5 * (v_sq + 2.0 * s * v_dot + s * s * d_sq) + loss
                  + self.fixed_u - fixed_v - s * lin)
        dual = self._dual(a, w)
        diff = w - self.w_start
        return primal - dual, dual - self.d_start, _dot(xp, diff, diff)
