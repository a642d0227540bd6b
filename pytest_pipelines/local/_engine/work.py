"""Human work items: which nodes need a person, their queue state, attempts and reviews.

A node needs a person when its workflow definition node has a ``human`` block (fields a
contributor fills in) or when its run left ``pending`` evaluation results (human-rating criteria
waiting for a reviewer). Work items (kind ``work``, parent = node db id) are created lazily, the
first time a runtime route looks at a project or organization. Shapes and the state machine:
``docs/local-backend-reference.md`` ("Human tasks runtime").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pytest_pipelines.local._engine.access import Principal, get_or_404
from pytest_pipelines.local._engine.errors import APIError, error_item, not_found
from pytest_pipelines.local._engine.notifications import notify
from pytest_pipelines.local._store.db import utcnow

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.state import BackendState

OPEN, IN_REVIEW, COMPLETED = "open", "in_review", "completed"
NOT_HUMAN = (
    "node {id} ({node_id!r}) has no human work: only nodes with a 'human' block in the workflow "
    "definition, or with pending human-rating results, have subtasks and reviews"
)
NOT_YOURS = (
    "node {id} is assigned to user {assignee}, not to you (user {user}); ask an org admin to "
    "release or reassign it, or use an org admin key"
)
WRONG_STATUS = "node {id} is {status}; this action needs it to be {needed}"
OWN_SUBMISSION = (
    "you (user {user}) submitted this node, so you cannot review it; a different reviewer or "
    "an org admin must review it"
)
NO_ATTEMPT = "node {id} has no attempt {number}; its attempts: {valid}"
OUTPUT_OBJECT = 'output must be an object of field values, e.g. {"output": {"answer": "..."}}'
MISSING_FIELDS = "output is missing human fields: {missing}; the node's human fields: {valid}"
APPROVED_BOOL = "approved must be true or false"
RATINGS_NEEDED = (
    "approving needs a rating for every pending human-rating criterion: missing {missing}; send "
    'ratings as {{"<criterion_id>": value}}'
)
RATING_RANGE = "rating {value!r} for criterion {criterion} is outside its range {range}"
NO_REVIEW = "node {id} has no review yet; submit one first (submit-review or admin-submit-review)"


def _definition_node(
    state: BackendState, node: Mapping[str, Any], cache: dict[int, Any]
) -> dict[str, Any]:
    task = state.db.get("task", int(node.get("task_id") or 0)) or {}
    job_db_id = int(task.get("job_db_id") or 0)
    if job_db_id not in cache:
        job = state.db.get("job", job_db_id) or {}
        cache[job_db_id] = (job.get("definition") or {}).get("nodes") or []
    for spec in cache[job_db_id]:
        if spec.get("id") == node.get("node_id"):
            return dict(spec)
    return {}


def _work_from_node(
    state: BackendState, node: Mapping[str, Any], spec: Mapping[str, Any]
) -> dict[str, Any] | None:
    human = spec.get("human")
    pending = [r for r in node.get("evaluation_results") or [] if r.get("status") == "pending"]
    if not human and not pending:
        return None
    human = human if isinstance(human, Mapping) else {}
    fields = [dict(f) for f in human.get("fields") or [] if isinstance(f, Mapping)]
    kind = "subtask" if human else "review"
    return state.db.insert(
        "work",
        {
            "org_id": node.get("org_id"),
            "project_id": node.get("project_id"),
            "workflow_id": node.get("workflow_id"),
            "task_id": node.get("task_id"),
            "node_db_id": node["id"],
            "node_id": node.get("node_id"),
            "title": node.get("title"),
            "kind": kind,
            "human_fields": fields,
            "instructions": human.get("instructions", ""),
            "review_required": bool(human.get("review", True)) or bool(pending),
            "status": OPEN if kind == "subtask" else IN_REVIEW,
            "assignee_user_id": human.get("assignee_user_id"),
            "attempts": [],
            "reviews": [],
            "events": [{"event": "created", "at": utcnow(), "by": None}],
            "prev_node_info": None,
        },
        org_id=node.get("org_id"),
        parent_id=node["id"],
        parent_kind="node",
    )


def sync_work(state: BackendState, org_id: int, project_id: int | None = None) -> None:
    """Create the missing work items for finished nodes of the organization (or one project)."""
    where = {"project_id": project_id} if project_id is not None else None
    cache: dict[int, Any] = {}
    with state.db.tx():  # one writer at a time: no node gets two work items
        nodes = state.db.query("node", org_id=org_id, where=where)
        have = {w["node_db_id"] for w in state.db.query("work", org_id=org_id, where=where)}
        for node in nodes:
            if node["id"] in have or node.get("status") not in ("completed", "failed"):
                continue
            _work_from_node(state, node, _definition_node(state, node, cache))


def work_of(state: BackendState, node: Mapping[str, Any]) -> dict[str, Any] | None:
    """The work item of a node (created now if the node needs one), or None."""
    with state.db.tx():
        found = state.db.query("work", parent_id=node["id"])
        if found:
            return found[0]
        if node.get("status") not in ("completed", "failed"):
            return None
        return _work_from_node(state, node, _definition_node(state, node, {}))


def get_node(
    state: BackendState, principal: Principal, project_id: int, workflow_id: int, node_db_id: int
) -> dict[str, Any]:
    """A node of a task of the workflow (in the project), visible to the key; else 404."""
    node = get_or_404(state, "node", node_db_id, principal)
    if node.get("workflow_id") != workflow_id or node.get("project_id") != project_id:
        raise not_found("node", node_db_id)
    return node


def require_work(state: BackendState, node: Mapping[str, Any]) -> dict[str, Any]:
    """The node's work item; 409 when the node has no human work."""
    work = work_of(state, node)
    if work is None:
        raise APIError(409, NOT_HUMAN.format(id=node["id"], node_id=node.get("node_id")))
    return work


