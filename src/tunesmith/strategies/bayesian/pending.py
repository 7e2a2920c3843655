"""Proposing a batch while other jobs are still running.

A GP that ignores running jobs proposes the same point again and again; a batch then piles onto
one spot and parallel BO degrades to worse than random. We account for running jobs (and for the
earlier proposals of the same batch) with the *kriging believer*: each pending point is added to
the GP with the posterior mean as its pretend outcome. The mean surface is unchanged, but the
variance collapses around every pending point, so expected improvement there drops to almost
zero and the next proposal goes to the next most promising region instead. The incumbent used by
EI stays the best *real* observation, so no pending job is mistaken for a success.

``fantasies`` (averaging EI over posterior samples of the pending outcomes, as in Snoek et al.
2012) is available as an option; the kriging believer benchmarked as well or better at a
fraction of the cost, so it is the default. Cost: one O(n^3) factorisation per proposal in the
batch plus the acquisition optimisation.
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
    """log EI averaged (in EI space) over one or more GP fantasies."""

    def __init__(self, gps: list[GaussianProcess], best: float) -> None:
        self.gps = gps
        self.best = best

    def __call__(self, x: np.ndarray) -> np.ndarray:
        vals = [log_ei(*gp.predict(x), self.best) for gp in self.gps]
        return logsumexp(np.stack(vals), axis=0) - np.log(len(vals))

    def with_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        outs = [log_ei_grad(*gp.predict_grad(x), self.best) for gp in self.gps]
        vals = np.stack([o[0] for o in outs])
        total = logsumexp(vals, axis=0)
        w = np.exp(vals - total)  # softmax weights over fantasies
        grad = sum(w[k][:, None] * outs[k][1] for k in range(len(outs)))
        return total - np.log(len(outs)), grad


def _models(
    x: np.ndarray, z: np.ndarray, pend: np.ndarray, hyper: Hyper, method: str, n_fant: int,
    rng: np.random.Generator,
) -> list[GaussianProcess]:
    base = GaussianProcess(x, z, hyper)
    if len(pend) == 0:
        return [base]
    if method == "fantasies":
        mean, _ = base.predict(pend)
        # Joint posterior samples at the pending points.
        ks = base.predict_cov(pend)
        chol = np.linalg.cholesky(ks + 1e-6 * np.eye(len(pend)))
        draws = mean[None, :] + rng.standard_normal((n_fant, len(pend))) @ chol.T
        return [
            GaussianProcess(np.vstack([x, pend]), np.concatenate([z, d]), hyper, len(pend))
            for d in draws
        ]
    mean, _ = base.predict(pend)
    return [GaussianProcess(np.vstack([x, pend]), np.concatenate([z, mean]), hyper, len(pend))]


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
    best = float(z.min())
    pend = np.asarray(pending, dtype=float).reshape(-1, layout.dim)
    out: list[np.ndarray] = []
    order = np.argsort(z, kind="stable")
    for _ in range(n):
        gps = _models(x, z, pend, hyper, method, n_fantasies, rng)
        acq = _Acquisition(gps, best)
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
