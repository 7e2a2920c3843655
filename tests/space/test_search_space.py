"""SearchSpace: building from spec ranges, sampling, grid, strings and model encoding."""

from __future__ import annotations

import numpy as np
import pytest

from tunesmith.domain.enums import ScalingType
from tunesmith.domain.spec import ParameterRanges
from tunesmith.errors import SpecValidationError
from tunesmith.space import (
    CategoricalParameter,
    ContinuousParameter,
    IntegerParameter,
    SearchSpace,
)


def _ranges(**request: object) -> ParameterRanges:
    return ParameterRanges.model_validate(request)


@pytest.fixture
def mixed() -> SearchSpace:
    return SearchSpace.from_ranges(
        _ranges(
            CategoricalParameterRanges=[
                {"Name": "optimizer", "Values": ["sgd", "adam", "rmsprop"]},
                {"Name": "act", "Values": ["relu", "tanh"]},
            ],
            ContinuousParameterRanges=[
                {"Name": "lr", "MinValue": "1e-5", "MaxValue": "0.1"},
                {
                    "Name": "beta",
                    "MinValue": "0.9",
                    "MaxValue": "0.9999",
                    "ScalingType": "ReverseLogarithmic",
                },
                {"Name": "dropout", "MinValue": "0", "MaxValue": "0.5", "ScalingType": "Auto"},
            ],
            IntegerParameterRanges=[
                {"Name": "layers", "MinValue": "1", "MaxValue": "8"},
                {"Name": "batch", "MinValue": "16", "MaxValue": "4096"},
            ],
        )
    )


def test_from_ranges_orders_and_resolves(mixed: SearchSpace) -> None:
    assert mixed.names == ("layers", "batch", "lr", "beta", "dropout", "optimizer", "act")
    kinds = [p.kind for p in mixed.parameters]
    assert kinds == ["integer"] * 2 + ["continuous"] * 3 + ["categorical"] * 2
    assert mixed["layers"] == IntegerParameter("layers", 1, 8, ScalingType.LINEAR)
    assert mixed["batch"].scaling is ScalingType.LOGARITHMIC  # Auto: 16..4096 spans 2+ decades
    assert mixed["lr"].scaling is ScalingType.LOGARITHMIC
    assert mixed["beta"].scaling is ScalingType.REVERSE_LOGARITHMIC
    assert mixed["dropout"].scaling is ScalingType.LINEAR  # Auto with low == 0
    assert mixed["optimizer"] == CategoricalParameter("optimizer", ("sgd", "adam", "rmsprop"))
    assert all(p.scaling is not ScalingType.AUTO for p in mixed.parameters[:5])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("request_", "path", "rule"),
    [
        (
            {"IntegerParameterRanges": [{"Name": "n", "MinValue": "1.5", "MaxValue": "3"}]},
            "ParameterRanges.IntegerParameterRanges[0].MinValue",
            "integer",
        ),
        (
            {"ContinuousParameterRanges": [{"Name": "x", "MinValue": "a", "MaxValue": "3"}]},
            "ParameterRanges.ContinuousParameterRanges[0].MinValue",
            "number",
        ),
        (
            {"ContinuousParameterRanges": [{"Name": "x", "MinValue": "5", "MaxValue": "3"}]},
            "ParameterRanges.ContinuousParameterRanges[0].MaxValue",
            "less than MinValue",
        ),
        (
            {
                "ContinuousParameterRanges": [
                    {"Name": "x", "MinValue": "0", "MaxValue": "1", "ScalingType": "Logarithmic"}
                ]
            },
            "ParameterRanges.ContinuousParameterRanges[0].ScalingType",
            "greater than 0",
        ),
        (
            {
                "IntegerParameterRanges": [
                    {
                        "Name": "n",
                        "MinValue": "0",
                        "MaxValue": "0",
                        "ScalingType": "ReverseLogarithmic",
                    }
                ]
            },
            "ParameterRanges.IntegerParameterRanges[0].ScalingType",
            "continuous",
        ),
        (
            {"CategoricalParameterRanges": [{"Name": "c", "Values": ["a", "b", "a"]}]},
            "ParameterRanges.CategoricalParameterRanges[0].Values",
            "unique",
        ),
        (
            {
                "IntegerParameterRanges": [{"Name": "x", "MinValue": "1", "MaxValue": "3"}],
                "CategoricalParameterRanges": [{"Name": "x", "Values": ["a"]}],
            },
            "ParameterRanges",
            "unique",
        ),
    ],
)
def test_from_ranges_errors_name_path_and_rule(request_: dict, path: str, rule: str) -> None:
    with pytest.raises(SpecValidationError, match=rule) as info:
        SearchSpace.from_ranges(_ranges(**request_))
    assert info.value.problems[0].path == path


def test_from_ranges_path_prefix() -> None:
    bad = _ranges(ContinuousParameterRanges=[{"Name": "x", "MinValue": "x", "MaxValue": "1"}])
    with pytest.raises(SpecValidationError) as info:
        SearchSpace.from_ranges(bad, path="TrainingJobDefinition.HyperParameterRanges")
    assert info.value.problems[0].path.startswith("TrainingJobDefinition.HyperParameterRanges.")


