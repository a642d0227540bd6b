"""Notebooks of a dataset: list, get, update (draft), save (a new version), preview, delete.

Every imported dataset gets one notebook, "Explore <name>", when its import completes (the API
has no create route). A notebook has ``cells``: ``{"type": "markdown", "source"}`` or
``{"type": "query", "columns": [...], "filters": [{"column", "op", "value"}], "limit"?}``.
``PATCH`` edits the draft; ``save`` stores the draft (or the given cells) as the next version;
``preview`` runs the last query cell (or the payload's ``cells``) against the dataset rows.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pytest_pipelines.local._engine.access import Principal, get_or_404
from pytest_pipelines.local._engine.errors import APIError, error_item
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._engine.tables import matches
from pytest_pipelines.local._http.deps import (
    Body,
    NotebooksAuth,
    OptionalBody,
    Page,
    State,
    paginate_list,
)
from pytest_pipelines.local._store.db import utcnow

router = APIRouter(prefix="/api", tags=["notebooks"])

CELLS = (
    'cells must be a list of cells: {"type": "markdown", "source"} or {"type": "query", '
    '"columns"?, "filters"?, "limit"?}'
)
CELL_TYPES = ("markdown", "query")
DEFAULT_PREVIEW_LIMIT = 100


def _check_cells(cells: Any) -> list[dict[str, Any]]:
    if not isinstance(cells, list) or not all(
        isinstance(c, dict) and c.get("type") in CELL_TYPES for c in cells
    ):
        raise APIError(422, [error_item(["cells"], CELLS, "list_type")])
    return cells


def _notebook(state: BackendState, principal: Principal, notebook_id: int) -> dict[str, Any]:
    return get_or_404(state, "notebook", notebook_id, principal)


@router.get("/datasets/{dataset_id}/notebooks")
def list_dataset_notebooks(
    state: State, principal: NotebooksAuth, dataset_id: int, page: Page
) -> dict[str, Any]:
    """The dataset's notebooks, paginated."""
    get_or_404(state, "dataset", dataset_id, principal)
    return paginate_list(state.db.query("notebook", parent_id=dataset_id), page)


@router.get("/notebooks/{notebook_id}")
def get_notebook(state: State, principal: NotebooksAuth, notebook_id: int) -> dict[str, Any]:
    """One notebook: draft ``cells``, ``saved_cells`` and ``version``."""
    return _notebook(state, principal, notebook_id)


@router.patch("/notebooks/{notebook_id}")
def update_notebook(
    state: State, principal: NotebooksAuth, notebook_id: int, body: Body
) -> dict[str, Any]:
    """Change the draft: ``name`` and/or ``cells`` (the saved version is unchanged)."""
    _notebook(state, principal, notebook_id)
    changes: dict[str, Any] = {}
    if "name" in body:
        if not isinstance(body["name"], str) or not body["name"].strip():
            raise APIError(422, [error_item(["name"], "name must be a non-empty string")])
        changes["name"] = body["name"]
    if "cells" in body:
        changes["cells"] = _check_cells(body["cells"])
    return state.db.patch("notebook", notebook_id, changes)


@router.post("/notebooks/{notebook_id}/save")
def save_notebook(
    state: State, principal: NotebooksAuth, notebook_id: int, body: Body
) -> dict[str, Any]:
    """Save ``cells`` (default: the draft) as the next version."""
    notebook = _notebook(state, principal, notebook_id)
    cells = _check_cells(body["cells"]) if "cells" in body else notebook.get("cells") or []
    return state.db.patch(
        "notebook",
        notebook_id,
        {
            "cells": cells,
            "saved_cells": cells,
            "version": int(notebook.get("version") or 0) + (1 if notebook.get("saved_at") else 0),
            "saved_at": utcnow(),
        },
    )


@router.post("/notebooks/{notebook_id}/preview")
def preview_notebook(
    state: State, principal: NotebooksAuth, notebook_id: int, body: OptionalBody
) -> dict[str, Any]:
    """Run the last query cell on the dataset: ``{"columns", "rows", "total", "limit"}``."""
    notebook = _notebook(state, principal, notebook_id)
    cells = _check_cells(body["cells"]) if "cells" in body else notebook.get("cells") or []
    queries = [c for c in cells if c.get("type") == "query"]
    query: dict[str, Any] = queries[-1] if queries else {"type": "query"}
    dataset = get_or_404(state, "dataset", int(notebook["dataset_id"]), principal)
    limit = body.get("limit", query.get("limit", DEFAULT_PREVIEW_LIMIT))
    if not isinstance(limit, int) or limit < 0:
        raise APIError(422, [error_item(["limit"], "limit must be a non-negative integer")])
    names = [c["name"] for c in dataset.get("columns") or []]
    columns = query.get("columns") or names
    unknown = [c for c in columns if c not in names]
    if unknown:
        raise APIError(
            422,
            [error_item(["cells"], f"unknown columns {unknown}; the dataset's columns: {names}")],
        )
    rows = [r for r in dataset.get("rows") or [] if matches(r, query.get("filters") or [])]
    return {
        "notebook_id": notebook_id,
        "dataset_id": dataset["id"],
        "columns": columns,
        "rows": [{c: r.get(c) for c in columns} for r in rows[:limit]],
        "total": len(rows),
        "limit": limit,
    }


@router.delete("/notebooks/{notebook_id}")
def delete_notebook(state: State, principal: NotebooksAuth, notebook_id: int) -> dict[str, Any]:
    """Delete a notebook."""
    _notebook(state, principal, notebook_id)
    state.db.delete("notebook", notebook_id)
    return {"id": notebook_id, "deleted": True}
