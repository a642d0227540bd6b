"""Request bodies in the OpenAPI document: every route that reads a JSON body declares it.

The routes read their bodies through :func:`~.deps.json_body` (their own checks and 422
messages), which FastAPI cannot see; :func:`declare_bodies` adds a ``requestBody`` to each such
operation of the document: the model of :data:`BODIES` where one is written (so a reader, or a
fuzzer, learns the fields), else a JSON object. The models document; they validate nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema
from starlette.routing import BaseRoute

from pytest_pipelines.local._http.deps import json_body, optional_json_body

REF = "#/components/schemas/{model}"


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


def _reads_body(dependant: Dependant) -> bool | None:
    """True when the route requires a JSON body, False when it takes an optional one."""
    found: bool | None = None
    stack = [dependant]
    while stack:
        current = stack.pop()
        if current.call is json_body:
            return True
        if current.call is optional_json_body:
            found = False
        stack.extend(current.dependencies)
    return found


def _json_routes(routers: Sequence[APIRouter]) -> Iterator[tuple[str, str, bool]]:
    # The routers' own routes (with their prefixes): an app's included routers are not
    # APIRoutes in every FastAPI version.
    for route in (r for router in routers for r in router.routes):
        if not isinstance(route, APIRoute):
            continue
        required = _reads_body(route.dependant)
        if required is None:
            continue
        for method in sorted(route.methods or ()):
            yield method, route.path, required


def declare_bodies(
    app: FastAPI, load: Callable[[], tuple[Sequence[BaseRoute], Sequence[APIRouter]]]
) -> None:
    """Make ``app.openapi()`` document the routes ``load()`` returns (with the routers they
    come from) and declare the JSON request body of every route of those routers that reads
    one."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        routes, routers = load()
        document = get_openapi(
            title=app.title, version=app.version, routes=routes, description=app.description
        )
        models = sorted(set(BODIES.values()), key=lambda m: m.__name__)
        refs, definitions = models_json_schema(
            [(m, "validation") for m in models], ref_template=REF
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(definitions.get("$defs", {}))
        for method, path, required in _json_routes(routers):
            operation = document["paths"].get(path, {}).get(method.lower())
            if operation is None:
                continue
            model = BODIES.get((method, path))
            schema = refs[(model, "validation")] if model else {"type": "object"}
            operation["requestBody"] = {
                "required": required,
                "content": {"application/json": {"schema": schema}},
            }
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
