"""What finished jobs actually cost, priced with the same table as ``tunesmith plan``, so the
plan and reality can be compared. Local runs are priced at the cloud-equivalent instance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tunesmith.domain.spec import TuningJobSpec
from tunesmith.guardrails.prices import CLOUD_EQUIVALENT, PriceTable, is_local, load_price_table
from tunesmith.store import TrainingJobRecord


def pricing(spec: TuningJobSpec, table: PriceTable | None = None) -> dict[str, Any]:
    """Instance type, count, USD per instance-hour and how the price was chosen."""
    table = table or load_price_table()
    definition = spec.definition
    resources = definition.resource_config or definition.hyper_parameter_tuning_resource_config
    instance_type = resources.instance_type if resources else None
    count = resources.instance_count if resources else 1
    priced_as = CLOUD_EQUIVALENT if is_local(instance_type) else str(instance_type)
    price = table.price(priced_as)
    if price is not None and definition.enable_managed_spot_training:
        price *= 1 - table.spot_discount
    return {
        "InstanceType": instance_type or "local",
        "InstanceCount": count,
        "PricedAs": priced_as,
        "PricePerInstanceHour": price,
        "Spot": bool(definition.enable_managed_spot_training),
    }


def job_cost(record: TrainingJobRecord, price: dict[str, Any]) -> float | None:
    hourly = price["PricePerInstanceHour"]
    if hourly is None or record.billable_seconds is None:
        return None
    return round(record.billable_seconds / 3600 * hourly * price["InstanceCount"], 6)


def consumed(records: Sequence[TrainingJobRecord], price: dict[str, Any]) -> dict[str, Any]:
    """Total billable seconds and their estimated cost for a tuning job's training jobs."""
    seconds = sum(r.billable_seconds or 0 for r in records)
    costs = [c for c in (job_cost(r, price) for r in records) if c is not None]
    return {
        "BillableTimeInSeconds": seconds,
        "EstimatedCostUSD": round(sum(costs), 6) if price["PricePerInstanceHour"] else None,
        "Pricing": price,
    }
