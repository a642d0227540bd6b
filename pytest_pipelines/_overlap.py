"""Runs launched ahead: eval tests whose run is known before their setup start early.

A test's run is known before its setup when nothing the test sets up can change it: every
fixture it uses is the plugin's own, one of pytest's (or xdist's), or a session-scoped fixture
that is already set up, and every reference its markers make (prompt, evaluation, inputs,
dataset) is an id or such a session fixture. In experiment mode (``pipelines_compare``
included) the experiment is launched ahead under its variant names
(:meth:`~pytest_pipelines._session.PipelinesState.experiment_name`), which the run fixture then
takes over. Those runs are launched while earlier tests still run, in the order this
process will run the tests, at most ``pipelines_max_concurrent_runs`` of them in flight; a
test's ``pipelines_run`` then adopts its own run (same payload, same Idempotency-Key) and waits
for what is left of it. Anything else launches at setup, as without overlap.

The bound's default follows what runs the tasks. In local mode it is the embedded backend's job
pool shared by the processes that use it (32 workers: 32 at ``-n 0``, 8 each under ``-n 4``), so
the runs in flight of one-task tests keep every pool thread busy without queueing more than it
can start; against a remote deployment, whose parallelism this process cannot see, it is 8.

A launched-ahead run is written to the session ledger before its create is sent. It is cancelled
when its test does not use it (deselected later, skipped, ``-x``/``--maxfail`` stopped the
session, a keyboard interrupt, a payload that changed), an experiment's workflow copy deleted
too, and the controller's sweep cancels the runs a crashed worker left (and deletes its
experiments' copies by name). A test a crashed worker launched ahead and another worker then
runs adopts that run there: its Idempotency-Key, and an experiment's variant names, are the same
in every process of the session. Under xdist, a worker launches ahead only what its own queue holds
(``--dist worksteal`` can take queued tests away, so there only the next test).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pipelines._settings import whole_number

if TYPE_CHECKING:
    from pytest_pipelines._markers import RunSpec
    from pytest_pipelines._run import Launch
    from pytest_pipelines._session import PipelinesState
    from pytest_pipelines._settings import PipelinesSettings

#: runs launched ahead at most, per process, against a remote deployment (1: none)
DEFAULT_MAX_CONCURRENT_RUNS = 8
BAD_MAX_CONCURRENT_RUNS = (
    "pytest-pipelines: ini key pipelines_max_concurrent_runs is {value!r}; it must be a whole "
    "number >= 1, e.g. pipelines_max_concurrent_runs = 8 (1 launches every run at its test's "
    "setup, one after another)."
)
RUN_FIXTURE = "pipelines_run"
# fixtures from these modules create nothing on a backend before the run: the plugin's own
# (its factories create only when called, which a body does after the run), pytest's, xdist's
HARMLESS_MODULES = ("pytest_pipelines._fixtures", "_pytest.", "xdist.")
SKIP_MARKS = ("skip", "skipif")
#: tests looked at ahead of the running one: bounds the work per test on a long session
LOOKAHEAD = 256

logger = logging.getLogger("pytest_pipelines")


class NotKnownYet(Exception):
    """The run is not known before the test's setup: it launches there, as without overlap."""


class NotSetUpYet(NotKnownYet):
    """The run depends on a session fixture not set up yet: the test is looked at again later."""


@dataclass
class Ahead:
    """A run launched ahead of its test."""

    nodeid: str
    spec: RunSpec
    key: str
    launch: Launch
    #: its ledger lines: the run, or (an experiment) one per workflow copy
    ledger_keys: tuple[str, ...]
    #: the test's run fixture adopted it
    taken: bool = False
    #: an experiment: variant -> the variant name its workflow copy is named after
    names: dict[str, str] = field(default_factory=dict)


