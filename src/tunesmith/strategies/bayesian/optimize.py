"""Maximising an acquisition function over the mixed (continuous, integer, categorical) space.

The encoded space (see ``Layout``) is the unit cube for numeric parameters plus one-hot blocks
for categoricals. We score many candidates — a scrambled Sobol set for global coverage plus
perturbations of the best observed points, which matter most in higher dimensions — then refine
the best few, plus the incumbent itself, jointly with L-BFGS-B on the numeric coordinates
(categoricals held fixed), snap integers to the positions of real integer values and finish with
a greedy discrete neighbourhood search (each other category, each integer +-1). Snapping before
scoring means the point we score is exactly the encoding of the configuration we propose, so
what the model sees and what the job runs never differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize
from scipy.stats import qmc

AcqFn = Callable[[np.ndarray], np.ndarray]
AcqGradFn = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class IntegerDim:
    """An integer parameter's column and how to snap it to the encodings of real integers.

    ``positions`` lists the unit positions of every value when the range is small enough to
    enumerate; otherwise ``to_unit(from_unit(u))`` of the parameter (``mapper``) is used, which
    is the same projection (nearest bin centre) computed one value at a time.
    """

    column: int
    positions: np.ndarray | None = None
    mapper: Callable[[float, int], float | None] | None = None  # (u, delta) -> snapped u

    def snap(self, u: np.ndarray) -> np.ndarray:
        pos = self.positions
        if pos is None:
            assert self.mapper is not None
            return np.array([self.mapper(float(v), 0) for v in u], dtype=float)
        if len(pos) == 1:
            return np.full_like(u, pos[0])
        i = np.clip(np.searchsorted(pos, u), 1, len(pos) - 1)
        left, right = pos[i - 1], pos[i]
        return np.where(np.abs(u - left) <= np.abs(right - u), left, right)

    def step(self, u: float, delta: int) -> float | None:
        if self.positions is None:
            assert self.mapper is not None
            return self.mapper(u, delta)
        i = int(np.argmin(np.abs(self.positions - u))) + delta
        return float(self.positions[i]) if 0 <= i < len(self.positions) else None


@dataclass(frozen=True)
class Layout:
    """Which encoded columns are numeric, integer or one-hot categorical."""

    dim: int
    numeric: tuple[int, ...]
    integers: tuple[IntegerDim, ...] = ()
    categorical: tuple[slice, ...] = field(default_factory=tuple)

    @classmethod
    def continuous(cls, dim: int) -> Layout:
        return cls(dim=dim, numeric=tuple(range(dim)))

    @property
    def sobol_dim(self) -> int:
        return len(self.numeric) + len(self.categorical)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map points of the ``sobol_dim`` unit cube to valid encoded points."""
        x = np.zeros((len(u), self.dim))
        k = len(self.numeric)
        x[:, list(self.numeric)] = u[:, :k]
        for g, sl in enumerate(self.categorical):
            size = sl.stop - sl.start
            idx = np.minimum((u[:, k + g] * size).astype(int), size - 1)
            x[np.arange(len(u)), sl.start + idx] = 1.0
        return self.snap(x)

    def snap(self, x: np.ndarray) -> np.ndarray:
        """Project encoded points onto valid encodings (integers, one-hot)."""
        x = np.array(x, dtype=float)
        num = list(self.numeric)
        x[:, num] = np.clip(x[:, num], 0.0, 1.0)
        for it in self.integers:
            x[:, it.column] = it.snap(x[:, it.column])
        for sl in self.categorical:
            idx = np.argmax(x[:, sl], axis=1)
            x[:, sl] = 0.0
            x[np.arange(len(x)), sl.start + idx] = 1.0
        return x


