"""Background jobs of the REST areas (dataset import, dataset eval, seeding, task export).

A job is a ``rest_job`` record with a string id ``<type>-<n>`` and a status that moves
``queued -> running -> completed | failed | cancelled``. The work runs in a daemon thread; it
checks ``cancel_requested`` between rows, so a cancel stops it at the next row. Cancelling a job
that already finished changes nothing (its status is returned as is).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pytest_pipelines.local._engine.access import get_workflow_or_404
from pytest_pipelines.local._engine.errors import not_found
from pytest_pipelines.local._store.db import parse_id, utcnow

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.access import Principal
    from pytest_pipelines.local._engine.state import BackendState

TERMINAL = ("completed", "failed", "cancelled")


class Cancelled(Exception):
    """Raised by :func:`checkpoint` when the job was asked to stop."""


def create_job(state: BackendState, type_: str, org_id: int, **data: Any) -> dict[str, Any]:
    """Store a queued job of ``type_``; its ``job_id`` is ``<type_>-<db id>``."""
    record = state.db.insert(
        "rest_job",
        {
            "type": type_,
            "org_id": org_id,
            "status": "queued",
            "cancel_requested": False,
            "error": None,
            "result": None,
            "progress": {"done": 0, "total": None},
            "finished_at": None,
            **data,
        },
        org_id=org_id,
    )
    return state.db.patch("rest_job", record["id"], {"job_id": f"{type_}-{record['id']}"})


def get_job(state: BackendState, type_: str, job_id: str, org_id: int) -> dict[str, Any]:
    """A job of ``type_`` of the organization; else 404."""
    prefix = f"{type_}-"
    key = job_id[len(prefix) :] if job_id.startswith(prefix) else ""
    db_id = parse_id(key)
    record = state.db.get("rest_job", db_id) if db_id is not None else None
    if record is None or record.get("type") != type_ or record.get("org_id") != org_id:
        raise not_found(f"{type_} job", job_id)
    return record


def workflow_job_view(
    state: BackendState,
    principal: Principal,
    project_id: int,
    workflow_id: int,
    type_: str,
    job_id: str,
) -> dict[str, Any]:
    """The public status of a job of ``type_`` run for the workflow; else 404.

    404 when the workflow is not the key's to see, or the job is another workflow's.
    """
    get_workflow_or_404(state, principal, project_id, workflow_id)
    job = get_job(state, type_, job_id, principal.org_id)
    if job.get("workflow_id") != workflow_id:
        raise not_found(f"{type_} job", job_id)
    return job_view(job)


def checkpoint(state: BackendState, job_db_id: int, done: int, total: int | None) -> None:
    """Record progress; raise :class:`Cancelled` when a cancel was requested."""
    record = state.db.patch("rest_job", job_db_id, {"progress": {"done": done, "total": total}})
    if record.get("cancel_requested"):
        raise Cancelled


def run_in_background(
    state: BackendState, job: dict[str, Any], work: Callable[[dict[str, Any]], Any]
) -> None:
    """Run ``work(job)`` in a daemon thread; its return value becomes the job's ``result``."""

    def target() -> None:
        try:
            state.db.patch("rest_job", job["id"], {"status": "running", "started_at": utcnow()})
            result = work(job)
            changes: dict[str, Any] = {"status": "completed", "result": result}
        except Cancelled:
            changes = {"status": "cancelled"}
        except Exception as exc:  # the job fails with a message; the thread never raises
            changes = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
        changes["finished_at"] = utcnow()
        try:
            state.db.patch("rest_job", job["id"], changes)
        except Exception:  # the backend closed while the job ran
            return

    threading.Thread(target=target, name=f"pipelines-local-{job['job_id']}", daemon=True).start()


def cancel(state: BackendState, job: dict[str, Any]) -> dict[str, Any]:
    """Ask a running job to stop; a queued one is cancelled at once; a finished one is unchanged."""
    if job.get("status") in TERMINAL:
        return job
    return state.db.patch("rest_job", job["id"], {"cancel_requested": True})


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    """The public status of a job."""
    keys = (
        "job_id",
        "type",
        "status",
        "progress",
        "error",
        "result",
        "created_at",
        "started_at",
        "finished_at",
        "cancel_requested",
    )
    return {k: job.get(k) for k in keys}
