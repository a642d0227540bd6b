"""The plugin's hook implementations (registered by the entry module in ``pytest_configure``)."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Generator, Iterable
from typing import Any

import pytest

from pytest_pipelines._fixtures import GATES_KEY, ORDER_KEY, RESULT_KEY
from pytest_pipelines._secret import Secret
from pytest_pipelines._session import (
    STATE_KEY,
    Record,
    load_models,
    session_sweep,
    start_local,
    stop_local,
)

VERDICT_KEY = pytest.StashKey[Any]()
RUN_FIXTURE = "pipelines_run"
RECORD_PROPERTY = "pipelines"
SECRET_COMPARED = (
    "an API key is compared: its value is not shown (pytest would diff it in full); compare "
    "its length or a prefix such as key.startswith('pk_live_') to see more"
)
BAD_VERDICT = (
    "pytest_pipelines_verdict returned {value!r}; return a pytest_pipelines.Verdict, True/False, "
    "or None to defer to the next implementation."
)
UNKNOWN_MARKER = (
    "{where}: @pytest.mark.{marker} is not a pytest-pipelines marker{hint}; it would be ignored "
    "(no gate, no swap). The markers are: {known}."
)
DID_YOU_MEAN = " (did you mean @pytest.mark.{name}?)"
# pytest's own error for an unregistered mark under --strict-markers (raised at import time,
# before any hook of ours sees the test): the hint is added to that collection error
STRICT_MARKERS_ERROR = re.compile(r"'(pipelines_\w+)' not found in `markers` configuration option")


def unknown_marker(where: str, name: str, known: Iterable[str]) -> str:
    """The error for a ``pipelines_*`` mark that is not one of ``known``, with a did-you-mean."""
    names = sorted(known)
    # compared without the shared "pipelines_" prefix, which would make any name look close
    stems = {n.removeprefix("pipelines_"): n for n in names}
    close = difflib.get_close_matches(name.removeprefix("pipelines_"), stems, n=1, cutoff=0.6)
    hint = DID_YOU_MEAN.format(name=stems[close[0]]) if close else ""
    return UNKNOWN_MARKER.format(where=where, marker=name, hint=hint, known=", ".join(names))


def _check_marker_names(nodeid: str, marks: Iterable[pytest.Mark]) -> None:
    """A misspelled ``pipelines_*`` mark is a collection error, not a silently ignored mark."""
    from pytest_pipelines._markers import MARKER_DOCS

    for mark in marks:
        if mark.name.startswith("pipelines_") and mark.name not in MARKER_DOCS:
            pytest.fail(unknown_marker(nodeid, mark.name, MARKER_DOCS), pytrace=False)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Validate pipelines markers at collection; one item per variant."""
    from pytest_pipelines._markers import (
        NEEDS_RUN_FIXTURE,
        NEEDS_WORKFLOW,
        MarkerError,
        collect_spec_parts,
        uses_pipelines_markers,
    )

    definition = metafunc.definition
    marks = list(definition.iter_markers())
    _check_marker_names(definition.nodeid, marks)
    has_marks = any(m.name.startswith("pipelines_") for m in marks)
    uses_run = "pipelines_run" in metafunc.fixturenames
    if not has_marks and not uses_run:
        return
    nodeid = definition.nodeid
    try:
        parts = collect_spec_parts(nodeid, definition)
    except MarkerError as exc:
        # ``from None``: the MarkerError is the message; a chained copy would print it twice
        raise pytest.fail.Exception(str(exc), pytrace=False) from None
    marker = uses_pipelines_markers(parts)
    if marker is not None and not uses_run:
        pytest.fail(NEEDS_RUN_FIXTURE.format(nodeid=nodeid, marker=marker), pytrace=False)
    if uses_run and "target" not in parts:
        pytest.fail(NEEDS_WORKFLOW.format(nodeid=nodeid), pytrace=False)
    variants = parts.get("variants")
    if variants:
        names = list(variants)
        metafunc.parametrize("_pipelines_variant", names, ids=names, indirect=True)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    """Under ``--strict-markers``, pytest's error for a misspelled mark gets the did-you-mean."""
    report = yield
    if report.failed:
        text = str(report.longrepr)
        found = STRICT_MARKERS_ERROR.search(text)
        if found is not None:
            from pytest_pipelines._markers import MARKER_DOCS

            if found.group(1) not in MARKER_DOCS:
                hint = unknown_marker(collector.nodeid, found.group(1), MARKER_DOCS)
                report.longrepr = f"{text}\n{hint}"
    return report


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Set ``pipelines_run`` up after every other fixture the test requests.

    pytest sets a test's fixtures up in the order of ``item.fixturenames`` (autouse fixtures,
    then ``usefixtures``, then the arguments; higher scopes first). The run happens when
    ``pipelines_run`` is set up, so moving it to the end lets a fixture that prepares the backend
    (a tool binding or ground truth) be listed in any argument position. A fixture that itself
    requests ``pipelines_run`` still runs it when that fixture is set up.
    """
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        names = item.fixturenames
        if RUN_FIXTURE in names and names[-1] != RUN_FIXTURE:
            # a new list: parametrized items of one function share their fixture info's list
            item.fixturenames = [n for n in names if n != RUN_FIXTURE] + [RUN_FIXTURE]


@pytest.hookimpl(trylast=True)
def pytest_pipelines_verdict(item: pytest.Item, result: Any, gates: Any) -> Any:
    """The default verdict: apply the gates."""
    from pytest_pipelines._gates import apply_gates

    return apply_gates(result, gates)


def _normalize(value: Any) -> Any:
    from pytest_pipelines._gates import Verdict

    if isinstance(value, Verdict):
        return value
    if isinstance(value, bool):
        return Verdict(
            passed=value,
            message="" if value else "pipelines: a pytest_pipelines_verdict hook failed this test",
        )
    raise TypeError(BAD_VERDICT.format(value=value))


def _record_data(item: pytest.Item, result: Any, verdict: Any, body: str) -> dict[str, Any]:
    from pytest_pipelines._results import excerpt

    criteria = []
    for s in result.criteria.values():
        criteria.append(
            {
                "name": s.name,
                "type": s.output_type,
                "n": s.n,
                "passes": s.passes,
                "pass_rate": s.pass_rate,
                "mean": s.mean,
                "min": s.min,
                "max": s.max,
                "errors": s.errors,
                "pending": s.pending,
                "examples": [
                    {
                        "task_id": r.task_id,
                        "status": r.status,
                        "value": r.value
                        if isinstance(r.value, (int, float, str, bool))
                        else repr(r.value),
                        "passed": r.passed,
                        "output": excerpt(r.output, 200),
                        "reason": excerpt(r.reason or "", 300),
                    }
                    for r in s.results[:10]
                ],
            }
        )
    tools = [
        {
            "task_id": c.task_id,
            "node": c.node_id,
            "field": c.field_id,
            "score": c.score,
            "passed": c.passed,
            "explain": c.explain(),
        }
        for c in result.tool_correctness
    ]
    return {
        "variant": result.variant,
        "variant_index": item.stash.get(ORDER_KEY, 0),
        "workflow": result.workflow_id,
        "mode": result.mode,
        "tasks": len(result.tasks),
        "criteria": criteria,
        "tools": tools,
        "gates": [o.as_dict() for o in verdict.outcomes] if verdict is not None else [],
        "verdict": ("pass" if verdict.passed else "fail") if verdict is not None else "not applied",
        "body": body,
    }


def _add_properties(item: pytest.Item, data: dict[str, Any]) -> None:
    props = item.user_properties
    props.append((RECORD_PROPERTY, json.dumps(data, default=str)))
    if data["variant"] is not None:
        props.append(("pipelines.variant", data["variant"]))
    for c in data["criteria"]:
        for metric in ("pass_rate", "mean"):
            if c[metric] is not None:
                props.append((f"pipelines.{c['name']}.{metric}", round(float(c[metric]), 6)))
        if c["pending"]:
            props.append((f"pipelines.{c['name']}.pending", int(c["pending"])))
    for g in data["gates"]:
        props.append(
            (
                f"pipelines.gate.{g['subject']}.{g['metric']}",
                f"{'pass' if g['passed'] else 'miss'}: observed {g['observed']} {g['threshold']}",
            )
        )
    props.append(("pipelines.verdict", data["verdict"]))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """After the test body: the verdict on the run's gates."""
    try:
        res = yield
    except BaseException as exc:
        result = item.stash.get(RESULT_KEY, None)
        if result is not None:
            from pytest_pipelines._gates import apply_gates

            verdict = apply_gates(result, item.stash[GATES_KEY])
            body = "skipped" if isinstance(exc, pytest.skip.Exception) else "failed"
            _add_properties(item, _record_data(item, result, verdict, body))
        raise
    result = item.stash.get(RESULT_KEY, None)
    if result is None:
        return res
    verdict = _normalize(
        item.ihook.pytest_pipelines_verdict(item=item, result=result, gates=item.stash[GATES_KEY])
    )
    item.stash[VERDICT_KEY] = verdict
    _add_properties(item, _record_data(item, result, verdict, "passed"))
    if not verdict.passed:
        pytest.fail(verdict.message or "pipelines: the verdict failed this test", pytrace=False)
    return res


