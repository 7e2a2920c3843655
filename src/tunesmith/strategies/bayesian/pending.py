"""Proposing a batch while other jobs are still running.

A GP that ignores running jobs proposes the same point again and again; a batch then piles onto
one spot and parallel BO degrades to worse than random. By default (``fantasies``, after Snoek
et al. 2012) we draw ``n_fantasies`` joint samples of the outcomes of all pending points
(running jobs and the earlier proposals of the same batch), condition the GP on each sample and
average EI over them (in EI space, so a log-sum-exp of log-EI), each fantasy with its own
incumbent: the best of the real observations and its fantasised values. Around a pending point
the variance collapses in every fantasy, so the next proposal goes elsewhere. The strategy
reports and ranks only real observations, so no pending job counts as a success.

The samples are drawn with ``fantasy_spread`` (default 0.25) times the posterior's standard
deviation around its mean: 1 is the plain posterior (then this is the greedy sequential form of
q-EI), 0 the kriging believer of Ginsbourger et al. (2010), every pending job pretending to
return its posterior mean. Measured on the benchmark (docs/benchmarks.md, sixth round; 200 to
400 seeds in batches of 10): full-spread fantasies lost clearly more of the sequential edge on
Hartmann-6 than the believer, with 0.5 in between: when about half the fantasies of a pending
point near the incumbent turn out worse than the model expects, the rest of the batch does not
build on it. The believer, in turn, was worse than a quarter of the spread on Levy-10, where
some spread keeps a batch from committing to one believed basin. A quarter was level with the
believer on Hartmann-6, clearly better than full-spread fantasies there and no worse on Levy-10.

Alternatives kept as options: ``believer`` (the same as a spread of 0, with one GP instead of
``n_fantasies`` columns), ``liar-min`` / ``liar-mean`` (constant liar with the best or mean
warped target; the mean liar lost the most).

Cost: every fantasy conditions on the same inputs (the observations and the pending points) and
only its targets differ, so one GP holds them all as columns of its targets: per proposal one
O((n + p)^3) factorisation, and per candidate one variance and ``n_fantasies`` means
(O((n + p)^2 + (n + p) * n_fantasies)). Many fantasies are then almost as cheap as one: a
batch proposal costs about what a sequential suggestion does. (Conditioning a separate GP on
each fantasy, as we first did, cost ``n_fantasies`` factorisations and as many predictions.)
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from tunesmith.strategies.bayesian.acquisition import log_ei, log_ei_grad
from tunesmith.strategies.bayesian.gp import GaussianProcess, Hyper
from tunesmith.strategies.bayesian.optimize import Layout, local_candidates, maximize, sobol


def point_key(x: np.ndarray) -> tuple[float, ...]:
    """Hashable identity of an encoded point (snapped points compare exactly)."""
    return tuple(np.round(np.asarray(x, dtype=float), 9).tolist())


class _Acquisition:
    """log EI averaged (in EI space) over the columns of a GP's targets, each with its incumbent.

    One GP holds every fantasy as a column of its targets: the inputs (real observations plus
    pending points) are the same in all of them, so one factorisation and one variance serve
    all, and only the means differ. ``n_fantasies`` therefore costs little more than one model.
    """

    def __init__(self, gp: GaussianProcess, bests: np.ndarray) -> None:
        self.gp = gp
        self.bests = bests
        self._log_n = np.log(len(bests))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        mean, var = self.gp.predict(x)
        vals = log_ei(mean, var[:, None], self.bests[None, :])
        return logsumexp(vals, axis=1) - self._log_n

    def with_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, var, dmean, dvar = self.gp.predict_grad(x)  # (m, F), (m,), (m, F, d), (m, d)
        m, n_fant = mean.shape
        # One row per (candidate, fantasy): the fantasies share the variance and its gradient.
        flat, flat_grad = log_ei_grad(
            mean.reshape(-1),
            np.repeat(var, n_fant),
            dmean.reshape(m * n_fant, -1),
            np.repeat(dvar, n_fant, axis=0),
            np.tile(self.bests, m),
        )
        vals = flat.reshape(m, n_fant)
        total = logsumexp(vals, axis=1)
        w = np.exp(vals - total[:, None])  # softmax weights over fantasies
        grads = flat_grad.reshape(m, n_fant, -1)
        return total - self._log_n, np.einsum("mf,mfd->md", w, grads)


def _acquisition(
    x: np.ndarray,
    z: np.ndarray,
    pend: np.ndarray,
    hyper: Hyper,
    method: str,
    n_fant: int,
    rng: np.random.Generator,
    spread: float = 1.0,
) -> _Acquisition:
    """The GP with pending points fantasised, and the EI incumbent of each fantasy.

    The incumbent includes the fantasised values: otherwise a pending point the model expects
    to beat the best observation keeps a positive EI (its predicted improvement) even with zero
    variance, and the whole batch piles onto it.
    """
    best = float(z.min())
    if len(pend) == 0:
        return _Acquisition(GaussianProcess(x, z[:, None], hyper), np.array([best]))
    if method.startswith("liar"):
        lie = float(z.min()) if method == "liar-min" else float(z.mean())
        draws = np.full((1, len(pend)), lie)
        bests = np.array([best])
    else:
        base = GaussianProcess(x, z, hyper)
        mean, _ = base.predict(pend)
        if method == "fantasies":
            # Joint posterior samples at the pending points, scaled around their mean.
            ks = base.predict_cov(pend)
            chol = np.linalg.cholesky(ks + 1e-6 * np.eye(len(pend)))
            noise = rng.standard_normal((n_fant, len(pend))) @ chol.T
            draws = mean[None, :] + spread * noise
        else:  # believer
            draws = mean[None, :]
        bests = np.minimum(best, draws.min(axis=1))
    targets = np.column_stack([np.concatenate([z, d]) for d in draws])
    xs = np.vstack([x, pend])
    return _Acquisition(GaussianProcess(xs, targets, hyper, len(pend)), bests)


def propose(
    layout: Layout,
    x: np.ndarray,
    z: np.ndarray,
    pending: np.ndarray,
    hyper: Hyper,
    n: int,
    rng: np.random.Generator,
    taken: set[tuple[float, ...]],
    method: str = "believer",
    n_candidates: int = 1024,
    n_local: int = 512,
    n_fantasies: int = 32,
    fantasy_spread: float = 1.0,
    n_starts: int = 5,
    n_best_starts: int = 0,
) -> list[np.ndarray]:
    """Propose up to ``n`` encoded points, each accounting for all earlier pending ones.

    ``taken`` holds the keys of configurations already tried or running; proposals are added
    to it so that a batch never repeats itself.
    """
    pend = np.asarray(pending, dtype=float).reshape(-1, layout.dim)
    out: list[np.ndarray] = []
    order = np.argsort(z, kind="stable")
    for _ in range(n):
        acq = _acquisition(x, z, pend, hyper, method, n_fantasies, rng, fantasy_spread)
        centres = x[order[: min(5, len(x))]]
        cands = np.vstack(
            [
                sobol(layout, n_candidates, rng),
                local_candidates(layout, centres, n_local // max(len(centres), 1), rng),
            ]
        )
        pts, _ = maximize(
            layout,
            cands,
            acq,
            acq.with_grad,
            n_starts=n_starts,
            extra_starts=x[order[:n_best_starts]],
        )
        chosen = next((p for p in pts if point_key(p) not in taken), None)
        if chosen is None:
            # Everything the optimiser liked is taken: fall back to untaken random points.
            chosen = next((p for p in sobol(layout, 256, rng) if point_key(p) not in taken), None)
        if chosen is None:
            break
        out.append(chosen)
        taken.add(point_key(chosen))
        pend = np.vstack([pend, chosen[None, :]])
    return out
