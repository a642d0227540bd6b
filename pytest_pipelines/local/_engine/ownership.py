"""What a project and a workflow own, and deleting them with everything they own.

Records point to their owner through ``parent_id``; :data:`OWNED` lists, per kind, the kinds of
records it owns. Deleting a project or a workflow deletes the whole tree in one transaction, so
nothing is left behind that a later query could find (a deleted workflow's tool bindings were
still counted by an endpoint's ``binding-count``; its tool calls by the endpoint's usage).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.state import BackendState

OWNED: dict[str, tuple[str, ...]] = {
    "project": ("workflow", "workflow_chain", "instruction", "project_file"),
    "workflow": (
        "job",
        "task",
        "tool_binding",
        "tool_ground_truth",
        "workflow_tag",
        "experiment",
    ),
    "task": ("node",),
    "node": ("tool_call", "work", "generation"),
    "project_file": ("file_blob",),
}


def delete_workflow(state: BackendState, workflow_id: int) -> dict[str, int]:
    """Delete a workflow, what it owns and its experiments' workflow copies; counts by kind.

    An experiment's variant runs in a copy of the workflow (a sibling in the project, with
    ``source_workflow_id``); the copy is part of the experiment, so it goes too.
    """
    deleted: dict[str, int] = {}
    with state.db.tx():
        copies = state.db.query("workflow", where={"source_workflow_id": workflow_id})
        for root in [*(c["id"] for c in copies), workflow_id]:
            for kind, n in state.db.delete_tree("workflow", root, OWNED).items():
                deleted[kind] = deleted.get(kind, 0) + n
    return deleted


def delete_project(state: BackendState, project_id: int) -> dict[str, int]:
    """Delete a project and everything it owns (workflows and their tasks included)."""
    return state.db.delete_tree("project", project_id, OWNED)