def node_view(node: Mapping[str, Any]) -> dict[str, Any]:
    """A node as in the task detail shape."""
    keys = (
        "id",
        "node_id",
        "title",
        "status",
        "task_id",
        "workflow_id",
        "project_id",
        "outputs",
        "fields",
        "evaluation_results",
        "error",
        "created_at",
        "finished_at",
        "updated_at",
    )
    return {k: node.get(k) for k in keys}


def work_view(work: Mapping[str, Any]) -> dict[str, Any]:
    """A work item for queues: ids, kind, status, assignee, attempt count."""
    attempts = work.get("attempts") or []
    return {
        "id": work["id"],
        "node_db_id": work["node_db_id"],
        "node_id": work.get("node_id"),
        "title": work.get("title"),
        "task_id": work.get("task_id"),
        "workflow_id": work.get("workflow_id"),
        "project_id": work.get("project_id"),
        "org_id": work.get("org_id"),
        "kind": work.get("kind"),
        "status": work.get("status"),
        "assignee_user_id": work.get("assignee_user_id"),
        "review_required": work.get("review_required"),
        "attempt_count": len(attempts),
        "last_submitted_by": attempts[-1]["submitted_by"] if attempts else None,
        "updated_at": work.get("updated_at"),
    }


def human_view(work: Mapping[str, Any]) -> dict[str, Any]:
    """Everything about a work item: queue state, fields, attempts, reviews."""
    return {
        **work_view(work),
        "human_fields": work.get("human_fields") or [],
        "instructions": work.get("instructions", ""),
        "attempts": work.get("attempts") or [],
        "reviews": work.get("reviews") or [],
        "prev_node_info": work.get("prev_node_info"),
    }


