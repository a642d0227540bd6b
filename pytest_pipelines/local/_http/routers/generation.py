"""Per-node LLM generation: generate, regenerate, admin regenerate, progress, errors, history,
and the workflow-level LLM analytics rollup.

A generation re-runs the node's LLM fields with the run's resolved definition (the job's pinned
prompts, models and tool bindings) through the runner's own field function, synchronously: the
POST returns when it is done, so progress is always terminal afterwards. Each generation is a
``generation`` record (parent = node db id). Shapes: ``docs/local-backend-reference.md``.
"""

from __future__ import annotations

import statistics
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from pytest_pipelines.local._engine.access import Principal, require_role
from pytest_pipelines.local._engine.errors import APIError, error_item
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._engine.work import NOT_YOURS, work_of
from pytest_pipelines.local._http.deps import OptionalBody, State, TasksAuth
from pytest_pipelines.local._http.nodes import NodeRef, node_after_role
from pytest_pipelines.local._http.routers.workflows import get_workflow_or_404
from pytest_pipelines.local._store.db import utcnow

router = APIRouter(prefix="/api/projects/{project_id}/workflows/{workflow_id}", tags=["generation"])

NO_LLM_FIELDS = "node {id} ({node_id!r}) has no LLM fields to generate; its fields: {valid}"
FIELD_IDS = "field_ids must be a list of LLM field ids of the node; valid: {valid}"
_NODE = "/nodes/{node_db_id}"


def _spec(state: BackendState, node: dict[str, Any]) -> dict[str, Any]:
    task = state.db.get("task", int(node.get("task_id") or 0)) or {}
    job = state.db.get("job", int(task.get("job_db_id") or 0)) or {}
    for spec in (job.get("definition") or {}).get("nodes") or []:
        if spec.get("id") == node.get("node_id"):
            return dict(spec)
    return {}


def _values(state: BackendState, node: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = dict(task.get("inputs") or {})
    for sibling in state.db.query("node", parent_id=int(node.get("task_id") or 0)):
        if sibling["id"] > node["id"]:
            break
        for key, value in (sibling.get("outputs") or {}).items():
            values[key] = value
            values[f"{sibling.get('node_id')}.{key}"] = value
    return values


def _generate(
    state: BackendState, principal: Principal, node: dict[str, Any], body: dict[str, Any], mode: str
) -> dict[str, Any]:
    from pytest_pipelines.local._engine.runner import FieldError, _run_llm

    spec = _spec(state, node)
    llm = [f for f in spec.get("fields") or [] if f.get("type") == "llm"]
    if not llm:
        valid = ", ".join(f.get("id", "?") for f in spec.get("fields") or []) or "none"
        raise APIError(
            409, NO_LLM_FIELDS.format(id=node["id"], node_id=node.get("node_id"), valid=valid)
        )
    wanted = body.get("field_ids")
    names = [f["id"] for f in llm]
    if wanted is not None:
        if not isinstance(wanted, list) or any(w not in names for w in wanted):
            raise APIError(
                422, [error_item(["field_ids"], FIELD_IDS.format(valid=", ".join(names)))]
            )
        llm = [f for f in llm if f["id"] in wanted]
    if mode == "generate":
        outputs = node.get("outputs") or {}
        llm = [f for f in llm if outputs.get(f["id"]) in (None, "")] or (llm if wanted else [])
    task = state.db.get("task", int(node.get("task_id") or 0)) or {}
    gen = state.db.insert(
        "generation",
        {
            "org_id": principal.org_id,
            "project_id": node.get("project_id"),
            "workflow_id": node.get("workflow_id"),
            "task_id": node.get("task_id"),
            "node_db_id": node["id"],
            "node_id": node.get("node_id"),
            "mode": mode,
            "requested_by": principal.user_id,
            "status": "running",
            "total": len(llm),
            "done": 0,
            "fields": [],
            "error": None,
            "started_at": utcnow(),
            "finished_at": None,
        },
        org_id=principal.org_id,
        parent_id=node["id"],
    )
    values = _values(state, node, task)
    results: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []
    error = None
    for field in llm:
        started = time.perf_counter()
        try:
            output: Any = _run_llm(state, task, node["id"], spec, field, values, tool_calls)
            field_error = None
        except FieldError as exc:
            output, field_error = None, str(exc)
        results.append(
            {
                "field_id": field["id"],
                "type": "llm",
                "model": field.get("model"),
                "prompt_id": field.get("prompt_id"),
                "prompt_version": field.get("prompt_version"),
                "output": output,
                "error": field_error,
                "latency_ms": round((time.perf_counter() - started) * 1000, 3),
            }
        )
        if field_error:
            error = f"field {field['id']!r}: {field_error}"
            break
        values[field["id"]] = output
        values[f"{node.get('node_id')}.{field['id']}"] = output
    current = state.db.get("node", node["id"]) or node
    outputs = dict(current.get("outputs") or {})
    fields = {f.get("field_id"): f for f in current.get("fields") or []}
    for result in results:
        fields[result["field_id"]] = result
        if result["error"] is None:
            outputs[result["field_id"]] = result["output"]
    state.db.patch(
        "node",
        node["id"],
        {
            "outputs": outputs,
            "fields": list(fields.values()),
            "tool_calls": [*(current.get("tool_calls") or []), *tool_calls],
        },
    )
    return state.db.patch(
        "generation",
        gen["id"],
        {
            "status": "failed" if error else "completed",
            "done": len(results),
            "fields": results,
            "error": error,
            "finished_at": utcnow(),
        },
    )


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
    return _generate(state, principal, node, body, "generate")


@router.post(_NODE + "/regenerate-llm")
def regenerate_llm(
    state: State,
    principal: TasksAuth,
    body: OptionalBody,
    node: NodeRef,
) -> dict[str, Any]:
    """Re-run every LLM field of the node (or ``field_ids``), replacing their outputs."""
    _may_generate(state, principal, node)
    return _generate(state, principal, node, body, "regenerate")


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
    return _generate(state, principal, node, body, "admin_regenerate")


def _latest(state: BackendState, node_db_id: int) -> dict[str, Any] | None:
    found = state.db.query("generation", parent_id=node_db_id, limit=1, descending=True)
    return found[0] if found else None


@router.get(_NODE + "/llm-progress")
def get_llm_progress(state: State, node: NodeRef) -> dict[str, Any]:
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
def get_llm_error(state: State, node: NodeRef) -> dict[str, Any]:
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
def get_llm_generation_history(state: State, node: NodeRef) -> dict[str, Any]:
    """Every generation of the node, oldest first, with per-field outputs and latencies."""
    items = state.db.query("generation", parent_id=node["id"])
    return {"node_db_id": node["id"], "items": items, "total": len(items)}


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
    rollup = []
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
            }
        )
    return {
        "workflow_id": workflow_id,
        "project_id": project_id,
        "total_calls": len(calls),
        "total_errors": sum(m["errors"] for m in models.values()),
        "models": rollup,
        "nodes": [{"node_id": k, **v} for k, v in sorted(nodes.items())],
    }
