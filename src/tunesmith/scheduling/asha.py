"""Asynchronous successive halving (ASHA), the stopping half of ``Strategy: Hyperband``.

Resource = objective reports: a job's t-th objective value is its value at resource ``t``.

* **Rungs.** ``r_k = MinResource * eta**k`` for every ``k >= 0`` with ``r_k < MaxResource``
  (``eta = 3``). MinResource 1, MaxResource 27 gives rungs 1, 3, 9.
* **Brackets.** Bracket ``s`` starts at rung ``s``: a job in bracket ``s`` is judged at rungs
  ``s, s+1, ...`` only. A job's bracket is a pure function of ``(seed, ordinal)`` (see
  :func:`bracket_of`), drawn with Hyperband's proportions. With ``brackets=1`` (the default,
  as in the usual ASHA setups) every job is in bracket 0.
* **Rung rule.** When a job reports step ``r_k`` (a rung of its bracket) with value ``v``, the
  *recorded values* are the step-``r_k`` values of every other job of the tuning job that has
  already reported step ``r_k`` (any bracket, running or finished, in arrival order). With
  ``n`` recorded values, the job's rank is ``1 + #(recorded values strictly better than v)``,
  so ties share the better rank. It continues iff ``rank <= max(1, floor((n + 1) / eta))``:
  it is in the top ``1/eta`` of the ``n + 1`` values now at the rung, and the best value so far
  always continues. So the first arrival at a rung continues, the second and third continue
  only if at least as good as every earlier one, and so on. Otherwise it is stopped at once.
* **Probation.** A job that continues past a rung holding fewer than ``eta`` values (counting
  its own) had no top ``1/eta`` to be in: it continues *on probation*. At each of its later
  reports (below MaxResource) its value at that rung is ranked again, the same way, against
  the values the rung holds by then (``n`` values, its own included): it is stopped as soon as
  ``rank > max(1, floor(n / eta))``, and the pass becomes final once ``n >= eta`` and it is
  still within. This is ASHA's promotion rule (a job leaves a rung only when it is in the top
  ``1/eta`` of at least ``eta`` values) for jobs that cannot be paused: they keep training
  while the evidence comes in instead of waiting for it. Passes made on ``eta`` or more
  values are never revisited.
* **MaxResource.** A report at step ``MaxResource`` is the job's last: it is not stopped there,
  so a script whose epochs equal MaxResource saves its model and exits normally. A report at
  step ``> MaxResource`` stops the job.

Given the same sequence of reports the decisions are identical (no randomness besides the
seeded bracket draw), so a simulated tuning job is reproducible from its seed. Probation is the
only state the scheduler keeps; a controller that is restarted starts without it (the passes
then count as final).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tunesmith.scheduling.base import Decision, JobCurve

ETA = 3


def rungs(min_resource: int, max_resource: int, eta: int = ETA) -> list[int]:
    """Rung levels ``min_resource * eta**k`` strictly below ``max_resource``."""
    levels = []
    level = min_resource
    while level < max_resource:
        levels.append(level)
        level *= eta
    return levels


def bracket_weights(n_rungs: int, brackets: int, eta: int = ETA) -> list[float]:
    """Hyperband's share of configurations per bracket (bracket 0 = most aggressive).

    With ``S = n_rungs`` (the number of rungs below MaxResource), bracket ``s`` gets
    ``(S + 1) / (S - s + 1) * eta**(S - s)`` configurations in synchronous Hyperband; ASHA draws
    brackets with those proportions.
    """
    s_max = n_rungs
    weights = [(s_max + 1) / (s_max - s + 1) * eta ** (s_max - s) for s in range(brackets)]
    total = sum(weights)
    return [w / total for w in weights]


def bracket_of(ordinal: int, seed: int, weights: list[float]) -> int:
    """The bracket of the job with this launch ordinal: a seeded draw, so reproducible."""
    if len(weights) <= 1:
        return 0
    u = float(np.random.default_rng([seed, ordinal, 0x5EED]).random())
    cumulative = 0.0
    for s, w in enumerate(weights):
        cumulative += w
        if u < cumulative:
            return s
    return len(weights) - 1


class AshaScheduler:
    """ASHA rungs; see the module docstring for the exact rule."""

    def __init__(
        self,
        maximize: bool,
        max_resource: int,
        min_resource: int = 1,
        eta: int = ETA,
        brackets: int = 1,
        seed: int = 0,
        metric_name: str = "objective",
        probation: bool = True,
    ) -> None:
        if min_resource < 1 or max_resource < min_resource:
            raise ValueError("need 1 <= min_resource <= max_resource")
        if eta < 2:
            raise ValueError("eta must be at least 2")
        self.maximize = maximize
        self.min_resource = min_resource
        self.max_resource = max_resource
        self.eta = eta
        self.seed = seed
        self.metric_name = metric_name
        self.rungs = rungs(min_resource, max_resource, eta)
        self.brackets = max(1, min(brackets, len(self.rungs) + 1))
        self.weights = bracket_weights(len(self.rungs), self.brackets, eta)
        self.probation = probation  # False: passes on fewer than eta values are final at once
        self._probation: dict[str, set[int]] = {}

    def bracket(self, ordinal: int) -> int:
        return bracket_of(ordinal, self.seed, self.weights)

    def on_report(
        self, job: str, step: int, value: float, curves: Mapping[str, JobCurve]
    ) -> Decision:
        if step > self.max_resource:
            return Decision.stop(
                f"Hyperband: reached MaxResource {self.max_resource} "
                f"(report {step} of {self.metric_name})"
            )
        me = curves.get(job)
        if me is None:
            return Decision.go_on()
        if step < self.max_resource:
            revoked = self._review_probation(job, me, curves)
            if revoked is not None:
                return revoked
        else:
            self._probation.pop(job, None)  # its last report: nothing left to answer for
        if step not in self.rungs:
            return Decision.go_on()
        rung = self.rungs.index(step)
        bracket = self.bracket(me.ordinal)
        if rung < bracket:
            return Decision.go_on()
        rank, n = self._rank(job, step, value, curves)
        allowed = max(1, n // self.eta)
        if rank > allowed:
            return Decision.stop(
                f"Hyperband: {self.metric_name} {value:.4g} at rung {rung} (epoch {step}, "
                f"bracket {bracket}) ranked {rank} of {n}; only the top {allowed} "
                f"(top 1/{self.eta}) continue, threshold {self._threshold(step, allowed, curves)}"
            )
        if n < self.eta and self.probation:
            self._probation.setdefault(job, set()).add(step)
        return Decision.go_on()

    def on_probation(self, job: str) -> list[int]:
        """The rung steps ``job`` passed on fewer than ``eta`` values and still answers for."""
        return sorted(self._probation.get(job, ()))

    def _review_probation(
        self, job: str, me: JobCurve, curves: Mapping[str, JobCurve]
    ) -> Decision | None:
        """Rank the job again at the rungs it passed on probation; a STOP if it fell out."""
        for step in self.on_probation(job):
            if len(me.values) < step:  # a new attempt (retry) starts with a clean slate
                self._probation[job].discard(step)
                continue
            value = me.values[step - 1]
            rank, n = self._rank(job, step, value, curves)
            allowed = max(1, n // self.eta)
            if rank > allowed:
                self._probation.pop(job, None)
                return Decision.stop(
                    f"Hyperband: {self.metric_name} {value:.4g} at rung "
                    f"{self.rungs.index(step)} (epoch {step}) passed on probation and is now "
                    f"ranked {rank} of {n} there; only the top {allowed} (top 1/{self.eta}) "
                    f"continue, threshold {self._threshold(step, allowed, curves)}"
                )
            if n >= self.eta:
                self._probation[job].discard(step)
        return None

    def _rank(
        self, job: str, step: int, value: float, curves: Mapping[str, JobCurve]
    ) -> tuple[int, int]:
        """(rank of ``value`` among the step-``step`` values, number of those values)."""
        recorded = [
            curve.values[step - 1]
            for name, curve in curves.items()
            if name != job and len(curve.values) >= step
        ]
        return 1 + sum(1 for u in recorded if self._better(u, value)), len(recorded) + 1

    def _threshold(self, step: int, allowed: int, curves: Mapping[str, JobCurve]) -> str:
        values = [c.values[step - 1] for c in curves.values() if len(c.values) >= step]
        return f"{sorted(values, reverse=self.maximize)[allowed - 1]:.4g}"

    def _better(self, a: float, b: float) -> bool:
        return a > b if self.maximize else a < b
