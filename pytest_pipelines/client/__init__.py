"""The Pipelines client: :class:`PipelinesClient` (sync) and :class:`AsyncPipelinesClient`.

Both speak the whole documented SDK surface (``sdk-guide.txt``) plus every route of
``routes.tsv``. The async client is the source; the sync client is generated from it.
This package never imports pytest, FastAPI or the plugin.
"""

from __future__ import annotations

from pytest_pipelines.client._async_client import AsyncPipelinesClient
from pytest_pipelines.client._base import (
    BUNDLE_ARTIFACT_TYPE,
    EXPORT_FORMATS,
    LOCAL_URL,
    PRODUCTION_URL,
    TERMINAL_STATUSES,
    artifact_bundle_template,
    bundle_errors,
)
from pytest_pipelines.client._exceptions import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PipelinesAPIError,
    PipelinesConfigError,
    PipelinesConnectionError,
    PipelinesError,
    PipelinesTimeoutError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    ValidationError,
    error_for_status,
)
from pytest_pipelines.client._models import (
    BooleanOutput,
    ConfigOverrides,
    ContainsKeywordsConfig,
    CreateTasksPayload,
    CriterionDefinition,
    EvaluationOverride,
    ExactMatchConfig,
    ExperimentPayload,
    ExperimentVariant,
    HumanRatingConfig,
    JsonValidityConfig,
    LlmJudgeConfig,
    LlmMetricConfig,
    ModelOverride,
    NumericOutput,
    PromptOverride,
    RatingOutput,
    RegexMatchConfig,
)
from pytest_pipelines.client._sync_client import PipelinesClient

__all__ = [
    "BUNDLE_ARTIFACT_TYPE",
    "EXPORT_FORMATS",
    "LOCAL_URL",
    "PRODUCTION_URL",
    "TERMINAL_STATUSES",
    "AsyncPipelinesClient",
    "AuthenticationError",
    "BooleanOutput",
    "ConfigOverrides",
    "ConflictError",
    "ContainsKeywordsConfig",
    "CreateTasksPayload",
    "CriterionDefinition",
    "EvaluationOverride",
    "ExactMatchConfig",
    "ExperimentPayload",
    "ExperimentVariant",
    "ForbiddenError",
    "HumanRatingConfig",
    "JsonValidityConfig",
    "LlmJudgeConfig",
    "LlmMetricConfig",
    "ModelOverride",
    "NotFoundError",
    "NumericOutput",
    "PipelinesAPIError",
    "PipelinesClient",
    "PipelinesConfigError",
    "PipelinesConnectionError",
    "PipelinesError",
    "PipelinesTimeoutError",
    "PromptOverride",
    "RateLimitError",
    "RatingOutput",
    "RegexMatchConfig",
    "RequestTimeoutError",
    "ServerError",
    "ValidationError",
    "artifact_bundle_template",
    "bundle_errors",
    "error_for_status",
]
