# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""AdaScale against the linear scaling rule on L2-regularised logistic regression.

For each data set (a held-out fifth is split off, stratified) and each scale
``S`` the script trains :class:`blitzlearn.AdaScaleSGDClassifier` with

- ``adascale``: AdaScale at scale ``S`` on the ``S = 1`` recipe;
- ``linear``: the linear scaling rule with warm-up (``ceil(T_SI / S)`` steps);
- ``linear+``: the linear rule run for as many steps as AdaScale took (same
  seed), its schedule stretched over them;

over several seeds (the seed sets the batch order), and reports the excess
training objective ``F(w) - F*`` (``F*`` from a tight L-BFGS solve, and ``F``
computed by one formula outside the solver), the held-out accuracy and the
number of steps.  The ``S = 1`` learning rate is tuned on a grid (lowest mean
final objective); the run is repeated at a 4x larger "stress" rate.

"No degradation" at scale ``S`` (the criterion of the issue): mean excess
objective at most ``mean_1 + max(0.25 mean_1, 2 SE_1)``, no diverged run, and
mean held-out accuracy within 0.5 points of ``S = 1``.

``--step-cost`` times the kernel that computes one step's ``S`` batch
gradients and their norms against the same kernel computing one gradient of a
single batch of ``S * b`` rows.

Run from the repository root, single-threaded::

    OMP_NUM_THREADS=1 python asv_benchmarks/adascale_benchmark.py \\
        --plot docs/_static/adascale.png
    OMP_NUM_THREADS=1 python asv_benchmarks/adascale_benchmark.py --step-cost \\
        --batch-size 32

The default recipe: base batch ``b = 4`` (``--batch-size``; ``S b`` stays
below ``n / 50`` up to ``S = 128``), 8 epochs, step decay x0.1 at 50% and
75% of the budget, no momentum, ``alpha = 1e-4``; the ``S = 1`` rate is tuned
on ``2^-5 ... 2^1``.  Rows are drawn with replacement (``--sampling``), the
model of the analysis: with reshuffled epochs a run that ends exactly at an
epoch's end (``S = 1`` and the linear rule do) gets the known advantage of
random reshuffling there, about 10% of the excess objective on w8a, which
a run ending mid-epoch (AdaScale) does not.
"""

import argparse
import math
import statistics
import time

import numpy as np

SCALES = [1, 2, 4, 8, 16, 32, 64, 128]
METHODS = ["adascale", "linear", "linear+"]


def logistic_objective(X, y, coef, intercept, alpha):
    """``mean_i log(1 + exp(-y_i z_i)) + alpha / 2 ||w||^2``, ``y`` in {-1, 1}."""
    z = np.asarray(X @ np.ravel(coef)).ravel() + float(np.ravel(intercept)[0])
    return float(np.logaddexp(0.0, -y * z).mean()
                 + 0.5 * alpha * float(np.ravel(coef) @ np.ravel(coef)))


def optimum(X, y, alpha):
    """``F*`` by scikit-learn's L-BFGS at a tight tolerance (same objective)."""
    from sklearn.linear_model import LogisticRegression

    ref = LogisticRegression(C=1.0 / (alpha * X.shape[0]), tol=1e-12,
                             max_iter=100_000).fit(X, y)
    return logistic_objective(X, y, ref.coef_, ref.intercept_, alpha)


def load(name, seed=0):
    """Train / held-out split of a LIBSVM set, labels in {-1, 1}."""
    from sklearn.model_selection import train_test_split

    from blitzlearn.datasets import load_libsvm

    X, y = load_libsvm(name)
    y = np.where(y > 0, 1.0, -1.0)
    return train_test_split(X.tocsr(), y, test_size=0.2, stratify=y,
                            random_state=seed)


def train(X, y, X_test, y_test, alpha, recipe, **params):
    """One fit: excess objective is filled in later; None values if diverged."""
    from blitzlearn import AdaScaleSGDClassifier

    clf = AdaScaleSGDClassifier(alpha=alpha, **recipe, **params)
    start = time.perf_counter()
    try:
        clf.fit(X, y)
    except ValueError as exc:
        if "diverged" not in str(exc):
            raise
        return dict(diverged=True, objective=math.inf, accuracy=math.nan,
                    steps=params.get("max_steps") or math.nan, gain=math.nan,
                    seconds=time.perf_counter() - start)
    return dict(diverged=False,
                objective=logistic_objective(X, y, clf.coef_, clf.intercept_, alpha),
                accuracy=100.0 * clf.score(X_test, y_test), steps=clf.n_iter_,
                gain=clf.tau_ / clf.n_iter_, seconds=time.perf_counter() - start)


