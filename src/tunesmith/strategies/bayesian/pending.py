"""Proposing a batch while other jobs are still running.

A GP that ignores running jobs proposes the same point again and again; a batch then piles onto
one spot and parallel BO degrades to worse than random. We account for running jobs (and for the
earlier proposals of the same batch) with the *kriging believer*: each pending point is added to
the GP with the posterior mean as its pretend outcome. The mean surface is unchanged, but the
variance collapses around every pending point, so expected improvement there drops to almost
zero and the next proposal goes to the next most promising region instead. The EI incumbent
is the best of the real observations and the fantasised values (standard kriging believer);
the strategy reports and ranks only real observations, so no pending job counts as a success.

``fantasies`` (averaging EI over posterior samples of the pending outcomes, as in Snoek et al.
2012) is available as an option at ``n_fantasies`` times the cost; the kriging believer is the
default for its cost (the suite in docs/benchmarks.md measures the default only). Cost: one
O(n^3) factorisation per proposal in the batch plus the acquisition optimisation.
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
    """log EI averaged (in EI space) over one or more GP fantasies, each with its incumbent."""

    def __init__(self, models: list[tuple[GaussianProcess, float]]) -> None:
        self.models = models

    def __call__(self, x: np.ndarray) -> np.ndarray:
        vals = [log_ei(*gp.predict(x), best) for gp, best in self.models]
        return logsumexp(np.stack(vals), axis=0) - np.log(len(vals))

    def with_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        outs = [log_ei_grad(*gp.predict_grad(x), best) for gp, best in self.models]
        vals = np.stack([o[0] for o in outs])
        total = logsumexp(vals, axis=0)
        w = np.exp(vals - total)  # softmax weights over fantasies
        grad = sum(w[k][:, None] * outs[k][1] for k in range(len(outs)))
        return total - np.log(len(outs)), grad


def _models(
    x: np.ndarray,
    z: np.ndarray,
    pend: np.ndarray,
    hyper: Hyper,
    method: str,
    n_fant: int,
    rng: np.random.Generator,
) -> list[tuple[GaussianProcess, float]]:
    """The GP(s) with pending points fantasised, each paired with its EI incumbent.

    The incumbent includes the fantasised values: otherwise a pending point the model expects
    to beat the best observation keeps a positive EI (its predicted improvement) even with zero
    variance, and the whole batch piles onto it.
    """
    base = GaussianProcess(x, z, hyper)
    best = float(z.min())
    if len(pend) == 0:
        return [(base, best)]
    if method == "fantasies":
        mean, _ = base.predict(pend)
        # Joint posterior samples at the pending points.
        ks = base.predict_cov(pend)
        chol = np.linalg.cholesky(ks + 1e-6 * np.eye(len(pend)))
        draws = mean[None, :] + rng.standard_normal((n_fant, len(pend))) @ chol.T
        return [
            (
                GaussianProcess(np.vstack([x, pend]), np.concatenate([z, d]), hyper, len(pend)),
                min(best, float(d.min())),
            )
            for d in draws
        ]
    mean, _ = base.predict(pend)
    gp = GaussianProcess(np.vstack([x, pend]), np.concatenate([z, mean]), hyper, len(pend))
    return [(gp, min(best, float(mean.min())))]


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
    n_fantasies: int = 8,
) -> list[np.ndarray]:
    """Propose up to ``n`` encoded points, each accounting for all earlier pending ones.

    ``taken`` holds the keys of configurations already tried or running; proposals are added
    to it so that a batch never repeats itself.
    """
    pend = np.asarray(pending, dtype=float).reshape(-1, layout.dim)
    out: list[np.ndarray] = []
    order = np.argsort(z, kind="stable")
    for _ in range(n):
        acq = _Acquisition(_models(x, z, pend, hyper, method, n_fantasies, rng))
        centres = x[order[: min(5, len(x))]]
        cands = np.vstack(
            [
                sobol(layout, n_candidates, rng),
                local_candidates(layout, centres, max(n_local // max(len(centres), 1), 1), rng),
            ]
        )
        pts, _ = maximize(layout, cands, acq, acq.with_grad)
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
