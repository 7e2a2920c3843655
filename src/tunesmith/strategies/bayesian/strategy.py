"""``BayesianSearch``: the Strategy that turns a trial history into the next configurations.

Per call to ``suggest(n, history)``:

1. **Initial design.** Until ``n_initial`` trials exist (or fewer than two have an objective)
   we propose points of a scrambled Sobol sequence seeded by ``seed``; trial ``k`` of the tuning
   job gets Sobol point ``k``, so the design is space-filling across batches and resumptions.
   The default size is 10 whatever the dimension: on the benchmark suite (budget 50) it beat
   the former ``clip(d + 1, 5, 10)`` clearly on Hartmann-6 (fewer early length-scale
   over-fits that trap the model in one basin) and cost nothing elsewhere.
2. **Data.** Completed trials give ``(encode(config), objective)``; objectives are negated for
   ``Maximize`` so the model always minimises. Failed trials, and trials that ended without a
   finite objective, are imputed with the *worst* observed objective: the model learns to stay
   away from regions that crash or diverge, and a failure is never mistaken for a success. They
   never become the incumbent. Pending (running) trials are handled in ``pending.py``.
3. **Model.** Targets are warped (Yeo-Johnson, see ``gp.warp_targets``); a Matérn-5/2 ARD GP is
   fitted by MAP with restarts (``gp.fit_hyper``) under a length-scale prior centred on unit
   length scales of the encoded cube (``prior="unit"``; ``"dimension"`` is the former
   dimension-scaled log-normal prior).
4. **Acquisition.** log-EI is maximised over Sobol + local candidates with gradient refinement
   (from the best candidates and from the incumbent itself) and discrete neighbourhood moves
   (``optimize.py``), for each of the ``n`` proposals in turn, earlier proposals and running
   jobs conditioned on as sampled fantasies drawn with a quarter of the posterior's spread
   (``pending.py``).

Determinism: every random draw comes from a generator seeded by ``(seed, len(history))``, and
no state is carried between calls except a cache of fitted hyperparameters keyed by the exact
data, so the same seed and history give the same suggestions in any process.

Complexity with ``n`` observations, ``d`` encoded dimensions, ``C`` candidates and a batch of
``q``: hyperparameter fitting O(I * m^3) with ``m = min(n, 250)`` and ``I`` likelihood
evaluations (bounded restarts and iterations); per proposal O(n^3) to factorise and
O(C * n * (n + d)) to score candidates, so O(q * n^3) per call. At a few hundred observations a
suggestion takes a fraction of a second on two cores (see ``docs/benchmarks.md``).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import qmc

from tunesmith.space import CategoricalParameter, Config, IntegerParameter, SearchSpace
from tunesmith.strategies.base import Trial, TrialState
from tunesmith.strategies.bayesian.gp import Hyper, fit_hyper, warp_targets
from tunesmith.strategies.bayesian.optimize import IntegerDim, Layout
from tunesmith.strategies.bayesian.pending import point_key, propose

_ENUMERATE_LIMIT = 100_000  # integer ranges up to this size get a position table


def _single_blas_thread() -> contextlib.AbstractContextManager[Any]:
    """Run the model on one BLAS thread when ``threadpoolctl`` is available.

    The matrices here (a few hundred rows) gain little from a second thread, while on a busy
    machine multithreaded BLAS oversubscribes the cores and a suggestion at 500 observations
    became more than ten times slower in our measurements.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def layout_for(space: SearchSpace) -> Layout:
    """Describe the encoded columns of ``space`` for the acquisition optimiser."""
    numeric: list[int] = []
    integers: list[IntegerDim] = []
    cats: list[slice] = []
    for p, sl in space.slices():
        if isinstance(p, CategoricalParameter):
            cats.append(sl)
            continue
        numeric.append(sl.start)
        if isinstance(p, IntegerParameter):
            integers.append(_integer_dim(p, sl.start))
    return Layout(space.encoded_dim, tuple(numeric), tuple(integers), tuple(cats))