def tune(X, y, X_test, y_test, alpha, recipe, lrs, seeds, f_star):
    """The S = 1 learning rate with the lowest mean final objective."""
    scores = {}
    for lr in lrs:
        runs = [train(X, y, X_test, y_test, alpha, recipe, eta0=lr, random_state=s)
                for s in seeds]
        scores[lr] = statistics.fmean(r["objective"] for r in runs) - f_star
    return min(scores, key=scores.get), scores


def run_scales(X, y, X_test, y_test, alpha, recipe, lr, scales, seeds):
    """{(method, S): [run per seed]} for the three methods."""
    out = {}
    for S in scales:
        for seed in seeds:
            base = dict(eta0=lr, random_state=seed, scale=S)
            ada = train(X, y, X_test, y_test, alpha, recipe, **base)
            out.setdefault(("adascale", S), []).append(ada)
            if S == 1:  # every rule is plain SGD at S = 1
                out.setdefault(("linear", S), []).append(ada)
                out.setdefault(("linear+", S), []).append(ada)
                continue
            out.setdefault(("linear", S), []).append(train(
                X, y, X_test, y_test, alpha, recipe, scaling_rule="linear", **base))
            steps = ada["steps"] if not ada["diverged"] else math.ceil(
                recipe["max_epochs"] * math.ceil(X.shape[0] / recipe["batch_size"])
                / S)
            out.setdefault(("linear+", S), []).append(train(
                X, y, X_test, y_test, alpha, recipe, scaling_rule="linear",
                max_steps=int(steps), **base))
    return out


def summarise(runs, f_star):
    """Mean/SE of the excess objective, mean accuracy and steps, divergences."""
    excess = [r["objective"] - f_star for r in runs]
    finite = all(math.isfinite(e) for e in excess)
    se = statistics.stdev(excess) / math.sqrt(len(excess)) if finite else math.nan
    return dict(
        excess=statistics.fmean(excess) if finite else math.inf, se=se,
        accuracy=statistics.fmean(r["accuracy"] for r in runs),
        steps=statistics.fmean(r["steps"] for r in runs),
        gain=statistics.fmean(r["gain"] for r in runs),
        diverged=sum(r["diverged"] for r in runs),
    )


def no_degradation(stats, base):
    """The issue's criterion against the S = 1 summary ``base``."""
    limit = base["excess"] + max(0.25 * base["excess"], 2.0 * base["se"])
    return (stats["diverged"] == 0 and stats["excess"] <= limit
            and abs(stats["accuracy"] - base["accuracy"]) <= 0.5)