class SessionHooks:
    """Hooks that need the session's config (registered once per config)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Controller side: collect each eval test's record from its reports."""
        state = self.config.stash[STATE_KEY]
        if state.is_worker:
            return
        props = {str(p[0]): p[1] for p in report.user_properties}
        if RECORD_PROPERTY not in props and "pipelines.error" not in props:
            return
        rec = state.records.get(report.nodeid)
        if rec is None:
            path, line, _ = report.location
            rec = Record(nodeid=report.nodeid, location=(path, (line or 0) + 1))
            state.records[report.nodeid] = rec
        if RECORD_PROPERTY in props and rec.data is None:
            rec.data = json.loads(str(props[RECORD_PROPERTY]))
        if "pipelines.test" in props and rec.test is None:
            rec.test = str(props["pipelines.test"])
        if "pipelines.error" in props and rec.error is None:
            rec.error = str(props["pipelines.error"])
        body_failed = report.when == "call" and (rec.data or {}).get("body") == "failed"
        if report.failed and rec.problem is None and (body_failed or report.when == "teardown"):
            crash = getattr(getattr(report.longrepr, "reprcrash", None), "message", None)
            lines = str(crash or report.longreprtext).strip().splitlines()
            rec.problem = (report.when, lines[0].strip()[:300] if lines else report.outcome)
        if report.failed:
            rec.outcome = "error" if report.when != "call" else "failed"
        elif report.when == "call" and rec.outcome not in ("error", "failed"):
            rec.outcome = report.outcome
            if hasattr(report, "wasxfail"):  # an expected failure is not a skip
                rec.outcome = "xfailed" if report.skipped else "xpassed"


