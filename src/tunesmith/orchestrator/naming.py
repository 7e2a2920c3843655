"""Training-job names: ``<tuning-job>-<NNN>-<8 hex>``, as SageMaker names them."""

from __future__ import annotations

import secrets


def training_job_name(tuning_job_name: str, ordinal: int) -> str:
    return f"{tuning_job_name}-{ordinal:03d}-{secrets.token_hex(4)}"