def sobol(layout: Layout, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` scrambled-Sobol points mapped into the encoded space."""
    m = max(int(np.ceil(np.log2(max(n, 2)))), 1)
    u = qmc.Sobol(layout.sobol_dim, scramble=True, seed=rng).random_base2(m)[:n]
    return layout.from_unit(u)


def local_candidates(
    layout: Layout, centres: np.ndarray, n_per: int, rng: np.random.Generator
) -> np.ndarray:
    """Perturbations around good points at several radii, changing a few coordinates each.

    In high dimension changing every coordinate at once almost never improves on an incumbent;
    perturbing a random subset of about 20/d of them (as trust-region methods do) does.
    """
    if len(centres) == 0 or n_per <= 0:
        return np.empty((0, layout.dim))
    num = np.array(layout.numeric, dtype=int)
    out = np.repeat(centres, n_per, axis=0)
    m = len(out)
    if len(num):
        p = min(1.0, 20.0 / len(num)) if len(num) > 20 else min(1.0, 3.0 / len(num) + 0.3)
        mask = rng.random((m, len(num))) < p
        none = ~mask.any(1)
        mask[none, rng.integers(0, len(num), none.sum())] = True
        radius = rng.choice([0.01, 0.03, 0.1, 0.25], size=(m, 1))
        step = rng.normal(0.0, 1.0, (m, len(num))) * radius * mask
        out[:, num] = np.clip(out[:, num] + step, 0.0, 1.0)
    for sl in layout.categorical:
        size = sl.stop - sl.start
        flip = rng.random(m) < 0.2
        idx = rng.integers(0, size, m)
        out[flip, sl] = 0.0
        out[np.flatnonzero(flip), sl.start + idx[flip]] = 1.0
    return layout.snap(out)


def _refine(layout: Layout, starts: np.ndarray, acq_grad: AcqGradFn, maxiter: int) -> np.ndarray:
    """Jointly run L-BFGS-B from several starts on the numeric coordinates (sum is separable)."""
    num = np.array(layout.numeric, dtype=int)
    if len(num) == 0 or len(starts) == 0:
        return starts
    base = starts.copy()
    k = len(num)

    def fun(flat: np.ndarray) -> tuple[float, np.ndarray]:
        x = base.copy()
        x[:, num] = flat.reshape(-1, k)
        val, grad = acq_grad(x)
        bad = ~np.isfinite(val)
        val = np.where(bad, -1e6, val)
        grad = np.where(np.isfinite(grad), grad, 0.0)
        return -float(val.sum()), -grad[:, num].ravel()

    res = optimize.minimize(
        fun,
        base[:, num].ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * (k * len(base)),
        options={"maxiter": maxiter},
    )
    out = base.copy()
    out[:, num] = np.clip(res.x.reshape(-1, k), 0.0, 1.0)
    return out


def _neighbours(layout: Layout, x: np.ndarray) -> np.ndarray:
    """All points one discrete move away: another category, or an integer +-1."""
    rows = []
    for sl in layout.categorical:
        cur = int(np.argmax(x[sl]))
        for j in range(sl.stop - sl.start):
            if j != cur:
                y = x.copy()
                y[sl] = 0.0
                y[sl.start + j] = 1.0
                rows.append(y)
    for it in layout.integers:
        for delta in (-1, 1):
            v = it.step(float(x[it.column]), delta)
            if v is not None:
                y = x.copy()
                y[it.column] = v
                rows.append(y)
    return np.array(rows) if rows else np.empty((0, len(x)))


def maximize(
    layout: Layout,
    candidates: np.ndarray,
    acq: AcqFn,
    acq_grad: AcqGradFn,
    n_starts: int = 5,
    maxiter: int = 60,
    extra_starts: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return points sorted by decreasing acquisition (best first) and their values.

    ``extra_starts`` (e.g. the best observed points) are refined besides the ``n_starts`` best
    candidates: gradient ascent from the incumbent finds the small improvements near it that
    random perturbations miss. The caller walks down the list to skip configurations taken.
    """
    values = acq(candidates)
    order = np.argsort(-values, kind="stable")
    _, first = np.unique(np.round(candidates[order], 12), axis=0, return_index=True)
    uniq = order[np.sort(first)]
    starts = candidates[uniq[:n_starts]]
    if extra_starts is not None and len(extra_starts):
        starts = np.vstack([starts, extra_starts])
    refined = layout.snap(_refine(layout, starts, acq_grad, maxiter))
    pool = [refined, candidates[uniq[: 4 * n_starts]]]
    pool_vals = [acq(refined), values[uniq[: 4 * n_starts]]]
    if layout.categorical or layout.integers:
        # Greedy discrete hill climbing from the best refined points.
        r_vals = pool_vals[0]
        for i in np.argsort(-r_vals)[:2]:
            x, v = refined[i], r_vals[i]
            for _ in range(10):
                nb = _neighbours(layout, x)
                if len(nb) == 0:
                    break
                nv = acq(nb)
                j = int(np.argmax(nv))
                pool.append(nb)
                pool_vals.append(nv)
                if nv[j] <= v:
                    break
                x, v = nb[j], nv[j]
    pts = np.vstack(pool)
    vals = np.concatenate(pool_vals)
    vals = np.where(np.isfinite(vals), vals, -np.inf)
    best = np.argsort(-vals, kind="stable")
    return pts[best], vals[best]
