"""pytest-pipelines: evaluation-as-tests for Pipelines LLM workflows.

The public surface is what ``__all__`` lists. Names are imported lazily (PEP 562), because
pytest imports this package through the ``pytest11`` entry point in every run of every
suite on the machine: importing ``pytest_pipelines`` must cost nothing until a name is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pytest_pipelines._version import __version__

#: The exit code of a session whose only failures are broken runs (platform errors, timeouts,
#: failed cleanup), with ``--pipelines-exit-codes``. pytest's own codes are 0-5; 7 is neither one
#: of them nor one pytest-xdist uses. Defined here, not lazily: a CI script may import it cheaply.
EXIT_BROKEN_RUNS = 7

if TYPE_CHECKING:
    from pytest_pipelines._fixtures import (
        CriterionFactory,
        EvaluationFactory,
        PromptFactory,
        ToolBindingFactory,
        ToolEndpointFactory,
        ToolGroundTruthFactory,
    )
    from pytest_pipelines._gates import (
        GateOutcome,
        Gates,
        PipelinesConfigWarning,
        PipelinesGateWarning,
        PipelinesInconclusiveWarning,
        PipelinesWarning,
        Verdict,
    )
    from pytest_pipelines._markers import Gate, ToolGate
    from pytest_pipelines._results import (
        CriterionResult,
        CriterionStats,
        RunResult,
        TaskResult,
        ToolCorrectness,
    )
    from pytest_pipelines._settings import PipelinesSettings
    from pytest_pipelines.client import (
        AsyncPipelinesClient,
        AuthenticationError,
        ClientClosedError,
        ConflictError,
        ForbiddenError,
        NotFoundError,
        PipelinesAPIError,
        PipelinesClient,
        PipelinesConfigError,
        PipelinesConnectionError,
        PipelinesError,
        PipelinesTimeoutError,
        RateLimitError,
        ServerError,
        ValidationError,
    )

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "PipelinesClient": "pytest_pipelines.client",
    "AsyncPipelinesClient": "pytest_pipelines.client",
    "PipelinesError": "pytest_pipelines.client",
    "PipelinesAPIError": "pytest_pipelines.client",
    "AuthenticationError": "pytest_pipelines.client",
    "ClientClosedError": "pytest_pipelines.client",
    "ForbiddenError": "pytest_pipelines.client",
    "NotFoundError": "pytest_pipelines.client",
    "ConflictError": "pytest_pipelines.client",
    "ValidationError": "pytest_pipelines.client",
    "RateLimitError": "pytest_pipelines.client",
    "ServerError": "pytest_pipelines.client",
    "PipelinesConnectionError": "pytest_pipelines.client",
    "PipelinesTimeoutError": "pytest_pipelines.client",
    "PipelinesConfigError": "pytest_pipelines.client",
    "RunResult": "pytest_pipelines._results",
    "TaskResult": "pytest_pipelines._results",
    "CriterionResult": "pytest_pipelines._results",
    "CriterionStats": "pytest_pipelines._results",
    "ToolCorrectness": "pytest_pipelines._results",
    "Gate": "pytest_pipelines._markers",
    "ToolGate": "pytest_pipelines._markers",
    "Gates": "pytest_pipelines._gates",
    "GateOutcome": "pytest_pipelines._gates",
    "Verdict": "pytest_pipelines._gates",
    "PipelinesWarning": "pytest_pipelines._gates",
    "PipelinesConfigWarning": "pytest_pipelines._gates",
    "PipelinesInconclusiveWarning": "pytest_pipelines._gates",
    "PipelinesGateWarning": "pytest_pipelines._gates",
    "PipelinesSettings": "pytest_pipelines._settings",
    "PromptFactory": "pytest_pipelines._fixtures",
    "CriterionFactory": "pytest_pipelines._fixtures",
    "EvaluationFactory": "pytest_pipelines._fixtures",
    "ToolEndpointFactory": "pytest_pipelines._fixtures",
    "ToolBindingFactory": "pytest_pipelines._fixtures",
    "ToolGroundTruthFactory": "pytest_pipelines._fixtures",
}

__all__ = [
    "EXIT_BROKEN_RUNS",
    "AsyncPipelinesClient",
    "AuthenticationError",
    "ClientClosedError",
    "ConflictError",
    "CriterionFactory",
    "CriterionResult",
    "CriterionStats",
    "EvaluationFactory",
    "ForbiddenError",
    "Gate",
    "GateOutcome",
    "Gates",
    "NotFoundError",
    "PipelinesAPIError",
    "PipelinesClient",
    "PipelinesConfigError",
    "PipelinesConfigWarning",
    "PipelinesConnectionError",
    "PipelinesError",
    "PipelinesGateWarning",
    "PipelinesInconclusiveWarning",
    "PipelinesSettings",
    "PipelinesTimeoutError",
    "PipelinesWarning",
    "PromptFactory",
    "RateLimitError",
    "RunResult",
    "ServerError",
    "TaskResult",
    "ToolBindingFactory",
    "ToolCorrectness",
    "ToolEndpointFactory",
    "ToolGate",
    "ToolGroundTruthFactory",
    "ValidationError",
    "Verdict",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_pipelines' has no attribute {name!r}")
    # Not cached in globals(): this package outlives the modules it would pin. pytester's
    # in-process runs drop the modules a run imported; a cached class from a dropped module
    # (LocalPipelines -> its create_app -> a dropped fastapi) met freshly imported routers in
    # the next run, whose routes the stale app did not recognise (every request a 307).
    # import_module is a dict lookup once the module is loaded.
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
