"""Workflow chains, workflow and task tags, project instructions, select options and the
organization's workflow templates.

- A chain is ``{"name", "description"?, "workflow_ids": [...]}``: workflows of the project run one
  after the other (the local backend stores chains; it does not run them as a unit).
- A workflow tag is ``{"name", "color"?, "task_ids"?}``; a task's tags are the workflow tags
  whose ``task_ids`` hold it (the API has no route to tag a task otherwise).
- Templates: every organization has the built-in templates below (stored on first read, so
  they have ids); ``definition`` is a workflow definition ready for ``create_workflow``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pytest_pipelines.local._deps import (
    Body,
    OrganizationsAuth,
    Page,
    Principal,
    ProjectsAuth,
    State,
    WorkflowsAuth,
    get_or_404,
    page_of,
    paginate_list,
)
from pytest_pipelines.local._errors import APIError, error_item, not_found
from pytest_pipelines.local._library import require_strings
from pytest_pipelines.local._rest_common import ALL_ROLES
from pytest_pipelines.local._state import LocalState
from pytest_pipelines.local.routers.workflows import get_workflow_or_404

router = APIRouter(prefix="/api", tags=["misc"])

CHAIN_WORKFLOWS = "workflow_ids must be a non-empty list of workflow ids of project {project}"
UNKNOWN_WORKFLOWS = "workflows {ids} are not in project {project}; its workflows: {valid}"
TASK_IDS = "task_ids must be a list of task ids of this workflow; unknown: {ids}"
_SYSTEM = ("id", "created_at", "updated_at", "org_id", "project_id")

BUILTIN_TEMPLATES: list[dict[str, Any]] = [
    {
        "name": "Single LLM field",
        "description": "One input and one LLM field.",
        "definition": {
            "nodes": [
                {
                    "id": "main",
                    "title": "Main",
                    "fields": [
                        {"id": "question", "type": "input", "title": "Question"},
                        {
                            "id": "answer",
                            "type": "llm",
                            "title": "Answer",
                            "prompt_text": "Answer: {{question}}",
                            "model": "echo",
                        },
                    ],
                }
            ]
        },
    },
    {
        "name": "Human labeling with review",
        "description": "An LLM draft, then a human label node reviewed by a reviewer.",
        "definition": {
            "nodes": [
                {
                    "id": "draft",
                    "title": "Draft",
                    "fields": [
                        {"id": "text", "type": "input", "title": "Text"},
                        {
                            "id": "summary",
                            "type": "llm",
                            "title": "Summary",
                            "prompt_text": "Summarize: {{text}}",
                            "model": "echo",
                        },
                    ],
                },
                {
                    "id": "label",
                    "title": "Label",
                    "fields": [],
                    "human": {"fields": [{"id": "label", "title": "Label"}], "review": True},
                },
            ]
        },
    },
]


# -- workflow chains -----------------------------------------------------------------------------


def _chain(
    state: LocalState, principal: Principal, project_id: int, chain_id: int
) -> dict[str, Any]:
    get_or_404(state, "project", project_id, principal)
    chain = get_or_404(state, "workflow_chain", chain_id, principal, label="workflow chain")
    if chain.get("project_id") != project_id:
        raise not_found("workflow chain", chain_id)
    return chain


@router.get("/projects/{project_id}/workflow-chains")
def list_workflow_chains(
    state: State, principal: WorkflowsAuth, project_id: int, page: Page
) -> dict[str, Any]:
    """The project's chains, paginated."""
    get_or_404(state, "project", project_id, principal)
    items = state.db.query(
        "workflow_chain", parent_id=project_id, limit=page.page_size, offset=page.offset
    )
    return page_of(items, state.db.count("workflow_chain", parent_id=project_id), page)


@router.get("/projects/{project_id}/workflow-chains/{chain_id}")
def get_workflow_chain(
    state: State, principal: WorkflowsAuth, project_id: int, chain_id: int
) -> dict[str, Any]:
    """One chain with its workflows' names."""
    chain = _chain(state, principal, project_id, chain_id)
    steps = []
    for wid in chain.get("workflow_ids") or []:
        workflow = state.db.get("workflow", wid)
        steps.append(
            {
                "workflow_id": wid,
                "name": (workflow or {}).get("name"),
                "exists": workflow is not None,
            }
        )
    return {**chain, "steps": steps}


