"""How much of a machine one training job asks for: CPUs and GPUs from its instance type.

Both the local executor (a CPU and GPU budget on this machine) and the Ray executor (Ray's
``num_cpus``/``num_gpus``) read a job's demand from here, so the same spec asks for the same
resources everywhere. The table is per *instance*: ``InstanceCount`` does not multiply it (a
training job runs one process). A job overrides its instance type with explicit counts in its
``Environment``: ``TUNESMITH_CPUS`` and ``TUNESMITH_GPUS``.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tunesmith.errors import TunesmithError

logger = logging.getLogger(__name__)

#: Explicit counts a job may set in its Environment; they win over the instance type.
CPUS_VARIABLE = "TUNESMITH_CPUS"
GPUS_VARIABLE = "TUNESMITH_GPUS"

#: (vCPUs, GPUs) of common instance types. ``local`` is one CPU, ``local_gpu`` one CPU and one
#: GPU (SageMaker local mode's names). Unknown types ask for one CPU, with a warning.
INSTANCE_RESOURCES: dict[str, tuple[float, int]] = {
    "local": (1, 0),
    "local_gpu": (1, 1),
    "ml.t3.medium": (2, 0),
    "ml.t3.large": (2, 0),
    "ml.m5.large": (2, 0),
    "ml.m5.xlarge": (4, 0),
    "ml.m5.2xlarge": (8, 0),
    "ml.m5.4xlarge": (16, 0),
    "ml.m5.12xlarge": (48, 0),
    "ml.c5.xlarge": (4, 0),
    "ml.c5.2xlarge": (8, 0),
    "ml.c5.4xlarge": (16, 0),
    "ml.c5.9xlarge": (36, 0),
    "ml.g4dn.xlarge": (4, 1),
    "ml.g4dn.2xlarge": (8, 1),
    "ml.g4dn.12xlarge": (48, 4),
    "ml.g5.xlarge": (4, 1),
    "ml.g5.2xlarge": (8, 1),
    "ml.g5.4xlarge": (16, 1),
    "ml.g5.12xlarge": (48, 4),
    "ml.g5.48xlarge": (192, 8),
    "ml.p3.2xlarge": (8, 1),
    "ml.p3.8xlarge": (32, 4),
    "ml.p3.16xlarge": (64, 8),
    "ml.p4d.24xlarge": (96, 8),
}


@dataclass(frozen=True)
class Demand:
    """What one job needs: CPUs (may be fractional on Ray), whole GPUs, custom Ray resources."""

    cpus: float = 1.0
    gpus: int = 0
    custom: dict[str, float] = field(default_factory=dict)
    source: str = "local"  # where it came from, for messages: an instance type or "Environment"
    explicit_cpus: bool = False

    def describe(self) -> str:
        parts = [_count(self.cpus, "CPU")]
        if self.gpus:
            parts.append(_count(self.gpus, "GPU"))
        parts.extend(f"{v:g} {k}" for k, v in sorted(self.custom.items()))
        return ", ".join(parts)


def _count(value: float, unit: str) -> str:
    return f"{value:g} {unit}{'' if value == 1 else 's'}"


def parse_overrides(text: str, origin: str) -> dict[str, dict[str, float]]:
    """``{"ml.m5.xlarge": {"CPU": 2}, "ml.g5.xlarge": {"CPU": 1, "GPU": 1, "a100": 1}}``."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise TunesmithError(f"{origin} must be a JSON object: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise TunesmithError(
            f'{origin} must map instance types to resources, e.g. {{"ml.m5.xlarge": {{"CPU": 2}}}}'
        )
    out: dict[str, dict[str, float]] = {}
    for name, resources in data.items():
        try:
            out[str(name)] = {str(k): float(v) for k, v in resources.items()}
        except (TypeError, ValueError):
            raise TunesmithError(f"{origin}: resources of {name!r} must be numbers") from None
    return out


def load_overrides(variable: str) -> dict[str, dict[str, float]]:
    """Overrides from an environment variable holding JSON or the path of a JSON file."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return {}
    if not raw.startswith("{"):
        raw = Path(raw).expanduser().read_text(encoding="utf-8")
    return parse_overrides(raw, variable)


def _explicit(environment: Mapping[str, str], name: str) -> float | None:
    raw = environment.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise TunesmithError(f"Environment {name} must be a number, not {raw!r}") from None
    if value < 0:
        raise TunesmithError(f"Environment {name} must not be negative, not {raw!r}")
    return value


_warned: set[str] = set()


def demand_for(
    instance_type: str,
    environment: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, float]] | None = None,
) -> Demand:
    """The resources one job asks for: explicit Environment counts, else overrides, else table."""
    environment = environment or {}
    custom: dict[str, float] = {}
    source = instance_type
    if overrides and instance_type in overrides:
        table = dict(overrides[instance_type])
        cpus = table.pop("CPU", 1.0)
        gpus = int(table.pop("GPU", 0))
        custom = table
    elif instance_type in INSTANCE_RESOURCES:
        cpus, gpus = INSTANCE_RESOURCES[instance_type]
    else:
        cpus, gpus = 1.0, 0
        if re.match(r"^ml\.(p|g)\d", instance_type):
            gpus = 1
        if instance_type not in _warned:
            _warned.add(instance_type)
            logger.warning(
                "instance type %s is not in the resource table: assuming %s CPU and %s GPU "
                "(set TUNESMITH_CPUS/TUNESMITH_GPUS in the job's Environment to say otherwise)",
                instance_type,
                cpus,
                gpus,
            )
    explicit_cpus = _explicit(environment, CPUS_VARIABLE)
    explicit_gpus = _explicit(environment, GPUS_VARIABLE)
    if explicit_cpus is not None or explicit_gpus is not None:
        source = "Environment"
    if explicit_gpus is not None and explicit_gpus != int(explicit_gpus):
        raise TunesmithError(f"Environment {GPUS_VARIABLE} must be a whole number of GPUs")
    return Demand(
        cpus=float(explicit_cpus if explicit_cpus is not None else cpus),
        gpus=int(explicit_gpus if explicit_gpus is not None else gpus),
        custom=custom,
        source=source,
        explicit_cpus=explicit_cpus is not None,
    )


def detect_gpus(environment: Mapping[str, str] | None = None) -> int:
    """GPUs on this machine: ``TUNESMITH_LOCAL_GPUS``, else ``CUDA_VISIBLE_DEVICES``, else the
    ``/dev/nvidia<N>`` device files (no driver call: cheap and safe without a GPU)."""
    env = os.environ if environment is None else environment
    raw = env.get("TUNESMITH_LOCAL_GPUS", "").strip()
    if raw:
        try:
            return max(0, int(raw))
        except ValueError:
            raise TunesmithError(
                f"TUNESMITH_LOCAL_GPUS must be a whole number, not {raw!r}"
            ) from None
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and not d.strip().startswith("-")])
    return len([p for p in Path("/dev").glob("nvidia[0-9]*") if p.name[6:].isdigit()])


def gpu_ids(environment: Mapping[str, str] | None = None) -> list[str]:
    """The device ids jobs may be given: the parent's CUDA_VISIBLE_DEVICES entries, else 0..N-1."""
    env = os.environ if environment is None else environment
    count = detect_gpus(env)
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible and not env.get("TUNESMITH_LOCAL_GPUS", "").strip():
        return [d.strip() for d in visible.split(",") if d.strip()][:count]
    return [str(i) for i in range(count)]