def default_limit(config: pytest.Config, settings: PipelinesSettings) -> int:
    """The bound when the ini sets none: in local mode, the embedded backend's workers divided
    among the processes that share it (rounded up); else :data:`DEFAULT_MAX_CONCURRENT_RUNS`."""
    if settings.mode != "local":
        return DEFAULT_MAX_CONCURRENT_RUNS
    workerinput = getattr(config, "workerinput", None)
    processes = int(workerinput.get("workercount", 1)) if workerinput else 1
    return max(1, -(-settings.local_workers // max(1, processes)))


def parse_max_concurrent_runs(value: object, default: int = DEFAULT_MAX_CONCURRENT_RUNS) -> int:
    """The ini value as a number >= 1.

    :param default: default :data:`DEFAULT_MAX_CONCURRENT_RUNS`; the bound when it is unset
        (:func:`default_limit` gives the plugin's).
    :raises pytest.UsageError: when it is not a whole number >= 1.
    """
    if value in (None, ""):
        return default
    number = whole_number(value)
    if number is None or number < 1:
        raise pytest.UsageError(BAD_MAX_CONCURRENT_RUNS.format(value=value))
    return number


def _harmless(defs: Sequence[Any] | None) -> bool:
    if not defs:
        return True  # ``request`` and other pseudo-fixtures have no definition
    module = str(getattr(defs[-1].func, "__module__", ""))
    return any(module == m or (m.endswith(".") and module.startswith(m)) for m in HARMLESS_MODULES)


def _set_up_session_value(defs: Sequence[Any] | None, name: str, item: pytest.Item) -> Any:
    """The value of a session fixture that is already set up (and not parametrized)."""
    if not defs:
        raise NotKnownYet(name)
    fixturedef = defs[-1]
    cached = fixturedef.cached_result
    callspec = getattr(item, "callspec", None)
    parametrized = callspec is not None and name in callspec.params
    if fixturedef.scope != "session" or parametrized:
        raise NotKnownYet(name)
    if cached is None or cached[2] is not None:
        raise NotSetUpYet(name)
    return cached[0]


def _fixture_defs(item: pytest.Item, name: str) -> Sequence[Any] | None:
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.get(name) if info is not None else None
    if defs is None:
        manager = getattr(item.session, "_fixturemanager", None)
        defs = manager.getfixturedefs(name, item) if manager is not None else None
    return defs


def _check_fixtures(item: pytest.Item) -> None:
    """Every fixture of the item is harmless or a session fixture already set up."""
    for name in getattr(item, "fixturenames", ()):
        defs = _fixture_defs(item, name)
        if not _harmless(defs):
            _set_up_session_value(defs, name, item)


def resolver(item: pytest.Item) -> Callable[[str], Any]:
    """A marker's fixture reference, resolved without setting anything up."""

    def resolve(name: str) -> Any:
        defs = _fixture_defs(item, name)
        if _harmless(defs) and defs:  # the plugin's factories are not references
            raise NotKnownYet(name)
        return _set_up_session_value(defs, name, item)

    return resolve


def known_spec(item: pytest.Item) -> RunSpec:
    """The item's run specification, when its run is known before its setup.

    :raises NotKnownYet: when it is not (the run launches at the test's setup).
    """
    return known_run(item)[0]


def known_run(item: pytest.Item) -> tuple[RunSpec, dict[str, RunSpec]]:
    """:func:`known_spec`, and for a ``pipelines_compare`` test every variant's specification
    (in marker order: they run in one experiment); else an empty mapping.

    :raises NotKnownYet: when the run is not known before the test's setup.
    """
    if not isinstance(item, pytest.Function) or RUN_FIXTURE not in item.fixturenames:
        raise NotKnownYet("not an eval test")
    from pytest_pipelines._markers import build_spec, collect_spec_parts

    if any(item.get_closest_marker(name) is not None for name in SKIP_MARKS):
        raise NotKnownYet("skip marker")
    parts = collect_spec_parts(item.nodeid, item)
    _check_fixtures(item)
    callspec = getattr(item, "callspec", None)
    variant = callspec.params.get("_pipelines_variant") if callspec is not None else None
    together = list(parts.get("variants") or {}) if parts.get("compares") else []
    return build_spec(parts, variant), {v: build_spec(parts, v) for v in together}


def _queued_on_worker(item: pytest.Item) -> list[int]:
    """xdist worker: the indices of the tests queued to this worker after the next one."""
    config = item.config
    # the controller's --dist mode: a worker's own config.option.dist is always "no"
    workerinput: dict[str, Any] = getattr(config, "workerinput", None) or {}
    if workerinput.get("pipelines_dist") == "worksteal":
        return []  # the controller may move a queued test to another worker
    for plugin in config.pluginmanager.get_plugins():
        queue: Any = getattr(plugin, "torun", None)
        if type(plugin).__name__ == "WorkerInteractor" and hasattr(queue, "lock"):
            with queue.lock() as pending:
                return [i for i in pending if isinstance(i, int)]
    return []


class Overlap:
    """The runs this process launched ahead, and the bound on them.

    :param state: the session state (client, ledger, run id).
    :param limit: runs launched ahead at most (default from the ini key; 1 turns it off).
    """

    def __init__(self, state: PipelinesState, limit: int) -> None:
        self.state = state
        self.limit = limit
        self.runs: dict[str, Ahead] = {}
        self._judged: set[str] = set()
        self._positions: dict[str, int] = {}
        self.launched = 0
        self.cancelled = 0

    @property
    def active(self) -> bool:
        """Whether runs are launched ahead (not with a limit of 1 or a session cost limit)."""
        # a spent session budget must launch nothing: the run fixture checks it at setup
        return self.limit > 1 and self.state.settings.max_session_cost is None

    def upcoming(self, item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[pytest.Item]:
        """The tests this process will run from ``item`` on, in order, as far as it knows."""
        items = item.session.items
        if self.state.is_worker:
            yield item
            if nextitem is not None:
                yield nextitem
                for index in _queued_on_worker(item)[: LOOKAHEAD - 2]:
                    if 0 <= index < len(items):
                        yield items[index]
            return
        if len(self._positions) != len(items):
            self._positions = {it.nodeid: n for n, it in enumerate(items)}
        here = self._positions.get(item.nodeid)
        if here is None or items[here] is not item:
            yield item  # the items changed under us (another plugin): only this one
            return
        yield from items[here : here + LOOKAHEAD]

    def fill(self, items: Iterable[pytest.Item]) -> None:
        """Launch the known runs of ``items``, in order, until the bound is reached."""
        if not self.active:
            return
        for item in items:
            if len(self.runs) >= self.limit:
                return
            if item.nodeid in self._judged:
                continue
            try:
                self._launch(item)
            except NotSetUpYet:
                continue  # judged again once its session fixture is set up
            except NotKnownYet:
                pass
            self._judged.add(item.nodeid)

    def _launch(self, item: pytest.Item) -> None:
        try:
            spec, together = known_run(item)
        except NotKnownYet:
            raise
        except Exception as exc:  # another plugin's item type, markers pytest could not bind
            raise NotKnownYet(str(exc)) from None
        # only now: a session without eval tests must not import the client (httpx, pydantic)
        from pytest_pipelines._run import (
            MAX_COUNT_BELOW_ROWS,
            RunBroken,
            build_payload,
            idempotency_key,
            launch,
            variants_payload,
        )
        from pytest_pipelines._session import make_client

        target = spec.target
        # an experiment's copies are named after its variant names, which the test's run fixture
        # then takes over (see names): this launch is the item's next execution in this process
        nodeid = item.nodeid
        execution = self.state.next_execution(nodeid)
        if together:
            names = {v: self.state.experiment_name(nodeid, execution, v) for v in together}
        elif target.mode == "experiment":
            variant = spec.variant or "baseline"
            names = {spec.variant or "": self.state.experiment_name(nodeid, execution, variant)}
        else:
            names = {}
        variant_name = None if together else next(iter(names.values()), None)
        try:
            client = make_client(self.state)
            resolve = resolver(item)
            payload = (
                variants_payload(client, together, names, resolve)
                if together
                else build_payload(spec, resolve, client=client, variant_name=variant_name)
            )
        except NotKnownYet:
            raise
        except (Exception, pytest.fail.Exception) as exc:
            # the test's setup meets the same problem and reports it where it belongs
            logger.debug("not launching %s ahead: %s", item.nodeid, exc)
            raise NotKnownYet(str(exc)) from None
        if target.max_count is not None and target.max_count < payload["count"] // target.repeat:
            raise NotKnownYet(MAX_COUNT_BELOW_ROWS)
        key = idempotency_key(
            self.state.run_id, nodeid, None if together else (variant_name or spec.variant), payload
        )
        # the sweep deletes an experiment's copies by their names (and with them their tasks)
        ledger_keys = tuple(
            self.state.ledger.intend("experiment", project=target.project, name=name)
            for name in names.values()
        ) or (
            self.state.ledger.intend(
                "run", project=target.project, workflow=target.workflow, idempotency_key=key
            ),
        )
        try:
            started = launch(client, spec, payload, key)
        except RunBroken as exc:
            # the create may have been made: the test's launch replays it under the same key
            logger.debug("launching %s ahead failed: %s", item.nodeid, exc)
            raise NotKnownYet(str(exc)) from None
        if names:
            # counted only now: after a failed launch the test's own sends the same names and
            # key, so a create that was made (its answer lost) is replayed, not run twice
            self.state.executed(nodeid, execution)
        for ledger_key in ledger_keys:
            self.state.ledger.created(ledger_key, started.ident)
        self.runs[item.nodeid] = Ahead(item.nodeid, spec, key, started, ledger_keys, names=names)
        self.launched += 1
        logger.debug("launched %s ahead: %s %s", item.nodeid, started.kind, started.ident)

    def names(self, nodeid: str) -> dict[str, str]:
        """Variant -> copy name of the test's experiment launched ahead and not yet adopted
        (``""`` is the variant of an experiment-mode test without variants); else empty."""
        ahead = self.runs.get(nodeid)
        return dict(ahead.names) if ahead is not None and not ahead.taken else {}

    def adopt(self, nodeid: str, key: str) -> Launch | None:
        """The test's own run if it was launched ahead with this Idempotency-Key, else None.

        A run launched ahead with another key (the payload changed since) is cancelled.
        """
        ahead = self.runs.get(nodeid)
        if ahead is None or ahead.taken:
            return None
        if ahead.key != key:
            self._cancel(self.runs.pop(nodeid))
            return None
        ahead.taken = True
        return ahead.launch

    def finish(self, nodeid: str) -> None:
        """The test is over: its own run is done with; one it did not use is cancelled."""
        ahead = self.runs.pop(nodeid, None)
        if ahead is None:
            return
        if ahead.taken:
            for ledger_key in ahead.ledger_keys:
                self.state.ledger.deleted(ledger_key)
        else:
            self._cancel(ahead)

    def cancel_all(self) -> None:
        """Cancel every run launched ahead whose test did not finish (end of the session)."""
        while self.runs:
            _, ahead = self.runs.popitem()
            self._cancel(ahead)

    @contextlib.contextmanager
    def _client(self) -> Iterator[Any]:
        """The session client, or (once its fixture closed it at the last teardown) a new one."""
        if self.state.client is not None:
            yield self.state.client
            return
        from pytest_pipelines._session import client_options
        from pytest_pipelines.client import PipelinesClient

        if not self.state.base_url or not self.state.api_key:
            raise RuntimeError("no backend to cancel on")  # nothing was launched then
        options = client_options(self.state, self.state.api_key, self.state.base_url)
        with PipelinesClient(**options) as client:
            yield client

    def _cancel(self, ahead: Ahead) -> None:
        from pytest_pipelines._retry import delete
        from pytest_pipelines._run import delete_experiment_copies

        target = ahead.spec.target
        experiment = ahead.launch.kind == "experiment"
        cancel = "cancel_experiment" if experiment else "cancel_create_tasks"
        try:
            with self._client() as client:
                # a cancel is repeatable: retried like a delete on a transient failure
                delete(
                    client,
                    functools.partial(
                        getattr(client, cancel), target.project, target.workflow, ahead.launch.ident
                    ),
                )
                if experiment:  # its workflow copies are the test's, which will not delete them
                    delete_experiment_copies(client, ahead.spec, ahead.launch)
        except Exception as exc:  # best effort: its ledger line stays, so the sweep tries again
            logger.debug("cancelling the run of %s failed: %s", ahead.nodeid, exc)
            return
        self.cancelled += 1
        for ledger_key in ahead.ledger_keys:
            self.state.ledger.deleted(ledger_key)
        logger.debug("cancelled the run launched ahead for %s", ahead.nodeid)


OVERLAP_KEY = pytest.StashKey[Overlap]()