@router.post("/projects/{project_id}/workflow-chains")
def create_workflow_chain(
    state: State, principal: WorkflowsAuth, project_id: int, body: Body
) -> dict[str, Any]:
    """Create a chain ``{"name", "description"?, "workflow_ids"}`` of the project's workflows."""
    get_or_404(state, "project", project_id, principal)
    errors = require_strings(body, "name")
    ids = body.get("workflow_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
        errors.append(
            error_item(["workflow_ids"], CHAIN_WORKFLOWS.format(project=project_id), "list_type")
        )
    if errors:
        raise APIError(422, errors)
    valid = [w["id"] for w in state.db.query("workflow", parent_id=project_id)]
    unknown = [i for i in ids or [] if i not in valid]
    if unknown:
        raise APIError(
            422,
            [
                error_item(
                    ["workflow_ids"],
                    UNKNOWN_WORKFLOWS.format(ids=unknown, project=project_id, valid=valid),
                )
            ],
        )
    data = {k: v for k, v in body.items() if k not in _SYSTEM}
    data.update(org_id=principal.org_id, project_id=project_id)
    data.setdefault("description", "")
    return state.db.insert("workflow_chain", data, parent_id=project_id)


@router.delete("/projects/{project_id}/workflow-chains/{chain_id}")
def delete_workflow_chain(
    state: State, principal: WorkflowsAuth, project_id: int, chain_id: int
) -> dict[str, Any]:
    """Delete a chain (its workflows stay)."""
    _chain(state, principal, project_id, chain_id)
    state.db.delete("workflow_chain", chain_id)
    return {"id": chain_id, "deleted": True}


# -- tags ----------------------------------------------------------------------------------------


_WF = "/projects/{project_id}/workflows/{workflow_id}"


@router.get(_WF + "/tags")
def list_workflow_tags(
    state: State, principal: WorkflowsAuth, project_id: int, workflow_id: int, page: Page
) -> dict[str, Any]:
    """The workflow's tags."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    return paginate_list(state.db.query("workflow_tag", parent_id=workflow_id), page)


@router.post(_WF + "/tags")
def create_workflow_tag(
    state: State, principal: WorkflowsAuth, project_id: int, workflow_id: int, body: Body
) -> dict[str, Any]:
    """Create a tag ``{"name", "color"?, "task_ids"?}``."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    errors = require_strings(body, "name")
    if errors:
        raise APIError(422, errors)
    task_ids = body.get("task_ids", [])
    known = {t["id"] for t in state.db.query("task", parent_id=workflow_id)}
    if not isinstance(task_ids, list) or any(t not in known for t in task_ids):
        bad = (
            task_ids if not isinstance(task_ids, list) else [t for t in task_ids if t not in known]
        )
        raise APIError(422, [error_item(["task_ids"], TASK_IDS.format(ids=bad))])
    return state.db.insert(
        "workflow_tag",
        {
            "org_id": principal.org_id,
            "project_id": project_id,
            "workflow_id": workflow_id,
            "name": body["name"],
            "color": body.get("color"),
            "task_ids": task_ids,
        },
        parent_id=workflow_id,
    )


@router.delete(_WF + "/tags/{tag_id}")
def delete_workflow_tag(
    state: State, principal: WorkflowsAuth, project_id: int, workflow_id: int, tag_id: int
) -> dict[str, Any]:
    """Delete a tag."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    tag = get_or_404(state, "workflow_tag", tag_id, principal, label="tag")
    if tag.get("workflow_id") != workflow_id:
        raise not_found("tag", tag_id)
    state.db.delete("workflow_tag", tag_id)
    return {"id": tag_id, "deleted": True}


@router.get(_WF + "/tasks/{task_id}/tags")
def list_task_tags(
    state: State,
    principal: WorkflowsAuth,
    project_id: int,
    workflow_id: int,
    task_id: int,
    page: Page,
) -> dict[str, Any]:
    """The workflow tags that hold this task."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    task = get_or_404(state, "task", task_id, principal)
    if task.get("workflow_id") != workflow_id:
        raise not_found("task", task_id)
    tags = [
        t
        for t in state.db.query("workflow_tag", parent_id=workflow_id)
        if task_id in t.get("task_ids", [])
    ]
    return paginate_list(tags, page)


# -- project instructions ------------------------------------------------------------------------


def _instruction(
    state: LocalState, principal: Principal, project_id: int, instruction_id: int
) -> dict[str, Any]:
    get_or_404(state, "project", project_id, principal)
    item = get_or_404(state, "instruction", instruction_id, principal)
    if item.get("project_id") != project_id:
        raise not_found("instruction", instruction_id)
    return item


@router.get("/projects/{project_id}/instructions")
def list_project_instructions(
    state: State, principal: ProjectsAuth, project_id: int, page: Page
) -> dict[str, Any]:
    """The project's instructions in ``order``, paginated."""
    get_or_404(state, "project", project_id, principal)
    items = sorted(
        state.db.query("instruction", parent_id=project_id),
        key=lambda i: (i.get("order", 0), i["id"]),
    )
    return paginate_list(items, page)


@router.post("/projects/{project_id}/instructions")
def create_project_instruction(
    state: State, principal: ProjectsAuth, project_id: int, body: Body
) -> dict[str, Any]:
    """Create ``{"title", "content"?, "order"?}``."""
    get_or_404(state, "project", project_id, principal)
    errors = require_strings(body, "title")
    if errors:
        raise APIError(422, errors)
    data = {k: v for k, v in body.items() if k not in _SYSTEM}
    data.update(org_id=principal.org_id, project_id=project_id)
    data.setdefault("content", "")
    data.setdefault("order", state.db.count("instruction", parent_id=project_id))
    return state.db.insert("instruction", data, parent_id=project_id)


@router.put("/projects/{project_id}/instructions/{instruction_id}")
def update_project_instruction(
    state: State, principal: ProjectsAuth, project_id: int, instruction_id: int, body: Body
) -> dict[str, Any]:
    """Change title, content or order."""
    _instruction(state, principal, project_id, instruction_id)
    if "title" in body and require_strings(body, "title"):
        raise APIError(422, require_strings(body, "title"))
    return state.db.patch(
        "instruction", instruction_id, {k: v for k, v in body.items() if k not in _SYSTEM}
    )


@router.delete("/projects/{project_id}/instructions/{instruction_id}")
def delete_project_instruction(
    state: State, principal: ProjectsAuth, project_id: int, instruction_id: int
) -> dict[str, Any]:
    """Delete an instruction."""
    _instruction(state, principal, project_id, instruction_id)
    state.db.delete("instruction", instruction_id)
    return {"id": instruction_id, "deleted": True}


# -- select options ------------------------------------------------------------------------------


@router.get("/select-options/organizations")
def list_organization_select_options(
    state: State, principal: OrganizationsAuth, page: Page
) -> dict[str, Any]:
    """``{"value", "label"}`` for the organizations the key reaches (its own)."""
    org = state.db.get("organization", principal.org_id) or {}
    return paginate_list([{"value": principal.org_id, "label": org.get("name")}], page)


@router.get("/select-options/projects")
def list_project_select_options(
    state: State, principal: ProjectsAuth, page: Page
) -> dict[str, Any]:
    """``{"value", "label"}`` for the organization's projects that are not archived."""
    projects = state.db.query("project", org_id=principal.org_id, where={"archived": False})
    return paginate_list([{"value": p["id"], "label": p.get("name")} for p in projects], page)


@router.get("/select-options/roles")
def list_role_select_options(principal: OrganizationsAuth, page: Page) -> dict[str, Any]:
    """The roles of the local backend (``viewer`` has no runtime access)."""
    return paginate_list([{"value": r, "label": r.capitalize()} for r in ALL_ROLES], page)


# -- organization workflow templates --------------------------------------------------------------


def _templates(state: LocalState, org_id: int) -> list[dict[str, Any]]:
    with state.db.tx():
        found = state.db.query("workflow_template", org_id=org_id)
        if not found:
            for template in BUILTIN_TEMPLATES:
                state.db.insert(
                    "workflow_template",
                    {**template, "org_id": org_id, "builtin": True},
                    org_id=org_id,
                )
            found = state.db.query("workflow_template", org_id=org_id)
    return found


@router.get("/organizations/{org_id}/templates")
def list_org_workflow_templates(
    state: State, principal: OrganizationsAuth, org_id: int, page: Page
) -> dict[str, Any]:
    """The organization's workflow templates, paginated."""
    principal.check_org(org_id)
    return paginate_list(_templates(state, org_id), page)


@router.get("/organizations/{org_id}/templates/{template_id}")
def get_org_workflow_template(
    state: State, principal: OrganizationsAuth, org_id: int, template_id: int
) -> dict[str, Any]:
    """One template with its definition."""
    principal.check_org(org_id)
    for template in _templates(state, org_id):
        if template["id"] == template_id:
            return template
    raise not_found("workflow template", template_id)
