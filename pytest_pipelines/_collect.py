"""Collecting a run's task details: one bulk export where the deployment offers it, else
per-task GETs a few at a time, all within the run's deadline.

Which shape an export carries is read in :mod:`pytest_pipelines._results` (the one module that
reads task-detail shapes); this module only decides which path to take and how many requests
are in flight.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any

from pytest_pipelines._results import export_details, export_request

logger = logging.getLogger("pytest_pipelines")

#: task ids per export request (bounds one response's size)
EXPORT_CHUNK = 1000
#: per-task GETs in flight when the deployment has no bulk export
MAX_CONCURRENT_GETS = 8

COLLECT_TIMED_OUT = (
    "collecting the results of workflow {workflow} did not finish within the run's timeout "
    "({done}/{total} tasks read). Raise the limit with pipelines_workflow(..., timeout=SECONDS) "
    "or --pipelines-timeout=SECONDS."
)


class CollectTimedOut(Exception):
    """The run's deadline passed while its task details were being read."""


# Whether a client's deployment answers the bulk export with task details, learnt on the first
# collection: a deployment without it costs one extra request per client, not one per run.
_bulk_support: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()
_support_lock = threading.Lock()


def _known_support(client: Any) -> bool | None:
    with _support_lock:
        try:
            return _bulk_support.get(client)
        except TypeError:  # a client that cannot be weakly referenced: ask every time
            return None


def _remember_support(client: Any, supported: bool) -> None:
    # a client that cannot be weakly referenced is not remembered
    with _support_lock, contextlib.suppress(TypeError):
        _bulk_support[client] = supported


def _bulk(
    client: Any, project_id: int, workflow_id: int, task_ids: Sequence[int]
) -> dict[int, Mapping[str, Any]] | None:
    """Every detail through export-tasks, or None when the deployment's export cannot carry them."""
    from pytest_pipelines._retry import repeat
    from pytest_pipelines.client import NotFoundError, ValidationError

    known = _known_support(client)
    if known is False:
        return None
    found: dict[int, Mapping[str, Any]] = {}
    for start in range(0, len(task_ids), EXPORT_CHUNK):
        chunk = task_ids[start : start + EXPORT_CHUNK]
        try:
            # a read in a POST (no Idempotency-Key, so the client does not retry it): repeated
            # here on a 429/5xx like the plugin's other requests without lasting effect
            response = repeat(
                client,
                functools.partial(
                    client.export_tasks, project_id, workflow_id, export_request(chunk)
                ),
            )
        except (NotFoundError, ValidationError, AttributeError) as exc:
            # no export route, a payload it refuses, or a client without the method: per task
            logger.debug("bulk task export unavailable (%s); reading tasks one by one", exc)
            _remember_support(client, False)
            return None
        details = export_details(response)
        if details is None:
            logger.debug(
                "this deployment's task export carries no task details; reading tasks one by one"
            )
            _remember_support(client, False)
            return None
        found.update(details)
    _remember_support(client, True)
    return found


def _remaining(deadline: float | None, clock: Callable[[], float]) -> float | None:
    return None if deadline is None else max(0.0, deadline - clock())


def _one_by_one(
    client: Any,
    project_id: int,
    workflow_id: int,
    task_ids: Sequence[int],
    deadline: float | None,
    clock: Callable[[], float],
    max_workers: int,
) -> dict[int, Mapping[str, Any]]:
    found: dict[int, Mapping[str, Any]] = {}
    if not task_ids:
        return found
    pool = ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(task_ids))))
    try:
        futures: dict[Future[Any], int] = {
            pool.submit(client.get_task, project_id, workflow_id, tid): tid for tid in task_ids
        }
        pending = set(futures)
        while pending:
            done, pending = wait_futures(
                pending, timeout=_remaining(deadline, clock), return_when=FIRST_EXCEPTION
            )
            for future in done:
                found[futures[future]] = future.result()  # raises the first API error
            if pending and deadline is not None and clock() >= deadline:
                raise CollectTimedOut(
                    COLLECT_TIMED_OUT.format(
                        workflow=workflow_id, done=len(found), total=len(task_ids)
                    )
                )
    finally:
        # queued reads are dropped; reads in flight end within the client's own timeout
        pool.shutdown(wait=False, cancel_futures=True)
    return found


def collect_details(
    client: Any,
    project_id: int,
    workflow_id: int,
    task_ids: Sequence[int],
    *,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    max_workers: int = MAX_CONCURRENT_GETS,
) -> list[Mapping[str, Any]]:
    """The task-detail dicts of ``task_ids``, in that order.

    Tries one export-tasks request per :data:`EXPORT_CHUNK` tasks first (once per client: a
    deployment whose export carries no details is remembered), then reads whatever is missing
    with per-task GETs, ``max_workers`` at a time. The path taken is logged at debug level
    (``PIPELINES_DEBUG=1``).

    :param deadline: a ``clock()`` time after which collecting stops with
        :class:`CollectTimedOut`; default None: no limit.
    :param clock: the clock of ``deadline``; default :func:`time.monotonic`.
    :param max_workers: per-task GETs in flight; default :data:`MAX_CONCURRENT_GETS`.
    :raises CollectTimedOut: the deadline passed before every task was read.
    """
    ids = [int(t) for t in task_ids]
    found = _bulk(client, project_id, workflow_id, ids) if ids else {}
    if found is None:
        found = {}
    elif ids:
        logger.debug(
            "collected %d of %d tasks of workflow %s with a bulk task export",
            len(found),
            len(ids),
            workflow_id,
        )
    missing = [t for t in ids if t not in found]
    if missing:
        logger.debug(
            "reading %d tasks of workflow %s one by one, %d at a time",
            len(missing),
            workflow_id,
            max_workers,
        )
        found.update(
            _one_by_one(client, project_id, workflow_id, missing, deadline, clock, max_workers)
        )
    return [found[t] for t in ids]
