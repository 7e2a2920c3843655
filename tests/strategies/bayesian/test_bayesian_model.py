"""The numerical core on plain arrays: kernel and likelihood gradients, log-EI, posterior."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from tunesmith.strategies.bayesian.acquisition import log_ei, log_ei_grad, log_h
from tunesmith.strategies.bayesian.gp import (
    GaussianProcess,
    Hyper,
    fit_hyper,
    neg_log_posterior,
    warp_targets,
)
from tunesmith.strategies.bayesian.optimize import IntegerDim, Layout, maximize, sobol
from tunesmith.strategies.bayesian.pending import _Acquisition


def test_log_h_matches_naive_and_stays_finite() -> None:
    z = np.linspace(-5, 5, 41)
    naive = np.log(stats.norm.pdf(z) + z * stats.norm.cdf(z))
    assert np.allclose(log_h(z), naive, rtol=1e-8, atol=1e-10)
    far = log_h(np.array([-40.0, -1e5, -1e100]))
    assert np.all(np.isfinite(far)) and np.all(np.diff(far) < 0)


def test_log_ei_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((12, 3))
    y = np.sin(6 * x).sum(1)
    gp = GaussianProcess(x, warp_targets(y, "standard"), Hyper(np.full(3, 0.3), 1.0, 1e-4))
    q = rng.random((4, 3))
    best = float(gp.y.min())
    val, grad = log_ei_grad(*gp.predict_grad(q), best)
    assert np.allclose(val, log_ei(*gp.predict(q), best))
    eps = 1e-6
    for j in range(3):
        dq = q.copy()
        dq[:, j] += eps
        fd = (log_ei(*gp.predict(dq), best) - val) / eps
        assert np.allclose(grad[:, j], fd, rtol=1e-3, atol=1e-4)


def _fantasy_setup() -> tuple[np.ndarray, np.ndarray, Hyper, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.random((14, 3))
    z = warp_targets(np.sin(5 * x).sum(1), "standard")
    targets = np.column_stack([np.r_[z, rng.normal(size=3)] for _ in range(5)])
    xs = np.vstack([x, rng.random((3, 3))])
    return xs, targets, Hyper(np.array([0.3, 0.5, 0.4]), 1.0, 1e-4), rng.random((6, 3))


def test_matrix_targets_match_one_gp_per_column() -> None:
    """Fantasies share one factorisation: each column must get exactly its own posterior."""
    xs, targets, hyper, q = _fantasy_setup()
    joint = GaussianProcess(xs, targets, hyper, 3)
    mean, var = joint.predict(q)
    jm, jv, jdm, jdv = joint.predict_grad(q)
    for f in range(targets.shape[1]):
        alone = GaussianProcess(xs, targets[:, f], hyper, 3)
        m1, v1 = alone.predict(q)
        _, _, dm1, dv1 = alone.predict_grad(q)
        assert np.allclose(mean[:, f], m1) and np.allclose(var, v1)
        assert np.allclose(jm[:, f], m1) and np.allclose(jv, v1)
        assert np.allclose(jdm[:, f], dm1) and np.allclose(jdv, dv1)


def test_fantasy_average_and_its_gradient() -> None:
    """log of the mean EI over fantasies, each with its own incumbent, and its exact gradient."""
    xs, targets, hyper, q = _fantasy_setup()
    bests = targets.min(axis=0) - np.linspace(0.0, 0.4, targets.shape[1])
    acq = _Acquisition(GaussianProcess(xs, targets, hyper, 3), bests)
    per = [
        np.exp(log_ei(*GaussianProcess(xs, targets[:, f], hyper, 3).predict(q), bests[f]))
        for f in range(len(bests))
    ]
    assert np.allclose(acq(q), np.log(np.mean(per, axis=0)))
    val, grad = acq.with_grad(q)
    assert np.allclose(val, acq(q))
    eps = 1e-6
    for j in range(3):
        dq = q.copy()
        dq[:, j] += eps
        assert np.allclose(grad[:, j], (acq(dq) - val) / eps, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("prior", ["dimension", "unit"])
def test_likelihood_gradient_matches_finite_differences(prior: str) -> None:
    rng = np.random.default_rng(1)
    x = rng.random((15, 2))
    y = warp_targets(np.cos(5 * x[:, 0]) + x[:, 1], "standard")
    theta = np.array([np.log(0.4), np.log(0.7), np.log(1.2), np.log(1e-3)])
    _, grad = neg_log_posterior(theta, x, y, prior)
    fd = optimize.approx_fprime(theta, lambda t: neg_log_posterior(t, x, y, prior)[0], 1e-6)
    assert np.allclose(grad, fd, rtol=1e-3, atol=1e-3)


def test_duplicates_do_not_break_the_factorisation() -> None:
    x = np.vstack([np.full((20, 2), 0.5), np.random.default_rng(2).random((5, 2))])
    y = warp_targets(np.r_[np.linspace(0, 1, 20), np.zeros(5)], "standard")
    hyper = fit_hyper(x, y, np.random.default_rng(0))
    mean, var = GaussianProcess(x, y, hyper).predict(np.array([[0.5, 0.5], [0.1, 0.9]]))
    assert np.all(np.isfinite(mean)) and np.all(var > 0)


def test_power_warping_is_monotone_and_compresses_heavy_tails() -> None:
    y = np.r_[np.linspace(0, 1, 20), 1e6]
    z = warp_targets(y, "power")
    assert np.all(np.diff(z) > 0)
    zs = warp_targets(y, "standard")
    # Standardising alone squashes all but the outlier together; warping keeps them apart.
    assert np.ptp(z[:20]) > 10 * np.ptp(zs[:20])


def test_integer_snapping_hits_exact_positions() -> None:
    pos = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    dim = IntegerDim(0, positions=pos)
    assert list(dim.snap(np.array([0.0, 0.19, 0.21, 0.99]))) == [0.1, 0.1, 0.3, 0.9]
    assert dim.step(0.3, -1) == 0.1 and dim.step(0.9, 1) is None


@pytest.mark.parametrize("dim", [2, 6])
def test_maximize_finds_the_optimum_of_a_smooth_acquisition(dim: int) -> None:
    target = np.linspace(0.2, 0.8, dim)
    layout = Layout.continuous(dim)

    def acq(x: np.ndarray) -> np.ndarray:
        return -((x - target) ** 2).sum(1)

    def acq_grad(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return acq(x), -2 * (x - target)

    cands = sobol(layout, 256, np.random.default_rng(0))
    pts, vals = maximize(layout, cands, acq, acq_grad)
    assert np.allclose(pts[0], target, atol=1e-4)
    assert np.all(np.diff(vals) <= 0)


def test_extra_start_at_the_incumbent_finds_a_narrow_nearby_peak() -> None:
    # A broad bump elsewhere and a narrow peak next to the incumbent: coarse candidates only
    # see the bump; refining from the incumbent (as the strategy does) climbs the peak.
    layout = Layout.continuous(4)
    peak, bump = np.full(4, 0.83), np.full(4, 0.2)

    def parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return 0.5 * np.exp(-((x - bump) ** 2).sum(1)), np.exp(-((x - peak) ** 2).sum(1) / 8e-3)

    def acq(x: np.ndarray) -> np.ndarray:
        return sum(parts(x))

    def acq_grad(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b, p = parts(x)
        grad = -2 * b[:, None] * (x - bump) - p[:, None] * (x - peak) / 4e-3
        return b + p, grad

    cands = sobol(layout, 32, np.random.default_rng(0))
    without, _ = maximize(layout, cands, acq, acq_grad)
    assert not np.allclose(without[0], peak, atol=1e-2)
    incumbent = (peak + 0.02)[None, :]
    pts, vals = maximize(layout, cands, acq, acq_grad, extra_starts=incumbent)
    assert np.allclose(pts[0], peak, atol=1e-2) and vals[0] > 1.0
