"""The store's hot-path SQL, built once.

Every training job is created, started, fed metrics and finished through these statements, so
they are constructed once per process rather than once per call (building a Core statement costs
more than SQLite takes to run it) and run through :mod:`tunesmith.store.direct`. Parameters are
passed at execution; for the ``UPDATE``s, every key that names a column goes into ``SET``.
"""

from __future__ import annotations

from sqlalchemy import Table, bindparam, func, insert, select, update

from tunesmith.store.models import (
    DecisionRow,
    MetricEventRow,
    StatusTransitionRow,
    TrainingJobRow,
    TuningJobRow,
)

TRAINING: Table = TrainingJobRow.__table__  # type: ignore[assignment]
TRANSITIONS: Table = StatusTransitionRow.__table__  # type: ignore[assignment]
TUNING: Table = TuningJobRow.__table__  # type: ignore[assignment]
METRIC_EVENTS: Table = MetricEventRow.__table__  # type: ignore[assignment]
DECISIONS: Table = DecisionRow.__table__  # type: ignore[assignment]

#: Parameter ``pk``: a training job's name.
SELECT_TRAINING = select(TRAINING).where(TRAINING.c.name == bindparam("pk"))
UPDATE_TRAINING = update(TRAINING).where(TRAINING.c.name == bindparam("pk"))
INSERT_TRAINING = insert(TRAINING)

#: Parameter ``lower``: a tuning job's name in lower case.
TUNING_NAME = select(TUNING.c.name).where(TUNING.c.name_lower == bindparam("lower"))
#: Takes the next ordinal: returns the tuning job's name and the ordinal after the one taken.
BUMP_ORDINAL = (
    update(TUNING)
    .where(TUNING.c.name_lower == bindparam("lower"))
    .values(next_ordinal=TUNING.c.next_ordinal + 1)
    .returning(TUNING.c.name, TUNING.c.next_ordinal)
)

#: Parameters ``job`` and ``closed_at``.
CLOSE_TRANSITION = (
    update(TRANSITIONS)
    .where(TRANSITIONS.c.training_job_name == bindparam("job"), TRANSITIONS.c.end_time.is_(None))
    .values(end_time=bindparam("closed_at"))
)
INSERT_TRANSITION = insert(TRANSITIONS).returning(TRANSITIONS.c.id)
#: Several entries at once (ids not wanted).
INSERT_TRANSITIONS = insert(TRANSITIONS)
INSERT_METRIC_EVENTS = insert(METRIC_EVENTS)
INSERT_DECISION = insert(DECISIONS).returning(DECISIONS.c.id)

#: Parameter ``job``: the highest ordinal stored for each (metric, attempt) of a training job.
ORDINAL_COUNTER = (
    select(METRIC_EVENTS.c.metric_name, METRIC_EVENTS.c.attempt, func.max(METRIC_EVENTS.c.ordinal))
    .where(METRIC_EVENTS.c.training_job_name == bindparam("job"))
    .group_by(METRIC_EVENTS.c.metric_name, METRIC_EVENTS.c.attempt)
)
