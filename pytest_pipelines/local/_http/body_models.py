"""The request bodies the OpenAPI document declares, by route (:data:`BODIES`, ``bodies.py``).

Imported when the document is first built, not at the backend's start: the models document;
they validate nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    # Documentation only: unknown keys are allowed, as the routes allow them.
    model_config = ConfigDict(extra="allow")


class PromptBody(_Body):
    """A prompt (``POST /api/prompts``; every field optional on update)."""

    name: str
    prompt_text: str
    role: str | None = None
    description: str | None = None
    scope_type: Literal["org", "global", "personal"] | None = None
    org_id: int | None = None


class CriterionBody(_Body):
    """A criterion (``POST /api/criteria``)."""

    name: str
    display_label: str
    type: Literal["programmatic", "llm_judge", "llm_metric", "human_rating"]
    config: dict[str, Any]
    output_schema: dict[str, Any]
    description: str | None = None
    scope_type: Literal["org", "global", "personal"] | None = None
    org_id: int | None = None


class EvaluationCriterionRef(_Body):
    """One criterion of an evaluation, pinned to a version or the latest."""

    criterion_id: int
    criterion_version: int | None = None


class EvaluationBody(_Body):
    """An evaluation (``POST /api/evaluations``)."""

    name: str
    criteria: list[EvaluationCriterionRef]
    description: str | None = None
    scope_type: Literal["org", "global", "personal"] | None = None
    org_id: int | None = None


class ProjectBody(_Body):
    """A project."""

    name: str
    description: str | None = None
    org_id: int | None = None


class WorkflowBody(_Body):
    """A workflow and its definition (``{"nodes": [...]}``, docs/reference/local-shapes.md)."""

    name: str
    definition: dict[str, Any]
    description: str | None = None


class CreateTasksBody(_Body):
    """``create-tasks`` / ``create-tasks-async``: how many tasks, their inputs, config swaps."""

    count: int | None = Field(default=None, ge=1, le=10_000)
    inputs: list[dict[str, Any]] | None = None
    expected_outputs: list[Any] | None = None
    configOverrides: dict[str, Any] | None = None


class ExperimentBody(CreateTasksBody):
    """An experiment: the tasks of :class:`CreateTasksBody` once per variant."""

    variants: list[dict[str, Any]]


class ChaosBody(_Body):
    """Chaos settings (``{}`` turns chaos off); bounds as ``_engine.state.CHAOS_BOUNDS``."""

    rate_429: float | None = Field(default=None, ge=0, le=1)
    rate_503: float | None = Field(default=None, ge=0, le=1)
    delay_rate: float | None = Field(default=None, ge=0, le=1)
    delay_ms: int | None = Field(default=None, ge=0, le=60_000)
    retry_after: int | None = Field(default=None, ge=0, le=3_600)
    seed: int | None = None


class UploadUrlBody(_Body):
    """A project file's upload ticket request."""

    filename: str = Field(min_length=1, max_length=255)
    content_type: str | None = None


class ToolEndpointBody(_Body):
    """A tool endpoint (``mock``, ``code``, ``http``/``openapi``, ``mcp_server``/``mcp``)."""

    name: str
    endpoint_type: str
    url: str | None = None
    config: dict[str, Any] | None = None
    auth_type: str | None = None
    auth_config: dict[str, Any] | None = None
    description: str | None = None


class ToolBindingBody(_Body):
    """Bind an endpoint's tools to one LLM field."""

    node_id: str
    field_id: str
    endpoint_id: int
    selected_tools: list[str] | None = None
    max_tool_rounds: int | None = None
    enabled: bool | None = None


class ToolGroundTruthBody(_Body):
    """The tools one LLM field is expected (and not expected) to call."""

    node_id: str
    field_id: str
    expected_tools: list[dict[str, Any]]
    excluded_tools: list[dict[str, Any]] | None = None
    ordering_matters: bool | None = None


_TASKS = "/api/projects/{project_id}/workflows/{workflow_id}"
BODIES: dict[tuple[str, str], type[BaseModel]] = {
    ("POST", "/api/prompts"): PromptBody,
    ("POST", "/api/criteria"): CriterionBody,
    ("POST", "/api/evaluations"): EvaluationBody,
    ("POST", "/api/projects"): ProjectBody,
    ("POST", "/api/projects/{project_id}/workflows"): WorkflowBody,
    ("POST", f"{_TASKS}/create-tasks"): CreateTasksBody,
    ("POST", f"{_TASKS}/seeded-data/create-tasks-async"): CreateTasksBody,
    ("POST", f"{_TASKS}/experiments"): ExperimentBody,
    ("PUT", "/_local/chaos"): ChaosBody,
    ("POST", "/_local/chaos"): ChaosBody,
    ("POST", "/api/projects/{project_id}/files/upload-url"): UploadUrlBody,
    ("POST", "/api/organizations/{org_id}/tool-endpoints"): ToolEndpointBody,
    ("POST", "/api/workflows/{workflow_id}/tool-bindings"): ToolBindingBody,
    ("POST", "/api/workflows/{workflow_id}/tool-ground-truths"): ToolGroundTruthBody,
}
