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
    """A user; ``GET /api/auth/me`` has at least ``email`` and ``org_id``.

    ``key_name`` and ``scopes`` describe the calling key (``/api/auth/me`` only).
    """

    id: int
    email: str
    name: str
    org_id: int
    role: str
    key_name: str
    scopes: list[str]
    created_at: str


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
    slug: str
    user_count: int
    created_at: str
    updated_at: str


class Project(TypedDict, total=False):
    """A project."""

    id: int
    name: str
    description: str | None
    org_id: int
    archived: bool
    created_at: str
    updated_at: str


class Workflow(TypedDict, total=False):
    """A workflow (``definition`` per local-shapes.md)."""

    id: int
    project_id: int
    org_id: int
    name: str
    description: str | None
    definition: dict[str, Any]
    seed_rows: list[dict[str, Any]]
    status: str
    archived: bool
    created_at: str
    updated_at: str


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
    created_at: str
    updated_at: str


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
    created_at: str
    updated_at: str


class EvaluationCriterion(TypedDict, total=False):
    """One entry of an evaluation's ``criteria`` (a criterion pinned to a version)."""

    criterion_id: int
    criterion_version: int | None


class Evaluation(TypedDict, total=False):
    """An evaluation: a named list of criteria."""

    id: int
    name: str
    description: str | None
    criteria: list[EvaluationCriterion]
    version: int
    scope_type: str
    org_id: int
    created_at: str
    updated_at: str


class ToolEndpoint(TypedDict, total=False):
    """A tool endpoint; discovered tools under ``tools``."""

    id: int
    org_id: int
    name: str
    description: str | None
    endpoint_type: str
    url: str | None
    auth_type: str
    auth_config: dict[str, Any]
    config: dict[str, Any]
    tools: list[dict[str, Any]]
    status: str
    version: int
    created_at: str
    updated_at: str


class ToolBinding(TypedDict, total=False):
    """Binds one endpoint to one workflow field."""

    id: int
    org_id: int
    workflow_id: int
    node_id: str
    field_id: str
    endpoint_id: int
    selected_tools: list[str]
    max_tool_rounds: int
    enabled: bool
    created_at: str
    updated_at: str


class ToolGroundTruth(TypedDict, total=False):
    """Which tools should (not) be called for a field."""

    id: int
    org_id: int
    workflow_id: int
    node_id: str
    field_id: str
    expected_tools: list[dict[str, Any]]
    excluded_tools: list[dict[str, Any]]
    ordering_matters: bool
    source: str
    confidence: float
    created_at: str
    updated_at: str


class ToolCorrectnessDetails(TypedDict, total=False):
    """``details`` of a tool-correctness result: tool names per category."""

    expected: list[str]
    called: list[str]
    missing: list[str]
    excluded_called: list[str]
    unexpected: list[str]
    ordering_ok: bool
    ordering_considered: bool
    parameter_mismatches: list[dict[str, Any]]


class ToolCorrectnessResult(TypedDict, total=False):
    """``POST .../tool-ground-truths/nodes/{node_db_id}/evaluate`` (local-shapes.md)."""

    node_db_id: int
    field_id: str
    ground_truth_id: int
    score: float
    passed: bool
    threshold: float
    details: ToolCorrectnessDetails


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
    org_id: int
    user_id: int
    title: str
    body: str
    kind: str
    link: dict[str, Any]
    read: bool
    read_at: str | None
    created_at: str


class UnreadCount(TypedDict, total=False):
    """``GET /api/notifications/unread-count``."""

    count: int


class MarkReadResult(TypedDict, total=False):
    """``POST /api/notifications/mark-read``: how many were marked, how many stay unread."""

    updated: int
    unread: int


class ConfigurableField(TypedDict, total=False):
    """One entry of ``configurable-fields``; ``supports`` lists the override kinds."""

    nodeId: str
    nodeTitle: str
    fieldId: str
    fieldTitle: str
    fieldType: str
    supports: list[str]


class ConfigurableFields(TypedDict, total=False):
    """``GET .../configurable-fields``: ``{"fields": [...]}``."""

    workflow_id: int
    fields: list[ConfigurableField]


class CreationModeInputField(TypedDict, total=False):
    """One input field of ``creation-mode``."""

    nodeId: str
    fieldId: str
    fieldTitle: str
    has_default: bool


class CreationMode(TypedDict, total=False):
    """``GET .../creation-mode``: at least ``requires_csv``; ``seed_rows`` is a count here."""

    requires_csv: bool
    mode: str
    input_fields: list[CreationModeInputField]
    seed_rows: int


class ModelUsage(TypedDict, total=False):
    """Tokens, latency and cost of model calls (local-shapes.md, "Usage")."""

    calls: int
    input_tokens: int
    output_tokens: int
    tokens_estimated: bool
    cost_usd: float | None
    unpriced_calls: int
    latency_ms: float
    replayed_calls: int
    errors: int


