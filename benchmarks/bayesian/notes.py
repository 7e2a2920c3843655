"""The hand-written part of the benchmark section: method notes and what was tried.

Kept apart from ``report.py`` (which computes every number in the generated tables) so the
prose can be updated after a run and the section rewritten with ``run.py --report-only``.
"""

from __future__ import annotations


def table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


_TRIED_ROWS = [
    (
        "former defaults (dimension-scaled prior, `clip(d+1,5,10)` design, kriging believer)",
        "0.009 / 0.220 / 0.234",
        "0.000 / 0.356 / 0.487",
        "0.154",
        "0.281",
    ),
    (
        "output warping `standard` (base: former)",
        "0.000 / 0.272 / 0.287",
        "0.000 / 0.405 / 0.528",
        "0.186",
        "0.311",
    ),
    (
        "A: prior centred on unit length scales (base: former)",
        "0.009 / 0.108 / 0.174",
        "0.000 / 0.133 / 0.176",
        "0.097",
        "0.103",
    ),
    ("A + `standard` warping", "0.000 / 0.195 / 0.115", "0.000 / 0.150 / 0.199", "0.103", "0.116"),
    (
        "A + 2048 Sobol candidates, 10 refined starts",
        "0.009 / 0.095 / 0.187",
        "0.000 / 0.137 / 0.177",
        "0.097",
        "0.105",
    ),
    (
        "A + 5 hyperparameter restarts instead of 2",
        "0.009 / 0.101 / 0.211",
        "0.000 / 0.137 / 0.176",
        "0.107",
        "0.104",
    ),
    (
        "B: A + 10-point initial design",
        "0.000 / 0.019 / 0.174",
        "0.000 / 0.133 / 0.176",
        "0.064",
        "0.103",
    ),
    ("B + constant liar (mean target)", "–", "0.000 / 0.258 / 0.232", "–", "0.163"),
    (
        "**C: B + EI over 8 fantasies (new default)**",
        "0.000 / 0.019 / 0.174",
        "0.000 / 0.063 / 0.149",
        "0.064",
        "0.071",
    ),
    ("C + `standard` warping", "0.000 / 0.015 / 0.115", "0.000 / 0.039 / 0.181", "0.043", "0.073"),
    (
        "C + global candidates only (no perturbations of the best points; 2048 Sobol, 10 starts)",
        "–",
        "0.000 / 0.163 / 0.239",
        "–",
        "0.134",
    ),
    (
        "C + 1024 perturbations of the best points instead of 512",
        "0.000 / 0.019 / 0.121",
        "0.000 / 0.153 / 0.194",
        "0.047",
        "0.116",
    ),
    ("C + 4 hyperparameter restarts", "– / 0.019 / 0.139", "–", "–", "–"),
    (
        "optuna-gp, previous documented 5-seed run",
        "0.000 / 0.016 / 0.144",
        "0.000 / 0.162 / 0.185",
        "0.053",
        "0.116",
    ),
]

# Second round: sequential, seeds 0-9 (30 where noted), normalised with the reference values
# (f*, median random value) of the former 3-seed run so that rounds compare.
_ROUND2_ROWS = [
    ("D: C, the former default", "0.030 / 0.151 / 0.083", "0.024 / 0.144 / 0.079"),
    (
        "**E: D + L-BFGS-B also started from the incumbent (new default)**",
        "0.040 / 0.167 / 0.059",
        "0.028 / 0.143 / 0.071",
    ),
    ("D + hyperparameter fit started at noise 1 (as Optuna does)", "0.030 / 0.128 / –", "–"),
    ("E + hyperparameter fit started at noise 1", "0.030 / 0.114 / 0.079", "–"),
    ("D + `standard` warping", "0.037 / – / 0.069", "–"),
    ("D + global candidates only (2048 Sobol, no perturbations)", "0.029 / – / –", "–"),
    (
        "D + EI averaged over 4 hyperparameter draws (Laplace approximation at the MAP)",
        "0.076 / 0.164 / –",
        "–",
    ),
    ("optuna-gp (for scale)", "0.012 / 0.143 / 0.059", "0.080 / – / –"),
]

