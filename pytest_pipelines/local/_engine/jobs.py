"""The job engine: turns a task-creation request into tasks and runs them for real.

A job's effective definition (the workflow's definition with the run's ``configOverrides``
applied, prompts and evaluations resolved to the versions the run uses, tool bindings attached)
is computed once, when the job is created, and stored on the job: the saved workflow is never
changed by a run, and a later edit of a prompt does not change a run in flight.

Tasks are stored (``queued``) before any runs, then executed by a bounded thread pool. A worker
moves a task from ``queued`` to ``running`` atomically, so a cancelled task never starts. On
start, :meth:`Engine.recover` re-queues tasks a previous process left unfinished: no task is lost.

The pool is sized for I/O-bound work (:data:`DEFAULT_WORKERS`): a task mostly waits on a model
(a provider over HTTP, a demo model's latency), and a waiting thread holds no GIL. CPU-bound
work (Python tools, criteria) gains nothing from more threads, but loses little either
(benchmarks/bench_pool.py measures both).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from pytest_pipelines.local._engine.definitions import apply_overrides, iter_fields
from pytest_pipelines.local._engine.errors import APIError, error_item, not_found
from pytest_pipelines.local._engine.library import resolve_version
from pytest_pipelines.local._engine.runner import run_task
from pytest_pipelines.local._store.db import parse_id, utcnow

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.state import BackendState

TERMINAL_TASK = ("completed", "failed", "cancelled")
TERMINAL_JOB = (
    "completed",
    "failed",
    "cancelled",
    "partially_cancelled",
    "completed_with_partial_results",
)
_DEFINITION_CACHE_SIZE = 256
#: tasks run at once by default: 32 one-second model calls finish in one second, not four
DEFAULT_WORKERS = 32
#: a pool larger than this is almost certainly a typo (each thread is an OS thread)
MAX_WORKERS = 1024
BAD_WORKERS = (
    "workers is {value!r}; the local backend's job pool runs a whole number of tasks at once, "
    "from 1 to {max}: e.g. workers=32 (pipelines-local serve --workers 32, ini "
    "pipelines_local_workers = 32). Tasks wait mostly on models, so the default is {default}."
)

PROMPT_MISSING = "prompt {id} (version {version}) used by node {node!r} field {field!r} does not exist or is not visible to this organization"
EVALUATION_MISSING = "evaluation {id} (version {version}) used by node {node!r} field {field!r} does not exist or is not visible to this organization"
CRITERION_MISSING = "criterion {id} (version {version}) of evaluation {evaluation} does not exist"
JOB_ID_PREFIX = "job-"
#: a held status poll rests this many times a status computation's cost between two of them
HOLD_REST_FACTOR = 4.0


def override_loc(
    overrides: Mapping[str, Any] | None, section: str, node_id: Any, field_id: Any, key: str
) -> list[str | int]:
    """Where in ``configOverrides`` a field's ``section`` reference came from (422 ``loc``).

    The last override entry naming the node (and the field, or no field) wins, as it does when
    overrides are applied; a reference the saved workflow makes points at the section.
    """
    items = (overrides or {}).get(section)
    if isinstance(items, list):
        for index in range(len(items) - 1, -1, -1):
            item = items[index]
            if (
                isinstance(item, Mapping)
                and item.get("nodeId") == node_id
                and item.get("fieldId") in (field_id, None)
            ):
                return ["configOverrides", section, index, key]
    return ["configOverrides", section]


def check_workers(value: object) -> int:
    """``value`` as a pool size from 1 to :data:`MAX_WORKERS`.

    :raises ValueError: (with :data:`BAD_WORKERS`) when it is not a whole number in that range.
    """
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else 0
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_WORKERS:
        raise ValueError(BAD_WORKERS.format(value=value, max=MAX_WORKERS, default=DEFAULT_WORKERS))
    return number


def job_key(job_id: str | int) -> int | None:
    """The database id of a ``job-<n>`` id, or None when malformed."""
    text = str(job_id)
    if text.startswith(JOB_ID_PREFIX):
        text = text[len(JOB_ID_PREFIX) :]
    return parse_id(text)


class Engine:
    """Creates jobs and runs their tasks in a bounded thread pool.

    :param state: the backend state (database and model registry).
    :param workers: how many tasks run at once (default :data:`DEFAULT_WORKERS`, 32).
    :raises ValueError: when ``workers`` is not a whole number from 1 to :data:`MAX_WORKERS`.
    """

    def __init__(self, state: BackendState, *, workers: int = DEFAULT_WORKERS) -> None:
        self.state = state
        self.workers = workers = check_workers(workers)
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="pipelines-local-job"
        )
        self._lock = threading.Lock()
        self._settled = threading.Condition()  # notified whenever a task reaches a final status
        # bumped under _settled at each notification, so a waiter that computed a status just
        # before a task settled sees the change instead of sleeping through the notification
        self._generation = 0
        self._futures: set[Future[None]] = set()
        self._definitions: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------

    def in_flight(self) -> int:
        """How many submitted tasks have not finished."""
        with self._lock:
            return len(self._futures)

    def recover(self) -> None:
        """Re-queue and submit the tasks a previous process left queued or running."""
        unfinished = self.state.db.query("task", where={"status": ["queued", "running"]})
        for task in unfinished:
            if task["status"] == "running":
                self.state.db.patch("task", task["id"], {"status": "queued"})
            self._submit(task["id"])

    def drain(self) -> None:
        """Cancel every queued task and wait for running ones."""
        for task in self.state.db.query("task", where={"status": "queued"}):
            self._transition(task["id"], "queued", "cancelled")
        self.wait_idle()

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Wait until no submitted task is left (or ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while self.in_flight() and time.monotonic() < deadline:
            time.sleep(0.01)

    def shutdown(self) -> None:
        """Stop accepting work; cancel queued tasks; wait for running ones."""
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- job creation ----------------------------------------------------------------------

    def resolve(
        self,
        org_id: int,
        workflow: Mapping[str, Any],
        definition: dict[str, Any],
        overrides: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Pin prompts and evaluations to versions, attach tool bindings; 422 when one is missing.

        :param overrides: the ``configOverrides`` applied to ``definition``, so that a 422 names
            the override entry (``["configOverrides", "prompts", 0, "promptId"]``).
        """
        db = self.state.db
        errors = []
        bindings = db.query("tool_binding", parent_id=workflow["id"])
        for node, field in iter_fields(definition):
            where = {"node": node["id"], "field": field["id"]}
            if field.get("type") == "llm":
                if field.get("prompt_id") is not None:
                    prompt = (
                        db.get("prompt", field["prompt_id"])
                        if isinstance(field["prompt_id"], int)
                        else None
                    )
                    if (
                        prompt is not None
                        and prompt.get("org_id") not in (org_id, None)
                        and prompt.get("scope_type") != "global"
                    ):
                        prompt = None
                    missing = "promptId" if prompt is None else "version"
                    try:
                        prompt = (
                            resolve_version(
                                self.state,
                                "prompt",
                                prompt,
                                field.get("prompt_version"),
                                org_id=org_id,
                            )
                            if prompt
                            else None
                        )
                    except APIError:
                        prompt = None
                    if prompt is None:
                        errors.append(
                            error_item(
                                override_loc(
                                    overrides, "prompts", node["id"], field["id"], missing
                                ),
                                PROMPT_MISSING.format(
                                    id=field["prompt_id"],
                                    version=field.get("prompt_version") or "latest",
                                    **where,
                                ),
                            )
                        )
                        continue
                    field["prompt_version"] = prompt.get("version", 1)
                    field["resolved_prompt"] = prompt.get("prompt_text", "")
                else:
                    field["resolved_prompt"] = field.get("prompt_text", "")
                field["bindings"] = []
                for binding in bindings:
                    if (
                        binding.get("node_id") == node["id"]
                        and binding.get("field_id") == field["id"]
                        and binding.get("enabled", True)
                    ):
                        endpoint = db.get("tool_endpoint", binding.get("endpoint_id", 0))
                        if endpoint is not None:
                            field["bindings"].append({"binding": binding, "endpoint": endpoint})
            elif field.get("type") == "evaluation":
                evaluation = (
                    db.get("evaluation", field["evaluation_id"])
                    if isinstance(field.get("evaluation_id"), int)
                    else None
                )
                if (
                    evaluation is not None
                    and evaluation.get("org_id") not in (org_id, None)
                    and evaluation.get("scope_type") != "global"
                ):
                    evaluation = None
                missing = "evaluationId" if evaluation is None else "version"
                try:
                    evaluation = (
                        resolve_version(
                            self.state,
                            "evaluation",
                            evaluation,
                            field.get("evaluation_version"),
                            org_id=org_id,
                        )
                        if evaluation
                        else None
                    )
                except APIError:
                    evaluation = None
                if evaluation is None:
                    errors.append(
                        error_item(
                            override_loc(
                                overrides, "evaluations", node["id"], field["id"], missing
                            ),
                            EVALUATION_MISSING.format(
                                id=field.get("evaluation_id"),
                                version=field.get("evaluation_version") or "latest",
                                **where,
                            ),
                        )
                    )
                    continue
                field["evaluation_version"] = evaluation.get("version", 1)
                criteria = []
                for ref in evaluation.get("criteria", []):
                    criterion = db.get("criterion", ref.get("criterion_id", 0))
                    if criterion is not None:
                        try:
                            criterion = resolve_version(
                                self.state, "criterion", criterion, ref.get("criterion_version")
                            )
                        except APIError:
                            criterion = None
                    if criterion is None:
                        errors.append(
                            error_item(
                                ["configOverrides", "evaluations"],
                                CRITERION_MISSING.format(
                                    id=ref.get("criterion_id"),
                                    version=ref.get("criterion_version"),
                                    evaluation=evaluation["id"],
                                ),
                            )
                        )
                        continue
                    criteria.append(criterion)
                field["resolved_criteria"] = criteria
        if errors:
            raise APIError(422, errors)
        return definition

    def create_job(
        self,
        *,
        org_id: int,
        project_id: int,
        workflow: Mapping[str, Any],
        payload: Mapping[str, Any],
        experiment_id: int | None = None,
        apply: bool = True,
    ) -> dict[str, Any]:
        """Store a job and its queued tasks, then submit them; return the job record.

        :param apply: apply ``payload["configOverrides"]`` (experiments apply them to the copy).
        """
        overrides = payload.get("configOverrides") if apply else None
        definition, errors = apply_overrides(workflow.get("definition") or {"nodes": []}, overrides)
        if errors:
            raise APIError(
                422, [error_item(["configOverrides", *e["loc"]], e["msg"]) for e in errors]
            )
        definition = self.resolve(org_id, workflow, definition, overrides)
        count = int(payload.get("count") or 1)
        rows = list(payload.get("inputs") or workflow.get("seed_rows") or [{}])
        expected = list(payload.get("expected_outputs") or [])
        db = self.state.db
        with db.tx():
            job = db.insert(
                "job",
                {
                    "org_id": org_id,
                    "project_id": project_id,
                    "workflow_id": workflow["id"],
                    "experiment_id": experiment_id,
                    "count": count,
                    "definition": definition,
                    "config_overrides": overrides or {},
                    "cancelled": False,
                    "error": None,
                },
                org_id=org_id,
                parent_id=workflow["id"],
                parent_kind="workflow",
            )
            job_id = JOB_ID_PREFIX + str(job["id"])
            task_ids = []
            seen: dict[str, int] = {}
            for index in range(count):
                row = dict(rows[index % len(rows)])
                expected_output = row.pop("expected_output", None)
                if expected:
                    expected_output = expected[index % len(expected)]
                # tasks with the same inputs are repeats; their index keeps them independent
                # samples in the model-call cache (and it is fixed here, not by thread timing)
                same = json.dumps([row, expected_output], sort_keys=True, default=str)
                repeat = seen[same] = seen.get(same, -1) + 1
                task = db.insert(
                    "task",
                    {
                        "org_id": org_id,
                        "project_id": project_id,
                        "workflow_id": workflow["id"],
                        "job_id": job_id,
                        "job_db_id": job["id"],
                        "status": "queued",
                        "inputs": row,
                        "expected_output": expected_output,
                        "repeat": repeat,
                        "error": None,
                        "finished_at": None,
                        "evaluated": False,
                    },
                    org_id=org_id,
                    parent_id=workflow["id"],
                    parent_kind="workflow",
                )
                task_ids.append(task["id"])
            job = db.patch("job", job["id"], {"job_id": job_id, "task_ids": task_ids})
        self._remember(job["id"], definition)
        for task_id in task_ids:
            self._submit(task_id)
        return job

    # -- status and cancel -----------------------------------------------------------------

    def get_job(self, job_id: str | int) -> dict[str, Any]:
        """The job record; 404 when unknown."""
        key = job_key(job_id)
        job = self.state.db.get("job", key) if key is not None else None
        if job is None:
            raise not_found("job", job_id)
        return job

    def job_status(self, job: Mapping[str, Any]) -> dict[str, Any]:
        """The job status shape of local-shapes.md, computed from its tasks."""
        tasks = self.state.db.query("task", where={"job_db_id": job["id"]})
        counts = dict.fromkeys(("queued", "running", "completed", "failed", "cancelled"), 0)
        evaluated = 0
        finished_at = None
        for task in tasks:
            counts[task["status"]] = counts.get(task["status"], 0) + 1
            evaluated += bool(task.get("evaluated"))
            if task.get("finished_at") and (
                finished_at is None or task["finished_at"] > finished_at
            ):
                finished_at = task["finished_at"]
        total = len(tasks)
        in_flight = counts["queued"] + counts["running"]
        if in_flight:
            status = "running" if (counts["running"] or total - in_flight) else "queued"
            finished_at = None
        elif counts["cancelled"]:
            status = "cancelled" if counts["cancelled"] == total else "partially_cancelled"
        elif counts["failed"] == total and total:
            status = "failed"
        elif counts["failed"]:
            status = "completed_with_partial_results"
        else:
            status = "completed"
        errors = [t["error"] for t in tasks if t.get("error")]
        return {
            "job_id": job.get("job_id") or JOB_ID_PREFIX + str(job["id"]),
            "status": status,
            "total": total,
            "queued": counts["queued"],
            "running": counts["running"],
            "completed": counts["completed"],
            "failed": counts["failed"],
            "cancelled": counts["cancelled"],
            "evaluated": evaluated,
            "task_ids": [t["id"] for t in tasks],
            "error": errors[0] if errors else None,
            "created_at": job.get("created_at"),
            "finished_at": finished_at,
            "project_id": job.get("project_id"),
            "workflow_id": job.get("workflow_id"),
        }

    def wait_job(self, job: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        """The job status once terminal (or when ``timeout`` seconds have passed).

        Waits on task completions instead of polling the database in a tight loop.
        """
        return self.hold(lambda: self.job_status(job), timeout)

    def hold(self, compute: Callable[[], dict[str, Any]], timeout: float) -> dict[str, Any]:
        """``compute()`` once its ``status`` is terminal, or when ``timeout`` seconds have passed.

        Recomputed each time a task settles (not in a tight loop); the long-poll ``wait``
        parameter of the status routes and the synchronous create-tasks use it.

        :param compute: returns a status body with a ``status`` field (a job's, an experiment's).
        :param timeout: seconds to hold at most; 0 computes once.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._settled:
                seen = self._generation
            started = time.monotonic()
            status = compute()
            cost = time.monotonic() - started
            remaining = deadline - time.monotonic()
            if status["status"] in TERMINAL_JOB or remaining <= 0:
                return status
            # A status is computed from every task of the run: recomputing it at each settle of a
            # large run made a held poll quadratic (count=1000 took 18 s instead of 5). Between two
            # computations the holder rests a few times the last one's cost, so holding takes a
            # small share of a core and notices the end at most that late (~50 ms at 1,000 tasks).
            time.sleep(min(HOLD_REST_FACTOR * cost, remaining))
            with self._settled:
                if self._generation == seen:
                    # the cap only bounds changes that notify nobody (none are known)
                    self._settled.wait(min(remaining, 1.0))

    def _notify_settled(self) -> None:
        with self._settled:
            self._generation += 1
            self._settled.notify_all()

    def cancel_job(self, job: Mapping[str, Any]) -> dict[str, Any]:
        """Cancel the job's queued tasks (running ones finish); return the new status."""
        self.state.db.patch("job", job["id"], {"cancelled": True})
        for task in self.state.db.query("task", where={"job_db_id": job["id"], "status": "queued"}):
            self._transition(task["id"], "queued", "cancelled")
        self._notify_settled()
        return self.job_status(job)

    # -- running ---------------------------------------------------------------------------

    def _submit(self, task_id: int) -> None:
        if self._closed:
            return
        future = self._pool.submit(self._run_safely, task_id)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _transition(self, task_id: int, old: str, new: str, **changes: Any) -> bool:
        db = self.state.db
        with db.tx():
            task = db.get("task", task_id)
            if task is None or task["status"] != old:
                return False
            task.update(changes, status=new)
            if new in TERMINAL_TASK:
                task["finished_at"] = utcnow()
            db.replace("task", task_id, task)
        return True

    def _remember(self, job_db_id: int, definition: dict[str, Any]) -> None:
        with self._lock:
            self._definitions[job_db_id] = definition
            self._definitions.move_to_end(job_db_id)
            while len(self._definitions) > _DEFINITION_CACHE_SIZE:
                self._definitions.popitem(last=False)

    def _definition(self, job_db_id: int) -> dict[str, Any]:
        with self._lock:
            cached = self._definitions.get(job_db_id)
        if cached is not None:
            return cached
        job = self.state.db.get("job", job_db_id)
        definition: dict[str, Any] = (job or {}).get("definition") or {"nodes": []}
        self._remember(job_db_id, definition)
        return definition

    def _forget_attempt(self, task_id: int) -> None:
        """Remove what an interrupted earlier attempt of the task recorded."""
        db = self.state.db
        with db.tx():
            for node in db.query("node", parent_id=task_id):
                db.delete_children("tool_call", node["id"])
            db.delete_children("node", task_id)

    def _fail_unfinished_nodes(self, task_id: int, error: str) -> None:
        """Mark the nodes an aborted run left ``running`` as failed, so the detail agrees."""
        db = self.state.db
        with db.tx():
            for node in db.query("node", parent_id=task_id, where={"status": "running"}):
                db.patch(
                    "node",
                    node["id"],
                    {"status": "failed", "error": error, "finished_at": utcnow()},
                )

    def _run_safely(self, task_id: int) -> None:
        if not self._transition(task_id, "queued", "running", started_at=utcnow()):
            return
        try:
            self._forget_attempt(task_id)
            task = self.state.db.get("task", task_id)
            assert task is not None
            error = run_task(self.state, task, self._definition(task["job_db_id"]))
        except Exception as exc:  # a bug in the engine must still finish the task
            error = f"internal error while running task {task_id}: {type(exc).__name__}: {exc}"
            with contextlib.suppress(Exception):  # the task must reach a terminal status
                self._fail_unfinished_nodes(task_id, error)
        status = "failed" if error else "completed"
        try:
            self._transition(task_id, "running", status, error=error, evaluated=error is None)
        finally:
            self._notify_settled()
