"""Session state: settings, run id, the local backend's lifecycle, xdist data exchange, sweep.

The controller (the only process without xdist, or xdist's controller) owns the embedded local
backend, the sweep of leftovers and the suite-level reports. Workers get the base URL, the key
and the run id through ``workerinput``; results come back as a record on each test report
(pytest_pipelines._record).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_pipelines._secret import Secret, secret
from pytest_pipelines._settings import MISSING_KEY, PipelinesSettings

#: the name of the thread that starts the embedded backend in the background
START_THREAD = "pipelines-local-start"
LOCAL_IMPORT_FAILED = (
    "pytest-pipelines: local mode needs the embedded backend, which failed to import ({error}). "
    "Install it with: pip install 'pytest-pipelines[local]'."
)
LOCAL_START_FAILED = (
    "pytest-pipelines: the embedded local backend did not start: {error}. Check the "
    "pipelines_models / pipelines_seeds / pipelines_prices ini keys (--pipelines-model / "
    "--pipelines-seed)."
)
LOCAL_NOT_READY = (
    "no word from the xdist controller within {seconds:.0f} s on whether it started the local "
    "backend (it writes {path} when it has); was the controller interrupted? Run with -n0 to "
    "start the backend in this process"
)
#: the file, in the session's ledger directory, through which xdist workers learn the URL
HANDOFF_FILE = "local-backend.json"
#: seconds a worker waits for the controller's background start (it takes one or two)
HANDOFF_TIMEOUT = 120.0
#: pipelines-local's full-access key with demo data (its ``_store.identity.DEMO_KEY``)
LOCAL_DEMO_KEY = "pk_local_demo"
LOCAL_ON_WORKER = (
    "pipelines_local is the embedded backend's handle, which lives in the xdist controller "
    "process; this test runs on worker {worker}. Use pipelines_client instead, or run with -n0."
)
BAD_MODEL_SPEC = (
    "pytest-pipelines: {source} has a model spec that cannot be loaded, so no eval test can run: "
    "{error}. The module must be importable when the session starts (pytest's `pythonpath` ini "
    "key adds a folder to sys.path)."
)
MODEL_SPEC_RAISED = "loading {spec!r} raised {kind}: {error}"
SWEEP_LEFT = "pipelines: the sweep could not delete {n} object(s) of this run: {errors}"
BAD_PRICES = (
    "pytest-pipelines: ini key pipelines_prices prices a model that is not registered: {error}"
)
BAD_CACHE_DIR = "pytest-pipelines: the model-call cache at {dir} cannot be read: {error}"
#: hex digits of the node id's digest in an experiment's variant name (40 bits)
NODE_DIGEST = 10
NOT_LOCAL = (
    "pipelines_local is only available in local mode (current mode: {mode}, env {env!r}). "
    "Run with --pipelines-env=local or set `pipelines_env = local` in the ini file."
)


@dataclass
class PipelinesState:
    """Plugin state in ``config.stash``."""

    settings: PipelinesSettings
    run_id: str
    worker: str
    is_worker: bool
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    local: Any = None
    #: the model registry with the ini/CLI model specs loaded (controller, local mode)
    registry: Any = None
    client: Any = None
    org_id: int | None = None
    #: node id -> its ItemRecord (pytest_pipelines._record), on the controller
    records: dict[str, Any] = field(default_factory=dict)
    #: failed reports (controller): broken runs, and every other failure or error
    broken_failures: int = 0
    other_failures: int = 0
    used: bool = False
    #: the session's ledger directory (made by the controller, shared through workerinput)
    ledger_dir: str | None = None
    ledger: Any = None
    #: the backend starting in the background (controller, local mode), until adopted
    starter: LocalStarter | None = None
    #: xdist, local mode: the file the controller writes once its backend is up (or failed)
    handoff: str | None = None
    seq: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: node id -> the item's experiment runs named in this process (see :meth:`experiment_name`)
    executions: dict[str, int] = field(default_factory=dict)
    #: what an experiment name covers besides the node id: the worker under ``--dist each``,
    #: where every worker runs every test (else "", the same name in every process)
    name_scope: str = ""

    @property
    def prefix(self) -> str:
        """The name prefix of every ephemeral object this process creates."""
        return f"pytest-{self.run_id}-{self.worker}-"

    @property
    def run_prefix(self) -> str:
        """The name prefix of every ephemeral object of this test session (all workers)."""
        return f"pytest-{self.run_id}-"

    def unique_name(self, name: str) -> str:
        """A name unique per run, per worker and per object."""
        with self.lock:
            n = next(self.seq)
        return f"{self.prefix}{n}-{name}"

    def next_execution(self, nodeid: str) -> int:
        """The number of the item's next experiment in this process: 1, then 2 for a rerun...

        :meth:`executed` counts it once it is used; until then the same number is given again.
        """
        with self.lock:
            return self.executions.get(nodeid, 0) + 1

    def executed(self, nodeid: str, execution: int) -> None:
        """Count the item's experiment ``execution`` (:meth:`next_execution`) as used."""
        with self.lock:
            self.executions[nodeid] = max(execution, self.executions.get(nodeid, 0))

    def experiment_name(self, nodeid: str, execution: int, variant: str) -> str:
        """The variant name of the item's experiment: ``pytest-<run id>-x<digest>-<n>-<variant>``.

        The same in every process of the session (not under ``--dist each``), so a test that a
        crashed xdist worker launched ahead and another worker runs sends the same payload under
        the same Idempotency-Key and adopts that experiment; ``execution`` (counted per process)
        makes a rerun's experiment a new one, since the first one's copies were deleted. It
        starts with :attr:`run_prefix`: the sweep finds the copies, named after it, by it.
        """
        scope = f"{self.name_scope}\0{nodeid}" if self.name_scope else nodeid
        digest = hashlib.sha256(scope.encode()).hexdigest()[:NODE_DIGEST]
        return f"{self.run_prefix}x{digest}-{execution}-{variant}"


