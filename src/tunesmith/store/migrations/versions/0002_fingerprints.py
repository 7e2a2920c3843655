"""Fingerprints of a tuning job's training code and data, for warm-start checks.

Revision ID: 0002_fingerprints
Revises: 0001_initial
Create Date: 2026-11-29 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_fingerprints"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tuning_jobs") as batch:
        batch.add_column(sa.Column("fingerprints_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tuning_jobs") as batch:
        batch.drop_column("fingerprints_json")
