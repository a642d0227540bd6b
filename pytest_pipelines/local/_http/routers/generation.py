"""Per-node LLM generation routes: generate, regenerate, admin regenerate, progress, errors,
history, and the workflow-level LLM analytics rollup.

The generation itself is ``_engine/generation.py`` (the task runner's own field function, with
the run's pins), synchronous: the POST returns when it is done, so progress is always terminal
afterwards. Shapes: ``docs/local-backend-reference.md``.
"""

from __future__ import annotations

import statistics
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from pytest_pipelines.local._engine.access import (
    ROLES,
    Principal,
    get_workflow_or_404,
    require_role,
)
from pytest_pipelines.local._engine.errors import APIError
from pytest_pipelines.local._engine.generation import generate_node
from pytest_pipelines.local._engine.meter import merge
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._engine.work import NOT_YOURS, work_of
from pytest_pipelines.local._http.deps import OptionalBody, State, TasksAuth
from pytest_pipelines.local._http.nodes import NodeRef, node_after_role

router = APIRouter(prefix="/api/projects/{project_id}/workflows/{workflow_id}", tags=["generation"])

_NODE = "/nodes/{node_db_id}"
#: the reads follow the runtime's node reads (``GET .../history``): every runtime role; a viewer
#: (no runtime access) is 403, another organization's key 404
ReadableNode = Annotated[dict[str, Any], Depends(node_after_role(ROLES, "read LLM generations"))]


def _may_generate(state: BackendState, principal: Principal, node: dict[str, Any]) -> None:
    role = require_role(state, principal, ("admin", "contributor"), "generate LLM fields")
    work = work_of(state, node)
    assignee = (work or {}).get("assignee_user_id")
    if role != "admin" and assignee not in (None, principal.user_id):
        raise APIError(
            403, NOT_YOURS.format(id=node["id"], assignee=assignee, user=principal.user_id)
        )


@router.post(_NODE + "/generate-llm-fields")
def generate_llm_fields(
    state: State,
    principal: TasksAuth,
    body: OptionalBody,
    node: NodeRef,
) -> dict[str, Any]:
    """Generate the node's LLM fields that have no output yet (or ``field_ids``)."""
    _may_generate(state, principal, node)
    return generate_node(state, principal, node, body, "generate")


@router.post(_NODE + "/regenerate-llm")
def regenerate_llm(
    state: State,
    principal: TasksAuth,
    body: OptionalBody,
    node: NodeRef,
) -> dict[str, Any]:
    """Re-run every LLM field of the node (or ``field_ids``), replacing their outputs."""
    _may_generate(state, principal, node)
    return generate_node(state, principal, node, body, "regenerate")


@router.post(_NODE + "/admin-regenerate-llm")
def admin_regenerate_llm(
    state: State,
    principal: TasksAuth,
    body: OptionalBody,
    node: Annotated[
        dict[str, Any], Depends(node_after_role(("admin",), "regenerate LLM fields as admin"))
    ],
) -> dict[str, Any]:
    """Regenerate as an org admin, whoever the node is assigned to."""
    return generate_node(state, principal, node, body, "admin_regenerate")


def _latest(state: BackendState, node_db_id: int) -> dict[str, Any] | None:
    found = state.db.query("generation", parent_id=node_db_id, limit=1, descending=True)
    return found[0] if found else None


@router.get(_NODE + "/llm-progress")
def get_llm_progress(state: State, node: ReadableNode) -> dict[str, Any]:
    """The latest generation's progress (``idle`` when none ran; the run's own fields count)."""
    gen = _latest(state, node["id"])
    if gen is None:
        fields = [f for f in node.get("fields") or [] if f.get("type") == "llm"]
        return {
            "node_db_id": node["id"],
            "generation_id": None,
            "status": "idle",
            "total": len(fields),
            "done": len(fields),
            "percent": 100.0,
        }
    total = int(gen.get("total") or 0)
    done = int(gen.get("done") or 0)
    return {
        "node_db_id": node["id"],
        "generation_id": gen["id"],
        "status": gen["status"],
        "total": total,
        "done": done,
        "percent": 100.0 if total == 0 else round(100.0 * done / total, 1),
    }


