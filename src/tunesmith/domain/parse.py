"""Turning a request document into a validated :class:`TuningJobSpec`.

Accepts the PascalCase ``CreateHyperParameterTuningJob`` request (JSON or YAML) and the friendly
snake_case form (see :mod:`friendly`). Relative local paths are resolved against the spec
file's folder here, so the stored spec is self-contained. No file I/O: callers pass text.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from tunesmith.domain import spec as spec_models
from tunesmith.domain.friendly import compile_friendly, friendly_path
from tunesmith.domain.rules import validate_spec
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.errors import FieldProblem, SpecValidationError

PASCAL_MARKERS = ("HyperParameterTuningJobConfig", "HyperParameterTuningJobName")


def load_document(text: str, source: str = "<spec>") -> dict[str, Any]:
    """Parse YAML or JSON text into a mapping, with a clear error when it is not one."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecValidationError.single(
            source, "<unparseable>", f"Must be valid YAML or JSON{where}: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise SpecValidationError.single(
            source, type(data).__name__, "The spec must be a mapping of fields"
        )
    return data


def is_pascal_case(data: dict[str, Any]) -> bool:
    return any(key in data for key in PASCAL_MARKERS)


def parse_spec(
    data: dict[str, Any], base_dir: Path | None = None, name: str | None = None
) -> TuningJobSpec:
    """Validate either form into the canonical spec; ``name`` overrides the job name."""
    if is_pascal_case(data):
        request = dict(data)
        if name is not None:
            request["HyperParameterTuningJobName"] = name
        return parse_request(request, base_dir)
    request = compile_friendly(data)
    if name is not None:
        request["HyperParameterTuningJobName"] = name
    try:
        return parse_request(request, base_dir)
    except SpecValidationError as exc:
        raise SpecValidationError(
            [FieldProblem(friendly_path(p.path, request), p.value, p.rule) for p in exc.problems]
        ) from None


def parse_request(request: dict[str, Any], base_dir: Path | None = None) -> TuningJobSpec:
    """Validate a PascalCase request: shapes and limits, then SageMaker's cross-field rules."""
    try:
        spec = TuningJobSpec.model_validate(request)
    except ValidationError as exc:
        raise SpecValidationError(pydantic_problems(exc)) from None
    problems = validate_spec(spec)
    if problems:
        raise SpecValidationError(problems)
    return resolve_local_paths(spec, base_dir) if base_dir is not None else spec


def pydantic_problems(
    exc: ValidationError, known_names: list[str] | None = None
) -> list[FieldProblem]:
    """FieldProblems for pydantic's errors; unknown fields get a "did you mean" from
    ``known_names`` (default: every canonical field name)."""
    known = known_names if known_names is not None else _known_field_names()
    problems = []
    for error in exc.errors(include_url=False):
        path = _render_loc(error["loc"])
        rule = error["msg"]
        if error["type"] == "extra_forbidden":
            field = str(error["loc"][-1])
            guess = difflib.get_close_matches(field, known, n=1, cutoff=0.6)
            rule = "Unknown field" + (f"; did you mean '{guess[0]}'?" if guess else "")
        elif error["type"] == "string_type" and path.endswith(("MinValue", "MaxValue")):
            rule = "Member must be a string: SageMaker sends range bounds as strings, e.g. '0.01'"
        elif error["type"] == "missing":
            rule = "Member is required"
        problems.append(FieldProblem(path, error.get("input"), rule))
    return problems


def _render_loc(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith(("function-", "list[", "dict[", "nullable[")) or part.startswith(
            "[key]"
        ):
            continue
        else:
            path += ("." if path else "") + part
    return path or "<root>"


def model_field_names(module: object, include_attribute_names: bool = True) -> list[str]:
    """Every field name (by alias) of the pydantic models defined in ``module``."""
    names: set[str] = set()
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, BaseModel):
            names.update((field.alias or key) for key, field in value.model_fields.items())
            if include_attribute_names:
                names.update(value.model_fields)
    return sorted(names)


def _known_field_names() -> list[str]:
    return model_field_names(spec_models, include_attribute_names=False)


def resolve_local_paths(spec: TuningJobSpec, base_dir: Path) -> TuningJobSpec:
    """Make every local path in the spec absolute, relative to the spec file's folder."""
    definition = spec.definition
    updates: dict[str, Any] = {}
    static = dict(definition.static_hyper_parameters)
    if "sagemaker_submit_directory" in static:
        static["sagemaker_submit_directory"] = str(
            _absolute(static["sagemaker_submit_directory"], base_dir)
        )
        updates["static_hyper_parameters"] = static
    elif "sagemaker_program" in static:
        static["sagemaker_submit_directory"] = str(base_dir.resolve())
        updates["static_hyper_parameters"] = static
    channels = []
    for channel in definition.input_data_config or []:
        source = channel.data_source
        if source.s3_data_source is not None:
            uri = str(_absolute(local_path_of(source.s3_data_source.s3_uri), base_dir))
            source = source.model_copy(
                update={"s3_data_source": source.s3_data_source.model_copy(update={"s3_uri": uri})}
            )
        elif source.file_system_data_source is not None:
            fs = source.file_system_data_source
            directory = str(_absolute(fs.directory_path, base_dir))
            source = source.model_copy(
                update={
                    "file_system_data_source": fs.model_copy(update={"directory_path": directory})
                }
            )
        channels.append(channel.model_copy(update={"data_source": source}))
    if channels:
        updates["input_data_config"] = channels
    if definition.output_data_config and definition.output_data_config.s3_output_path:
        out = definition.output_data_config
        path = str(_absolute(local_path_of(out.s3_output_path or ""), base_dir))
        updates["output_data_config"] = out.model_copy(update={"s3_output_path": path})
    if definition.checkpoint_config and definition.checkpoint_config.local_path:
        checkpoint = definition.checkpoint_config
        local = str(_absolute(checkpoint.local_path or "", base_dir))
        updates["checkpoint_config"] = checkpoint.model_copy(update={"local_path": local})
    if not updates:
        return spec
    new_definition = definition.model_copy(update=updates)
    if spec.training_job_definition is not None:
        return spec.model_copy(update={"training_job_definition": new_definition})
    others = list(spec.training_job_definitions or [])[1:]
    return spec.model_copy(update={"training_job_definitions": [new_definition, *others]})


def local_path_of(uri: str) -> str:
    """The filesystem path of a ``file://`` URI or a plain path."""
    return uri[len("file://") :] if uri.startswith("file://") else uri


def _absolute(path: str, base_dir: Path) -> Path:
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else (base_dir / candidate).resolve()