STATE_KEY = pytest.StashKey[PipelinesState]()


def new_run_id() -> str:
    """A 12-hex-digit id for this test session."""
    return secrets.token_hex(6)


def make_state(config: pytest.Config, settings: PipelinesSettings) -> PipelinesState:
    """Build the state; workers take run id, base URL and key from ``workerinput``."""
    from pytest_pipelines._ledger import Ledger

    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None:
        state = PipelinesState(
            settings=settings,
            run_id=str(workerinput.get("pipelines_run_id") or new_run_id()),
            worker=str(workerinput.get("workerid", "gw")),
            is_worker=True,
            base_url=workerinput.get("pipelines_base_url") or settings.base_url,
            api_key=secret(workerinput.get("pipelines_api_key")) or settings.api_key,
            ledger_dir=workerinput.get("pipelines_ledger_dir"),
            handoff=workerinput.get("pipelines_local_handoff"),
        )
        if workerinput.get("pipelines_dist") == "each":
            state.name_scope = state.worker
    else:
        state = PipelinesState(
            settings=settings,
            run_id=new_run_id(),
            worker="main",
            is_worker=False,
            base_url=settings.base_url,
            api_key=settings.api_key,
            # a local directory, not a request: the sweep reads it after workers are gone
            ledger_dir=tempfile.mkdtemp(prefix="pytest-pipelines-ledger-"),
        )
    state.ledger = Ledger(state.ledger_dir, state.worker)
    return state


def load_models(state: PipelinesState) -> None:
    """Controller, local mode: load the model specs once, before any test runs.

    A spec that cannot be loaded is one :class:`pytest.UsageError` for the session, not an error
    repeated by every test. The registry is kept for :func:`start_local`, so the user's module
    and registration functions run once.
    """
    s = state.settings
    wanted = s.models or s.cache != "off" or s.prices
    if state.is_worker or s.mode != "local" or not wanted or state.registry is not None:
        return
    try:
        from pytest_pipelines.local._engine.providers import (
            ModelCache,
            ProviderConfigError,
            register_recorded,
        )
        from pytest_pipelines.local.models import BadModelSpecError, default_registry
    except ImportError as exc:
        raise pytest.UsageError(LOCAL_IMPORT_FAILED.format(error=exc)) from None
    source = "ini key pipelines_models" if s.sources.get("models") == "ini" else "--pipelines-model"
    registry = default_registry(demo=s.demo)
    # set before the specs load: in replay mode a provider model needs no key
    registry.cache = ModelCache(s.cache_dir, s.cache) if s.cache != "off" else None
    for spec in s.models:
        try:
            registry.load_spec(spec)
        except (BadModelSpecError, ProviderConfigError) as exc:
            error = str(exc)
        except Exception as exc:  # the user's module or registration function raised
            error = MODEL_SPEC_RAISED.format(spec=spec, kind=type(exc).__name__, error=exc)
        else:
            continue
        # ``from None``: the message names the spec and the cause; a chained copy repeats it
        raise pytest.UsageError(BAD_MODEL_SPEC.format(source=source, error=error)) from None
    try:
        register_recorded(registry)
    except (ValueError, ProviderConfigError) as exc:
        raise pytest.UsageError(BAD_CACHE_DIR.format(dir=s.cache_dir, error=exc)) from None
    for slug, (input_price, output_price) in s.prices.items():
        try:
            registry.set_price(slug, input_price, output_price)
        except LookupError as exc:
            raise pytest.UsageError(BAD_PRICES.format(error=exc)) from None
    state.registry = registry


