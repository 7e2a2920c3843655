"""Expected improvement in log space (log-EI), stable far from the incumbent.

Plain EI underflows to exactly zero (and so has zero gradient) wherever the improvement is a few
standard deviations away, which is most of the space after a few dozen observations; candidate
ranking and gradient refinement then stall. Following Ament et al. (2023, "Unexpected
Improvements to Expected Improvement") we compute ``log EI = log h(z) + log sigma`` with
``h(z) = phi(z) + z Phi(z)`` and ``z = (best - mu) / sigma`` (minimisation), evaluating
``log h`` with ``erfcx`` for negative ``z`` so it stays finite and smooth down to ``z = -1e150``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

_C1 = 0.5 * np.log(2.0 * np.pi)
_C2 = 0.5 * np.log(np.pi / 2.0)
_INV_SQRT_EPS = 1.0 / np.sqrt(np.finfo(float).eps)


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """``log(1 - exp(x))`` for ``x < 0``, accurate near both ends."""
    return np.where(x > -np.log(2.0), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def log_h(z: np.ndarray) -> np.ndarray:
    """``log(phi(z) + z Phi(z))`` without cancellation or underflow."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    hi = z > -1.0
    zh = z[hi]
    out[hi] = np.log(np.exp(-0.5 * zh * zh - _C1) + zh * special.ndtr(zh))
    zl = z[~hi]
    mid = zl > -_INV_SQRT_EPS
    res = np.empty_like(zl)
    zm = zl[mid]
    res[mid] = (
        -0.5 * zm * zm - _C1 + _log1mexp(np.log(special.erfcx(-zm / np.sqrt(2.0)) * -zm) + _C2)
    )
    zt = zl[~mid]
    res[~mid] = -0.5 * zt * zt - _C1 - 2.0 * np.log(-zt)
    out[~hi] = res
    return out


def dlog_h(z: np.ndarray, lh: np.ndarray) -> np.ndarray:
    """Derivative of ``log h`` given ``lh = log_h(z)``: ``h'(z) = Phi(z)``."""
    return np.exp(special.log_ndtr(z) - lh)


def log_ei(mean: np.ndarray, var: np.ndarray, best: float | np.ndarray) -> np.ndarray:
    """log EI of improving below ``best`` for Gaussian predictions (minimisation)."""
    sigma = np.sqrt(var)
    z = (best - mean) / sigma
    return log_h(z) + np.log(sigma)


def log_ei_grad(
    mean: np.ndarray, var: np.ndarray, dmean: np.ndarray, dvar: np.ndarray, best: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """log EI and its gradient w.r.t. the inputs given the posterior gradients."""
    sigma = np.sqrt(var)
    z = (best - mean) / sigma
    lh = log_h(z)
    dsigma = dvar / (2.0 * sigma[:, None])
    dz = -(dmean + z[:, None] * dsigma) / sigma[:, None]
    grad = dlog_h(z, lh)[:, None] * dz + dsigma / sigma[:, None]
    return lh + np.log(sigma), grad
