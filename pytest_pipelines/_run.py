"""One eval test's run: payload from the markers, launch, adaptive wait, results.

A broken run (API error, task failed or timed out, evaluator error, missing model) raises
:class:`RunBroken`; the run fixture turns it into a test error, never a failure.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pytest_pipelines._markers import DEFAULT_EXPECTED_COLUMN, RunSpec
from pytest_pipelines._results import (
    RunResult,
    TaskResult,
    assign_inputs,
    node_of_field,
    parse_task,
    parse_tool_correctness,
    run_problems,
    with_tool_correctness,
)
from pytest_pipelines._retry import delete, repeat

# The client's terminal statuses and poll timing: one definition for both waiters. The loop
# itself is here because a timeout must cancel the job and report the last status and counts,
# and every status feeds the live progress line.
from pytest_pipelines.client import TERMINAL_STATUSES, PollPlan, durations_of, run_key, run_size

if TYPE_CHECKING:
    from pytest_pipelines._durations import TestDurations

RUN_TIMED_OUT = (
    "pipelines run of {what} did not finish within {timeout:g}s (last status {status!r}, "
    "{done}/{total} tasks done). The job was cancelled. Raise the limit with "
    "pipelines_workflow(..., timeout=SECONDS) or --pipelines-timeout=SECONDS."
)
RUN_NOT_COMPLETED = "pipelines run of {what} ended with status {status!r}{error}"
RUN_API_ERROR = "pipelines API error while {doing}: {error}"
RUN_BROKEN_TASKS = (
    "pipelines run of {what} is broken (a test error, not a quality miss):\n{problems}"
)
RUN_NO_TASKS = (
    "pipelines run of {what} ({job}) produced no tasks (status {status!r}{error}): nothing ran, "
    "so nothing can be judged (a test error, not a pass). Check count= and inputs= of "
    "pipelines_workflow, and the job on the backend."
)
BAD_REFERENCE = (
    "{what} {value!r} is neither a fixture name, an int id, nor an object with an 'id' "
    "(fixture {value!r} returned {resolved!r})"
)


DATASET_NOT_READY = (
    "dataset {id} is {status!r}, not 'ready': its rows are still importing (or the import "
    "failed). Wait for the import job (client.wait_for_dataset_import(job_id)) before the run."
)
DATASET_EMPTY = "dataset {id} has no rows, so there is nothing to run; import rows into it first"
DATASET_NO_COLUMN = (
    "dataset {id} has no column {column!r} for expected outputs; its columns: {columns}. Pass "
    "pipelines_workflow(..., expected_column=<one of them>), or expected_column=None when the "
    "dataset has no expected outputs."
)
DATASET_PAGE_SIZE = 1000


class RunBroken(Exception):
    """The run could not produce trustworthy results (a test error, not a failure)."""


class RunTimedOut(RunBroken):
    """The run did not finish within its timeout (the job was cancelled)."""


ProgressFn = Callable[[str, int, int, int], None]


@dataclass(frozen=True)
class Launch:
    """What was launched: a tasks job or a one-variant experiment."""

    kind: str
    ident: str
    payload: dict[str, Any]
    #: :func:`time.monotonic` when the create request was sent (None: not known); a run
    #: launched ahead is waited for later, and its polls are timed from its launch
    launched_at: float | None = field(default=None, compare=False)


def idempotency_key(
    run_id: str, nodeid: str, variant: str | None, payload: Mapping[str, Any] | None = None
) -> str:
    """The Idempotency-Key of a test's run: stable for the test and its payload in this session.

    The payload is part of it: a rerun of the test in the same session (pytest-rerunfailures,
    a retry plugin) with new ephemeral objects (a fresh prompt id) is another request, which the
    backend would refuse (409) under the first request's key; the same payload replays.
    """
    body = json.dumps(payload, sort_keys=True, default=str) if payload is not None else ""
    digest = hashlib.sha256(f"{nodeid}\0{variant or ''}\0{body}".encode()).hexdigest()[:24]
    return f"pytest-pipelines-{run_id}-{digest}"


def ref_id(value: Any, resolve_fixture: Callable[[str], Any], what: str) -> int:
    """Resolve a reference: fixture name, int id, mapping with ``id`` or object with ``.id``."""
    resolved = value
    if isinstance(value, str):
        resolved = resolve_fixture(value)
    if isinstance(resolved, bool):
        raise RunBroken(BAD_REFERENCE.format(what=what, value=value, resolved=resolved))
    if isinstance(resolved, int):
        return resolved
    if isinstance(resolved, Mapping) and "id" in resolved:
        return int(resolved["id"])
    if hasattr(resolved, "id"):
        return int(resolved.id)
    raise RunBroken(BAD_REFERENCE.format(what=what, value=value, resolved=resolved))


def build_overrides(
    spec: RunSpec, resolve_fixture: Callable[[str], Any]
) -> dict[str, list[dict[str, Any]]]:
    """The run's ``configOverrides``: swaps, then the variant's entries (same slot: variant wins)."""
    prompts = [
        {
            "nodeId": s.node,
            "fieldId": s.field,
            "promptId": ref_id(s.prompt, resolve_fixture, "prompt"),
            "version": s.version,
        }
        for s in spec.prompt_swaps
    ]
    models: list[dict[str, Any]] = []
    for m in spec.model_swaps:
        entry: dict[str, Any] = {"nodeId": m.node, "modelSlug": m.model}
        if m.field is not None:
            entry["fieldId"] = m.field
        models.append(entry)
    evaluations = [
        {
            "nodeId": s.node,
            "fieldId": s.field,
            "evaluationId": ref_id(s.evaluation, resolve_fixture, "evaluation"),
            "version": s.version,
        }
        for s in spec.evaluation_swaps
    ]
    out = {"prompts": prompts, "models": models, "evaluations": evaluations}
    for key, entries in spec.variant_overrides.items():
        for raw in entries:
            entry = dict(raw)
            if key == "prompts":
                entry["promptId"] = ref_id(entry["promptId"], resolve_fixture, "prompt")
                entry.setdefault("version", None)
            elif key == "evaluations":
                entry["evaluationId"] = ref_id(entry["evaluationId"], resolve_fixture, "evaluation")
                entry.setdefault("version", None)
            slot = (entry.get("nodeId"), entry.get("fieldId"))
            out[key] = [e for e in out[key] if (e.get("nodeId"), e.get("fieldId")) != slot]
            out[key].append(entry)
    return out


def dataset_rows(
    client: Any, dataset_id: int, expected_column: str | None
) -> tuple[list[dict[str, Any]], list[Any] | None]:
    """A dataset's rows as run inputs, and its expected-output column (``None`` if it has none).

    Reads every page of the dataset's content. The expected column is taken out of the inputs.
    A column named explicitly (anything but the default) must exist.

    :raises RunBroken: the dataset is not ready, is empty, or lacks a named expected column.
    """
    info = _api(f"reading dataset {dataset_id}", lambda: client.get_dataset(dataset_id))
    status = info.get("status", "ready")
    if status != "ready":
        raise RunBroken(DATASET_NOT_READY.format(id=dataset_id, status=status))
    rows: list[dict[str, Any]] = []
    columns: list[str] = []
    page = 1
    while True:
        content = _api(
            f"reading the rows of dataset {dataset_id}",
            functools.partial(
                client.get_dataset_content, dataset_id, page=page, page_size=DATASET_PAGE_SIZE
            ),
        )
        items = list(content.get("items") or [])
        rows += [dict(r) for r in items]
        columns = [str(c.get("name")) for c in content.get("columns") or []] or columns
        if not content.get("has_more") or not items:
            break
        page += 1
    if not rows:
        raise RunBroken(DATASET_EMPTY.format(id=dataset_id))
    names = columns or sorted({k for r in rows for k in r})
    expected: list[Any] | None = None
    if expected_column is not None:
        if expected_column in names:
            expected = [r.pop(expected_column, None) for r in rows]
        elif expected_column != DEFAULT_EXPECTED_COLUMN:
            raise RunBroken(
                DATASET_NO_COLUMN.format(
                    id=dataset_id, column=expected_column, columns=", ".join(names) or "none"
                )
            )
    return rows, expected


def build_payload(
    spec: RunSpec,
    resolve_fixture: Callable[[str], Any],
    *,
    variant_name: str | None = None,
    client: Any = None,
    first_input: int = 0,
    n_inputs: int | None = None,
) -> dict[str, Any]:
    """The create-tasks or experiment payload of a run (or of one batch of an adaptive run).

    ``variant_name`` names the experiment's variant (default: the variant, or ``baseline``);
    the plugin passes :meth:`~pytest_pipelines._session.PipelinesState.experiment_name`, so the
    workflow copy's name carries the session prefix.
    ``client`` reads the rows of ``pipelines_workflow(dataset=...)``.

    Inputs are positions ``0 .. count-1`` over the rows, round-robin. With ``repeat=K`` every
    position runs K times: the payload lists each position's row K times in a row (count*K
    tasks), so the tasks of one input are consecutive in creation order
    (:func:`~pytest_pipelines._results.assign_inputs` relies on it). Without rows (the
    workflow's own inputs) the backend picks them and the tasks are grouped by what they ran.

    :param first_input: the first input position of this batch; default 0.
    :param n_inputs: inputs in this batch; default None: the run's count.
    """
    target = spec.target
    repeat = target.repeat
    count = target.count or 1
    rows = target.inputs
    expected_outputs = target.expected_outputs
    if target.dataset is not None:
        if client is None:
            raise RunBroken("pipelines_workflow(dataset=...) needs a client to read the rows")
        dataset_id = ref_id(target.dataset, resolve_fixture, "dataset")
        data_rows, data_expected = dataset_rows(client, dataset_id, target.expected_column)
        rows = tuple(data_rows)
        expected_outputs = tuple(data_expected) if data_expected is not None else None
        if target.count_from_rows:
            count = len(data_rows)
    if isinstance(rows, str):
        value = resolve_fixture(rows)
        if isinstance(value, Mapping):
            value = [value]
        rows = tuple(dict(r) for r in value)
    n = count if n_inputs is None else n_inputs
    payload: dict[str, Any] = {"count": n * repeat}
    if rows and (repeat > 1 or first_input > 0):
        # lay the positions out explicitly: the backend's round-robin restarts at row 0
        positions = [(first_input + i) % len(rows) for i in range(n)]
        payload["inputs"] = [dict(rows[p]) for p in positions for _ in range(repeat)]
        if expected_outputs is not None:
            payload["expected_outputs"] = [
                expected_outputs[p % len(expected_outputs)]
                for p in positions
                for _ in range(repeat)
            ]
    else:
        if rows:
            payload["inputs"] = [dict(r) for r in rows]
        if expected_outputs is not None:
            payload["expected_outputs"] = list(expected_outputs)
    overrides = build_overrides(spec, resolve_fixture)
    if target.mode == "experiment":
        name = variant_name or spec.variant or "baseline"
        payload["variants"] = [{"name": name, "configOverrides": overrides}]
    else:
        payload["configOverrides"] = overrides
    return payload


def _api(doing: str, fn: Callable[[], Any]) -> Any:
    from pytest_pipelines.client import PipelinesError

    try:
        return fn()
    except PipelinesError as exc:
        raise RunBroken(RUN_API_ERROR.format(doing=doing, error=exc)) from None


def _counts(status: Mapping[str, Any]) -> tuple[int, int, int]:
    if "variants" in status:
        total = done = evaluated = 0
        for v in status.get("variants") or []:
            total += int(v.get("total") or len(v.get("task_ids") or []))
            done += int(v.get("completed") or 0)
            evaluated += int(v.get("evaluated") or 0)
        return done, total, evaluated
    return (
        int(status.get("completed") or 0),
        int(status.get("total") or 0),
        int(status.get("evaluated") or 0),
    )


def wait(
    client: Any,
    spec: RunSpec,
    launch: Launch,
    *,
    timeout: float,
    progress: ProgressFn | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    history: TestDurations | None = None,
) -> dict[str, Any]:
    """Poll until the job/experiment is terminal, timing each poll to the run's predicted end.

    Polls are timed by :class:`pytest_pipelines.client._polls.PollPlan`: held by the status
    route where the deployment offers it (the local backend), else timed to the end predicted
    from the run's progress, or to the window in which this test's earlier runs ended (this
    session's or, through pytest's cache, earlier sessions': ``history``), or else runs of the
    same payload by any test (``history``'s same-work key), or else earlier runs of this
    workflow and size on this client (when the status counts the tasks), else the nothing-known
    polls (0.2, 0.6, 1.4 s, then every 2 s), all within the poll budget (client/_polls.py).
    With a window of this test's runs of no known size (hosted statuses count no tasks), the
    first poll is the approach's first step to it
    (:meth:`~pytest_pipelines.client._polls.PollPlan.first_sleep`), not one at once.
    Elapsed time counts from the run's launch (``launch.launched_at``) when it is known.

    :param history: this test's run durations (:mod:`pytest_pipelines._durations`), read for
        the prior and told when the run ended; default None.
    :raises RunBroken: on timeout (after cancelling the job) or an API error.
    """
    p, w = spec.target.project, spec.target.workflow
    what = f"workflow {w}"
    if launch.kind == "experiment":

        def get(**params: Any) -> Any:
            return client.get_experiment_status(p, w, launch.ident, **params)

        def cancel() -> Any:
            return client.cancel_experiment(p, w, launch.ident)
    else:

        def get(**params: Any) -> Any:
            return client.get_create_tasks_status(p, w, launch.ident, **params)

        def cancel() -> Any:
            return client.cancel_create_tasks(p, w, launch.ident)

    started = clock()
    deadline = started + timeout
    # a run launched ahead (pytest_pipelines._overlap) has been running since its launch
    launched = launch.launched_at
    origin = launched if launched is not None and launched <= started else started
    plan = PollPlan()
    durations = durations_of(client)
    key: str | None = None
    size: int | None = None
    same: str | None = None
    params: dict[str, Any] = {}
    if history is not None:
        same = history.same_work(launch.kind, p, w, launch.payload)
        # this test's runs of no known size: their statuses counted no tasks (the hosted
        # shape, whose routes hold no polls), as the first status will, giving this window
        # again: the first poll comes at the approach's first step to it
        # (PollPlan.first_sleep), a budget poll saved. Not the same work's window: its runs
        # may be the local backend's, whose first status offers held polls.
        plan.prior = history.window(launch.kind, None)
        first = min(plan.first_sleep(clock() - origin), max(0.0, deadline - clock()))
        if first > 0:
            sleep(first)
    while True:
        status: dict[str, Any] = _api(
            f"polling {launch.kind} {launch.ident}", functools.partial(get, **params)
        )
        state = str(status.get("status"))
        done, total, evaluated = _counts(status)
        if progress is not None:
            progress(state, done, total, evaluated)
        if key is None:
            # the same key as the client's own waiters, so both learn from each other's runs
            size = run_size(status)
            key = run_key(launch.kind, p, w, size)
            if history is not None:
                # this test's own runs first (variants of one workflow may differ in
                # duration), then runs of the same payload by any test
                plan.prior = history.window(launch.kind, size, same)
            if plan.prior is None and durations is not None and size is not None:
                # the workflow's runs of this size on this client; not when the status does
                # not count the tasks (hosted): runs of every size would share the key
                plan.prior = durations.window(key)
        if state in TERMINAL_STATUSES:
            lo, hi = plan.interval(clock() - origin)
            if durations is not None:
                durations.record(key, lo, hi)
            if history is not None:
                history.record(launch.kind, size, lo, hi, same)
            return status
        if clock() >= deadline:
            with contextlib.suppress(Exception):  # best effort; the timeout is the error
                cancel()
            raise RunTimedOut(
                RUN_TIMED_OUT.format(
                    what=what, timeout=timeout, status=state, done=done, total=total
                )
            )
        pause, hold = plan.next_poll(status, clock() - origin)
        left = max(0.0, deadline - clock())
        params = {"wait": round(min(hold, left), 3)} if hold > 0 else {}
        if not params:
            sleep(min(pause, left))


def launch(client: Any, spec: RunSpec, payload: dict[str, Any], key: str) -> Launch:
    """Start the run with an Idempotency-Key."""
    p, w = spec.target.project, spec.target.workflow
    sent = time.monotonic()
    if spec.target.mode == "experiment":
        created = _api(
            f"creating an experiment on workflow {w}",
            lambda: client.create_experiment(p, w, payload, idempotency_key=key),
        )
        return Launch("experiment", str(created["experiment_id"]), payload, sent)
    created = _api(
        f"creating tasks on workflow {w}",
        lambda: client.create_tasks_async(p, w, payload, idempotency_key=key),
    )
    return Launch("tasks", str(created["job_id"]), payload, sent)


def gather(
    client: Any,
    spec: RunSpec,
    launch_: Launch,
    status: Mapping[str, Any],
    *,
    deadline: float | None = None,
) -> RunResult:
    """Fetch every task's detail (and tool correctness for the tool gates) into a RunResult.

    The details come in bulk where the deployment allows (:mod:`pytest_pipelines._collect`).

    :param deadline: a :func:`time.monotonic` time by which collecting must end (the run's
        timeout covers it); default None: no limit.
    """
    from pytest_pipelines._collect import CollectTimedOut, collect_details

    p, w = spec.target.project, spec.target.workflow
    run_wf = w
    if launch_.kind == "experiment":
        variants = status.get("variants") or []
        if not variants:
            raise RunBroken(f"experiment {launch_.ident} reports no variants: {dict(status)!r}")
        variant = variants[0]
        run_wf = int(variant.get("workflow_id") or w)
        task_ids = list(variant.get("task_ids") or [])
    else:
        task_ids = list(status.get("task_ids") or [])
    try:
        details = _api(
            f"reading the tasks of {launch_.kind} {launch_.ident}",
            functools.partial(collect_details, client, p, run_wf, task_ids, deadline=deadline),
        )
    except CollectTimedOut as exc:
        raise RunBroken(str(exc)) from None
    tasks: list[TaskResult] = [parse_task(detail) for detail in details]
    state = str(status.get("status"))
    if not tasks:
        job = ("experiment " if launch_.kind == "experiment" else "create-tasks job ") + str(
            launch_.ident
        )
        error = status.get("error")
        raise RunBroken(
            RUN_NO_TASKS.format(
                what=f"workflow {w}", job=job, status=state, error=f": {error}" if error else ""
            )
        )
    problems = run_problems(tasks)
    if state != "completed" or problems:
        error = status.get("error")
        task_errors = {t.error for t in tasks if t.error}
        shown = error if error and error not in task_errors else None
        head = RUN_NOT_COMPLETED.format(
            what=f"workflow {w}", status=state, error=f": {shown}" if shown else ""
        )
        raise RunBroken(
            RUN_BROKEN_TASKS.format(
                what=f"workflow {w}",
                problems="\n".join(["  " + head] + [_indent(x) for x in _collapse(problems)]),
            )
        )
    if spec.tool_gates:
        tasks = [_tool_checks(client, spec, run_wf, t) for t in tasks]
    return RunResult(
        project_id=p,
        workflow_id=w,
        mode=spec.target.mode,
        variant=spec.variant,
        tasks=tuple(tasks),
        job_id=launch_.ident if launch_.kind == "tasks" else None,
        experiment_id=launch_.ident if launch_.kind == "experiment" else None,
        run_workflow_id=run_wf,
    )


def _indent(problem: str) -> str:
    """A problem as lines of the error: its continuation lines (a model's traceback) deeper."""
    first, *rest = problem.splitlines() or [""]
    return "\n".join(["  " + first] + ["    " + line for line in rest])


def _collapse(problems: list[str]) -> list[str]:
    """Merge ``task N is failed: msg`` lines that share a message into one line."""
    groups: dict[str, list[str]] = {}
    for line in problems:
        head, sep, message = line.partition(": ")
        groups.setdefault(message if sep else line, []).append(head if sep else "")
    out = []
    for message, heads in groups.items():
        if len(heads) == 1:
            out.append(f"{heads[0]}: {message}" if heads[0] else message)
        elif all(h.startswith("task ") and " is " in h for h in heads):
            ids = ", ".join(h.split()[1] for h in heads)
            states = sorted({h.split(" is ", 1)[1] for h in heads})
            out.append(f"tasks {ids} are {'/'.join(states)}: {message}")
        else:
            out.append(f"{'; '.join(heads)}: {message}")
    return out


def _tool_checks(client: Any, spec: RunSpec, run_wf: int, task: TaskResult) -> TaskResult:
    checks = []
    for gate in spec.tool_gates:
        body = {
            "field_id": gate.field,
            "evaluation_params": list(gate.evaluation_params),
            "should_exact_match": gate.exact,
            "should_consider_ordering": gate.ordering,
        }
        for node_id in node_of_field(task, gate.field, gate.node):
            db_id = task.node_db_ids.get(node_id)
            if db_id is None:
                continue
            response = _api(
                f"evaluating tool correctness of {node_id}.{gate.field} on task {task.id}",
                # a computation with no lasting effect: repeated on a transient failure
                functools.partial(
                    repeat,
                    client,
                    functools.partial(client.evaluate_tool_correctness, run_wf, db_id, body),
                ),
            )
            checks.append(parse_tool_correctness(task, node_id, response))
    return with_tool_correctness(task, checks)


def experiment_copies(client: Any, spec: RunSpec, launch_: Launch) -> list[int]:
    """The ids of the workflow copies an experiment made (one per variant)."""
    if launch_.kind != "experiment":
        return []
    p, w = spec.target.project, spec.target.workflow
    status = client.get_experiment_status(p, w, launch_.ident)
    return [int(v["workflow_id"]) for v in status.get("variants") or [] if v.get("workflow_id")]


def delete_experiment_copies(client: Any, spec: RunSpec, launch_: Launch) -> list[int]:
    """Delete every workflow copy of an experiment; returns the deleted ids.

    Every copy is attempted; the first API error (other than not-found) is raised afterwards.
    """
    from pytest_pipelines.client import NotFoundError, PipelinesError

    deleted: list[int] = []
    first: PipelinesError | None = None
    for wid in experiment_copies(client, spec, launch_):
        try:
            delete(client, functools.partial(client.delete_workflow, spec.target.project, wid))
        except NotFoundError:
            continue
        except PipelinesError as exc:
            first = first or exc
            continue
        deleted.append(wid)
    if first is not None:
        raise first
    return deleted


ADAPTIVE_TIMED_OUT = (
    "pipelines run of {what} did not finish within {timeout:g}s: the timeout is the whole "
    "item's budget, every batch of adaptive sampling included, and it ran out in batch {batch} "
    "after {done} input(s) had run (max_count={max_count}). The job was cancelled. Raise the "
    "limit with pipelines_workflow(..., timeout=SECONDS) or --pipelines-timeout=SECONDS, or "
    "lower max_count."
)
MAX_COUNT_BELOW_ROWS = (
    "pipelines_workflow(max_count={max_count}) is less than the {count} input(s) of the first "
    "batch (one per dataset row); give max_count >= {count}, or count= to start smaller"
)


def execute(
    client: Any,
    spec: RunSpec,
    *,
    resolve_fixture: Callable[[str], Any],
    key: Callable[[Mapping[str, Any]], str],
    timeout: float,
    progress: ProgressFn | None = None,
    variant_name: str | None = None,
    on_launch: Callable[[Launch], None] | None = None,
    undecided: Callable[[RunResult], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
    adopt: Callable[[str], Launch | None] | None = None,
    history: TestDurations | None = None,
) -> RunResult:
    """Launch, wait for and gather one run; with ``max_count``, run more batches while needed.

    ``on_launch`` is called as soon as a job or experiment exists (before waiting), so the
    caller can arrange its cleanup even when the wait or the gathering fails. ``key`` makes the
    Idempotency-Key from the payload (a later batch's key covers its batch number).

    Adaptive sampling (``pipelines_workflow(max_count=...)``): after each batch, while
    ``undecided(result)`` is true (a confident gate is inconclusive), another batch of new input
    positions starts, sized by :func:`pytest_pipelines._decide.next_batch` (doubling), until
    ``max_count`` inputs ran. ``timeout`` is the whole item's budget: each batch gets what the
    earlier ones left, and a batch still running when it is spent is cancelled and the run is
    broken (:data:`ADAPTIVE_TIMED_OUT`), as a single run that overruns is.

    :param clock: the monotonic clock the budget is measured with; default
        :func:`time.monotonic`.
    :param adopt: given the first batch's Idempotency-Key, the run already launched ahead under
        it (:mod:`pytest_pipelines._overlap`), or None to launch it now; default None.
    :param history: this test's run durations, which time the polls (:func:`wait`); default
        None.
    """
    from pytest_pipelines._decide import next_batch

    target = spec.target
    payload = build_payload(spec, resolve_fixture, variant_name=variant_name, client=client)
    planned = int(payload["count"]) // target.repeat
    if target.max_count is not None and target.max_count < planned:
        raise RunBroken(MAX_COUNT_BELOW_ROWS.format(max_count=target.max_count, count=planned))
    # one deadline for the item: a user's timeout bounds what the test costs, however many
    # batches adaptive sampling takes
    deadline = clock() + timeout
    first_key = key(payload)
    started = adopt(first_key) if adopt is not None else None
    if started is None:
        started = launch(client, spec, payload, first_key)
    if on_launch is not None:
        on_launch(started)
    status = wait(client, spec, started, timeout=timeout, progress=progress, history=history)
    first = gather(client, spec, started, status, deadline=deadline)
    tasks = first.tasks
    result = replace(
        first,
        tasks=assign_inputs(tasks, target.repeat),
        repeat=target.repeat,
        tasks_planned=planned * target.repeat,
    )
    if target.max_count is None or undecided is None:
        return result
    done, batches = planned, 1
    while undecided(result):
        more = next_batch(done, planned, target.max_count)
        if more == 0:
            break
        batch = build_payload(
            spec,
            resolve_fixture,
            variant_name=variant_name,
            client=client,
            first_input=done,
            n_inputs=more,
        )
        overrun = RunTimedOut(
            ADAPTIVE_TIMED_OUT.format(
                what=f"workflow {target.workflow}",
                timeout=timeout,
                batch=batches + 1,
                done=done,
                max_count=target.max_count,
            )
        )
        left = deadline - clock()
        if left <= 0:
            raise overrun
        started = launch(client, spec, batch, key({**batch, "batch": batches}))
        if on_launch is not None:
            on_launch(started)
        try:
            status = wait(client, spec, started, timeout=left, progress=progress, history=history)
        except RunTimedOut:
            raise overrun from None
        tasks += gather(client, spec, started, status, deadline=deadline).tasks
        done += more
        batches += 1
        result = replace(result, tasks=assign_inputs(tasks, target.repeat), batches=batches)
    return result


NO_SUCH_VARIANT = (
    "experiment {experiment} of workflow {workflow} reports no variant {name!r} (it reports "
    "{reported}); the backend dropped or renamed a variant"
)


def variants_payload(
    client: Any,
    specs: Mapping[str, RunSpec],
    names: Mapping[str, str],
    resolve_fixture: Callable[[str], Any],
) -> dict[str, Any]:
    """The payload of ONE experiment running every variant of ``specs`` on the first's inputs.

    :param names: variant name -> the name the experiment's copy carries (with the session
        prefix: :meth:`~pytest_pipelines._session.PipelinesState.experiment_name`).
    """
    first = next(iter(specs.values()))
    payload = build_payload(
        first, resolve_fixture, variant_name=names[first.variant or ""], client=client
    )
    payload["variants"] = [
        {"name": names[name], "configOverrides": build_overrides(spec, resolve_fixture)}
        for name, spec in specs.items()
    ]
    return payload


def execute_variants(
    client: Any,
    specs: Mapping[str, RunSpec],
    *,
    names: Mapping[str, str],
    resolve_fixture: Callable[[str], Any],
    key: Callable[[Mapping[str, Any]], str],
    timeout: float,
    progress: ProgressFn | None = None,
    on_launch: Callable[[Launch], None] | None = None,
    history: TestDurations | None = None,
    adopt: Callable[[str], Launch | None] | None = None,
) -> RunResult:
    """Run every variant in ONE experiment on the same inputs, and gather each variant's result.

    The inputs (rows, dataset, count) are the first spec's: every variant's spec comes from the
    same markers and differs only in its overrides. The result's ``tasks`` are every variant's,
    and ``variant_results`` one :class:`RunResult` per variant (``result.variants[name]``), in
    the order of ``specs``.

    ``timeout`` covers launching, waiting and collecting every variant's results.

    :param specs: variant name -> its run specification (mode ``experiment``).
    :param names: variant name -> the name the experiment's copy carries (with the session
        prefix: :meth:`~pytest_pipelines._session.PipelinesState.experiment_name`).
    :param history: this test's run durations, which time the polls (:func:`wait`); default
        None.
    :param adopt: given the Idempotency-Key, the experiment already launched ahead under it
        (:mod:`pytest_pipelines._overlap`), or None to launch it now; default None.
    """
    first = next(iter(specs.values()))
    payload = variants_payload(client, specs, names, resolve_fixture)
    began = time.monotonic()
    first_key = key(payload)
    started = adopt(first_key) if adopt is not None else None
    if started is None:
        started = launch(client, first, payload, first_key)
    if on_launch is not None:
        on_launch(started)
    status = wait(client, first, started, timeout=timeout, progress=progress, history=history)
    reported = {str(v.get("name")): v for v in status.get("variants") or []}
    parts: list[RunResult] = []
    for name, spec in specs.items():
        one = reported.get(names[name])
        if one is None:
            raise RunBroken(
                NO_SUCH_VARIANT.format(
                    experiment=started.ident,
                    workflow=first.target.workflow,
                    name=names[name],
                    reported=sorted(reported) or "none",
                )
            )
        # gather() reads the first variant of a status: give it this variant's alone
        # one deadline for the whole experiment: every variant's collecting shares the timeout
        part = gather(
            client, spec, started, {**status, "variants": [one]}, deadline=began + timeout
        )
        repeat = spec.target.repeat
        parts.append(replace(part, tasks=assign_inputs(part.tasks, repeat), repeat=repeat))
    return RunResult(
        project_id=first.target.project,
        workflow_id=first.target.workflow,
        mode="experiment",
        variant=None,
        tasks=tuple(t for part in parts for t in part.tasks),
        experiment_id=started.ident,
        repeat=first.target.repeat,
        variant_results=tuple(parts),
    )