def _integer_dim(p: IntegerParameter, column: int) -> IntegerDim:
    if p.cardinality <= _ENUMERATE_LIMIT:
        pos = np.array([p.to_unit(v) for v in range(p.low, p.high + 1)], dtype=float)
        return IntegerDim(column, positions=pos)

    def mapper(u: float, delta: int) -> float | None:
        v = int(p.from_unit(u)) + delta
        return p.to_unit(v) if p.low <= v <= p.high else None

    return IntegerDim(column, mapper=mapper)


def _capacity(space: SearchSpace) -> float:
    """Number of distinct configurations (infinite with any continuous parameter)."""
    total = 1
    for p in space.parameters:
        if isinstance(p, CategoricalParameter | IntegerParameter):
            total *= p.cardinality
        else:
            return math.inf
    return total


class BayesianSearch:
    """Gaussian-process Bayesian optimisation with log-EI and pending-job fantasies.

    Options: ``n_initial`` (initial design size), ``output_warping`` ("power" | "standard" |
    "rank"), ``pending`` ("fantasies" | "believer" | "liar-min" | "liar-mean"),
    ``n_candidates`` (Sobol candidates per proposal), ``n_local`` (perturbations of the best
    points per proposal), ``n_starts`` (gradient-refined starts among the candidates),
    ``n_best_starts`` (best observed points also refined from), ``n_restarts`` (extra
    hyperparameter restarts), ``max_fit_points`` (subset size for hyperparameter fitting),
    ``prior`` ("unit" | "dimension": length-scale prior, see ``gp.py``), ``n_fantasies``
    (joint samples of the pending jobs' outcomes EI is averaged over) and ``fantasy_spread``
    (their spread as a fraction of the posterior's: 0 is a kriging believer; see
    ``pending.py``).
    """

    def __init__(
        self,
        space: SearchSpace,
        maximize: bool = False,
        seed: int | None = None,
        *,
        n_initial: int | None = None,
        output_warping: str = "power",
        pending: str = "fantasies",
        n_candidates: int = 1024,
        n_restarts: int = 2,
        max_fit_points: int = 250,
        prior: str = "unit",
        n_local: int = 512,
        n_starts: int = 10,
        n_best_starts: int = 1,
        n_fantasies: int = 32,
        fantasy_spread: float = 0.25,
        **options: Any,
    ) -> None:
        if options:
            raise TypeError(f"unknown BayesianSearch options: {sorted(options)}")
        if output_warping not in ("power", "standard", "rank"):
            raise ValueError("output_warping must be 'power', 'standard' or 'rank'")
        if prior not in ("unit", "dimension"):
            raise ValueError("prior must be 'unit' or 'dimension'")
        if pending not in ("believer", "fantasies", "liar-min", "liar-mean"):
            raise ValueError("pending must be 'believer', 'fantasies', 'liar-min' or 'liar-mean'")
        if n_fantasies < 1:
            raise ValueError("n_fantasies must be at least 1")
        if not 0.0 <= fantasy_spread <= 1.0:
            raise ValueError("fantasy_spread must be between 0 and 1")
        self.space = space
        self.maximize = maximize
        self.seed = int(np.random.SeedSequence().entropy % 2**32) if seed is None else int(seed)
        self.n_initial = n_initial if n_initial is not None else 10
        self.output_warping = output_warping
        self.pending = pending
        self.n_candidates = n_candidates
        self.n_restarts = n_restarts
        self.max_fit_points = max_fit_points
        self.prior = prior
        self.n_local = n_local
        self.n_starts = n_starts
        self.n_best_starts = n_best_starts
        self.n_fantasies = n_fantasies
        self.fantasy_spread = fantasy_spread
        self.layout = layout_for(space)
        self._capacity = _capacity(space)
        self._hyper_cache: dict[bytes, Hyper] = {}

    # ------------------------------------------------------------------ public
    def suggest(self, n: int, history: Sequence[Trial]) -> list[Config]:
        """Up to ``n`` new configurations accounting for finished, failed and running trials."""
        if n <= 0 or self.space.encoded_dim == 0:
            return []
        x_all = self.space.encode_many([t.config for t in history])
        taken = {point_key(x) for x in x_all}
        room = self._capacity - len(taken)
        n = int(min(n, max(room, 0)))
        done, y, pending_idx = self._observations(history)
        out: list[np.ndarray] = []
        n_done_ok = int(np.isfinite(y).sum()) if len(y) else 0
        while len(out) < n and (len(history) + len(out) < self.n_initial or n_done_ok < 2):
            point = self._design_point(len(history) + len(out), taken)
            if point is None:
                break
            out.append(point)
        if len(out) < n:
            with _single_blas_thread():
                out += self._model_proposals(n - len(out), x_all, done, y, pending_idx, out, taken)
        return [self.space.decode(p) for p in out]

    def _model_proposals(
        self,
        n: int,
        x_all: np.ndarray,
        done: np.ndarray,
        y: np.ndarray,
        pending_idx: np.ndarray,
        out: list[np.ndarray],
        taken: set[tuple[float, ...]],
    ) -> list[np.ndarray]:
        """``n`` proposals from the GP, ``out`` (design points of this call) counted as pending."""
        rng = np.random.default_rng([self.seed, len(x_all), 1])
        x, z = self._model_data(x_all[done], y)
        hyper = self._fit(x, z, rng)
        pend = np.vstack([x_all[pending_idx], *[p[None, :] for p in out]])
        return propose(
            self.layout,
            x,
            z,
            pend,
            hyper,
            n,
            rng,
            taken,
            method=self.pending,
            n_candidates=self.n_candidates,
            n_local=self.n_local,
            n_starts=self.n_starts,
            n_best_starts=self.n_best_starts,
            n_fantasies=self.n_fantasies,
            fantasy_spread=self.fantasy_spread,
        )

    # ------------------------------------------------------------------ internals
    def _observations(self, history: Sequence[Trial]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Indices of finished trials, their minimised objectives (nan = failed), pending ones."""
        done, ys, pend = [], [], []
        sign = -1.0 if self.maximize else 1.0
        for i, t in enumerate(history):
            if t.state == TrialState.PENDING:
                pend.append(i)
                continue
            done.append(i)
            ok = t.state == TrialState.COMPLETED and t.objective is not None
            value = float(t.objective) if ok else math.nan  # type: ignore[arg-type]
            ys.append(sign * value if math.isfinite(value) else math.nan)
        return np.array(done, dtype=int), np.array(ys, dtype=float), np.array(pend, dtype=int)

    def _model_data(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Impute failures with the worst finite objective, then warp."""
        finite = np.isfinite(y)
        y = np.where(finite, y, y[finite].max())
        return x, warp_targets(y, self.output_warping)

    def _fit(self, x: np.ndarray, z: np.ndarray, rng: np.random.Generator) -> Hyper:
        key = hashlib.sha1(x.tobytes() + z.tobytes() + str(self.seed).encode()).digest()
        hyper = self._hyper_cache.get(key)
        if hyper is None:
            fit_rng = np.random.default_rng([self.seed, len(x), 2])
            hyper = fit_hyper(
                x,
                z,
                fit_rng,
                n_restarts=self.n_restarts,
                max_fit_points=self.max_fit_points,
                prior=self.prior,
            )
            if len(self._hyper_cache) > 64:
                self._hyper_cache.clear()
            self._hyper_cache[key] = hyper
        return hyper

    def _design_point(self, index: int, taken: set[tuple[float, ...]]) -> np.ndarray | None:
        """Sobol point ``index`` (or the next untaken one) of the seeded design."""
        need = index + 64
        m = max(int(np.ceil(np.log2(need))), 1)
        u = qmc.Sobol(self.layout.sobol_dim, scramble=True, seed=self.seed).random_base2(m)
        pts = self.layout.from_unit(u)
        for j in range(index, len(pts)):
            if point_key(pts[j]) not in taken:
                taken.add(point_key(pts[j]))
                return pts[j]
        rng = np.random.default_rng([self.seed, index, 3])
        for _ in range(1000):
            p = self.layout.from_unit(rng.random((1, self.layout.sobol_dim)))[0]
            if point_key(p) not in taken:
                taken.add(point_key(p))
                return p
        return None
