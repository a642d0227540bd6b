"""The human tasks runtime: queues, node views, submissions, reviews, admin overrides.

Roles (the key's user ``role``): ``contributor`` works its own queue (nodes assigned to it, or
unassigned ones, which it claims by submitting); ``reviewer`` reviews others' submissions;
``admin`` (an org admin) drives everyone's queue and the admin overrides. Any other role is 403.
Shapes: ``docs/local-backend-reference.md`` ("Human tasks runtime").
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from pytest_pipelines.local._engine.access import Principal, get_or_404, require_role, role_of
from pytest_pipelines.local._engine.errors import APIError, error_item, not_found
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._engine.work import (
    COMPLETED,
    IN_REVIEW,
    NO_ATTEMPT,
    NO_REVIEW,
    NOT_YOURS,
    OPEN,
    OWN_SUBMISSION,
    WRONG_STATUS,
    apply_ratings,
    check_output,
    event,
    get_node,
    human_view,
    node_view,
    record_attempt,
    record_review,
    require_work,
    sync_work,
    work_of,
)
from pytest_pipelines.local._http.deps import (
    Body,
    OptionalBody,
    Page,
    State,
    TasksAuth,
    paginate_list,
)
from pytest_pipelines.local._http.nodes import NodeRef, node_after_role

router = APIRouter(prefix="/api", tags=["runtime"])

WORKERS = ("admin", "contributor")
REVIEWERS = ("admin", "reviewer")
ANYONE = ("admin", "reviewer", "contributor")
ADMIN = ("admin",)
OTHER_QUEUE = (
    "only an org admin can read another user's queue (user_id={other}); drop user_id to read "
    "your own, or use an org admin key"
)
INLINE_EDIT = 'admin-inline-edit needs {"outputs": {field: value}} or {"field_id", "value"}'
_NODE = "/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}"


def _queue_user(
    state: BackendState, principal: Principal, user_id: int | None
) -> tuple[int | None, str]:
    role = require_role(state, principal, ANYONE, "read a work queue")
    if user_id is not None and user_id != principal.user_id:
        if role != "admin":
            raise APIError(403, OTHER_QUEUE.format(other=user_id))
        user = state.db.get("user", user_id)
        if user is None or user.get("org_id") != principal.org_id:
            raise not_found("user", user_id)
        return user_id, str(user.get("role") or "contributor")
    return principal.user_id, role


def _work_items(
    state: BackendState, principal: Principal, project_id: int | None
) -> list[dict[str, Any]]:
    sync_work(state, principal.org_id, project_id)
    where = {"project_id": project_id} if project_id is not None else None
    return state.db.query("work", org_id=principal.org_id, where=where)


def _my_work(
    state: BackendState,
    principal: Principal,
    page: Any,
    project_id: int | None,
    user_id: int | None,
    status: str | None,
) -> dict[str, Any]:
    user, role = _queue_user(state, principal, user_id)
    items = []
    for work in _work_items(state, principal, project_id):
        attempts = work.get("attempts") or []
        last = attempts[-1]["submitted_by"] if attempts else None
        mine = (
            work.get("status") == OPEN
            and role in WORKERS
            and work.get("assignee_user_id") in (user, None)
        ) or (work.get("status") == IN_REVIEW and role in REVIEWERS and last != user)
        if mine and (status is None or work.get("status") == status):
            items.append(_item(work))
    return paginate_list(items, page)


def _my_submissions(
    state: BackendState,
    principal: Principal,
    page: Any,
    project_id: int | None,
    user_id: int | None,
) -> dict[str, Any]:
    user, _ = _queue_user(state, principal, user_id)
    items = []
    for work in _work_items(state, principal, project_id):
        mine = [a for a in work.get("attempts") or [] if a.get("submitted_by") == user]
        if mine:
            items.append({**_item(work), "my_attempts": [a["attempt_number"] for a in mine]})
    return paginate_list(items, page)


def _item(work: dict[str, Any]) -> dict[str, Any]:
    from pytest_pipelines.local._engine.work import work_view

    return work_view(work)


@router.get("/projects/{project_id}/my-work")
def get_my_work(
    state: State,
    principal: TasksAuth,
    project_id: int,
    page: Page,
    user_id: int | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """The caller's queue in a project (an admin may pass ``user_id``), paginated."""
    get_or_404(state, "project", project_id, principal)
    return _my_work(state, principal, page, project_id, user_id, status)