def pytest_assertrepr_compare(
    config: pytest.Config, op: str, left: object, right: object
) -> list[str] | None:
    """A comparison with an API key explains itself without the key.

    pytest's own explanation of ``str == str`` is a text diff of both values in full; the key is
    a :class:`~pytest_pipelines._secret.Secret`, so both sides are shown masked instead.
    """
    if op not in ("==", "!=", "in", "not in") or not (
        isinstance(left, str) and isinstance(right, str)
    ):
        return None
    if not isinstance(left, Secret) and not isinstance(right, Secret):
        return None

    def shown(value: str) -> str:
        return f"{Secret(value)!r} ({len(value)} characters)"

    return [f"{shown(left)} {op} {shown(right)}", SECRET_COMPARED]


def pytest_report_header(config: pytest.Config) -> str:
    """Mode and base URL (never the key)."""
    state = config.stash[STATE_KEY]
    return state.settings.describe(state.base_url)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Controller, local mode: a bad model spec stops the session here, once, before any worker."""
    load_models(session.config.stash[STATE_KEY])


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: share the run id, base URL and key with a worker (starts local mode)."""
    state = node.config.stash[STATE_KEY]
    if state.settings.mode == "local":
        start_local(state)
    node.workerinput["pipelines_run_id"] = state.run_id
    if state.base_url:
        node.workerinput["pipelines_base_url"] = state.base_url
    if state.api_key:
        # a plain str: execnet sends only builtin types (workers wrap it in a Secret again)
        node.workerinput["pipelines_api_key"] = str(state.api_key)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """The results table, and variants side by side."""
    state = config.stash[STATE_KEY]
    if state.is_worker or not state.records:
        return
    from pytest_pipelines._summary import ordered, write_summary

    write_summary(terminalreporter, ordered(state.records.values()))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Controller: write the detailed JUnit report and sweep what this run left."""
    config = session.config
    state = config.stash[STATE_KEY]
    if state.is_worker:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")

    def log(line: str) -> None:
        if reporter is not None:
            reporter.ensure_newline()
            if getattr(reporter._tw, "width_of_current_line", 0):  # e.g. after xdist's progress
                reporter.write("\n")
            reporter.write_line(line)

    if state.settings.junitxml:
        from pytest_pipelines._junit import write_junit
        from pytest_pipelines._summary import ordered

        path = write_junit(
            state.settings.junitxml, ordered(state.records.values()), config.invocation_params.dir
        )
        log(f"pipelines: detailed JUnit report written to {path}")
    session_sweep(state, log, distributed=config.pluginmanager.has_plugin("dsession"))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the embedded backend (controller)."""
    state = config.stash.get(STATE_KEY, None)
    if state is not None:
        if state.client is not None:
            state.client.close()
            state.client = None
        stop_local(state)