def table(name, label, lr, results, f_star, scales):
    """Markdown rows for one data set and learning rate."""
    lines = [f"\n{name}, {label} S=1 rate {lr:g}, F* = {f_star:.10f}\n",
             "| S | AdaScale F-F* | steps | mean r | acc % | ok "
             "| linear F-F* | acc % | ok | linear+ F-F* | ok |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    base = summarise(results[("adascale", 1)], f_star)
    for S in scales:
        cells = [str(S)]
        for method in METHODS:
            st = summarise(results[(method, S)], f_star)
            ok = "yes" if no_degradation(st, base) else "**no**"
            value = (f"{st['excess']:.2e} ± {st['se']:.1e}" if not st["diverged"]
                     else f"diverged ({st['diverged']}/"
                          f"{len(results[(method, S)])})")
            if method == "adascale":
                cells += [value, f"{st['steps']:.0f}", f"{st['gain']:.1f}",
                          f"{st['accuracy']:.2f}", ok]
            elif method == "linear":
                cells += [value, f"{st['accuracy']:.2f}", ok]
            else:
                cells += [value, ok]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(all_results, path, scales):
    """Excess objective and steps against S, one column per (data, rate)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(all_results)
    fig, axes = plt.subplots(2, len(keys), figsize=(4.2 * len(keys), 6.5),
                             squeeze=False)
    for col, key in enumerate(keys):
        results, f_star = all_results[key]
        top, bottom = axes[0, col], axes[1, col]
        for method, marker in zip(METHODS, "osd", strict=True):
            st = [summarise(results[(method, S)], f_star) for S in scales]
            y = [s["excess"] if math.isfinite(s["excess"]) else np.nan for s in st]
            top.errorbar(scales, y, yerr=[2 * s["se"] for s in st], marker=marker,
                         label=method, capsize=2)
            bottom.plot(scales, [s["steps"] for s in st], marker=marker,
                        label=method)
        base = summarise(results[("adascale", 1)], f_star)
        top.axhline(base["excess"] + max(0.25 * base["excess"], 2 * base["se"]),
                    color="gray", linestyle="--", linewidth=1,
                    label="S = 1 limit")
        top.set(xscale="log", yscale="log", title=f"{key[0]}, {key[1]} rate",
                ylabel="F(w) - F*")
        bottom.set(xscale="log", yscale="log", xlabel="scale S", ylabel="steps")
        top.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def step_cost(name, scales, batch_size, dense=False, repeat=7):
    """Time one step's S batch gradients against one batch of S * b rows."""
    from blitzlearn._kernels import _sgd as kern
    from blitzlearn._kernels._columns import as_columns, col_sq_norms

    X, _, y, _ = load(name)
    n, d = X.shape
    if dense:
        X = X.toarray()
    data, indices, indptr, sparse = as_columns(X.T)
    row_sq = np.zeros(n)
    col_sq_norms(data, indices, indptr, d, sparse, row_sq)  # rows of X
    Y = np.ascontiguousarray(y[:, None])
    sw = np.ones(n)
    rng = np.random.RandomState(0)
    W = 0.01 * rng.normal(size=(1, d))
    Wb = np.zeros(1)
    scratch = [np.zeros_like(W), np.zeros(1), np.zeros_like(W), np.zeros(1)]
    order = np.concatenate([rng.permutation(n) for _ in range(8)]).astype(np.int64)
    layout = "dense" if dense else "CSR"
    lines = [f"\n{name} ({layout}, n={n}, d={d}), b={batch_size}\n",
             "| S | S batches of b (us) | one batch of S*b (us) | ratio |",
             "|---|---|---|---|"]
    for S in scales:
        chunk = S * batch_size
        reps = max(1, 200_000 // chunk)

        def timed(n_batches, size, chunk=chunk, reps=reps):
            start = time.perf_counter()
            for k in range(reps):
                kern.batch_gradients(
                    data, indices, indptr, d, sparse, Y, sw, row_sq, order,
                    (k * chunk) % (order.size - chunk), n_batches, size, W, Wb,
                    0, True, *scratch)
            return (time.perf_counter() - start) / reps

        timed(S, batch_size)
        timed(1, chunk)
        split, whole = [], []
        for _ in range(repeat):  # interleaved, so drift hits both alike
            split.append(timed(S, batch_size))
            whole.append(timed(1, chunk))
        a, b = min(split), min(whole)
        lines.append(f"| {S} | {a * 1e6:.1f} | {b * 1e6:.1f} | {a / b:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["a9a", "w8a"])
    parser.add_argument("--scales", nargs="+", type=int, default=SCALES)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lrs", nargs="+", type=float,
                        default=[2.0 ** k for k in range(-5, 2)],
                        help="grid for the S = 1 rate")
    parser.add_argument("--stress", type=float, default=4.0)
    parser.add_argument("--sampling", default="replacement",
                        choices=["replacement", "reshuffle"])
    parser.add_argument("--plot", default=None, metavar="PNG")
    parser.add_argument("--step-cost", action="store_true")
    parser.add_argument("--dense", action="store_true",
                        help="--step-cost on the data as a dense array")
    args = parser.parse_args(argv)
    if args.step_cost:
        for name in args.datasets:
            print(step_cost(name, [s for s in args.scales if s > 1],
                            args.batch_size, args.dense))
        return
    recipe = dict(batch_size=args.batch_size, max_epochs=args.epochs,
                  learning_rate="step", sampling=args.sampling)
    seeds = list(range(args.seeds))
    all_results = {}
    for name in args.datasets:
        X, X_test, y, y_test = load(name)
        f_star = optimum(X, y, args.alpha)
        lr, scores = tune(X, y, X_test, y_test, args.alpha, recipe, args.lrs,
                          seeds, f_star)
        print(f"\n{name}: n={X.shape[0]} train, {X_test.shape[0]} held out; S=1 "
              "excess objective by rate: "
              + ", ".join(f"{k:g}: {v:.2e}" for k, v in scores.items()))
        for label, rate in (("tuned", lr), ("stress", args.stress * lr)):
            start = time.perf_counter()
            results = run_scales(X, y, X_test, y_test, args.alpha, recipe, rate,
                                 args.scales, seeds)
            all_results[(name, label)] = (results, f_star)
            print(table(name, label, rate, results, f_star, args.scales))
            print(f"({time.perf_counter() - start:.0f} s)")
    if args.plot:
        plot(all_results, args.plot, args.scales)


if __name__ == "__main__":
    main()
