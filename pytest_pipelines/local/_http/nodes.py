"""FastAPI dependencies resolving a node route's path ids to the node record.

A node route is ``/api/projects/{project_id}/workflows/{workflow_id}/nodes/{node_db_id}/...``.
``NodeRef`` authenticates the key (tasks area), then looks the node up (404 unless it is a node of
that workflow in that project, visible to the key). ``node_after_role(allowed, action)`` does the
same after checking the caller's role (403), for routes whose role check comes before the lookup.

Ordering: declare a handler's body parameter *before* its node parameter, so a missing or invalid
body (422) is reported before an unknown node (404), as FastAPI resolves dependencies in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import Depends

from pytest_pipelines.local._engine.access import require_role
from pytest_pipelines.local._engine.work import get_node
from pytest_pipelines.local._http.deps import State, TasksAuth

NodeDependency = Callable[[Any, Any, int, int, int], dict[str, Any]]


def _node_from_path(
    state: State, principal: TasksAuth, project_id: int, workflow_id: int, node_db_id: int
) -> dict[str, Any]:
    """The node named by the path (404 when it is not in that workflow and project)."""
    return get_node(state, principal, project_id, workflow_id, node_db_id)


def node_after_role(allowed: Sequence[str], action: str) -> NodeDependency:
    """A dependency checking the caller's role is in ``allowed`` (403), then resolving the node."""

    def dependency(
        state: State, principal: TasksAuth, project_id: int, workflow_id: int, node_db_id: int
    ) -> dict[str, Any]:
        require_role(state, principal, allowed, action)
        return get_node(state, principal, project_id, workflow_id, node_db_id)

    dependency.__name__ = f"node_after_role_{'_'.join(allowed)}"
    return dependency


NodeRef = Annotated[dict[str, Any], Depends(_node_from_path)]