# Third round: sequential, seeds 0-29, normalised as in quick.py; each row against the
# default of that time (E) on the same seeds. "stuck": final value above -3.3 on Hartmann-6.
_ROUND3_ROWS = [
    ("E, the former default", "0.0279 (14 stuck)", "0.1430"),
    (
        "E + an exploratory proposal after every 5 trials without improvement (EI for at "
        "least 1 sd of improvement)",
        "0.0421 (16)",
        "0.1408",
    ),
    (
        "E + an exploratory proposal after every 10 stalled trials, at least 0.5 away from "
        "the incumbent",
        "0.0271 (14)",
        "0.1346",
    ),
    (
        "E + 5 extra L-BFGS-B starts drawn in proportion to EI (as Optuna does)",
        "0.0244 (14)",
        "0.1085",
    ),
    ("E + 10 such starts", "0.0271 (14)", "0.1325"),
    ("E + 16-point initial design", "0.0201 (13)", "0.1210"),
    ("E + length scales capped at 2", "0.0310 (14)", "0.1323"),
    ("**F: E + the 10 best candidates refined instead of 5 (new default)**", "0.0244", "0.1124"),
    ("optuna-gp (documented seeds 0-9 only)", "0.0119", "0.1434"),
]
_ROUND3_60 = [
    ("E, the former default", "0.0298 (24 of 60 stuck)", "0.1435"),
    ("**F: 10 refined starts**", "0.0275", "0.1199"),
    ("E + 5 EI-proportional starts", "0.0322", "0.1377"),
    ("E + 16-point initial design", "0.0391", "0.1443"),
]

_ROUND3 = """\
**Third round** (aimed at Hartmann-6's local optima and Levy-10). Single runs, sequential,
mean normalised regret at 50 on Hartmann-6 / Levy-10, seeds 0-29:

{round3_table}

Rechecked on seeds 0-59:

{round3_60_table}

- Why Hartmann-6 gets stuck: refitting the GP after 40 evaluations on six stuck seeds, the
  model rules the global basin out rather than the optimiser missing it: at the optimum it
  predicts a poor value (+0.3 to +1.2 standardised warped units) with a small spread (sd
  0.34-0.46), log-EI -14 to -25 against -7 to -10 for the best Sobol candidate. Two of the
  six length scales are fitted at 3.4-4.9 (treated as irrelevant), so unseen points look
  close to the data, and after Yeo-Johnson warping the incumbent is only about 1.2 sd below
  the mean. Exploratory proposals and a length-scale cap therefore left the stuck count
  where it was (about 14 of 30 seeds).
- The EI-proportional starts and the 16-point design looked good on seeds 0-29 and were
  worse on seeds 30-59: seed noise. Only the 10 refined starts held up over 60 seeds
  (Hartmann-6 -0.002, Levy-10 -0.024, about one and two standard errors). At batch 10
  (seeds 0-39) it is better on Hartmann-6 (0.080 vs 0.109) and worse on Levy-10 (0.211 vs
  0.191); on the other problems (seeds 0-9) it is level within 0.001, hgb_cancer level
  sequentially and better at batch 10. Suggestion latency is unchanged (0.20 s at 200
  observations, 0.31 s at 500, ours alone). Kept (F).
- Not kept: the exploration rules, the EI-proportional starts, the larger initial design and
  the length-scale cap (the options were removed again). Closing Hartmann-6's gap probably
  needs a model that stops fitting long length scales once it settles in one basin.
- Outcome of the former 10-seed run (default F): the sequential target is still missed, 0.042
  against optuna-gp's 0.040 (by 0.002; 0.007 with E). Hartmann-6 is the gap (0.030 vs
  0.012, on seeds 0-9, where ours is unlucky, see the second round); Levy-10 is now ahead
  (0.141 vs 0.151); hgb_cancer is level (0.120 vs 0.119; its f* is the best value any
  optimiser found in the run, and this run found a better one, which doubled every
  optimiser's regret there). At batch 10 ours has 0.056 against 0.078 and loses 11% of its
  sequential edge (14% with E). Every other target is met.
"""

_OUTCOME = """\
- Outcome of the former 10-seed run (default E): the sequential target was missed, 0.040 against
  optuna-gp's 0.033 (0.007, about a fifth too high). The gap is Hartmann-6 (0.041 vs 0.012;
  seeds 0-9 are ones where ours is unlucky, see above) and Levy-10 (0.176 vs 0.151);
  hgb_cancer is level (0.065 vs 0.066). Every other target is met. The edge lost at batch
  10 is 14%, close to the 15% limit (4% in the former 3-seed run). The former default D,
  run afterwards on the same seeds and normalised with this run's reference values, gives
  0.040 sequentially, 0.057 at batch 10 and 14% lost. So the incumbent start neither caused
  the batch-10 numbers nor closes the sequential gap.
- Next: keep a seed from settling in the first basin it finds (for example a restart once
  the incumbent has not moved for a while, or a small share of proposals from a more
  exploratory acquisition), judged on 30 seeds, since 10 cannot separate the two GPs."""

