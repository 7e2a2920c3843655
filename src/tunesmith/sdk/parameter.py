"""Hyperparameter ranges with the SageMaker Python SDK's names and request shapes.

``ContinuousParameter(1e-5, 1e-1, scaling_type="Logarithmic").as_tuning_range("lr")`` gives the
``ContinuousParameterRanges`` entry of a ``CreateHyperParameterTuningJob`` request, bounds as
strings, exactly as the SDK sends it.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

SCALING_TYPES = ("Auto", "Linear", "Logarithmic", "ReverseLogarithmic")


def to_string(value: Any) -> str:
    """The SDK's ``to_string``: ``str()`` of the value."""
    return str(value)


class ParameterRange:
    """A numeric range; ``scaling_type`` is one of Auto, Linear, Logarithmic, ReverseLogarithmic."""

    #: The friendly spec's ``type`` and the request's list of ``ParameterRanges``.
    kind: ClassVar[str] = ""
    request_key: ClassVar[str] = ""

    def __init__(
        self, min_value: float | int | str, max_value: float | int | str, scaling_type: str = "Auto"
    ) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.scaling_type = scaling_type

    def is_valid(self, value: Any) -> bool:
        return float(self.min_value) <= float(value) <= float(self.max_value)

    @classmethod
    def cast_to_type(cls, value: Any) -> Any:
        return float(value)

    def as_tuning_range(self, name: str) -> dict[str, Any]:
        """The request's range entry: ``{"Name", "MinValue", "MaxValue", "ScalingType"}``."""
        return {
            "Name": name,
            "MinValue": to_string(self.min_value),
            "MaxValue": to_string(self.max_value),
            "ScalingType": self.scaling_type,
        }

    def as_friendly(self) -> dict[str, Any]:
        """The range in the friendly spec's form (``hyperparameter_ranges.<name>``)."""
        return {
            "type": self.kind,
            "min_value": to_string(self.min_value),
            "max_value": to_string(self.max_value),
            "scaling_type": self.scaling_type,
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.min_value!r}, {self.max_value!r}, "
            f"scaling_type={self.scaling_type!r})"
        )

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]


class ContinuousParameter(ParameterRange):
    """A range of floats."""

    __name__ = "Continuous"
    kind = "continuous"
    request_key = "ContinuousParameterRanges"

    @classmethod
    def cast_to_type(cls, value: Any) -> float:
        return float(value)


class IntegerParameter(ParameterRange):
    """A range of integers (bounds included)."""

    __name__ = "Integer"
    kind = "integer"
    request_key = "IntegerParameterRanges"

    @classmethod
    def cast_to_type(cls, value: Any) -> int:
        return int(value)


class CategoricalParameter(ParameterRange):
    """A set of values, sent as strings (``CategoricalParameter([1, 2])`` sends "1", "2")."""

    __name__ = "Categorical"
    kind = "categorical"
    request_key = "CategoricalParameterRanges"

    def __init__(self, values: Any) -> None:
        values = values if isinstance(values, list | tuple) else [values]
        self.values = [to_string(v) for v in values]

    def is_valid(self, value: Any) -> bool:
        return value in self.values

    @classmethod
    def cast_to_type(cls, value: Any) -> str:
        return str(value)

    def as_tuning_range(self, name: str) -> dict[str, Any]:
        return {"Name": name, "Values": list(self.values)}

    def as_json_range(self, name: str) -> dict[str, Any]:
        """The range as framework estimators send it in SageMaker (values JSON-encoded)."""
        return {"Name": name, "Values": [json.dumps(v) for v in self.values]}

    def as_friendly(self) -> dict[str, Any]:
        return {"type": "categorical", "values": list(self.values)}

    def __repr__(self) -> str:
        return f"CategoricalParameter({self.values!r})"


def ranges_request(ranges: dict[str, ParameterRange]) -> dict[str, list[dict[str, Any]]]:
    """``ParameterRanges`` of a request, from a dict of name -> range (the SDK's
    ``HyperparameterTuner.hyperparameter_ranges()``)."""
    out: dict[str, list[dict[str, Any]]] = {
        "ContinuousParameterRanges": [],
        "CategoricalParameterRanges": [],
        "IntegerParameterRanges": [],
    }
    for name, parameter in ranges.items():
        out[parameter.request_key].append(parameter.as_tuning_range(name))
    return out


def ranges_from_request(parameter_ranges: dict[str, Any] | None) -> dict[str, ParameterRange]:
    """Parameter objects from a request's (or a description's) ``ParameterRanges``.

    Bounds become numbers when that round-trips to the same string (so ``attach`` rebuilds
    the very request it came from), else they stay strings.
    """
    ranges = parameter_ranges or {}
    out: dict[str, ParameterRange] = {}
    for key, kind in (
        ("ContinuousParameterRanges", ContinuousParameter),
        ("IntegerParameterRanges", IntegerParameter),
    ):
        for entry in ranges.get(key, []):
            out[entry["Name"]] = kind(
                _number(entry["MinValue"]),
                _number(entry["MaxValue"]),
                entry.get("ScalingType", "Auto"),
            )
    for entry in ranges.get("CategoricalParameterRanges", []):
        out[entry["Name"]] = CategoricalParameter(list(entry["Values"]))
    return out


def _number(text: str) -> int | float | str:
    for cast in (int, float):
        try:
            value = cast(text)
        except ValueError:
            continue
        return value if to_string(value) == text else text
    return text
