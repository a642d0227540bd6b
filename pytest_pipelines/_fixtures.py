"""The plugin's fixtures (registered by the entry module in ``pytest_configure``)."""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

import pytest

from pytest_pipelines._retry import create as create_once
from pytest_pipelines._retry import first
from pytest_pipelines._session import (
    LOCAL_ON_WORKER,
    NOT_LOCAL,
    STATE_KEY,
    PipelinesState,
    credentials,
    make_client,
    org_id,
    start_local,
)
from pytest_pipelines._settings import PipelinesSettings

RESULT_KEY = pytest.StashKey[Any]()
GATES_KEY = pytest.StashKey[Any]()
#: the test's pipelines_budget (``None``: no budget)
BUDGET_KEY = pytest.StashKey[Any]()
ORDER_KEY = pytest.StashKey[int]()
#: phase -> why that phase's error is a broken run (platform trouble), not a quality failure
BROKEN_KEY = pytest.StashKey[dict[str, str]]()
PROGRESS_AFTER = 2.0
TEARDOWN_LEAK = "pipelines: could not delete ephemeral object(s) at teardown: {errors}"


class PromptFactory(Protocol):
    """Creates a prompt deleted at teardown: ``pipelines_prompt(prompt_text, *, name=..., role=..., **fields)``."""

    def __call__(
        self, prompt_text: str, *, name: str = "prompt", role: str = "user", **fields: Any
    ) -> dict[str, Any]: ...