_ROUND4_ROWS = [
    ("8 fantasies (the default until the fifth session)", "0.091 / 0.215", "0.105 / 0.203"),
    ("4 fantasies", "0.094 / 0.200", "0.128 / 0.219"),
    ("16 fantasies", "0.109 / 0.217", "–"),
    ("32 fantasies (3x the batch cost)", "0.107 / 0.155", "0.109 / 0.202"),
    ("kriging believer instead of fantasies", "0.116 / 0.178", "–"),
]

_ROUND4 = """\
**Fourth round: 20 seeds.** The tables above come from 20 seeds (0-19; the 10 of the former
run plus 10 more, every optimiser, same code; `--seeds 20 --keep-runs`; the parallelism
curve is the former run's, which uses 10 seeds either way). The default command
now runs 20 seeds: with 10, the seeds on which one GP lands in a local Hartmann-6 basin moved
the suite mean by more than the gap between the two GPs (second round).

| | ours, seeds 0-9 | ours, seeds 10-19 | optuna-gp, seeds 0-9 | optuna-gp, seeds 10-19 |
|---|---|---|---|---|
| sequential, suite mean | 0.040 | 0.037 | 0.039 | 0.054 |
| batch 10, suite mean | 0.054 | 0.068 | 0.075 | 0.062 |
| edge lost at batch 10 | 11% | 20% | 27% | 6% |

- Outcome of the fourth session's run (20 seeds, 8 fantasies): the sequential target is met
  (0.038 against optuna-gp's 0.046; on Hartmann-6 0.022 against 0.049), and so are both
  average ranks and the latency targets. The batch target was MISSED by about one point:
  15.9% of the sequential edge lost (optuna-gp 16.4%). It is within seed noise: a bootstrap
  over the 20 seeds gives a 90% interval of 8-25% for ours (and 8-25% for optuna-gp); the
  halves of the run measure 11% and 20%. Most of it is Hartmann-6 (0.022 sequential, 0.091
  at batch 10) and Levy-10 (0.131, 0.215).
- Tried for batch 10 (single runs, ours only, Hartmann-6 / Levy-10 at batch 10, normalised
  with this run's reference values): the number of fantasies and the kriging believer.

{round4_table}

  No variant is better on both problems beyond seed noise (32 fantasies looked better on
  Levy-10 over seeds 0-19 and were level over seeds 20-59); 8 fantasies stay the default
  (`n_fantasies` is now an option of `BayesianSearch`). Also within noise on seeds 0-19:
  2048 Sobol candidates (0.097 / 0.217) and 20 refined starts (0.118 / 0.174). At batch 10
  ours does not lose by refining too little: its Hartmann-6 values end spread between -3.31
  and -3.03 rather than in the -3.20 basin, but reserving the last one or two proposals of each
  batch for the posterior mean's minimum made both problems worse (0.111 / 0.217 and
  0.144 / 0.259), and so did Thompson sampling for the later proposals of a batch (the minimum
  of one joint posterior sample over the candidates: 0.111 / 0.313; with the pending jobs
  fantasised at their posterior mean: 0.134 / 0.284), and local penalisation (EI of the real
  observations times Gonzalez et al.'s Lipschitz penalisers around the pending points:
  0.176 / 0.312). The two Hartmann-6 seeds that cost most at batch 10 (14 and 17, -2.07 and
  -1.32) start from a poor design and climb: sequentially each step moves the incumbent
  (seed 17: -0.85, -1.80 after 20, -2.91 after 30), in batches of 10 only about one proposal
  per batch climbs (-0.85, -0.93, -1.14, -1.21, -1.32); optuna-gp fails on seed 14 too.
- Trust regions (fifth session; seeds 0-59, where the default measures 0.100 / 0.207): the
  proposals made while jobs are pending searched only a box around the incumbent, its side
  `L` times each length scale over their geometric mean (TuRBO's shape, fantasies kept inside
  it). L = 0.4 for every such proposal: 0.079 / 0.265 (Hartmann-6 better, Levy-10 much worse);
  for every other one: 0.091 / 0.224; L = 0.8: 0.117 / 0.201; L = 1.6: 0.124 / 0.193. The two
  problems pull in opposite directions (Hartmann-6 gains from staying near the incumbent,
  Levy-10 loses its way to the bowl's centre), and no box size helps both: not kept."""