class TaskUsage(ModelUsage, total=False):
    """A task's usage: the totals, and the same per model slug."""

    by_model: dict[str, ModelUsage]


class EvaluationResult(TypedDict, total=False):
    """One criterion result on a task node (local-shapes.md)."""

    field_id: str
    target_node_id: str
    target_field_id: str
    evaluation_id: int
    evaluation_version: int
    criterion_id: int
    criterion_version: int
    criterion_name: str
    criterion_type: str
    subtype: str | None
    output_type: str
    status: str
    value: Any
    passed: bool | None
    threshold: float | None
    reason: str | None
    error: str | None
    usage: ModelUsage


class TaskField(TypedDict, total=False):
    """One field run of a task node (local-shapes.md)."""

    field_id: str
    type: str
    model: str | None
    prompt_id: int | None
    prompt_version: int | None
    output: Any
    error: str | None
    latency_ms: int
    usage: ModelUsage
    #: who served the model: "local" for the local backend's registry (local-shapes.md)
    served_by: str
    #: the hosted model a local demo model stands in for (e.g. "gemini-3.5-flash"), else None
    stand_in_for: str | None


class ToolCall(TypedDict, total=False):
    """One recorded tool call of a node (local-shapes.md)."""

    id: int
    field_id: str
    round: int
    order: int
    tool_name: str
    endpoint_id: int
    input: Any
    output: Any
    error: str | None
    #: a code tool that raised: the traceback of the tool's own frames (local backend)
    traceback: str | None
    created_at: str


class ToolCallHistory(TypedDict, total=False):
    """``GET .../nodes/{node_db_id}/tool-call-history``."""

    node_db_id: int
    node_id: str
    task_id: int
    items: list[ToolCall]
    total: int


class TaskNode(TypedDict, total=False):
    """A node of a task (``id`` is the ``node_db_id``)."""

    id: int
    node_id: str
    title: str
    status: str
    outputs: dict[str, Any]
    fields: list[TaskField]
    evaluation_results: list[EvaluationResult]
    tool_calls: list[ToolCall]
    error: str | None
    usage: ModelUsage | None
    created_at: str
    finished_at: str | None


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
    created_at: str
    started_at: str | None
    finished_at: str | None
    repeat: int
    usage: TaskUsage | None


class JobCreated(TypedDict, total=False):
    """``POST .../create-tasks-async`` (and other job starts): at least ``job_id``."""

    job_id: str
    status: str
    task_ids: list[int]


class JobStatus(TypedDict, total=False):
    """A create-tasks (or other) job status; ``status`` is in flight or terminal."""

    job_id: str
    status: str
    total: int
    queued: int
    running: int
    completed: int
    failed: int
    cancelled: int
    evaluated: int
    task_ids: list[int]
    error: str | None
    project_id: int
    workflow_id: int
    created_at: str
    finished_at: str | None
    #: local backend: the status route holds a ``?wait=S`` poll up to this many seconds
    max_wait: float


class CreateTasksResult(JobStatus, total=False):
    """``POST .../create-tasks`` (synchronous): the finished job status plus every task."""

    tasks: list[Task]


class ExperimentCreated(TypedDict, total=False):
    """``POST .../experiments``."""

    experiment_id: str
    status: str


class ExperimentVariantStatus(TypedDict, total=False):
    """One variant of an experiment."""

    name: str
    workflow_id: int
    workflow_name: str
    task_ids: list[int]
    status: str
    job_id: str
    completed: int
    failed: int
    cancelled: int


class ExperimentStatus(TypedDict, total=False):
    """``GET .../experiments/{experiment_id}``."""

    experiment_id: str
    status: str
    variants: list[ExperimentVariantStatus]
    project_id: int
    workflow_id: int
    cancelled: bool
    created_at: str
    #: local backend: the status route holds a ``?wait=S`` poll up to this many seconds
    max_wait: float


class BundleSummary(TypedDict, total=False):
    """What ``push_artifact_bundle`` returns.

    ``created`` maps each section to ``[{"name", "id"}]`` (experiments: ``[{"name",
    "experiment_id"}]``).
    """

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
    "ConfigurableField",
    "ConfigurableFields",
    "CreateTasksResult",
    "CreationMode",
    "CreationModeInputField",
    "Criterion",
    "Dataset",
    "Evaluation",
    "EvaluationCriterion",
    "EvaluationResult",
    "ExperimentCreated",
    "ExperimentStatus",
    "ExperimentVariantStatus",
    "Health",
    "JobCreated",
    "JobStatus",
    "MarkReadResult",
    "ModelUsage",
    "Notification",
    "Organization",
    "Page",
    "Project",
    "Prompt",
    "Task",
    "TaskField",
    "TaskNode",
    "TaskUsage",
    "ToolBinding",
    "ToolCall",
    "ToolCallHistory",
    "ToolCorrectnessDetails",
    "ToolCorrectnessResult",
    "ToolEndpoint",
    "ToolGroundTruth",
    "UnreadCount",
    "User",
    "Workflow",
]