@router.get(_NODE + "/llm-error")
def get_llm_error(state: State, node: ReadableNode) -> dict[str, Any]:
    """The latest LLM error of the node (generation or run), ``error: null`` when none."""
    field_errors = [
        {"field_id": f.get("field_id"), "model": f.get("model"), "error": f.get("error")}
        for f in node.get("fields") or []
        if f.get("error")
    ]
    gen = _latest(state, node["id"])
    error = (gen or {}).get("error") or (field_errors[0]["error"] if field_errors else None)
    return {
        "node_db_id": node["id"],
        "error": error,
        "field_errors": field_errors,
        "generation_id": (gen or {}).get("id"),
    }


@router.get(_NODE + "/llm-generation-history")
def get_llm_generation_history(state: State, node: ReadableNode) -> dict[str, Any]:
    """Every generation of the node, oldest first, with per-field outputs and latencies."""
    items = state.db.query("generation", parent_id=node["id"])
    return {"node_db_id": node["id"], "items": items, "total": len(items)}


def _usage_by_model(
    state: BackendState, org_id: int, workflow_id: int
) -> dict[str, list[dict[str, Any]]]:
    """Per model slug, the per-model usage totals of every task of the workflow (judges too)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for task in state.db.query("task", org_id=org_id, where={"workflow_id": workflow_id}):
        for slug, totals in ((task.get("usage") or {}).get("by_model") or {}).items():
            found.setdefault(slug, []).append(totals)
    return found


@router.get("/llm-analytics")
def get_workflow_llm_analytics(
    state: State, principal: TasksAuth, project_id: int, workflow_id: int
) -> dict[str, Any]:
    """Calls, errors and latency per model (and per node) over the workflow's runs and generations."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    calls: list[tuple[str, str, dict[str, Any]]] = []
    for node in state.db.query("node", org_id=principal.org_id, where={"workflow_id": workflow_id}):
        for field in node.get("fields") or []:
            if field.get("type") == "llm":
                calls.append(("run", str(node.get("node_id")), field))
    for gen in state.db.query(
        "generation", org_id=principal.org_id, where={"workflow_id": workflow_id}
    ):
        for field in gen.get("fields") or []:
            calls.append((str(gen.get("mode")), str(gen.get("node_id")), field))
    models: dict[str, dict[str, Any]] = {}
    nodes: dict[str, dict[str, int]] = {}
    for source, node_id, field in calls:
        model = models.setdefault(
            str(field.get("model")), {"calls": 0, "errors": 0, "latencies": [], "sources": {}}
        )
        model["calls"] += 1
        model["errors"] += bool(field.get("error"))
        model["sources"][source] = model["sources"].get(source, 0) + 1
        if isinstance(field.get("latency_ms"), (int, float)):
            model["latencies"].append(float(field["latency_ms"]))
        per_node = nodes.setdefault(node_id, {"calls": 0, "errors": 0})
        per_node["calls"] += 1
        per_node["errors"] += bool(field.get("error"))
    usage = _usage_by_model(state, principal.org_id, workflow_id)
    rollup = []
    for name in sorted(usage):
        models.setdefault(name, {"calls": 0, "errors": 0, "latencies": [], "sources": {}})
    for name, m in sorted(models.items()):
        lat = sorted(m["latencies"])
        rollup.append(
            {
                "model": name,
                "calls": m["calls"],
                "errors": m["errors"],
                "error_rate": round(m["errors"] / m["calls"], 4) if m["calls"] else 0.0,
                "by_source": m["sources"],
                "latency_ms": {
                    "avg": round(statistics.fmean(lat), 3) if lat else None,
                    "p50": round(statistics.median(lat), 3) if lat else None,
                    "p95": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 3) if lat else None,
                    "max": round(lat[-1], 3) if lat else None,
                },
                "usage": merge(usage.get(name, [])),
            }
        )
    return {
        "workflow_id": workflow_id,
        "project_id": project_id,
        "total_calls": len(calls),
        "total_errors": sum(m["errors"] for m in models.values()),
        "models": rollup,
        "usage": merge([t for totals in usage.values() for t in totals]),
        "nodes": [{"node_id": k, **v} for k, v in sorted(nodes.items())],
    }