_ROUND5_ROWS = [
    ("8 fantasies, one GP per fantasy (before)", "0.113", "0.208", "–", "–"),
    ("32 fantasies, one GP per fantasy", "0.113", "0.189", "–", "–"),
    ("8 fantasies, shared factorisation", "0.112", "0.197", "0.133", "0.0055"),
    ("16 fantasies, shared factorisation", "0.116", "0.209", "–", "–"),
    ("**32 fantasies, shared factorisation (new default)**", "0.115", "0.186", "0.123", "0.0059"),
    ("128 fantasies, shared factorisation", "0.138", "0.192", "–", "–"),
]

_ROUND5 = """\
**Fifth round: cheaper fantasies, and more of them.** Every fantasy conditions the GP on the
same inputs (the observations and the pending points); only the fantasised targets differ.
The fantasies are now the columns of one GP's targets: one factorisation per proposal and one
variance per candidate, a mean per fantasy (`pending.py`). Same results up to rounding, and a
batch suggestion at 500 observations with 9 jobs pending takes about half the time with 8
fantasies and a fifth of the former 32-fantasy time with 32 (0.66 s and 0.57 s against 1.30 s
and 3.20 s, one run each on the same loaded machine); ours' ask time per benchmark run fell
from 1.9 to 1.3 s. That made it cheap to compare fantasy counts on many more seeds than the
benchmark's 20 (batch 10, ours only, normalised with the fourth session's reference values;
Hartmann-6 and Levy-10 on seeds 0-199, hgb_cancer and mixed on seeds 20-79):

{round5_table}

Paired over the same seeds, 32 against 8 fantasies: Levy-10 -0.011 +- 0.009 (shared
factorisation) and -0.020 +- 0.009 (one GP per fantasy), Hartmann-6 +0.004 +- 0.008 and
-0.000 +- 0.008, hgb_cancer -0.010 +- 0.007, mixed +0.000 +- 0.001, Branin and Rosenbrock-4
level (standard errors). 128 fantasies were clearly worse on Hartmann-6 (+0.026 +- 0.009
against 8). Between 8 and 32 the differences are at the edge of what 200 seeds resolve: 16
fantasies measured worse than both on Levy-10 (+0.023 +- 0.009 against 32), which no smooth
trend explains. For scale: rewriting the same algorithm changed only rounding, and that alone
moved the Levy-10 mean by -0.011 +- 0.006 over 200 seeds (trajectories diverge after a few
batches). 32 fantasies are the new default: never worse than 8 beyond noise in any
comparison, better in some, and now about as cheap.

- Outcome (20 seeds, 32 fantasies; the sequential runs are identical to the fourth session's):
  the batch target stays MISSED, now by about 1.5 points: 16.5% of the sequential edge lost
  (optuna-gp 16.4%; a bootstrap over the seeds gives a 90% interval of 10-24% for ours).
  On the benchmark's seeds Levy-10 improved (0.215 -> 0.181, now ahead of optuna-gp's 0.184)
  while Hartmann-6 (0.091 -> 0.112: seed 1 now ends in a local basin, 0.63) and hgb_cancer
  (0.117 -> 0.133) moved the other way, opposite to what 60-200 other seeds show for the same
  change: the 20 seeds' noise is larger than the effect being measured. Trust regions were
  tried as well (fourth round, last item)."""

_ROUND6_ROWS = [
    (
        "32 fantasies, full spread (the default until the sixth session)",
        "0.115",
        "0.186",
        "–",
        "0.123",
        "0.0059",
    ),
    ("spread 0.5", "0.102", "0.194", "–", "–", "–"),
    ("**spread 0.25 (new default)**", "0.089", "0.179", "0.207", "0.122", "0.0022"),
    ("kriging believer (spread 0)", "0.088", "0.192", "0.217", "0.129", "0.0019"),
    ("full spread, EI also averaged over 4 hyperparameter draws", "0.106", "0.191", "–", "–", "–"),
]

