"""The public surface is exactly what ``__all__`` lists, and importing it costs nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pytest_pipelines

EXPECTED_PUBLIC_NAMES = {
    "AsyncPipelinesClient",
    "AuthenticationError",
    "ClientClosedError",
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "PipelinesAPIError",
    "PipelinesClient",
    "PipelinesConnectionError",
    "PipelinesError",
    "PipelinesTimeoutError",
    "PipelinesWarning",
    "PipelinesInconclusiveWarning",
    "PipelinesConfigWarning",
    "PipelinesGateWarning",
    "RateLimitError",
    "ServerError",
    "ValidationError",
    "CriterionFactory",
    "CriterionResult",
    "CriterionStats",
    "EXIT_BROKEN_RUNS",
    "EvaluationFactory",
    "Gate",
    "GateOutcome",
    "Gates",
    "PipelinesConfigError",
    "PipelinesSettings",
    "PromptFactory",
    "RunResult",
    "TaskResult",
    "ToolBindingFactory",
    "ToolCorrectness",
    "ToolEndpointFactory",
    "ToolGate",
    "ToolGroundTruthFactory",
    "Verdict",
    "__version__",
}


def test_all_is_exactly_the_public_names() -> None:
    assert set(pytest_pipelines.__all__) == EXPECTED_PUBLIC_NAMES
    assert len(pytest_pipelines.__all__) == len(EXPECTED_PUBLIC_NAMES)


def test_every_public_name_resolves() -> None:
    for name in pytest_pipelines.__all__:
        assert getattr(pytest_pipelines, name) is not None, name


def test_unknown_name_is_an_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        pytest_pipelines.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def test_error_classes_form_one_hierarchy() -> None:
    p = pytest_pipelines
    for name in (
        "AuthenticationError",
        "ForbiddenError",
        "NotFoundError",
        "ConflictError",
        "ValidationError",
        "RateLimitError",
        "ServerError",
    ):
        assert issubclass(getattr(p, name), p.PipelinesAPIError), name
    assert issubclass(p.PipelinesAPIError, p.PipelinesError)
    assert issubclass(p.PipelinesConnectionError, p.PipelinesError)
    assert issubclass(p.PipelinesTimeoutError, p.PipelinesError)


def test_importing_the_package_and_entry_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, pytest_pipelines, pytest_pipelines.plugin\n"
        "heavy = [m for m in ('httpx', 'pydantic', 'fastapi', 'uvicorn', 'junitparser', "
        "'starlette', 'sqlite3') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"the entry module imported heavy modules: {out}"
