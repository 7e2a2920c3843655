"""Price per instance-hour for ``ResourceConfig.InstanceType``, used by ``tunesmith plan``.

The built-in table holds approximate on-demand list prices (USD per instance-hour) of common
SageMaker *training* instances in us-east-1. They are estimates for planning, not quotes:
prices differ by region and change over time. Override or extend the table with a YAML or
JSON file mapping instance type to price (``--prices FILE`` or ``TUNESMITH_PRICE_TABLE``)::

    ml.m5.xlarge: 0.25
    ml.g5.2xlarge: 1.60
    spot_discount: 0.6      # optional: the fraction managed spot training saves

A local run (no instance type, or ``local``) costs the local machine's time; the plan also
shows what the same work would cost on :data:`CLOUD_EQUIVALENT` for comparison.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tunesmith.errors import TunesmithError

PRICE_TABLE_ENV = "TUNESMITH_PRICE_TABLE"
LOCAL_INSTANCE_TYPES = frozenset({"local", "local_gpu", ""})
#: The instance a local run is compared with.
CLOUD_EQUIVALENT = "ml.m5.xlarge"
#: Managed spot training typically saves about 70% (up to 90%) of the on-demand price.
DEFAULT_SPOT_DISCOUNT = 0.70

DEFAULT_PRICES: dict[str, float] = {
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.m5.4xlarge": 0.922,
    "ml.m5.12xlarge": 2.765,
    "ml.m5.24xlarge": 5.53,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.c5.4xlarge": 0.816,
    "ml.c5.9xlarge": 1.836,
    "ml.c5.18xlarge": 3.672,
    "ml.g4dn.xlarge": 0.736,
    "ml.g4dn.2xlarge": 0.94,
    "ml.g4dn.12xlarge": 4.89,
    "ml.g5.xlarge": 1.408,
    "ml.g5.2xlarge": 1.515,
    "ml.g5.12xlarge": 7.09,
    "ml.p3.2xlarge": 3.825,
    "ml.p3.8xlarge": 14.688,
    "ml.p3.16xlarge": 28.152,
    "ml.p4d.24xlarge": 37.688,
    "ml.trn1.2xlarge": 1.5,
}


@dataclass(frozen=True)
class PriceTable:
    prices: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    spot_discount: float = DEFAULT_SPOT_DISCOUNT
    source: str = "built-in table (approximate us-east-1 on-demand prices)"

    def price(self, instance_type: str | None) -> float | None:
        """USD per instance-hour, or None when the type is unknown or local."""
        if is_local(instance_type):
            return None
        return self.prices.get(str(instance_type))


def is_local(instance_type: str | None) -> bool:
    return instance_type is None or instance_type in LOCAL_INSTANCE_TYPES


def load_price_table(path: Path | None = None) -> PriceTable:
    """The built-in table, overridden by ``path`` or by the file ``TUNESMITH_PRICE_TABLE``
    names."""
    if path is None:
        env = os.environ.get(PRICE_TABLE_ENV)
        path = Path(env).expanduser() if env else None
    if path is None:
        return PriceTable()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise TunesmithError(f"Cannot read the price table {path}: {exc}") from None
    if not isinstance(data, dict):
        raise TunesmithError(f"The price table {path} must map instance types to prices")
    prices = dict(DEFAULT_PRICES)
    discount = DEFAULT_SPOT_DISCOUNT
    for key, value in data.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise TunesmithError(
                f"The price table {path}: '{key}' must be a non-negative number, not {value!r}"
            )
        if key == "spot_discount":
            if not 0 <= value < 1:
                raise TunesmithError(f"The price table {path}: spot_discount must be in [0, 1)")
            discount = float(value)
        else:
            prices[str(key)] = float(value)
    return PriceTable(prices, discount, f"built-in table overridden by {path}")
