"""One exception root for everything tunesmith raises on purpose.

Messages say what to change; callers (CLI, SDK, HTTP API) map the subclasses to exit codes or
SageMaker error codes (ValidationException, ResourceNotFound, ResourceInUse, ...).
"""

from __future__ import annotations

from dataclasses import dataclass


class TunesmithError(Exception):
    """Root of every error tunesmith raises deliberately."""

    #: The SageMaker error code this maps to on the wire.
    code: str = "InternalFailure"


@dataclass(frozen=True)
class FieldProblem:
    """One broken rule: where (dotted field path), what value, which rule."""

    path: str
    value: object
    rule: str

    def render(self) -> str:
        shown = _short_repr(self.value)
        return f"Value {shown} at '{self.path}' failed to satisfy constraint: {self.rule}"


def _short_repr(value: object, limit: int = 80) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class SpecValidationError(TunesmithError):
    """The tuning-job spec breaks one or more rules; nothing was created."""

    code = "ValidationException"

    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        count = len(problems)
        head = f"{count} validation error{'s' if count != 1 else ''} detected: "
        super().__init__(head + "; ".join(p.render() for p in problems))

    @classmethod
    def single(cls, path: str, value: object, rule: str) -> SpecValidationError:
        return cls([FieldProblem(path, value, rule)])


class ResourceNotFoundError(TunesmithError):
    code = "ResourceNotFound"


class ResourceInUseError(TunesmithError):
    code = "ResourceInUse"


class NotYetSupportedError(SpecValidationError):
    """A valid SageMaker field this version of tunesmith does not implement yet."""


class ExecutorError(TunesmithError):
    """An executor could not launch or control a training job (an internal, retryable error)."""

    code = "InternalFailure"


class StoreError(TunesmithError):
    code = "InternalFailure"


class OptionalDependencyError(TunesmithError):
    """A feature needs an extra that is not installed."""

    code = "ValidationException"

    def __init__(self, module: str, extra: str, feature: str):
        super().__init__(
            f"{feature} needs the '{module}' package, which is not installed. "
            f"Install it with: pip install 'tunesmith[{extra}]'"
        )
