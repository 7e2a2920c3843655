"""Initial schema: tuning jobs, training jobs, metric events, status transitions, decisions.

Revision ID: 0001_initial
Revises:
Create Date: 2026-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "tuning_jobs",
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("name_lower", sa.String(63), nullable=False),
        sa.Column("arn", sa.String(256), nullable=False),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.Column("strategy", sa.String(32), nullable=False),
        sa.Column("objective_metric", sa.String(255), nullable=False),
        sa.Column("objective_type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        _time("creation_time", False),
        _time("end_time", True),
        _time("last_modified_time", False),
        sa.Column("best_training_job_name", sa.String(128), nullable=True),
        sa.Column("stop_requested", sa.Boolean(), nullable=False),
        sa.Column("completion_details_json", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(255), nullable=True),
        _time("lease_expires_at", True),
        sa.Column("next_ordinal", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_tuning_jobs"),
        sa.UniqueConstraint("name_lower", name="uq_tuning_jobs_name_lower"),
    )
    op.create_index("ix_tuning_jobs_status", "tuning_jobs", ["status"])

    op.create_table(
        "training_jobs",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("tuning_job_name", sa.String(63), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("secondary_status", sa.String(32), nullable=False),
        sa.Column("tuned_hyperparameters_json", sa.Text(), nullable=False),
        sa.Column("hyperparameters_json", sa.Text(), nullable=False),
        sa.Column("final_objective_value", sa.Float(), nullable=True),
        sa.Column("objective_status", sa.String(16), nullable=False),
        sa.Column("objective_note", sa.Text(), nullable=True),
        sa.Column("failure_reason", sa.String(1024), nullable=True),
        sa.Column("failure_kind", sa.String(32), nullable=True),
        sa.Column("stop_reason", sa.Text(), nullable=True),
        _time("creation_time", False),
        _time("start_time", True),
        _time("end_time", True),
        _time("last_modified_time", False),
        sa.Column("billable_seconds", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("job_dir", sa.Text(), nullable=True),
        sa.Column("log_path", sa.Text(), nullable=True),
        sa.Column("model_artifact_path", sa.Text(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tuning_job_name"],
            ["tuning_jobs.name"],
            name="fk_training_jobs_tuning_job_name_tuning_jobs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("name", name="pk_training_jobs"),
    )
    op.create_index("ix_training_jobs_tuning_job_name", "training_jobs", ["tuning_job_name"])
    op.create_index(
        "ix_training_jobs_tuning_ordinal", "training_jobs", ["tuning_job_name", "ordinal"]
    )

    _child_table(
        "metric_events",
        sa.Column("metric_name", sa.String(255), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("raw", sa.String(256), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=True),
        sa.Column("timestamp", sa.Float(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
    )
    _child_table(
        "status_transitions",
        sa.Column("status", sa.String(32), nullable=False),
        _time("start_time", False),
        _time("end_time", True),
        sa.Column("message", sa.Text(), nullable=False),
    )
    _child_table(
        "decisions",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        _time("created_at", False),
    )


def _child_table(table: str, *columns: sa.Column) -> None:
    """A table of rows that belong to one training job, in insertion order."""
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("training_job_name", sa.String(128), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["training_job_name"],
            ["training_jobs.name"],
            name=f"fk_{table}_training_job_name_training_jobs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    )
    op.create_index(f"ix_{table}_training_job_name", table, ["training_job_name"])


def downgrade() -> None:
    for table in ("decisions", "status_transitions", "metric_events"):
        op.drop_index(f"ix_{table}_training_job_name", table_name=table)
        op.drop_table(table)
    op.drop_index("ix_training_jobs_tuning_ordinal", table_name="training_jobs")
    op.drop_index("ix_training_jobs_tuning_job_name", table_name="training_jobs")
    op.drop_table("training_jobs")
    op.drop_index("ix_tuning_jobs_status", table_name="tuning_jobs")
    op.drop_table("tuning_jobs")