class CriterionFactory(Protocol):
    """Creates a criterion deleted at teardown; its results report ``name`` (without the prefix)."""

    def __call__(
        self,
        name: str,
        *,
        type: str = "programmatic",
        config: Mapping[str, Any] | None = None,
        output_schema: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> dict[str, Any]: ...


class EvaluationFactory(Protocol):
    """Creates an evaluation of criteria (ids, dicts or objects with ``id``) deleted at teardown."""

    def __call__(
        self, criteria: Sequence[Any], *, name: str = "evaluation", **fields: Any
    ) -> dict[str, Any]: ...


class ToolEndpointFactory(Protocol):
    """Creates a tool endpoint in the key's org, deleted at teardown."""

    def __call__(
        self,
        *,
        name: str = "endpoint",
        endpoint_type: str = "mock",
        org_id: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]: ...


class ToolBindingFactory(Protocol):
    """Binds an endpoint's tools to a workflow field; deleted at teardown."""

    def __call__(
        self,
        workflow_id: int,
        *,
        node_id: str,
        field_id: str,
        endpoint: Any,
        selected_tools: Sequence[str],
        max_tool_rounds: int = 3,
        **fields: Any,
    ) -> dict[str, Any]: ...


class ToolGroundTruthFactory(Protocol):
    """Creates a tool ground truth for a workflow field; deleted at teardown."""

    def __call__(
        self,
        workflow_id: int,
        *,
        node_id: str,
        field_id: str,
        expected_tools: Sequence[str | Mapping[str, Any]],
        excluded_tools: Sequence[str | Mapping[str, Any]] = (),
        ordering_matters: bool = False,
        **fields: Any,
    ) -> dict[str, Any]: ...


def _state(config: pytest.Config) -> PipelinesState:
    return config.stash[STATE_KEY]


def _id(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Mapping):
        return int(value["id"])
    return int(value.id)


def named(name: str) -> Callable[[dict[str, Any]], bool]:
    """Matches the listed object called ``name`` (ephemeral names are run-unique)."""
    return lambda obj: obj.get("name") == name


def _tools(items: Sequence[str | Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": t} if isinstance(t, str) else dict(t) for t in items]


def _create_recorded(
    state: PipelinesState,
    kind: str,
    where: dict[str, Any],
    client: Any,
    create: Callable[[], Any],
    lookup: Callable[[], Any],
) -> tuple[dict[str, Any], str]:
    """Create an ephemeral object once (:func:`~pytest_pipelines._retry.create`), recorded in the
    session ledger before the request is sent; returns the object and its ledger key."""
    key = state.ledger.intend(kind, **where)
    attempts = 0

    def counted() -> Any:
        nonlocal attempts
        attempts += 1
        return create()

    obj: dict[str, Any] = create_once(client, counted, lookup)
    state.ledger.created(key, obj["id"])
    if attempts > 1:
        # a retried create may have made a second object: the sweep looks for it by name
        state.ledger.intend(kind, **where)
    return obj, key


class _Janitor:
    """Remembers what a test created and deletes it, newest first, even when the test failed."""

    def __init__(self) -> None:
        self.undo: list[tuple[str, Callable[[], Any]]] = []

    def add(self, what: str, fn: Callable[[], Any]) -> None:
        self.undo.append((what, fn))

    def add_delete(
        self, what: str, client: Any, fn: Callable[[], Any], ledger: tuple[Any, str] | None = None
    ) -> None:
        """Undo by a DELETE: retried on transient failures, a 404 after a retry is success.

        :param ledger: the session ledger and the object's key there, marked deleted once the
            object is gone; default None.
        """
        from pytest_pipelines._retry import delete
        from pytest_pipelines.client import NotFoundError

        def undo() -> None:
            with contextlib.suppress(NotFoundError):  # gone already: as good as deleted
                delete(client, fn)
            if ledger is not None:
                ledger[0].deleted(ledger[1])

        self.undo.append((what, undo))

    def clean(self) -> None:
        from pytest_pipelines.client import NotFoundError, PipelinesError

        errors = []
        while self.undo:
            what, fn = self.undo.pop()
            try:
                fn()
            except NotFoundError:
                continue
            except PipelinesError as exc:
                errors.append(f"{what}: {exc}")
            except Exception as exc:  # keep deleting the rest; report it with them
                errors.append(f"{what}: {type(exc).__name__}: {exc}")
        if errors:
            pytest.fail(TEARDOWN_LEAK.format(errors="; ".join(errors)), pytrace=False)


@pytest.fixture(scope="session")
def pipelines_settings(pytestconfig: pytest.Config) -> PipelinesSettings:
    """The effective pytest-pipelines settings of this session (the key is never shown)."""
    return _state(pytestconfig).settings


@pytest.fixture(scope="session")
def pipelines_local(pytestconfig: pytest.Config) -> Any:
    """The embedded LocalPipelines backend of this session (local mode, controller only)."""
    state = _state(pytestconfig)
    if state.settings.mode != "local":
        pytest.fail(
            NOT_LOCAL.format(mode=state.settings.mode, env=state.settings.env), pytrace=False
        )
    if state.is_worker:
        pytest.fail(LOCAL_ON_WORKER.format(worker=state.worker), pytrace=False)
    start_local(state)
    return state.local


@pytest.fixture(scope="session")
def pipelines_client(pytestconfig: pytest.Config) -> Iterator[Any]:
    """An authenticated PipelinesClient for this session (errors without a key outside local mode)."""
    state = _state(pytestconfig)
    client = make_client(state)
    yield client
    state.client = None
    client.close()


@pytest.fixture
async def pipelines_async_client(pytestconfig: pytest.Config) -> AsyncIterator[Any]:
    """An authenticated AsyncPipelinesClient for one test (needs an async test runner such as anyio)."""
    from pytest_pipelines.client import AsyncPipelinesClient

    state = _state(pytestconfig)
    base_url, api_key = credentials(state)
    async with AsyncPipelinesClient(
        api_key=api_key, base_url=base_url, max_retries=state.settings.max_retries
    ) as client:
        yield client


@pytest.fixture
def _pipelines_janitor(request: pytest.FixtureRequest) -> Iterator[_Janitor]:
    janitor = _Janitor()
    yield janitor
    try:
        janitor.clean()
    except pytest.fail.Exception:
        # objects the API would not delete: the platform's problem, not the model's
        request.node.stash.setdefault(BROKEN_KEY, {})["teardown"] = "cleanup failed"
        raise


@pytest.fixture
def pipelines_prompt(
    pytestconfig: pytest.Config, pipelines_client: Any, _pipelines_janitor: _Janitor
) -> PromptFactory:
    """Factory of prompts with run-unique names, deleted at teardown."""
    state = _state(pytestconfig)

    def create(
        prompt_text: str, *, name: str = "prompt", role: str = "user", **fields: Any
    ) -> dict[str, Any]:
        payload = {
            "name": state.unique_name(name),
            "prompt_text": prompt_text,
            "role": role,
            "scope_type": "org",
            "org_id": org_id(state, pipelines_client),
            **fields,
        }
        prompt, key = _create_recorded(
            state,
            "prompt",
            {"name": payload["name"]},
            pipelines_client,
            lambda: pipelines_client.create_prompt(payload),
            lambda: first(pipelines_client.iter_prompts(), named(payload["name"])),
        )
        _pipelines_janitor.add_delete(
            f"prompt {prompt['id']}",
            pipelines_client,
            lambda: pipelines_client.delete_prompt(prompt["id"]),
            (state.ledger, key),
        )
        return prompt

    return create


@pytest.fixture
def pipelines_criterion(
    pytestconfig: pytest.Config, pipelines_client: Any, _pipelines_janitor: _Janitor
) -> CriterionFactory:
    """Factory of criteria with run-unique names (results report the plain name), deleted at teardown."""
    state = _state(pytestconfig)

    def create(
        name: str,
        *,
        type: str = "programmatic",
        config: Mapping[str, Any] | None = None,
        output_schema: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        payload = {
            "name": state.unique_name(name),
            "display_label": fields.pop("display_label", name),
            "type": type,
            "config": dict(config or {}),
            "output_schema": dict(output_schema or {"type": "boolean"}),
            "scope_type": "org",
            "org_id": org_id(state, pipelines_client),
            **fields,
        }
        criterion, key = _create_recorded(
            state,
            "criterion",
            {"name": payload["name"]},
            pipelines_client,
            lambda: pipelines_client.create_criterion(payload),
            lambda: first(pipelines_client.iter_criteria(), named(payload["name"])),
        )
        _pipelines_janitor.add_delete(
            f"criterion {criterion['id']}",
            pipelines_client,
            lambda: pipelines_client.delete_criterion(criterion["id"]),
            (state.ledger, key),
        )
        return criterion

    return create


@pytest.fixture
def pipelines_evaluation(
    pytestconfig: pytest.Config, pipelines_client: Any, _pipelines_janitor: _Janitor
) -> EvaluationFactory:
    """Factory of evaluations with run-unique names, deleted at teardown."""
    state = _state(pytestconfig)

    def create(
        criteria: Sequence[Any], *, name: str = "evaluation", **fields: Any
    ) -> dict[str, Any]:
        payload = {
            "name": state.unique_name(name),
            "description": fields.pop(
                "description", f"pytest-pipelines ephemeral evaluation {name}"
            ),
            "criteria": [{"criterion_id": _id(c)} for c in criteria],
            "scope_type": "org",
            "org_id": org_id(state, pipelines_client),
            **fields,
        }
        evaluation, key = _create_recorded(
            state,
            "evaluation",
            {"name": payload["name"]},
            pipelines_client,
            lambda: pipelines_client.create_evaluation(payload),
            lambda: first(pipelines_client.iter_evaluations(), named(payload["name"])),
        )
        _pipelines_janitor.add_delete(
            f"evaluation {evaluation['id']}",
            pipelines_client,
            lambda: pipelines_client.delete_evaluation(evaluation["id"]),
            (state.ledger, key),
        )
        return evaluation

    return create


@pytest.fixture
def pipelines_tool_endpoint(
    pytestconfig: pytest.Config, pipelines_client: Any, _pipelines_janitor: _Janitor
) -> ToolEndpointFactory:
    """Factory of tool endpoints with run-unique names, deleted at teardown."""
    state = _state(pytestconfig)

    def create(
        *,
        name: str = "endpoint",
        endpoint_type: str = "mock",
        org_id: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        org = org_id if org_id is not None else _org(state, pipelines_client)
        payload = {"name": state.unique_name(name), "endpoint_type": endpoint_type, **fields}
        endpoint, key = _create_recorded(
            state,
            "tool_endpoint",
            {"org": org, "name": payload["name"]},
            pipelines_client,
            lambda: pipelines_client.create_tool_endpoint(org, payload),
            lambda: first(pipelines_client.iter_tool_endpoints(org), named(payload["name"])),
        )
        _pipelines_janitor.add_delete(
            f"tool endpoint {endpoint['id']}",
            pipelines_client,
            lambda: pipelines_client.delete_tool_endpoint(org, endpoint["id"]),
            (state.ledger, key),
        )
        return endpoint

    return create


def _org(state: PipelinesState, client: Any) -> int:
    return org_id(state, client)


@pytest.fixture
def pipelines_tool_binding(
    pytestconfig: pytest.Config, pipelines_client: Any, _pipelines_janitor: _Janitor
) -> ToolBindingFactory:
    """Factory of tool bindings (endpoint tools on a workflow field), deleted at teardown."""
    state = _state(pytestconfig)

    def create(
        workflow_id: int,
        *,
        node_id: str,
        field_id: str,
        endpoint: Any,
        selected_tools: Sequence[str],
        max_tool_rounds: int = 3,
        **fields: Any,
    ) -> dict[str, Any]:
        payload = {
            "node_id": node_id,
            "field_id": field_id,
            "endpoint_id": _id(endpoint),
            "selected_tools": list(selected_tools),
            "max_tool_rounds": max_tool_rounds,
            **fields,
        }
        # a binding has no name: the run-unique endpoint on this field identifies it
        same_slot = ("endpoint_id", "node_id", "field_id")
        binding, key = _create_recorded(
            state,
            "tool_binding",
            {"workflow_id": workflow_id, "match": {k: payload[k] for k in same_slot}},
            pipelines_client,
            lambda: pipelines_client.create_tool_binding(workflow_id, payload),
            lambda: first(
                pipelines_client.iter_tool_bindings(workflow_id),
                lambda b: all(b.get(k) == payload[k] for k in same_slot),
            ),
        )
        _pipelines_janitor.add_delete(
            f"tool binding {binding['id']}",
            pipelines_client,
            lambda: pipelines_client.delete_tool_binding(workflow_id, binding["id"]),
            (state.ledger, key),
        )
        return binding

    return create


@pytest.fixture
def pipelines_tool_ground_truth(
    pytestconfig: pytest.Config, pipelines_client: Any, _pipelines_janitor: _Janitor
) -> ToolGroundTruthFactory:
    """Factory of tool ground truths for a workflow field, deleted at teardown."""
    state = _state(pytestconfig)

    def create(
        workflow_id: int,
        *,
        node_id: str,
        field_id: str,
        expected_tools: Sequence[str | Mapping[str, Any]],
        excluded_tools: Sequence[str | Mapping[str, Any]] = (),
        ordering_matters: bool = False,
        **fields: Any,
    ) -> dict[str, Any]:
        payload = {
            "node_id": node_id,
            "field_id": field_id,
            "expected_tools": _tools(expected_tools),
            "excluded_tools": _tools(excluded_tools),
            "ordering_matters": ordering_matters,
            "source": state.unique_name("ground-truth"),
            "confidence": fields.pop("confidence", 1.0),
            **fields,
        }
        truth, key = _create_recorded(
            state,
            "tool_ground_truth",
            {"workflow_id": workflow_id, "match": {"source": payload["source"]}},
            pipelines_client,
            lambda: pipelines_client.create_tool_ground_truth(workflow_id, payload),
            lambda: first(
                pipelines_client.iter_tool_ground_truths(workflow_id),
                lambda g: g.get("source") == payload["source"],
            ),
        )
        _pipelines_janitor.add_delete(
            f"tool ground truth {truth['id']}",
            pipelines_client,
            lambda: pipelines_client.delete_tool_ground_truth(workflow_id, truth["id"]),
            (state.ledger, key),
        )
        return truth

    return create


@pytest.fixture
def _pipelines_variant(request: pytest.FixtureRequest) -> str | None:
    return getattr(request, "param", None)


def _progress(
    config: pytest.Config, state: PipelinesState, nodeid: str
) -> Callable[[str, int, int, int], None] | None:
    if state.is_worker or config.getoption("verbose", 0) < -1:
        return None
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capman = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capman is None:
        return None
    started = time.monotonic()
    shown: dict[str, float] = {"last": 0.0, "width": 0.0}
    tty = bool(getattr(reporter, "isatty", False))

    def progress(status: str, done: int, total: int, evaluated: int) -> None:
        now = time.monotonic()
        if now - started < PROGRESS_AFTER:
            return
        if not tty and now - shown["last"] < 15:
            return
        shown["last"] = now
        line = f"pipelines: {nodeid}: {status}, {done}/{total} tasks done, {evaluated} evaluated, {now - started:.0f}s"
        with capman.global_and_fixture_disabled():
            if tty:
                if not shown["width"]:
                    # a line of its own: "\r" must not overwrite the test's name or dots, and
                    # pytest writes them again after it (ensure_newline resets its position)
                    reporter.ensure_newline()
                pad = max(0, int(shown["width"]) - len(line))
                reporter.write("\r" + line + " " * pad, flush=True)
                shown["width"] = len(line)
            else:
                reporter.write_line(line)

    return progress


def display_test_name(nodeid: str, variant: str | None) -> str:
    """``nodeid`` without the variant's part of its brackets (other parameters stay).

    ``test_x[baseline]`` -> ``test_x``; ``test_x[Rome-baseline]`` -> ``test_x[Rome]``.
    """
    if variant is None or not nodeid.endswith("]") or "[" not in nodeid:
        return nodeid
    base, _, ids = nodeid[:-1].partition("[")
    if ids == variant:
        return base
    for rest in (
        ids[len(variant) + 1 :] if ids.startswith(variant + "-") else None,
        ids[: -len(variant) - 1] if ids.endswith("-" + variant) else None,
        ids.replace(f"-{variant}-", "-", 1) if f"-{variant}-" in ids else None,
    ):
        if rest:
            return f"{base}[{rest}]"
    return nodeid


def _durations(config: pytest.Config, state: Any, nodeid: str) -> Any:
    """The test's run durations kept across sessions (pytest_pipelines._durations), if any."""
    from pytest_pipelines._durations import DURATIONS_KEY, deployment

    durations = config.stash.get(DURATIONS_KEY, None)
    if durations is None:
        return None
    return durations.for_test(nodeid, deployment(state.settings.mode, state.settings.base_url))


def _adopt(config: pytest.Config, nodeid: str) -> Callable[[str], Any] | None:
    """The test's way to its run launched ahead (pytest_pipelines._overlap), if any."""
    from pytest_pipelines._overlap import OVERLAP_KEY

    overlap = config.stash.get(OVERLAP_KEY, None)
    if overlap is None or not overlap.active:
        return None
    return functools.partial(overlap.adopt, nodeid)


def _ahead_names(config: pytest.Config, nodeid: str) -> dict[str, str]:
    """Variant -> copy name of the test's experiment launched ahead (its copies carry them)."""
    from pytest_pipelines._overlap import OVERLAP_KEY

    overlap = config.stash.get(OVERLAP_KEY, None)
    return overlap.names(nodeid) if overlap is not None and overlap.active else {}


@pytest.fixture
def pipelines_run(
    request: pytest.FixtureRequest,
    pipelines_client: Any,
    _pipelines_variant: str | None,
    _pipelines_janitor: _Janitor,
) -> Any:
    """The RunResult of this test's pipelines_* markers (a broken run is a test error)."""
    from pytest_pipelines._gates import Gates
    from pytest_pipelines._markers import build_spec, collect_spec_parts
    from pytest_pipelines._run import (
        Launch,
        RunBroken,
        delete_experiment_copies,
        execute,
        execute_variants,
        idempotency_key,
    )

    item = request.node
    config = request.config
    state = _state(config)
    parts = collect_spec_parts(item.nodeid, item)
    spec = build_spec(parts, _pipelines_variant)
    timeout = spec.target.timeout or state.settings.timeout
    limit = state.settings.max_session_cost
    if limit is not None and state.settings.mode == "local":
        from pytest_pipelines._usage import session_budget_problem

        # the backend knows what every worker's runs spent; a spent budget launches nothing
        spent = session_budget_problem(pipelines_client.request("GET", "/_local/usage"), limit)
        if spent:
            item.user_properties.append(("pipelines.error", spent))
            pytest.fail(spent, pytrace=False)
    progress = _progress(config, state, item.nodeid)
    history = _durations(config, state, item.nodeid)
    gates = Gates(
        spec.gates,
        spec.tool_gates,
        state.settings.default_gate,
        confidence=state.settings.confidence,
        on_inconclusive=state.settings.on_inconclusive,
        # an adaptive run looks at its results after every batch: its decisions split the level
        # over the planned looks, the same in the loop and in the final verdict
        max_count=spec.target.max_count,
    )

    ledger_keys: list[str] = []

    def on_launch(started: Launch) -> None:
        # An experiment runs in workflow copies: delete them at teardown, pass or fail.
        if started.kind == "experiment":

            def undo() -> None:
                delete_experiment_copies(pipelines_client, spec, started)
                for key in ledger_keys:
                    state.ledger.deleted(key)

            _pipelines_janitor.add(f"the workflow copies of experiment {started.ident}", undo)

    # An experiment's copy is named "<workflow> - Experiment <variant>": variant names with the
    # session's prefix let the end-of-session sweep find copies a crashed worker left. They are
    # the same in every process (state.experiment_name), so a test a crashed worker launched
    # ahead adopts that experiment here (same payload, same Idempotency-Key). Its copies are
    # deleted at teardown, so a second execution of the item in this process (a rerun) must not
    # replay the first experiment: the execution number in the name, part of the key, moves on.
    # An experiment launched ahead for the test counts as this execution: its names are taken
    # over.
    experiment = spec.target.mode == "experiment"
    # pipelines_compare: every variant runs in ONE experiment on the same inputs (one item)
    together = list(parts.get("variants") or {}) if parts.get("compares") else []
    ahead_names = _ahead_names(config, item.nodeid)
    own = _pipelines_variant or ""
    if together:
        names = ahead_names if list(ahead_names) == together else {}
    else:
        names = {own: ahead_names[own]} if experiment and own in ahead_names else {}
    if experiment and not names:
        execution = state.next_execution(item.nodeid)
        state.executed(item.nodeid, execution)
        names = {v: state.experiment_name(item.nodeid, execution, v) for v in together} or {
            own: state.experiment_name(item.nodeid, execution, _pipelines_variant or "baseline")
        }
    together_names = names if together else {}
    variant_name = names.get(own) if experiment and not together else None
    # the copies are named after their variant: the sweep finds them by it after a crash
    copy_names = list(together_names.values()) or ([variant_name] if variant_name else [])
    for name in copy_names:
        ledger_keys.append(
            state.ledger.intend("experiment", project=spec.target.project, name=name)
        )
    try:
        if together:
            result = execute_variants(
                pipelines_client,
                {v: build_spec(parts, v) for v in together},
                names=together_names,
                resolve_fixture=request.getfixturevalue,
                key=functools.partial(idempotency_key, state.run_id, item.nodeid, None),
                timeout=timeout,
                progress=progress,
                on_launch=on_launch,
                history=history,
                adopt=_adopt(config, item.nodeid),
            )
        else:
            result = execute(
                pipelines_client,
                spec,
                resolve_fixture=request.getfixturevalue,
                key=functools.partial(
                    idempotency_key, state.run_id, item.nodeid, variant_name or _pipelines_variant
                ),
                timeout=timeout,
                progress=progress,
                variant_name=variant_name,
                on_launch=on_launch,
                undecided=gates.undecided,
                adopt=_adopt(config, item.nodeid),
                history=history,
            )
    except RunBroken as exc:
        broken: str | None = str(exc)
        # set up before the body, or from it (request.getfixturevalue): either phase
        item.stash.setdefault(BROKEN_KEY, {}).update(setup="broken run", call="broken run")
    else:
        broken = None
    # any other exception (an unknown fixture name, a malformed response, ...) propagates: the
    # report hooks record it, with its causes, as the item's error
    if broken is not None:
        pytest.fail(broken, pytrace=False)
    item.stash[RESULT_KEY] = result
    variants = list(parts.get("variants") or {})
    item.stash[ORDER_KEY] = (
        variants.index(_pipelines_variant) if _pipelines_variant in variants else 0
    )
    item.stash[BUDGET_KEY] = spec.budget
    item.stash[GATES_KEY] = gates
    item.ihook.pytest_pipelines_run_finished(item=item, result=result)
    return result
