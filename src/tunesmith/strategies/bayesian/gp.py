"""Gaussian-process surrogate: output warping, MAP hyperparameters, posterior with gradients.

Conventions: inputs are the encoded unit cube, targets are *minimised* and already warped
(``warp_targets``) to roughly zero mean and unit variance, so the prior mean is zero and the
signal variance prior can be centred on one.

Hyperparameters ``theta = [log ls_1..d, log s2, log noise]`` are fitted by maximising the log
marginal likelihood plus log priors (MAP) with L-BFGS-B and analytic gradients, from a few
deterministic restarts. Two priors are available. ``unit`` (the default) is centred on unit
length scales of the encoded cube, ``-log p = 0.1 / lam + 0.1 lam`` with ``lam = 1 / ls^2``,
which rules out both spiky over-fits (``ls << 0.3``) and the nearly linear models of very long
length scales, with a Gamma(2, 1) signal variance and a Gamma(1.1, 30) noise variance (mode
3e-3 of the standardised targets). ``dimension`` is a log-normal length-scale prior with a
median growing like ``sqrt(d)``; it favours smooth models in high dimension but, on the
benchmark, left the model stuck in one basin on multi-modal problems (Hartmann-6, Levy-10).
The noise variance never goes below ``MIN_NOISE`` so duplicate observations cannot make the
Cholesky factorisation fail; if it still does, jitter is increased geometrically.

Cost: one likelihood evaluation is O(m^3) for the Cholesky and inverse plus O(m^2 d) for the
gradient, with ``m = min(n, max_fit_points)`` (a deterministic subset keeps fitting bounded as the
history grows); the posterior is factorised once on all n points, O(n^3).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize, stats

from tunesmith.strategies.bayesian.kernels import matern52, matern52_dx, matern52_grad_terms

MIN_NOISE = 1e-6
LOG_LS_BOUNDS = (np.log(1e-2), np.log(1e3))
LOG_S2_BOUNDS = (np.log(1e-2), np.log(1e2))
LOG_NOISE_BOUNDS = (np.log(MIN_NOISE), np.log(1.0))
NOISE_PRIOR = (-8.0, 2.0)  # log-normal (mean, sd) of the noise variance
S2_PRIOR = (0.0, 1.0)


@dataclass(frozen=True)
class Hyper:
    """Kernel hyperparameters in natural units."""

    ls: np.ndarray
    s2: float
    noise: float

    @property
    def theta(self) -> np.ndarray:
        return np.concatenate([np.log(self.ls), [np.log(self.s2), np.log(self.noise)]])

    @classmethod
    def from_theta(cls, theta: np.ndarray) -> Hyper:
        d = len(theta) - 2
        return cls(
            ls=np.exp(theta[:d]), s2=float(np.exp(theta[d])), noise=float(np.exp(theta[d + 1]))
        )


def warp_targets(y: np.ndarray, method: str = "power") -> np.ndarray:
    """Monotone map of minimised objectives to ~N(0, 1) values.

    ``power`` applies a Yeo-Johnson transform (lambda by maximum likelihood) after standardising:
    heavy right tails (a loss that explodes away from the optimum) are compressed so the GP
    spends its resolution near the minimum. It is monotone, so the ranking of points and the
    incumbent are unchanged. ``standard`` only standardises; ``rank`` is a Gaussian copula.
    """
    y = np.asarray(y, dtype=float)
    if len(y) < 2 or np.ptp(y) <= 0:
        return np.zeros_like(y)
    z = (y - y.mean()) / y.std()
    if method == "rank":
        ranks = stats.rankdata(y)
        z = stats.norm.ppf((ranks - 0.5) / len(y))
    elif method == "power" and len(y) >= 4:
        with contextlib.suppress(ValueError, FloatingPointError, OverflowError):
            z, _ = stats.yeojohnson(z)
        if not np.all(np.isfinite(z)):
            z = (y - y.mean()) / y.std()
    sd = z.std()
    return (z - z.mean()) / sd if sd > 0 else np.zeros_like(z)


def _prior_loc(d: int) -> float:
    return float(np.sqrt(2.0) + 0.5 * np.log(max(d, 1)))


def _unit_prior(theta: np.ndarray, d: int, grad: np.ndarray | None) -> float:
    """Negative log prior centred on unit length scales (on the unit cube).

    With ``lam = 1 / ls^2``: ``-log p(lam) = 0.1 / lam + 0.1 lam`` (mode at ``ls = 1``, heavy
    penalty on length scales far below 0.3 or above 3), a Gamma(2, 1) signal variance and a
    Gamma(1.1, 30) noise variance. Adds its gradient w.r.t. ``theta`` to ``grad`` if given.
    """
    e2 = np.exp(2.0 * theta[:d])
    s2, noise = np.exp(theta[d]), np.exp(theta[d + 1])
    if grad is not None:
        grad[:d] += 0.2 * e2 - 0.2 / e2
        grad[d] += s2 - 1.0
        grad[d + 1] += 30.0 * noise - 0.1
    return float(0.1 * (e2 + 1.0 / e2).sum() + s2 - theta[d] + 30.0 * noise - 0.1 * theta[d + 1])


def neg_log_posterior(
    theta: np.ndarray, x: np.ndarray, y: np.ndarray, prior: str = "unit"
) -> tuple[float, np.ndarray]:
    """Negative (log marginal likelihood + log prior) and its gradient w.r.t. ``theta``."""
    n, d = x.shape
    hp = Hyper.from_theta(theta)
    k, g = matern52_grad_terms(x, hp.ls, hp.s2)
    kn = k + (hp.noise + 1e-10) * np.eye(n)
    try:
        chol = linalg.cholesky(kn, lower=True, check_finite=False)
    except linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    alpha = linalg.cho_solve((chol, True), y, check_finite=False)
    nll = 0.5 * y @ alpha + np.log(np.diag(chol)).sum() + 0.5 * n * np.log(2 * np.pi)
    kinv = linalg.cho_solve((chol, True), np.eye(n), check_finite=False)
    w = np.outer(alpha, alpha) - kinv  # d(log ML)/dK
    grad = np.empty_like(theta)
    wg = w * g
    for j in range(d):
        diff = x[:, j][:, None] - x[:, j][None, :]
        grad[j] = -0.5 * np.sum(wg * diff * diff) / hp.ls[j] ** 2
    grad[d] = -0.5 * np.sum(w * k)
    grad[d + 1] = -0.5 * np.trace(w) * hp.noise
    if prior == "unit":
        nll += _unit_prior(theta, d, grad)
        return float(nll), grad
    # Log-normal priors on length scales, signal and noise variance.
    mu_l, sd_l = _prior_loc(d), np.sqrt(3.0)
    lp_terms = [
        ((theta[:d] - mu_l) / sd_l, sd_l, slice(0, d)),
        ((theta[d : d + 1] - S2_PRIOR[0]) / S2_PRIOR[1], S2_PRIOR[1], slice(d, d + 1)),
        ((theta[d + 1 :] - NOISE_PRIOR[0]) / NOISE_PRIOR[1], NOISE_PRIOR[1], slice(d + 1, d + 2)),
    ]
    for z, sd, sl in lp_terms:
        nll += 0.5 * float(z @ z)
        grad[sl] += z / sd
    return float(nll), grad


def fit_hyper(
    x: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    n_restarts: int = 2,
    max_fit_points: int = 250,
    maxiter: int = 80,
    prior: str = "unit",
) -> Hyper:
    """MAP hyperparameters from the prior median plus ``n_restarts`` prior draws."""
    n, d = x.shape
    if n > max_fit_points:
        # Bounded cost: keep the best quarter (where the optimiser works) and a random rest.
        order = np.argsort(y)
        keep = order[: max_fit_points // 4]
        rest = rng.choice(order[max_fit_points // 4 :], max_fit_points - len(keep), replace=False)
        idx = np.sort(np.concatenate([keep, rest]))
        x, y = x[idx], y[idx]
    bounds = [LOG_LS_BOUNDS] * d + [LOG_S2_BOUNDS, LOG_NOISE_BOUNDS]
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    mu_l = _prior_loc(d) - 1.0 if prior == "dimension" else 0.0
    starts = [np.concatenate([np.full(d, mu_l), [0.0, np.log(1e-3)]])]
    # With many observations the posterior mode is well identified: one restart is enough and
    # keeps suggestion latency bounded at hundreds of observations.
    for _ in range(n_restarts if len(x) <= 150 else min(n_restarts, 1)):
        starts.append(
            np.concatenate(
                [rng.normal(mu_l, 1.0, d), [rng.normal(0.0, 0.5), rng.normal(-6.0, 1.5)]]
            )
        )
    best_val, best_theta = np.inf, starts[0]
    for s in starts:
        s = np.clip(s, lo, hi)
        res = optimize.minimize(
            neg_log_posterior,
            s,
            args=(x, y, prior),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": maxiter},
        )
        if np.isfinite(res.fun) and res.fun < best_val:
            best_val, best_theta = float(res.fun), res.x
    return Hyper.from_theta(np.clip(best_theta, lo, hi))


class GaussianProcess:
    """Exact GP posterior for fixed hyperparameters (zero prior mean on warped targets).

    ``y`` may be a matrix, one column per set of targets on the same inputs (the fantasies of
    ``pending.py``): the factorisation and the variance are shared, each column gets its mean.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, hyper: Hyper, n_noiseless: int = 0) -> None:
        """``n_noiseless`` trailing rows are fantasies: conditioned on with jitter only, so the
        variance really collapses there whatever noise the real observations carry."""
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.hyper = hyper
        k = matern52(self.x, self.x, hyper.ls, hyper.s2)
        diag = np.full(len(self.x), max(hyper.noise, MIN_NOISE))
        if n_noiseless:
            diag[-n_noiseless:] = MIN_NOISE
        jitter = 1.0
        for _ in range(8):
            try:
                kd = k + np.diag(diag * jitter)
                self.chol = linalg.cholesky(kd, lower=True, check_finite=False)
                break
            except linalg.LinAlgError:
                jitter *= 10.0
        else:  # pragma: no cover - a diagonal of s2 + 1e2 is always positive definite
            raise linalg.LinAlgError("covariance matrix is not positive definite")
        self.alpha = linalg.cho_solve((self.chol, True), self.y, check_finite=False)

    def predict(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance of the latent function at ``xs`` (m, d)."""
        ks = matern52(xs, self.x, self.hyper.ls, self.hyper.s2)
        mean = ks @ self.alpha
        v = linalg.solve_triangular(self.chol, ks.T, lower=True, check_finite=False)
        var = np.maximum(self.hyper.s2 - (v * v).sum(0), 1e-12)
        return mean, var

    def predict_cov(self, xs: np.ndarray) -> np.ndarray:
        """Joint posterior covariance at ``xs`` (for sampling fantasies)."""
        ks = matern52(xs, self.x, self.hyper.ls, self.hyper.s2)
        v = linalg.solve_triangular(self.chol, ks.T, lower=True, check_finite=False)
        return matern52(xs, xs, self.hyper.ls, self.hyper.s2) - v.T @ v

    def predict_grad(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, variance and their gradients w.r.t. the inputs, for local refinement (with a
        matrix ``y``: mean ``(m, F)`` and its gradient ``(m, F, d)``)."""
        ks, dks = matern52_dx(xs, self.x, self.hyper.ls, self.hyper.s2)
        mean = ks @ self.alpha
        kinv_k = linalg.cho_solve((self.chol, True), ks.T, check_finite=False)  # (n, m)
        var = np.maximum(self.hyper.s2 - (ks * kinv_k.T).sum(1), 1e-12)
        dmean = np.einsum("mnd,n...->m...d", dks, self.alpha)
        dvar = -2.0 * np.einsum("mnd,nm->md", dks, kinv_k)
        return mean, var, dmean, dvar
