"""Response shapes as permissive ``TypedDict``s (``total=False``).

Annotate your own code with them; unknown backend fields are fine at runtime::

    from pytest_pipelines.types import Project

    def show(p: Project) -> None:
        print(p["id"], p.get("name"))

Shapes follow ``SHAPES.md`` and, where the contract is silent, ``docs/reference/local-shapes.md``.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from typing_extensions import TypedDict

T = TypeVar("T")

Id = int | str


class Health(TypedDict, total=False):
    """``GET /api/health``."""

    status: str


class User(TypedDict, total=False):
    """A user; ``GET /api/auth/me`` has at least ``email`` and ``org_id``."""

    id: int
    email: str
    name: str
    org_id: int
    role: str


class AuthStatus(TypedDict, total=False):
    """What ``auth_status()`` returns."""

    authenticated: bool
    email: str | None
    org_id: int | None
    base_url: str


class Organization(TypedDict, total=False):
    """An organization."""

    id: int
    name: str
    created_at: str


class Project(TypedDict, total=False):
    """A project."""

    id: int
    name: str
    description: str | None
    org_id: int
    archived: bool
    created_at: str


class Workflow(TypedDict, total=False):
    """A workflow (``definition`` per local-shapes.md)."""

    id: int
    project_id: int
    name: str
    description: str | None
    definition: dict[str, Any]
    archived: bool
    created_at: str


class Prompt(TypedDict, total=False):
    """A prompt."""

    id: int
    name: str
    description: str | None
    prompt_text: str
    role: str
    version: int
    scope_type: str
    org_id: int


class Criterion(TypedDict, total=False):
    """A criterion: ``type`` + type-specific ``config`` + ``output_schema``."""

    id: int
    name: str
    display_label: str
    description: str | None
    type: str
    config: dict[str, Any]
    output_schema: dict[str, Any]
    version: int
    scope_type: str
    org_id: int


class Evaluation(TypedDict, total=False):
    """An evaluation: a named list of criteria."""

    id: int
    name: str
    description: str | None
    criteria: list[dict[str, Any]]
    version: int
    scope_type: str
    org_id: int


class ToolEndpoint(TypedDict, total=False):
    """A tool endpoint; discovered tools under ``tools``."""

    id: int
    org_id: int
    name: str
    description: str | None
    endpoint_type: str
    url: str
    auth_type: str
    auth_config: dict[str, Any]
    tools: list[dict[str, Any]]


class ToolBinding(TypedDict, total=False):
    """Binds one endpoint to one workflow field."""

    id: int
    workflow_id: int
    node_id: str
    field_id: str
    endpoint_id: int
    selected_tools: list[str]
    max_tool_rounds: int


class ToolGroundTruth(TypedDict, total=False):
    """Which tools should (not) be called for a field."""

    id: int
    workflow_id: int
    node_id: str
    field_id: str
    expected_tools: list[dict[str, Any]]
    excluded_tools: list[dict[str, Any]]
    ordering_matters: bool
    source: str
    confidence: float


class Dataset(TypedDict, total=False):
    """An imported dataset."""

    id: int
    name: str
    description: str | None
    org_id: int
    row_count: int


class Notification(TypedDict, total=False):
    """A notification."""

    id: int
    title: str
    body: str
    read: bool
    created_at: str


class EvaluationResult(TypedDict, total=False):
    """One criterion result on a task node (local-shapes.md)."""

    field_id: str
    criterion_id: int
    criterion_name: str
    criterion_type: str
    output_type: str
    status: str
    value: Any
    passed: bool | None
    reason: str | None
    error: str | None


class TaskNode(TypedDict, total=False):
    """A node of a task (``id`` is the ``node_db_id``)."""

    id: int
    node_id: str
    title: str
    status: str
    outputs: dict[str, Any]
    fields: list[dict[str, Any]]
    evaluation_results: list[EvaluationResult]
    tool_calls: list[dict[str, Any]]


class Task(TypedDict, total=False):
    """Task detail (local-shapes.md)."""

    id: int
    project_id: int
    workflow_id: int
    job_id: str
    status: str
    inputs: dict[str, Any]
    expected_output: Any
    error: str | None
    nodes: list[TaskNode]


class JobStatus(TypedDict, total=False):
    """A create-tasks (or other) job status."""

    job_id: str
    status: str
    total: int
    completed: int
    failed: int
    cancelled: int
    task_ids: list[int]
    error: str | None


class ExperimentVariantStatus(TypedDict, total=False):
    """One variant of an experiment."""

    name: str
    workflow_id: int
    workflow_name: str
    task_ids: list[int]
    status: str
    job_id: str


class ExperimentStatus(TypedDict, total=False):
    """``GET .../experiments/{experiment_id}``."""

    experiment_id: str
    status: str
    variants: list[ExperimentVariantStatus]


class BundleSummary(TypedDict, total=False):
    """What ``push_artifact_bundle`` returns."""

    artifact_type: str
    name: str | None
    created: dict[str, list[dict[str, Any]]]


class Page(TypedDict, Generic[T], total=False):
    """One page of a list endpoint (any of the SHAPES.md forms)."""

    items: list[T]
    data: list[T]
    has_more: bool
    total: int
    next_page: int | None


__all__ = [
    "AuthStatus",
    "BundleSummary",
    "Criterion",
    "Dataset",
    "Evaluation",
    "EvaluationResult",
    "ExperimentStatus",
    "ExperimentVariantStatus",
    "Health",
    "JobStatus",
    "Notification",
    "Organization",
    "Page",
    "Project",
    "Prompt",
    "Task",
    "TaskNode",
    "ToolBinding",
    "ToolEndpoint",
    "ToolGroundTruth",
    "User",
    "Workflow",
]