class _ImportFailed(Exception):
    """The embedded backend's package could not be imported (the ``local`` extra is missing)."""


def _open_local(state: PipelinesState, cancelled: threading.Event | None = None) -> Any:
    """Import, build and start a LocalPipelines for the session's settings.

    :param cancelled: default None; when set before the server starts, nothing is started and
        None is returned (the session ended while the backend was importing).
    :raises _ImportFailed: when the backend cannot be imported; anything else the start raised.
    """
    try:
        from pytest_pipelines.local import LocalPipelines
    except ImportError as exc:
        raise _ImportFailed(str(exc)) from None
    s = state.settings
    # chosen up front when xdist workers are told it before the backend is up
    key = state.api_key if state.handoff else None
    workers = s.local_workers
    if state.registry is not None:  # the specs were loaded at session start
        local = LocalPipelines(
            demo=s.demo, registry=state.registry, seeds=list(s.seeds), api_key=key, workers=workers
        )
    else:
        local = LocalPipelines(
            demo=s.demo, models=list(s.models), seeds=list(s.seeds), api_key=key, workers=workers
        )
    if cancelled is not None and cancelled.is_set():
        return None
    return local.__enter__()


class LocalStarter:
    """The embedded backend starting in a daemon thread; :meth:`result` waits for it.

    Imports, the app and the database cost most of a second: started while pytest collects,
    that cost overlaps collection instead of delaying the first eval test.
    """

    def __init__(self, state: PipelinesState) -> None:
        self._state = state
        self.cancelled = threading.Event()
        self._local: Any = None
        self._error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=START_THREAD, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self._local = _open_local(self._state, self.cancelled)
        except BaseException as exc:  # handed to the thread that waits, raised there
            self._error = exc
        if self._state.handoff:
            if self._local is not None:
                write_handoff(self._state.handoff, {"base_url": str(self._local.base_url)})
            elif self._error is not None:
                write_handoff(self._state.handoff, {"error": handoff_error(self._error)})

    def result(self) -> Any:
        """Wait for the start; the running LocalPipelines (None when cancelled).

        :raises _ImportFailed: or whatever the start raised, in the waiting thread.
        """
        self.thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._local

    def cancel(self) -> None:
        """Stop the start, or the backend it started (waits for the thread)."""
        self.cancelled.set()
        self.thread.join()
        local, self._local = self._local, None
        if local is not None:
            local.__exit__(None, None, None)


def handoff_error(exc: BaseException) -> str:
    """What a worker reports when the controller's start failed: today's message, by cause."""
    if isinstance(exc, _ImportFailed):
        return LOCAL_IMPORT_FAILED.format(error=exc)
    return LOCAL_START_FAILED.format(error=exc)


def write_handoff(path: str, data: dict[str, str]) -> None:
    """Write the handoff file whole: a worker never reads half of it."""
    partial = f"{path}.{os.getpid()}.partial"
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(partial, path)


def begin_local(state: PipelinesState, *, handoff: bool = False) -> None:
    """Controller, local mode: start the embedded backend in the background (once).

    :func:`start_local` waits for it; :func:`stop_local` stops it, started or not.

    :param handoff: default False; when true (xdist), the key is chosen now and the URL is
        written to :data:`HANDOFF_FILE` in the ledger directory once the backend is up, so
        workers start without waiting for it and wait (:func:`await_handoff`) only at their
        first test that needs it.
    """
    s = state.settings
    if state.is_worker or s.mode != "local" or state.local is not None:
        return
    with state.lock:
        if state.starter is not None or state.local is not None:
            return
        if handoff and state.ledger_dir:
            state.handoff = os.path.join(state.ledger_dir, HANDOFF_FILE)
            state.api_key = Secret(
                LOCAL_DEMO_KEY if s.demo else "pk_local_" + secrets.token_hex(12)
            )
        state.starter = LocalStarter(state)