@router.get("/projects/{project_id}/my-submissions")
def get_my_submissions(
    state: State, principal: TasksAuth, project_id: int, page: Page, user_id: int | None = None
) -> dict[str, Any]:
    """Work items the caller submitted in a project, paginated."""
    get_or_404(state, "project", project_id, principal)
    return _my_submissions(state, principal, page, project_id, user_id)


@router.get("/organizations/{org_id}/my-work")
def get_org_my_work(
    state: State,
    principal: TasksAuth,
    org_id: int,
    page: Page,
    user_id: int | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """The caller's queue across the organization's projects."""
    principal.check_org(org_id)
    return _my_work(state, principal, page, None, user_id, status)


@router.get("/organizations/{org_id}/my-submissions")
def get_org_my_submissions(
    state: State, principal: TasksAuth, org_id: int, page: Page, user_id: int | None = None
) -> dict[str, Any]:
    """The caller's submissions across the organization."""
    principal.check_org(org_id)
    return _my_submissions(state, principal, page, None, user_id)


@router.get("/my-work")
def get_global_my_work(
    state: State,
    principal: TasksAuth,
    page: Page,
    user_id: int | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """The caller's queue everywhere its key reaches (its organization)."""
    return _my_work(state, principal, page, None, user_id, status)


@router.get("/my-submissions")
def get_global_my_submissions(
    state: State, principal: TasksAuth, page: Page, user_id: int | None = None
) -> dict[str, Any]:
    """The caller's submissions everywhere its key reaches."""
    return _my_submissions(state, principal, page, None, user_id)


# -- node views ------------------------------------------------------------------------------


def _can_work(state: BackendState, principal: Principal, work: dict[str, Any], node_id: int) -> str:
    role = require_role(state, principal, WORKERS, "work on subtasks")
    assignee = work.get("assignee_user_id")
    if role != "admin" and assignee not in (None, principal.user_id):
        raise APIError(403, NOT_YOURS.format(id=node_id, assignee=assignee, user=principal.user_id))
    return role


def _with_human(state: BackendState, node: dict[str, Any]) -> dict[str, Any]:
    work = work_of(state, node)
    return {**node_view(node), "human": human_view(work) if work else None}


@router.get(_NODE + "/history")
def get_node_history(
    state: State,
    node: Annotated[dict[str, Any], Depends(node_after_role(ANYONE, "read node history"))],
) -> dict[str, Any]:
    """Attempts, reviews, events and LLM generations of a node, oldest first."""
    work = work_of(state, node)
    generations = state.db.query("generation", parent_id=node["id"])
    return {
        "node_db_id": node["id"],
        "node_id": node.get("node_id"),
        "task_id": node.get("task_id"),
        "attempts": (work or {}).get("attempts") or [],
        "reviews": (work or {}).get("reviews") or [],
        "events": (work or {}).get("events") or [],
        "generations": [
            {k: g.get(k) for k in ("id", "mode", "status", "created_at", "finished_at", "error")}
            for g in generations
        ],
    }


@router.get(_NODE + "/subtask")
def get_subtask_node(state: State, principal: TasksAuth, node: NodeRef) -> dict[str, Any]:
    """The node as its contributor sees it: outputs so far, human fields, attempts."""
    work = require_work(state, node)
    _can_work(state, principal, work, node["id"])
    return {**node_view(node), "human": human_view(work)}


@router.get(_NODE + "/subtask/view")
def get_subtask_node_view(
    state: State,
    node: Annotated[dict[str, Any], Depends(node_after_role(ANYONE, "view subtasks"))],
) -> dict[str, Any]:
    """A read-only view of the subtask (any runtime role of the organization)."""
    work = require_work(state, node)
    return {**node_view(node), "human": human_view(work), "read_only": True}


@router.get(_NODE + "/review")
def get_review_node(
    state: State,
    node: Annotated[dict[str, Any], Depends(node_after_role(REVIEWERS, "review nodes"))],
) -> dict[str, Any]:
    """The node as its reviewer sees it: latest attempt and pending ratings."""
    work = require_work(state, node)
    attempts = work.get("attempts") or []
    pending = [r for r in node.get("evaluation_results") or [] if r.get("status") == "pending"]
    return {
        **node_view(node),
        "human": human_view(work),
        "latest_attempt": attempts[-1] if attempts else None,
        "pending_ratings": pending,
    }


@router.get(_NODE + "/review/view")
def get_review_node_view(
    state: State,
    node: Annotated[dict[str, Any], Depends(node_after_role(ANYONE, "view reviews"))],
) -> dict[str, Any]:
    """A read-only view of the review state."""
    work = require_work(state, node)
    return {**node_view(node), "human": human_view(work), "read_only": True}


@router.get("/projects/{project_id}/submissions/{node_id}")
def get_submission_view(
    state: State, principal: TasksAuth, project_id: int, node_id: int
) -> dict[str, Any]:
    """The latest submission of a node (``node_id`` is the node's db id) with its reviews."""
    require_role(state, principal, ANYONE, "view submissions")
    node = get_or_404(state, "node", node_id, principal)
    if node.get("project_id") != project_id:
        raise not_found("node", node_id)
    work = require_work(state, node)
    attempts = work.get("attempts") or []
    return {
        "node": node_view(node),
        "submission": attempts[-1] if attempts else None,
        "reviews": work.get("reviews") or [],
        "status": work.get("status"),
    }


@router.get(_NODE + "/with-linked")
def get_node_with_linked(
    state: State,
    node: Annotated[dict[str, Any], Depends(node_after_role(ANYONE, "view linked nodes"))],
) -> dict[str, Any]:
    """The node plus the previous and next nodes of the same task."""
    siblings = state.db.query("node", parent_id=int(node.get("task_id") or 0))
    ids = [s["id"] for s in siblings]
    at = ids.index(node["id"])
    return {
        "node": _with_human(state, node),
        "previous": node_view(siblings[at - 1]) if at > 0 else None,
        "next": node_view(siblings[at + 1]) if at + 1 < len(siblings) else None,
        "linked": [node_view(s) for s in siblings if s["id"] != node["id"]],
    }


@router.post(_NODE + "/refresh-prev-node-info")
def refresh_prev_node_info(
    state: State,
    principal: TasksAuth,
    body: OptionalBody,
    node: Annotated[dict[str, Any], Depends(node_after_role(ANYONE, "refresh node info"))],
) -> dict[str, Any]:
    """Copy the previous node's current outputs onto this node's work item; return them.

    A contributor may refresh only an item it may work on (its own or an unassigned one).
    """
    work = work_of(state, node)
    if work is not None and role_of(state, principal) == "contributor":
        _can_work(state, principal, work, node["id"])
    siblings = [
        s
        for s in state.db.query("node", parent_id=int(node.get("task_id") or 0))
        if s["id"] < node["id"]
    ]
    prev = siblings[-1] if siblings else None
    info = (
        {"node_db_id": prev["id"], "node_id": prev.get("node_id"), "outputs": prev.get("outputs")}
        if prev
        else None
    )
    if work is not None:
        work["prev_node_info"] = info
        event(work, "prev_node_info_refreshed", principal.user_id)
        state.db.replace("work", work["id"], work)
    return {"node_db_id": node["id"], "prev_node_info": info}


# -- contributor and reviewer actions ------------------------------------------------------------


@router.post(_NODE + "/submit-subtask")
def submit_subtask(state: State, principal: TasksAuth, body: Body, node: NodeRef) -> dict[str, Any]:
    """Submit ``{"output": {...}}``: a new attempt; the node goes to review (or is done)."""
    work = require_work(state, node)
    _can_work(state, principal, work, node["id"])
    if work.get("status") != OPEN:
        raise APIError(
            409, WRONG_STATUS.format(id=node["id"], status=work.get("status"), needed=OPEN)
        )
    output = check_output(work, body)
    saved = record_attempt(state, work, node, output, user=principal.user_id, source="contributor")
    return human_view(saved)


@router.post(_NODE + "/submit-review")
def submit_review(
    state: State,
    principal: TasksAuth,
    body: Body,
    node: Annotated[dict[str, Any], Depends(node_after_role(REVIEWERS, "review nodes"))],
) -> dict[str, Any]:
    """``{"approved": bool, "comment"?, "ratings"?}``: approve (done) or reject (back to work)."""
    work = require_work(state, node)
    attempts = work.get("attempts") or []
    if attempts and attempts[-1].get("submitted_by") == principal.user_id:
        raise APIError(403, OWN_SUBMISSION.format(user=principal.user_id))
    saved = record_review(state, work, node, body, user=principal.user_id, source="reviewer")
    return human_view(saved)


@router.post(_NODE + "/release")
def release_node(
    state: State,
    principal: TasksAuth,
    body: OptionalBody,
    node: NodeRef,
) -> dict[str, Any]:
    """Give an open node back to the pool (its assignee, or an admin)."""
    work = require_work(state, node)
    _can_work(state, principal, work, node["id"])
    if work.get("status") != OPEN:
        raise APIError(
            409, WRONG_STATUS.format(id=node["id"], status=work.get("status"), needed=OPEN)
        )
    previous = work.get("assignee_user_id")
    work["assignee_user_id"] = None
    event(work, "released", principal.user_id, previous_assignee=previous)
    return human_view(state.db.replace("work", work["id"], work))


@router.post(_NODE + "/revert/{attempt_number}")
def revert_node(
    state: State,
    principal: TasksAuth,
    project_id: int,
    workflow_id: int,
    node_db_id: int,
    attempt_number: int,
    body: OptionalBody,
) -> dict[str, Any]:
    """Make an earlier attempt's output current again, as a new attempt."""
    # Not NodeRef: a dependency would look the node up (404) before FastAPI validates this
    # handler's own ``attempt_number`` (422), reversing the order of those errors.
    node = get_node(state, principal, project_id, workflow_id, node_db_id)
    work = require_work(state, node)
    role = _can_work(state, principal, work, node_db_id)
    attempts = work.get("attempts") or []
    chosen = next((a for a in attempts if a["attempt_number"] == attempt_number), None)
    if chosen is None:
        raise not_found_attempt(node_db_id, attempt_number, attempts)
    if role != "admin" and chosen.get("submitted_by") != principal.user_id:
        raise APIError(
            403,
            NOT_YOURS.format(
                id=node_db_id, assignee=chosen.get("submitted_by"), user=principal.user_id
            ),
        )
    source = "admin" if role == "admin" else "contributor"
    saved = record_attempt(
        state,
        work,
        node,
        chosen["output"],
        user=principal.user_id,
        source=source,
        reverted_from=attempt_number,
    )
    return human_view(saved)


def not_found_attempt(node_db_id: int, number: int, attempts: list[dict[str, Any]]) -> APIError:
    """A 404 listing the node's attempts."""
    valid = ", ".join(str(a["attempt_number"]) for a in attempts) or "none"
    return APIError(404, NO_ATTEMPT.format(id=node_db_id, number=number, valid=valid))


# -- admin overrides ---------------------------------------------------------------------------


@router.post(_NODE + "/admin-edit-subtask")
def admin_edit_subtask(
    state: State,
    principal: TasksAuth,
    body: Body,
    node: Annotated[dict[str, Any], Depends(node_after_role(ADMIN, "edit subtasks"))],
) -> dict[str, Any]:
    """Edit the current output (and optionally ``assignee_user_id``) without submitting."""
    work = require_work(state, node)
    if "output" in body:
        output = body["output"]
        if not isinstance(output, dict):
            raise APIError(422, [error_item(["output"], "output must be an object", "dict_type")])
        attempts = work.get("attempts") or []
        if attempts:
            attempts[-1]["output"] = {**attempts[-1]["output"], **output}
            attempts[-1]["edited_by"] = principal.user_id
        state.db.patch("node", node["id"], {"outputs": {**(node.get("outputs") or {}), **output}})
    if "assignee_user_id" in body:
        work["assignee_user_id"] = body["assignee_user_id"]
    event(work, "admin_edited_subtask", principal.user_id)
    return human_view(state.db.replace("work", work["id"], work))


@router.post(_NODE + "/admin-submit-subtask")
def admin_submit_subtask(
    state: State,
    principal: TasksAuth,
    body: Body,
    node: Annotated[dict[str, Any], Depends(node_after_role(ADMIN, "submit subtasks for others"))],
) -> dict[str, Any]:
    """Submit on anyone's behalf, whatever the assignee; the node goes to review (or is done)."""
    work = require_work(state, node)
    if work.get("status") == COMPLETED:
        raise APIError(
            409, WRONG_STATUS.format(id=node["id"], status=COMPLETED, needed="open or in_review")
        )
    output = check_output(work, body)
    return human_view(
        record_attempt(state, work, node, output, user=principal.user_id, source="admin")
    )


@router.post(_NODE + "/admin-edit-review")
def admin_edit_review(
    state: State,
    principal: TasksAuth,
    body: Body,
    node: Annotated[dict[str, Any], Depends(node_after_role(ADMIN, "edit reviews"))],
) -> dict[str, Any]:
    """Change the latest review's comment and ratings (ratings are applied to the results)."""
    work = require_work(state, node)
    reviews = work.get("reviews") or []
    if not reviews:
        raise APIError(409, NO_REVIEW.format(id=node["id"]))
    if "ratings" in body:
        apply_ratings(state, node, body["ratings"], require_all=False)
        reviews[-1]["ratings"] = body["ratings"]
    if "comment" in body:
        reviews[-1]["comment"] = body["comment"]
    reviews[-1]["edited_by"] = principal.user_id
    event(work, "admin_edited_review", principal.user_id)
    return human_view(state.db.replace("work", work["id"], work))


@router.post(_NODE + "/admin-submit-review")
def admin_submit_review(
    state: State,
    principal: TasksAuth,
    body: Body,
    node: Annotated[dict[str, Any], Depends(node_after_role(ADMIN, "submit reviews as admin"))],
) -> dict[str, Any]:
    """Review as an admin (own submissions included)."""
    work = require_work(state, node)
    return human_view(
        record_review(state, work, node, body, user=principal.user_id, source="admin")
    )


@router.post(_NODE + "/admin-inline-edit")
def admin_inline_edit(
    state: State,
    principal: TasksAuth,
    body: Body,
    node: Annotated[dict[str, Any], Depends(node_after_role(ADMIN, "edit node outputs inline"))],
) -> dict[str, Any]:
    """Overwrite node outputs in place (any node): ``{"outputs": {...}}`` or ``{"field_id", "value"}``."""
    if isinstance(body.get("outputs"), dict):
        changes = dict(body["outputs"])
    elif isinstance(body.get("field_id"), str) and "value" in body:
        changes = {body["field_id"]: body["value"]}
    else:
        raise APIError(422, [error_item(["outputs"], INLINE_EDIT, "missing")])
    node = state.db.patch(
        "node", node["id"], {"outputs": {**(node.get("outputs") or {}), **changes}}
    )
    work = work_of(state, node)
    if work is not None:
        event(work, "admin_inline_edit", principal.user_id, fields=sorted(changes))
        state.db.replace("work", work["id"], work)
    return _with_human(state, node)