def check_output(work: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """The ``output`` object of a submission; 422 when missing fields or not an object."""
    output = body.get("output")
    if not isinstance(output, Mapping):
        raise APIError(422, [error_item(["output"], OUTPUT_OBJECT, "dict_type")])
    names = [f["id"] for f in work.get("human_fields") or [] if "id" in f]
    missing = [
        n
        for n in names
        if n not in output
        and not any(f.get("id") == n and f.get("optional") for f in work["human_fields"])
    ]
    if missing:
        raise APIError(
            422,
            [
                error_item(
                    ["output"],
                    MISSING_FIELDS.format(missing=", ".join(missing), valid=", ".join(names)),
                    "missing",
                )
            ],
        )
    return dict(output)


def _event(work: dict[str, Any], event: str, user: int | None, **extra: Any) -> None:
    work.setdefault("events", []).append({"event": event, "at": utcnow(), "by": user, **extra})


def record_attempt(
    state: BackendState,
    work: dict[str, Any],
    node: Mapping[str, Any],
    output: Mapping[str, Any],
    *,
    user: int | None,
    source: str,
    **extra: Any,
) -> dict[str, Any]:
    """Append an attempt, write its output to the node, move the item to review (or done)."""
    attempts = work.setdefault("attempts", [])
    attempt = {
        "attempt_number": len(attempts) + 1,
        "output": dict(output),
        "submitted_by": user,
        "submitted_at": utcnow(),
        "source": source,
        **extra,
    }
    attempts.append(attempt)
    if work.get("assignee_user_id") is None and source == "contributor":
        work["assignee_user_id"] = user
    work["status"] = IN_REVIEW if work.get("review_required") else COMPLETED
    _event(work, f"{source}_submitted", user, attempt_number=attempt["attempt_number"])
    outputs = {**(node.get("outputs") or {}), **output}
    with state.db.tx():
        state.db.patch("node", node["id"], {"outputs": outputs})
        return state.db.replace("work", work["id"], work)


def apply_ratings(
    state: BackendState, node: Mapping[str, Any], ratings: Any, *, require_all: bool
) -> list[dict[str, Any]]:
    """Complete pending human-rating results of the node with ``ratings``; return the results.

    ``ratings`` maps a criterion id (or name) to a value, or is a list of
    ``{"criterion_id", "value"}``. 422 when a value is out of range, or when ``require_all`` and a
    pending criterion has no rating.
    """
    given: dict[str, Any] = {}
    if isinstance(ratings, Mapping):
        given = {str(k): v for k, v in ratings.items()}
    elif isinstance(ratings, list):
        for item in ratings:
            if isinstance(item, Mapping):
                given[str(item.get("criterion_id", item.get("criterion_name")))] = item.get("value")
    results = [dict(r) for r in node.get("evaluation_results") or []]
    missing = []
    for result in results:
        key = next(
            (
                k
                for k in (str(result.get("criterion_id")), str(result.get("criterion_name")))
                if k in given
            ),
            None,
        )
        if key is None:
            if result.get("status") == "pending":
                missing.append(str(result.get("criterion_id")))
            continue
        value = given[key]
        criterion = state.db.get("criterion", int(result.get("criterion_id") or 0)) or {}
        schema = criterion.get("output_schema") or {}
        bounds = schema.get("range")
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if schema.get("type") == "boolean" and not isinstance(value, bool):
            bounds = [False, True]
        if (
            (schema.get("type") == "boolean" and not isinstance(value, bool))
            or (
                isinstance(bounds, list)
                and len(bounds) == 2
                and numeric
                and not bounds[0] <= value <= bounds[1]
            )
            or (schema.get("type") in ("rating", "numeric") and not numeric)
        ):
            raise APIError(
                422,
                [
                    error_item(
                        ["ratings", key],
                        RATING_RANGE.format(
                            value=value, criterion=result.get("criterion_id"), range=bounds
                        ),
                    )
                ],
            )
        threshold = result.get("threshold")
        passed = (
            value
            if isinstance(value, bool)
            else (value >= threshold if isinstance(threshold, (int, float)) else None)
        )
        result.update(
            status="completed", value=value, passed=passed, reason="human rating", error=None
        )
    if require_all and missing:
        raise APIError(
            422, [error_item(["ratings"], RATINGS_NEEDED.format(missing=", ".join(missing)))]
        )
    state.db.patch("node", node["id"], {"evaluation_results": results})
    return results


def record_review(
    state: BackendState,
    work: dict[str, Any],
    node: Mapping[str, Any],
    body: Mapping[str, Any],
    *,
    user: int | None,
    source: str,
) -> dict[str, Any]:
    """Approve (done) or reject (back to the contributor's queue) the item; apply ratings."""
    approved = body.get("approved")
    if not isinstance(approved, bool):
        raise APIError(422, [error_item(["approved"], APPROVED_BOOL, "bool_type")])
    if work.get("status") != IN_REVIEW:
        raise APIError(
            409, WRONG_STATUS.format(id=node["id"], status=work.get("status"), needed=IN_REVIEW)
        )
    if approved or body.get("ratings"):
        apply_ratings(state, node, body.get("ratings"), require_all=approved)
    attempts = work.get("attempts") or []
    review = {
        "review_number": len(work.get("reviews") or []) + 1,
        "attempt_number": attempts[-1]["attempt_number"] if attempts else None,
        "approved": approved,
        "comment": body.get("comment", ""),
        "ratings": body.get("ratings"),
        "reviewed_by": user,
        "reviewed_at": utcnow(),
        "source": source,
    }
    work.setdefault("reviews", []).append(review)
    if approved or work.get("kind") == "review":
        work["status"] = COMPLETED if approved else IN_REVIEW
    else:
        work["status"] = OPEN
    _event(work, "approved" if approved else "rejected", user, source=source)
    saved = state.db.replace("work", work["id"], work)
    submitter = attempts[-1]["submitted_by"] if attempts else None
    if submitter is not None and submitter != user:
        notify(
            state,
            org_id=int(work["org_id"]),
            user_id=submitter,
            kind="review",
            title=f"Your submission on node {node['id']} was {'approved' if approved else 'rejected'}",
            body=str(body.get("comment", "")),
            link={
                "project_id": work.get("project_id"),
                "workflow_id": work.get("workflow_id"),
                "node_db_id": node["id"],
            },
        )
    return saved


def event(work: dict[str, Any], name: str, user: int | None, **extra: Any) -> None:
    """Append a history event to ``work`` (the caller saves it)."""
    _event(work, name, user, **extra)
