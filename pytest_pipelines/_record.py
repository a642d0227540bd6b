"""The typed record of one eval test item: the contract every report renders.

Built once on the process that ran the test (from its :class:`RunResult` and
:class:`Verdict`, or from the error that stopped it before its run), attached to the test's
reports, carried to the xdist controller by ``pytest_report_to_serializable`` /
``pytest_report_from_serializable`` as a plain dict, and rendered by the terminal table, pytest's
``--junitxml`` properties, the detailed JUnit file, the Markdown summary and the HTML report.

Stdlib only: the controller imports it for every report, eval run or not.
"""

from __future__ import annotations

import ast
import inspect
import math
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import MISSING, asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

#: outputs longer than this are cut in the reports (the run keeps them whole)
OUTPUT_LIMIT = 600
REASON_LIMIT = 400
#: worst examples kept per criterion; values kept per criterion for the distribution charts
EXAMPLES_PER_CRITERION = 5
VALUES_LIMIT = 2000

#: XML 1.0 forbids C0 controls other than tab/newline/CR, surrogates and U+FFFE/U+FFFF; a model's
#: ANSI colour code (``\x1b[31m``) is the usual offender
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` with characters XML 1.0 cannot hold shown as ``\\xNN`` escapes."""
    return _INVALID_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def clip(value: Any, limit: int) -> str:
    """A one-line, length-limited, XML-safe rendering of ``value``.

    :param limit: the most characters kept (an ellipsis marks a cut); no default.
    """
    text = value if isinstance(value, str) else repr(value)
    text = xml_safe(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def number(value: Any) -> float | None:
    """``value`` as a float (booleans as 1/0), or None when it is not a finite number."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)) and math.isfinite(float(value)):
        return float(value)
    return None


@dataclass
class Example:
    """One task behind a score: what went in, what came out, and what the judge said."""

    task_id: int
    label: str
    status: str = "completed"
    value: str = ""
    #: the criterion's own verdict on this task (its own threshold, not a gate's)
    passed: bool | None = None
    inputs: str = ""
    output: str = ""
    reason: str = ""
    tool_calls: tuple[str, ...] = ()


@dataclass
class CriterionRecord:
    """One criterion aggregated over the run, with its values for a distribution chart."""

    name: str
    type: str
    n: int
    passes: int
    pass_rate: float | None
    mean: float | None
    min: float | None
    max: float | None
    errors: int
    pending: int
    values: tuple[float, ...] = ()
    examples: tuple[Example, ...] = ()


@dataclass(frozen=True)
class GateFields:
    """The fields of one gate threshold's outcome, shared by :class:`GateRecord` and
    :class:`~pytest_pipelines._gates.GateOutcome` (one definition, so the record cannot drift
    from what the verdict layer decides).

    ``passed`` is the blocking bit: False only when this outcome fails the test. ``decision``
    is the statistical outcome (``pass``, ``fail``, ``inconclusive``, ``regression``; ``""`` for
    the point rule without a confidence level), with its interval ``low``/``high`` at
    ``confidence`` over ``n`` tasks of ``n_inputs`` inputs; ``needed_n`` estimates the tasks that
    would decide an inconclusive gate. ``warning`` is the text of the warning this outcome raised
    (a warn-severity miss, an inconclusive pass), if any. Each subclass narrows ``examples`` to
    its own example type.
    """

    subject: str
    metric: str
    observed: float | None
    threshold: str
    passed: bool
    note: str = ""
    examples: tuple[Any, ...] = ()
    kind: str = "criterion"
    decision: str = ""
    low: float | None = None
    high: float | None = None
    confidence: float | None = None
    n: int | None = None
    n_inputs: int | None = None
    needed_n: int | None = None
    severity: str = "error"
    baseline: float | None = None
    delta: float | None = None
    p_value: float | None = None
    method: str = ""
    warning: str = ""


@dataclass(frozen=True)
class GateRecord(GateFields):
    """One gate threshold's outcome as the reports render it (see :class:`GateFields`).

    The decision fields are blank (``""``/None) where the gate used the plain point rule.
    """

    examples: tuple[Example, ...] = ()

    @property
    def missed(self) -> bool:
        """True when the outcome is not a clean pass (a blocking miss or a warning)."""
        if not self.passed or self.warning:
            return True
        return self.decision in ("fail", "inconclusive", "regression")


@dataclass
class ToolRecord:
    """One tool-correctness check (a field on a task)."""

    node: str
    field: str
    task_id: int
    label: str
    score: float
    explain: str
    #: the check's own threshold from the backend (not the gate's min_score)
    own_threshold: float | None = None


@dataclass
class VariantRecord:
    """One variant of an item that ran several in one experiment (``pipelines_compare``)."""

    name: str
    tasks: int
    criteria: tuple[CriterionRecord, ...] = ()


@dataclass
class ItemRecord:
    """Everything the reports know about one eval test item."""

    nodeid: str
    test: str
    variant: str | None = None
    variant_index: int = 0
    #: relative to the repository root (git top level, else pytest's rootdir); ``line`` is the
    #: 1-based line of the ``def``, not of its first decorator
    file: str = ""
    line: int = 0
    workflow: int | None = None
    mode: str = ""
    tasks: int = 0
    tasks_planned: int | None = None
    repeat: int = 1
    criteria: tuple[CriterionRecord, ...] = ()
    gates: tuple[GateRecord, ...] = ()
    tools: tuple[ToolRecord, ...] = ()
    #: the variants this item ran in one experiment, each with its own aggregates
    variants: tuple[VariantRecord, ...] = ()
    #: "pass", "fail", "not applied" (the body failed first) or "" (no run)
    verdict: str = ""
    verdict_message: str = ""
    warnings: tuple[str, ...] = ()
    #: how the test body ended: passed, failed or skipped
    body: str = "passed"
    #: the full text of what stopped the test before or during its run (a broken run, a
    #: fixture crash, no API key, an unreachable backend), causes included
    error: str | None = None
    skip_reason: str = ""
    # -- filled on the controller from the test's reports --
    outcome: str = "passed"
    duration: float = 0.0
    #: a failure that is not a gate miss: (phase, first line)
    problem: tuple[str, str] | None = None
    #: the run's model usage (``Usage.as_dict()``: tokens, cost, replays), ``None`` without a run
    usage: dict[str, Any] | None = None
    #: the models the run used, as reports name them: ``gemini-3.5-flash (local stand-in)``,
    #: ``echo (local)`` for models the local backend served, the bare slug for hosted ones
    models: tuple[str, ...] = ()

    @property
    def has_run(self) -> bool:
        """True when the run produced results (an error or an early skip has none)."""
        return bool(self.verdict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what crosses from an xdist worker to the controller)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemRecord:
        """The record :meth:`to_dict` produced (unknown keys from a newer worker are ignored)."""
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in data.items() if k in known}
        kw["criteria"] = tuple(
            CriterionRecord(
                **{
                    **_known(CriterionRecord, c),
                    "values": tuple(c.get("values") or ()),
                    "examples": _examples(c.get("examples")),
                }
            )
            for c in data.get("criteria") or ()
        )
        kw["gates"] = tuple(
            GateRecord(**{**_known(GateRecord, g), "examples": _examples(g.get("examples"))})
            for g in data.get("gates") or ()
        )
        kw["tools"] = tuple(ToolRecord(**_known(ToolRecord, t)) for t in data.get("tools") or ())
        kw["variants"] = tuple(
            VariantRecord(
                name=str(v["name"]),
                tasks=int(v.get("tasks") or 0),
                criteria=tuple(
                    CriterionRecord(**{**_known(CriterionRecord, c), "values": (), "examples": ()})
                    for c in v.get("criteria") or ()
                ),
            )
            for v in data.get("variants") or ()
        )
        kw["warnings"] = tuple(data.get("warnings") or ())
        kw["models"] = tuple(str(m) for m in data.get("models") or ())
        problem = data.get("problem")
        kw["problem"] = (str(problem[0]), str(problem[1])) if problem else None
        return cls(**kw)


def _known(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _examples(items: Iterable[Mapping[str, Any]] | None) -> tuple[Example, ...]:
    return tuple(
        Example(**{**_known(Example, e), "tool_calls": tuple(e.get("tool_calls") or ())})
        for e in items or ()
    )


# -- building a record -------------------------------------------------------------------------


def task_labels(tasks: Sequence[Any]) -> dict[int, str]:
    """A stable label per task id: its input key (and repeat) when the run has them, else its
    position in the run (task ids change every run; positions and input keys do not)."""
    labels: dict[int, str] = {}
    for i, task in enumerate(tasks, 1):
        key = getattr(task, "input_key", None)
        if key:
            label = f"input {key}"
            repeat = getattr(task, "repeat_index", None)
            if repeat:
                label += f" repeat {int(repeat) + 1}"
        else:
            label = f"#{i}"
        labels[int(task.id)] = label
    return labels


def _call_text(call: Any) -> str:
    text = f"{call.tool_name}({clip(call.input, 120)}) -> "
    return text + (f"error: {clip(call.error, 120)}" if call.error else clip(call.output, 160))


def _example(r: Any, task: Any, labels: Mapping[int, str]) -> Example:
    calls = tuple(_call_text(c) for c in getattr(task, "tool_calls", ()) if c.node_id == r.node_id)[
        :8
    ]
    value = r.value if isinstance(r.value, str) else repr(r.value)
    return Example(
        task_id=int(r.task_id),
        label=labels.get(int(r.task_id), f"task {r.task_id}"),
        status=str(r.status),
        value=clip(value, 80) if r.status == "completed" else "",
        passed=r.passed,
        inputs=clip(dict(task.inputs), 300) if task is not None else "",
        output=clip(r.output, OUTPUT_LIMIT) if r.output is not None else "",
        reason=clip(r.reason or r.error or "", REASON_LIMIT),
        tool_calls=calls,
    )


def _criterion(stats: Any, tasks: Mapping[int, Any], labels: Mapping[int, str]) -> CriterionRecord:
    values = tuple(
        v
        for v in (number(r.value) for r in stats.results if r.status == "completed")
        if v is not None
    )[:VALUES_LIMIT]
    worst = stats.worst(EXAMPLES_PER_CRITERION)
    pending = [r for r in stats.results if r.status == "pending"][: max(0, 3 - len(worst))]
    return CriterionRecord(
        name=stats.name,
        type=stats.output_type,
        n=stats.n,
        passes=stats.passes,
        pass_rate=stats.pass_rate,
        mean=stats.mean,
        min=stats.min,
        max=stats.max,
        errors=stats.errors,
        pending=stats.pending,
        values=values,
        examples=tuple(_example(r, tasks.get(r.task_id), labels) for r in [*worst, *pending]),
    )


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def gate_record(
    o: Any, labels: Mapping[int, str], found: Mapping[tuple[str, int], Example] | None = None
) -> GateRecord:
    """A :class:`GateRecord` from a GateOutcome (decision fields read with defaults, so outcomes
    from before the verdict layer render too).

    :param labels: task id -> stable label (see :func:`task_labels`).
    :param found: (criterion, task id) -> a complete :class:`Example` to use for the gate's worst
        tasks; default None (the outcome's own excerpts).
    """
    values: dict[str, Any] = {}
    for f in fields(GateFields):
        if f.name == "examples":
            continue
        # read with the field's default, so outcomes from before the verdict layer render too
        default = None if f.default is MISSING else f.default
        v = getattr(o, f.name, default)
        # ``from __future__ import annotations`` keeps each field's type as its source text
        if f.type == "bool":
            values[f.name] = bool(v)
        elif f.type == "str":
            values[f.name] = xml_safe(str(v or default or ""))
        elif f.type == "int | None":
            values[f.name] = int(v) if isinstance(v, int) and not isinstance(v, bool) else None
        else:
            values[f.name] = _float(v)
    return GateRecord(
        **values,
        examples=tuple(
            (found or {}).get((str(o.subject), int(e.task_id)))
            or Example(
                task_id=int(e.task_id),
                label=labels.get(int(e.task_id), f"task {e.task_id}"),
                output=clip(e.output, OUTPUT_LIMIT),
                reason=clip(e.reason, REASON_LIMIT),
            )
            for e in getattr(o, "examples", ())
        ),
    )


def from_run(base: ItemRecord, result: Any, verdict: Any, *, body: str = "passed") -> ItemRecord:
    """``base`` (identity and location) completed with the run's results and the verdict.

    :param verdict: the Verdict, or None when the body failed before it (``"not applied"``).
    :param body: how the test body ended: ``passed`` (default), ``failed`` or ``skipped``.
    """
    tasks = {int(t.id): t for t in result.tasks}
    labels = task_labels(result.tasks)
    base.workflow = int(result.workflow_id)
    base.mode = str(result.mode)
    base.variant = result.variant
    base.tasks = len(result.tasks)
    planned = getattr(result, "tasks_planned", None)
    base.tasks_planned = int(planned) if isinstance(planned, int) else None
    base.repeat = int(getattr(result, "repeat", 1) or 1)
    usage = getattr(result, "usage", None)
    base.usage = usage.as_dict() if usage is not None else None
    base.models = tuple(m.label for m in getattr(result, "models", ()) or ())
    base.criteria = tuple(_criterion(s, tasks, labels) for s in result.criteria.values())
    # several variants in one experiment: their own aggregates, for the side-by-side tables
    base.variants = tuple(
        VariantRecord(
            name=str(name),
            tasks=len(r.tasks),
            criteria=tuple(
                replace(_criterion(s, tasks, labels), values=(), examples=())
                for s in r.criteria.values()
            ),
        )
        for name, r in (getattr(result, "variants", None) or {}).items()
    )
    base.tools = tuple(
        ToolRecord(
            node=str(c.node_id),
            field=str(c.field_id),
            task_id=int(c.task_id),
            label=labels.get(int(c.task_id), f"task {c.task_id}"),
            score=float(c.score),
            explain=xml_safe(c.explain()),
            own_threshold=_float(c.threshold),
        )
        for c in result.tool_correctness
    )
    if verdict is None:
        base.verdict = "not applied"
    else:
        # a gate's worst tasks with everything the criterion knows of them (value, inputs, calls)
        results = {(r.criterion, int(r.task_id)): r for t in result.tasks for r in t.criteria}
        found = {
            (str(o.subject), int(e.task_id)): _example(r, tasks.get(int(e.task_id)), labels)
            for o in verdict.outcomes
            for e in getattr(o, "examples", ())
            if (r := results.get((str(o.subject), int(e.task_id)))) is not None
        }
        base.gates = tuple(gate_record(o, labels, found) for o in verdict.outcomes)
        base.verdict = "pass" if verdict.passed else "fail"
        base.verdict_message = xml_safe(str(verdict.message or ""))
        base.warnings = tuple(xml_safe(str(w)) for w in getattr(verdict, "warnings", ()) or ())
    base.body = body
    return base


def error_text(exc: BaseException) -> str:
    """An exception's message with its causes (``raise ... from``, or raised while handling)."""
    parts = [_one(exc)]
    seen = {id(exc)}
    cur: BaseException | None = exc.__cause__ or (
        None if exc.__suppress_context__ else exc.__context__
    )
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        parts.append("caused by " + _one(cur, typed=True))
        cur = cur.__cause__ or (None if cur.__suppress_context__ else cur.__context__)
    return xml_safe("\n".join(parts))


def _one(exc: BaseException, *, typed: bool = False) -> str:
    # pytest.fail/skip outcomes carry their text in .msg; their type name is noise
    msg = getattr(exc, "msg", None)
    if isinstance(msg, str) and type(exc).__name__ in ("Failed", "Skipped", "XFailed"):
        return msg
    text = str(exc)
    name = type(exc).__name__
    return f"{name}: {text}" if text and (typed or name not in text) else (text or name)


def error_message(text: str, limit: int = 500) -> str:
    """One line for a ``message`` attribute: the headline with the cause.

    ``pipelines run of workflow 10 is broken ...:`` alone says nothing: the last line (the
    innermost cause, or the last problem listed) says why.

    :param limit: the most characters kept (default 500).
    """
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return ""
    head = lines[0]
    if len(lines) > 1:
        more = f" (+{len(lines) - 2} more)" if len(lines) > 2 else ""
        head = f"{head.rstrip(':')}: {lines[-1]}{more}"
    return clip(head, limit)


# -- where a test is -----------------------------------------------------------------------------


def repo_root(start: Path) -> Path:
    """The git top level above ``start`` (a ``.git`` directory or worktree file), else ``start``."""
    start = start.resolve()
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return start


def def_line(obj: Any) -> int | None:
    """The 1-based line of ``obj``'s ``def`` (decorators skipped), or None when unknown."""
    try:
        lines, start = inspect.getsourcelines(inspect.unwrap(obj))
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return start + node.lineno - 1
    return None


def relative_file(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with forward slashes (absolute when outside it)."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def classname(nodeid: str) -> str:
    """A JUnit ``classname`` for ``nodeid`` that splits at its last dot into package and test.

    Jenkins takes everything before the last dot as the package; a dot in a parameter
    (``test_y[v1.2]``) or a directory name would split in the wrong place, so those become ``_``.
    """
    path, _, rest = nodeid.partition("::")
    module = path[:-3] if path.endswith(".py") else path
    package = ".".join(p.replace(".", "_") for p in module.split("/") if p)
    if not rest:
        return package
    return f"{package}.{rest.replace('.', '_')}"