_ROUND6 = """\
**Sixth round: how much the fantasies should spread.** The kriging believer had been compared
with fantasies on 5 seeds (first round) and 20 seeds (fourth round), where it looked worse on
Hartmann-6. Runs on 160 more seeds, left unanalysed in the fifth session, said the opposite, so
this round compared the two ends and points between them: fantasies drawn with a fraction
(the *spread*) of the posterior's standard deviation around its mean, 1 being plain posterior
samples (greedy sequential q-EI) and 0 the believer. Batch 10, ours only, normalised as in the
fifth round; Hartmann-6 and Levy-10 on seeds 0-199 (Levy-10 also on the fresh seeds 200-399),
hgb_cancer and mixed on seeds 20-79:

{round6_table}

Paired over the same seeds: a spread of 0.25 against full-spread fantasies, Hartmann-6
-0.026 +- 0.008, Levy-10 -0.007 +- 0.008, mixed -0.004 +- 0.001, hgb_cancer -0.001 +- 0.006,
Branin and Rosenbrock-4 level; against the believer, Hartmann-6 +0.001 +- 0.005, Levy-10
-0.012 +- 0.006 over 400 seeds (-0.013 on seeds 0-199, and -0.010 on seeds 200-399, run
to check it), hgb_cancer -0.007 +- 0.007, mixed +0.000 +- 0.001. On Hartmann-6 the regret
falls steadily as the spread shrinks (1, 0.5, 0.25, 0: 0.115, 0.102, 0.089, 0.088): when about
half the fantasies of a pending point next to the incumbent come out worse than the model
expects, the rest of the batch does not build on it, and on Hartmann-6's seeds with a poor
design that building is how a batch climbs. On Levy-10 a little spread beats none, which keeps
a batch from committing to one believed basin. A spread of 0.25 is the new default
(`fantasy_spread`; the believer stays available as `pending="believer"`); sequential runs are
unchanged (no pending jobs), and so is the cost of a batch proposal. Not kept: averaging EI
over four hyperparameter draws from a Laplace approximation of their posterior as well
(Hartmann-6 -0.009 +- 0.007, Levy-10 +0.005 +- 0.008, four times the cost; the second round's
draws fared no better).

- Outcome (20 seeds, spread 0.25; the other optimisers' runs and ours sequentially are those of
  the fifth session's run, the same seeds and code paths): the batch target is met, 12.8% of
  the sequential edge lost at batch 10 (90% bootstrap interval over the seeds 7-19%; optuna-gp
  16.4%, 7-25%), with Hartmann-6 0.112 -> 0.093, Levy-10 0.181 -> 0.167, mixed 0.008 -> 0.003
  and hgb_cancer level (0.133). The intervals still overlap: on 20 seeds the difference from
  optuna-gp is not resolved, while the 200-seed comparisons above are what the choice rests on.
  Latency, measured again in the same run: 0.188 s against 0.231 s at 200 observations, 0.296 s
  against 0.882 s at 500."""

