"""The organization's workflow templates: the built-in templates below, stored on first read (so
they have ids); ``definition`` is a workflow definition ready for ``create_workflow``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pytest_pipelines.local._engine.errors import not_found
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._http.deps import (
    OrganizationsAuth,
    Page,
    State,
    paginate_list,
)

router = APIRouter(prefix="/api", tags=["templates"])

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


def _templates(state: BackendState, org_id: int) -> list[dict[str, Any]]:
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
