"""The client package's public surface is exactly what __all__ lists."""

from __future__ import annotations

import pytest_pipelines
import pytest_pipelines.client as client_pkg
import pytest_pipelines.types as types_mod

EXPECTED_CLIENT = {
    "AsyncPipelinesClient",
    "PipelinesClient",
    # errors
    "PipelinesError",
    "PipelinesConfigError",
    "PipelinesAPIError",
    "AuthenticationError",
    "ForbiddenError",
    "NotFoundError",
    "ConflictError",
    "ValidationError",
    "RateLimitError",
    "ServerError",
    "PipelinesConnectionError",
    "RequestTimeoutError",
    "PipelinesTimeoutError",
    "ClientClosedError",
    "error_for_status",
    # payload models
    "CriterionDefinition",
    "ExactMatchConfig",
    "ContainsKeywordsConfig",
    "RegexMatchConfig",
    "JsonValidityConfig",
    "LlmJudgeConfig",
    "LlmMetricConfig",
    "HumanRatingConfig",
    "BooleanOutput",
    "RatingOutput",
    "NumericOutput",
    "ConfigOverrides",
    "PromptOverride",
    "ModelOverride",
    "EvaluationOverride",
    "CreateTasksPayload",
    "ExperimentVariant",
    "ExperimentPayload",
    # bundles and constants
    "artifact_bundle_template",
    "bundle_errors",
    "BUNDLE_ARTIFACT_TYPE",
    "EXPORT_FORMATS",
    "LOCAL_URL",
    "PRODUCTION_URL",
    "MAX_RETRY_AFTER",
    "TERMINAL_STATUSES",
    # retrying (the pytest plugin retries what the client does not, with the same rule)
    "RETRY_STATUSES",
    "retry_delay",
    # waiting
    "is_terminal",
    "poll_delays",
    # poll timing (the plugin's run waiter uses it too)
    "PollPlan",
    "RunDurations",
    "durations_of",
    "run_key",
    "run_size",
    "POLL_START",
    "POLL_FACTOR",
    "POLL_CAP",
}


def test_client_all_is_exactly_the_public_names() -> None:
    assert set(client_pkg.__all__) == EXPECTED_CLIENT
    public = {
        n
        for n in dir(client_pkg)
        if n.isidentifier() and not n.startswith("_") and n != "annotations"
    }
    assert public == EXPECTED_CLIENT


def test_top_level_client_names_are_the_client_objects() -> None:
    shared = set(pytest_pipelines.__all__) & set(client_pkg.__all__)
    assert {"PipelinesClient", "AsyncPipelinesClient", "PipelinesAPIError"} <= shared
    for name in shared:
        assert getattr(pytest_pipelines, name) is getattr(client_pkg, name), name


def test_types_all_lists_typed_dicts() -> None:
    for name in types_mod.__all__:
        assert isinstance(getattr(types_mod, name), type)
    assert {
        "Project",
        "Workflow",
        "Prompt",
        "Criterion",
        "Evaluation",
        "ToolEndpoint",
        "User",
        "Page",
    } <= set(types_mod.__all__)