def test_sample_types_and_bounds(mixed: SearchSpace) -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        config = mixed.sample(rng)
        assert list(config) == list(mixed.names)
        assert type(config["layers"]) is int and 1 <= config["layers"] <= 8
        assert type(config["batch"]) is int and 16 <= config["batch"] <= 4096
        assert type(config["lr"]) is float and 1e-5 <= config["lr"] <= 0.1
        assert 0.9 <= config["beta"] <= 0.9999
        assert config["optimizer"] in ("sgd", "adam", "rmsprop")
        assert config["act"] in ("relu", "tanh")


def test_format_parse_round_trip(mixed: SearchSpace) -> None:
    rng = np.random.default_rng(4)
    for _ in range(200):
        config = mixed.sample(rng)
        strings = mixed.format(config)
        assert all(type(v) is str for v in strings.values())
        assert mixed.parse(strings) == config
    # Keys outside the space (static hyperparameters) are ignored when parsing.
    assert mixed.parse({**mixed.format(config), "epochs": "10"}) == config
    with pytest.raises(KeyError, match="lr"):
        mixed.format({k: v for k, v in config.items() if k != "lr"})


def test_encoding_layout_and_one_hot(mixed: SearchSpace) -> None:
    assert mixed.encoded_dim == 5 + 3 + 2
    layout = [(p.name, s.start, s.stop) for p, s in mixed.slices()]
    assert layout == [
        ("layers", 0, 1),
        ("batch", 1, 2),
        ("lr", 2, 3),
        ("beta", 3, 4),
        ("dropout", 4, 5),
        ("optimizer", 5, 8),
        ("act", 8, 10),
    ]
    config = {
        "layers": 3,
        "batch": 64,
        "lr": 1e-3,
        "beta": 0.99,
        "dropout": 0.25,
        "optimizer": "adam",
        "act": "tanh",
    }
    x = mixed.encode(config)
    assert x.shape == (10,)
    assert np.all((x >= 0) & (x <= 1))
    assert list(x[5:8]) == [0.0, 1.0, 0.0]
    assert list(x[8:10]) == [0.0, 1.0]
    assert x[2] == pytest.approx(0.5)  # 1e-3 is the log midpoint of 1e-5..1e-1
    assert x[4] == pytest.approx(0.5)
    decoded = mixed.decode(x)
    assert decoded["layers"] == 3 and decoded["batch"] == 64
    assert decoded["optimizer"] == "adam" and decoded["act"] == "tanh"
    assert decoded["lr"] == pytest.approx(1e-3, rel=1e-9)
    assert decoded["beta"] == pytest.approx(0.99, rel=1e-9)


def test_decode_takes_argmax_and_clips(mixed: SearchSpace) -> None:
    x = np.array([1.7, -0.2, 0.0, 1.0, 0.5, 0.1, 0.3, 0.7, 0.4, 0.4])
    config = mixed.decode(x)
    assert config["layers"] == 8 and config["batch"] == 16
    assert config["lr"] == 1e-5 and config["beta"] == 0.9999
    assert config["optimizer"] == "rmsprop"
    assert config["act"] == "relu"  # ties go to the first value
    with pytest.raises(ValueError, match="length 10"):
        mixed.decode(np.zeros(3))


def test_encode_many_and_decode_round_trip(mixed: SearchSpace) -> None:
    rng = np.random.default_rng(8)
    configs = [mixed.sample(rng) for _ in range(50)]
    X = mixed.encode_many(configs)
    assert X.shape == (50, mixed.encoded_dim)
    for config, row in zip(configs, X, strict=True):
        back = mixed.decode(row)
        for name in ("layers", "batch", "optimizer", "act"):
            assert back[name] == config[name]
        for name in ("lr", "beta", "dropout"):
            assert back[name] == pytest.approx(config[name], rel=1e-9)
    assert mixed.encode_many([]).shape == (0, mixed.encoded_dim)


def test_grid_order_and_size() -> None:
    space = SearchSpace.from_ranges(
        _ranges(
            CategoricalParameterRanges=[
                {"Name": "a", "Values": ["x", "y"]},
                {"Name": "b", "Values": ["3", "1", "2"]},
            ]
        )
    )
    assert space.grid_size() == 6
    assert space.grid() == [
        {"a": "x", "b": "3"},
        {"a": "x", "b": "1"},
        {"a": "x", "b": "2"},
        {"a": "y", "b": "3"},
        {"a": "y", "b": "1"},
        {"a": "y", "b": "2"},
    ]


def test_grid_needs_categorical_only() -> None:
    space = SearchSpace(
        (ContinuousParameter("lr", 0.1, 1.0), CategoricalParameter("c", ("a", "b")))
    )
    assert space.grid_size() == 2
    with pytest.raises(SpecValidationError, match="only CategoricalParameterRanges"):
        space.grid()


def test_empty_space() -> None:
    space = SearchSpace.from_ranges(ParameterRanges())
    assert space.names == () and space.encoded_dim == 0
    assert space.sample(np.random.default_rng(0)) == {}
    assert space.grid() == [{}] and space.grid_size() == 1
    assert space.encode({}).shape == (0,)


def test_duplicate_names_rejected_by_constructor() -> None:
    with pytest.raises(SpecValidationError, match="unique"):
        SearchSpace((IntegerParameter("n", 1, 2), CategoricalParameter("n", ("a",))))