def await_handoff(state: PipelinesState, timeout: float = HANDOFF_TIMEOUT) -> None:
    """xdist worker: wait until the controller's backend is up and take its URL.

    :param timeout: default :data:`HANDOFF_TIMEOUT` seconds.
    :raises pytest.fail.Exception: with the controller's start error, or when it never came.
    """
    path = state.handoff
    if path is None or state.base_url:
        return
    deadline = time.monotonic() + timeout
    delay = 0.005
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            pytest.fail(
                LOCAL_START_FAILED.format(error=LOCAL_NOT_READY.format(seconds=timeout, path=path)),
                pytrace=False,
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if "error" in data:
        pytest.fail(str(data["error"]), pytrace=False)
    state.base_url = str(data["base_url"])


def settle_local(state: PipelinesState) -> None:
    """Controller: adopt a background start that nobody waited for (xdist), for the sweep.

    A start that failed was reported by the workers' tests; it is not raised again here.
    """
    if state.starter is None:
        return
    with contextlib.suppress(pytest.UsageError, pytest.fail.Exception):
        start_local(state)


def start_local(state: PipelinesState) -> None:
    """Controller: the embedded backend, started once; waits for a background start.

    :raises pytest.UsageError: when the backend's package is not installed.
    :raises pytest.fail.Exception: when it did not start (each call tries again).
    """
    with state.lock:
        if state.local is not None or state.settings.mode != "local":
            return
        starter = state.starter
        if starter is not None:
            # interrupted (Ctrl-C), the starter stays for stop_local to stop
            starter.thread.join()
            state.starter = None
        try:
            local = starter.result() if starter is not None else _open_local(state)
        except _ImportFailed as exc:
            raise pytest.UsageError(LOCAL_IMPORT_FAILED.format(error=exc)) from None
        except Exception as exc:  # any failure to start is reported the same way
            # ``from None``: the message already carries the cause; chaining prints it twice
            raise pytest.fail.Exception(
                LOCAL_START_FAILED.format(error=exc), pytrace=False
            ) from None
        state.local = local
        state.base_url = str(local.base_url)
        state.api_key = Secret(str(local.api_key))
        _arm_exit(state)


def stop_local(state: PipelinesState) -> None:
    """Stop the embedded backend if this process started it, or its start in the background."""
    starter, state.starter = state.starter, None
    if starter is not None:
        starter.cancel()
    local, state.local = state.local, None
    if local is not None:
        local.__exit__(None, None, None)


def credentials(state: PipelinesState) -> tuple[str, str]:
    """Base URL and key for a client; starts local mode on first use.

    :raises RunBroken-like pytest.fail: when there is no key outside local mode.
    """
    if state.settings.mode == "local" and not state.is_worker:
        start_local(state)
    elif state.handoff:
        await_handoff(state)
    if not state.base_url or not state.api_key:
        pytest.fail(
            MISSING_KEY.format(base_url=state.base_url or "the Pipelines API"), pytrace=False
        )
    state.used = True
    _arm_exit(state)
    return state.base_url, state.api_key


def _arm_exit(state: PipelinesState) -> None:
    """The client or the backend is imported: this process exits without collecting them."""
    from pytest_pipelines._exit import arm

    arm(state.settings.freeze_at_exit)


def client_options(state: PipelinesState, api_key: str, base_url: str) -> dict[str, Any]:
    """Keyword arguments of the plugin's sync clients: credentials and the retry budget."""
    from pytest_pipelines._retry import client_sleep

    return {
        "api_key": api_key,
        "base_url": base_url,
        "max_retries": state.settings.max_retries,
        "sleep": client_sleep,
    }


def make_client(state: PipelinesState) -> Any:
    """The session's sync client (created once)."""
    if state.client is None:
        from pytest_pipelines.client import PipelinesClient

        base_url, api_key = credentials(state)
        state.client = PipelinesClient(**client_options(state, api_key, base_url))
    return state.client


def org_id(state: PipelinesState, client: Any) -> int:
    """The org of the API key (cached)."""
    if state.org_id is None:
        state.org_id = int(client.whoami()["org_id"])
    return state.org_id


# --- sweep -----------------------------------------------------------------------------------


def _items(lister: Callable[[], Any]) -> list[dict[str, Any]]:
    """Every item of a listing; an API without that area (404/403) lists nothing."""
    from pytest_pipelines.client import ForbiddenError, NotFoundError

    try:
        return [dict(x) for x in lister()]
    except (NotFoundError, ForbiddenError):
        return []


def sweep(
    client: Any,
    prefix: str,
    org: int | None,
    log: Callable[[str], None] | None = None,
    *,
    workflows: bool = True,
) -> list[str]:
    """Delete every library/tool object whose name starts with ``prefix``; returns what was deleted.

    Workflows whose name contains ``prefix`` are experiment copies this run made (the plugin
    names experiment variants ``<prefix>...``, and a copy is named after its variant); they are
    always looked for (one listing per project). Tool bindings are deleted when they point at a
    swept endpoint; tool ground truths when their ``source`` starts with the prefix (the
    factories set it). Bindings and ground truths are looked for in every workflow of every
    project when ``workflows`` is true or an endpoint of this run was found. Deletes are
    retried (:func:`pytest_pipelines._retry.delete`); one that still fails does not stop the
    sweep and is logged with the others at the end.
    """
    from pytest_pipelines._retry import delete
    from pytest_pipelines.client import NotFoundError, PipelinesError

    deleted: list[str] = []
    failed: list[str] = []

    def drop(what: str, fn: Callable[[], Any]) -> None:
        try:
            delete(client, fn)
        except NotFoundError:
            return
        except PipelinesError as exc:
            failed.append(f"{what}: {exc}")  # the others are still deleted
            return
        deleted.append(what)

    endpoints: list[int] = []
    if org is not None:
        endpoints = [
            int(e["id"])
            for e in _items(functools.partial(client.iter_tool_endpoints, org))
            if str(e.get("name", "")).startswith(prefix)
        ]
    for project in _items(client.iter_projects):
        for wf in _items(functools.partial(client.iter_project_workflows, project["id"])):
            wid = int(wf["id"])
            name = str(wf.get("name", ""))
            if prefix in name:
                drop(
                    f"workflow {wid} {name!r}",
                    functools.partial(client.delete_workflow, project["id"], wid),
                )
                continue
            if endpoints or workflows:
                for b in _items(functools.partial(client.iter_tool_bindings, wid)):
                    if b.get("endpoint_id") in endpoints:
                        drop(
                            f"tool binding {b['id']}",
                            functools.partial(client.delete_tool_binding, wid, b["id"]),
                        )
                for g in _items(functools.partial(client.iter_tool_ground_truths, wid)):
                    if str(g.get("source", "")).startswith(prefix):
                        drop(
                            f"tool ground truth {g['id']}",
                            functools.partial(client.delete_tool_ground_truth, wid, g["id"]),
                        )
    for eid in endpoints:
        drop(f"tool endpoint {eid}", functools.partial(client.delete_tool_endpoint, org, eid))
    for kind, lister, deleter in (
        ("evaluation", client.iter_evaluations, client.delete_evaluation),
        ("criterion", client.iter_criteria, client.delete_criterion),
        ("prompt", client.iter_prompts, client.delete_prompt),
    ):
        for obj in _items(lister):
            if str(obj.get("name", "")).startswith(prefix):
                drop(f"{kind} {obj['id']} {obj['name']!r}", functools.partial(deleter, obj["id"]))
    if log is not None and deleted:
        log(f"pipelines: swept {len(deleted)} object(s) left by this run: {', '.join(deleted)}")
    if log is not None and failed:
        log(SWEEP_LEFT.format(n=len(failed), errors="; ".join(failed)))
    return deleted


def session_sweep(
    state: PipelinesState, log: Callable[[str], None], *, distributed: bool = False
) -> None:
    """On the controller: remove what this session's ledger says is left (e.g. by a crashed
    worker). Only what the session created is looked at; nothing left means no request.

    ``distributed`` is kept for callers; the ledger covers workers and the controller alike.
    """
    if state.is_worker:
        return
    from pytest_pipelines._ledger import pending, sweep_ledger

    try:
        entries = pending(state.ledger_dir)
    finally:
        if state.ledger_dir:
            shutil.rmtree(state.ledger_dir, ignore_errors=True)
    if not entries or os.environ.get("PYTEST_PIPELINES_NO_SWEEP"):
        return
    if not state.base_url or not state.api_key:
        return
    from pytest_pipelines.client import PipelinesClient, PipelinesError

    try:
        options = client_options(state, state.api_key, state.base_url)
        with PipelinesClient(**options) as client:
            sweep_ledger(client, entries, log)
    except PipelinesError as exc:
        log(f"pipelines: the sweep of leftovers failed: {exc}")