_NOTES_TEMPLATE = """### Notes

- Method: Matérn-5/2 ARD Gaussian process on the encoded unit cube (log scaling applied,
  categoricals one-hot, integers snapped to the encodings of real integers before scoring),
  Yeo-Johnson output warping, MAP hyperparameters under a prior centred on unit length scales
  (Gamma priors on signal and noise variance), a 10-point Sobol initial design, log-EI
  maximised over Sobol candidates and perturbations of the best points with L-BFGS-B
  refinement (from the 10 best candidates and from the incumbent) and discrete neighbourhood
  moves; running jobs are handled by averaging EI over 32 joint samples (fantasies) of their
  outcomes, drawn with a quarter of the posterior's standard deviation around its mean.
- Peers run with their defaults plus their own pending-trial handling: Optuna TPE
  (multivariate, constant liar), Optuna GPSampler (conditions on running trials),
  scikit-optimize GP with EI (constant liar `cl_min` for batches), SMAC3's HPO facade.
- Latency is timed in one process, ours and optuna-gp alternately on the same histories
  (median of 5), so both see the same machine load.

### What was tried

**First round.** Quick runs with `python -m benchmarks.bayesian.quick` (one process, 5 seeds,
budget 50; the typical random value estimated from 20 000 uniform samples, so values differ
slightly from the tables above). Mean normalised regret at 50 on Branin / Hartmann-6 /
Levy-10, sequential and at batch 10; each row changes the row marked as its base.

{tried_table}

- Kept: the unit-length-scale prior, the 10-point design and fantasies for pending jobs.
- `standard` warping helps Levy-10 sequentially but was worse at batch 10 on the mixed space
  (0.028 vs 0.003) and on Rosenbrock-4 (0.004 vs 0.001), so Yeo-Johnson stays the default.
- 1024 perturbations help Levy-10 sequentially but cost Hartmann-6 at batch 10; not kept.
  With 5 seeds, differences below about 0.05 on one problem are within seed noise.
- Latency: the model runs on one BLAS thread (when `threadpoolctl` is installed): on this
  shared machine two BLAS threads made a suggestion at 500 observations more than ten times
  slower. Above 150 observations the hyperparameter fit uses one restart instead of two.

**Second round** (after a 3-seed run in which ours had 0.037 against optuna-gp's 0.030
sequentially). Single runs through `benchmarks.bayesian.run.run_one`, sequential, mean
normalised regret at 50 on Hartmann-6 / Levy-10 / hgb_cancer with the reference values
(f*, median random value) of that 3-seed run; seeds 0-9, and seeds 0-29 (hgb_cancer 0-19)
where a second column is given.

{round2_table}

- Seed noise dominates. Over seeds 0-9 optuna-gp had 0.012 on Hartmann-6 against our 0.030,
  but over seeds 0-29 it had 0.080 against our 0.024: ours ends in a local optimum (-3.20,
  -3.14, once -2.87) on 14 of 30 seeds, optuna-gp on 11 of 30 but four of those far below
  (-2.51 to -1.25). No variant changed how often ours gets stuck; the same seeds fail with every
  variant, so the initial design decides the basin.
- Kept (E): gradient refinement also starts from the best observed point, as Optuna's
  acquisition optimiser does. It finds the small improvements next to the incumbent that
  the candidates miss, which is what a warm-started child needs to beat its parent's best:
  in the warm-start benchmark the IdenticalDataAndAlgorithm child now reaches it within 10
  jobs on all five seeds (1, 3, 1, 9, 2 jobs; before 1, 2, 2, 4, 11). On seeds 6-10, outside
  that benchmark, both versions stayed within 10 (now 1, 1, 6, 5, 8; before 5, 1, 6, 6, 2),
  so this is a small effect. On the synthetic problems it is neutral over 30 seeds; on
  hgb_cancer it helped a little (0.071 vs 0.079 over 20 seeds). At batch 10 on seeds 0-4
  it was worse on Hartmann-6 because of one seed (seed 1: -1.39 against -2.90; 0.159 vs
  0.063 on average) and about equal elsewhere (Levy-10 0.162 vs 0.148, mixed 0.004 vs
  0.003).
- Not kept: averaging EI over hyperparameter draws (4x the acquisition cost and worse,
  probably because draws with short length scales dominate the average of EI and make the
  search too exploratory), starting the hyperparameter fit at high noise and `standard`
  warping (both within noise).
{outcome}

{round3}

{round4}

{round5}

{round6}"""

NOTES = _NOTES_TEMPLATE.format(
    tried_table=table(
        ["variant", "sequential", "batch 10", "mean seq", "mean b10"],
        [list(r) for r in _TRIED_ROWS],
    ),
    round2_table=table(
        ["variant", "seeds 0-9", "seeds 0-29"],
        [list(r) for r in _ROUND2_ROWS],
    ),
    outcome=_OUTCOME,
    round3=_ROUND3.format(
        round3_table=table(["variant", "Hartmann-6", "Levy-10"], [list(r) for r in _ROUND3_ROWS]),
        round3_60_table=table(["variant", "Hartmann-6", "Levy-10"], [list(r) for r in _ROUND3_60]),
    ),
    round4=_ROUND4.format(
        round4_table=table(
            ["pending jobs", "seeds 0-19", "seeds 20-59"], [list(r) for r in _ROUND4_ROWS]
        )
    ),
    round5=_ROUND5.format(
        round5_table=table(
            ["batch 10", "Hartmann-6", "Levy-10", "hgb_cancer", "mixed"],
            [list(r) for r in _ROUND5_ROWS],
        )
    ),
    round6=_ROUND6.format(
        round6_table=table(
            [
                "batch 10",
                "Hartmann-6",
                "Levy-10",
                "Levy-10, seeds 200-399",
                "hgb_cancer",
                "mixed",
            ],
            [list(r) for r in _ROUND6_ROWS],
        )
    ),
)
