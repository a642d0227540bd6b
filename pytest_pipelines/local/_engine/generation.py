"""Per-node LLM generation: a node's LLM fields produced again, on request, with the run's pins.

A generation re-runs the node's LLM fields with the run's resolved definition (the job's pinned
prompts, models and tool bindings) through :func:`~.llm.generate_field`, the task runner's own
field function, synchronously. Each generation is a ``generation`` record (parent = node db id).
Shapes: ``docs/local-backend-reference.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_pipelines.local._engine.access import Principal
from pytest_pipelines.local._engine.errors import APIError, error_item, not_found
from pytest_pipelines.local._engine.llm import field_failed, generate_field, remember
from pytest_pipelines.local._store.db import utcnow

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.state import BackendState

NO_LLM_FIELDS = "node {id} ({node_id!r}) has no LLM fields to generate; its fields: {valid}"
FIELD_IDS = "field_ids must be a list of LLM field ids of the node; valid: {valid}"


def _node_spec(state: BackendState, node: dict[str, Any]) -> dict[str, Any]:
    task = state.db.get("task", int(node.get("task_id") or 0)) or {}
    job = state.db.get("job", int(task.get("job_db_id") or 0)) or {}
    for spec in (job.get("definition") or {}).get("nodes") or []:
        if spec.get("id") == node.get("node_id"):
            return dict(spec)
    return {}


def _node_values(state: BackendState, node: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = dict(task.get("inputs") or {})
    for sibling in state.db.query("node", parent_id=int(node.get("task_id") or 0)):
        if sibling["id"] > node["id"]:
            break
        for key, value in (sibling.get("outputs") or {}).items():
            values[key] = value
            values[f"{sibling.get('node_id')}.{key}"] = value
    return values


def generate_node(
    state: BackendState, principal: Principal, node: dict[str, Any], body: dict[str, Any], mode: str
) -> dict[str, Any]:
    """Run the node's LLM fields again (``mode`` ``generate``: only the empty ones); the record.

    ``body["field_ids"]`` limits the fields. The node's outputs, fields and tool calls are
    updated with the new answers; the ``generation`` record (parent = node db id) says how it
    went. 409 when the node has no LLM field, 422 for unknown ``field_ids``.
    """
    spec = _node_spec(state, node)
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
        parent_kind="node",
    )
    values = _node_values(state, node, task)
    results: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []
    error = None
    for field in llm:
        record = generate_field(state, task, node["id"], spec, field, values, tool_calls)
        results.append(record)
        if record["error"] is not None:
            error = field_failed(node.get("node_id"), record)
            break
        remember(values, node.get("node_id"), field["id"], record["output"])
    with state.db.tx():  # the node and its generation are written together, or not at all
        current = state.db.get("node", node["id"])
        if current is None:  # deleted (with its workflow) while the models ran
            raise not_found("node", node["id"])
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
