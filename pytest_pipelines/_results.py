"""RunResult: the one place that reads task-detail and tool-correctness shapes.

The hosted API's shape of per-task evaluation results is not public; the local backend defines it
(docs/reference/local-shapes.md). Every read of that shape happens in this module, so adapting to
the hosted shape later is a one-file change.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_pipelines._stats import PairedResult

from pytest_pipelines._usage import Usage, total

#: names of ephemeral objects carry this prefix; results report them without it
EPHEMERAL_PREFIX_RE = re.compile(r"^pytest-[0-9a-f]{12}-[A-Za-z0-9_]+-\d+-")

UNKNOWN_VARIANT = (
    "no variant named {name!r} in this run; its variants: {known}. Several variants run in one "
    "item with mode='experiment', pipelines_variants and pipelines_compare."
)
UNKNOWN_CRITERION = (
    "no criterion named {name!r} in this run; known criteria: {known}. "
    "Check the spelling, or the evaluation bound to the workflow's evaluation fields."
)


def display_name(name: str) -> str:
    """A criterion/prompt name without the ephemeral-object prefix."""
    return EPHEMERAL_PREFIX_RE.sub("", name)


def excerpt(value: Any, limit: int = 160) -> str:
    """A one-line, length-limited rendering of an output value."""
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's result on one task."""

    task_id: int
    criterion: str
    criterion_id: int | None
    output_type: str
    status: str
    value: Any
    passed: bool | None
    reason: str | None
    error: str | None
    node_id: str
    field_id: str
    target_node_id: str | None
    target_field_id: str | None
    output: Any = None
    #: the evaluation (and its version) that produced this result, when the backend says
    evaluation_id: int | None = None
    evaluation_version: int | None = None


@dataclass(frozen=True)
class LlmField:
    """What one LLM field of a task ran with: its model and prompt version.

    ``served_by`` is ``"local"`` when the local backend's model registry answered (None when the
    backend does not say, as the hosted one); ``stand_in_for`` names the hosted model a local
    stand-in imitates (``gemini-3.5-flash`` for the demo's stand-in), so no report shows a local
    score as that model's.
    """

    node_id: str
    field_id: str
    model: str | None
    prompt_id: int | None
    prompt_version: int | None
    served_by: str | None = None
    stand_in_for: str | None = None


@dataclass(frozen=True)
class ModelUse:
    """A model a task used and who served it (see :class:`LlmField`)."""

    model: str
    served_by: str | None = None
    stand_in_for: str | None = None

    @property
    def is_local(self) -> bool:
        """True when the local backend served the model (a stand-in or a local model)."""
        return self.served_by == "local"

    @property
    def label(self) -> str:
        """The model as reports name it: ``gemini-3.5-flash (local stand-in)``, ``echo (local)``."""
        if self.stand_in_for:
            return f"{self.model} (local stand-in)"
        if self.is_local:
            return f"{self.model} (local)"
        return self.model


def models_of(fields: Iterable[LlmField]) -> tuple[ModelUse, ...]:
    """The distinct models of ``fields``, in first-use order."""
    seen: dict[tuple[str, str | None, str | None], ModelUse] = {}
    for f in fields:
        if f.model is None:
            continue
        use = ModelUse(f.model, f.served_by, f.stand_in_for)
        seen.setdefault((use.model, use.served_by, use.stand_in_for), use)
    return tuple(seen.values())


@dataclass(frozen=True)
class ToolCall:
    """One tool call recorded on a task's node."""

    task_id: int
    node_id: str
    field_id: str
    tool_name: str
    input: Any
    output: Any
    error: str | None
    round: int | None = None
    order: int | None = None
    #: a raising code tool's own frames (the local backend records them; None otherwise)
    traceback: str | None = None


@dataclass(frozen=True)
class ToolCorrectness:
    """The tool-correctness score of one field on one task."""

    task_id: int
    node_id: str
    node_db_id: int
    field_id: str
    score: float
    passed: bool | None
    threshold: float | None
    details: Mapping[str, Any] = field(default_factory=dict)

    def explain(self) -> str:
        """The details that explain a low score, in one line."""
        d = self.details
        parts = []
        for key in ("missing", "excluded_called", "unexpected", "parameter_mismatches"):
            if d.get(key):
                parts.append(f"{key}={d[key]}")
        # the order is only a fault when it was scored (should_consider_ordering, or the ground
        # truth's ordering_matters); a backend that does not say whether it was is taken at
        # its word that ordering_ok matters
        if d.get("ordering_ok") is False and d.get("ordering_considered", True) is not False:
            parts.append("ordering wrong")
        if not parts and "called" in d:
            parts.append(f"called={d['called']}")
        return "; ".join(parts) or "no details"


@dataclass(frozen=True)
class TaskResult:
    """One task of a run: its outputs, criterion results, tool calls and tool correctness."""

    id: int
    status: str
    inputs: Mapping[str, Any]
    expected_output: Any
    error: str | None
    outputs: Mapping[str, Mapping[str, Any]]
    criteria: tuple[CriterionResult, ...]
    tool_calls: tuple[ToolCall, ...]
    node_db_ids: Mapping[str, int]
    tool_correctness: tuple[ToolCorrectness, ...] = ()
    #: the model and prompt version of each LLM field (what a baseline records as "used")
    llm_fields: tuple[LlmField, ...] = ()
    #: the input this task ran (stable across runs and reorderings: see :func:`assign_inputs`)
    input_key: str = ""
    #: which run of its input this task is (0 .. repeat-1)
    repeat_index: int = 0
    #: tokens, latency and cost of the task's model calls (``None``: the backend gave none)
    usage: Usage | None = None

    @property
    def models(self) -> tuple[ModelUse, ...]:
        """The models this task's LLM fields used, with who served them."""
        return models_of(self.llm_fields)

    def output(self, node: str, field: str) -> Any:
        """The output of ``node.field`` on this task (KeyError lists what exists)."""
        try:
            return self.outputs[node][field]
        except KeyError:
            known = sorted(f"{n}.{f}" for n, fs in self.outputs.items() for f in fs)
            raise KeyError(f"no output {node}.{field} on task {self.id}; known: {known}") from None


@dataclass(frozen=True)
class CriterionStats:
    """A criterion aggregated over the run's tasks.

    ``n`` counts completed results; ``passes`` those that passed; ``pass_rate`` is
    ``passes / (results with a pass/fail)`` or ``None`` when no result has one (a rating without a
    threshold); ``mean``/``min``/``max`` are over numeric values (booleans count as 1/0);
    ``errors`` are evaluator errors; ``pending`` human ratings not submitted yet.
    """

    name: str
    output_type: str
    n: int
    passes: int
    pass_rate: float | None
    mean: float | None
    min: float | None
    max: float | None
    errors: int
    pending: int
    results: tuple[CriterionResult, ...] = field(repr=False, default=())

    def worst(self, limit: int = 3, *, highest: bool = False) -> list[CriterionResult]:
        """The worst results first: failed, then lowest values (highest with ``highest=True``,
        for an upper bound such as ``max_mean``)."""
        done = [r for r in self.results if r.status == "completed"]
        sign = -1.0 if highest else 1.0

        def key(r: CriterionResult) -> tuple[int, float]:
            value = _number(r.value)
            return (0 if r.passed is False else 1, sign * value if value is not None else 0.0)

        return sorted(done, key=key)[:limit]

    def metric(self, name: str) -> float | None:
        """``pass_rate``, ``mean``, ``min`` or ``max`` by name."""
        value: float | None = getattr(self, name)
        return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    return None


def aggregate(name: str, results: Sequence[CriterionResult]) -> CriterionStats:
    """Aggregate one criterion's results."""
    done = [r for r in results if r.status == "completed"]
    judged = [r for r in done if r.passed is not None]
    passes = sum(1 for r in judged if r.passed)
    values = [v for v in (_number(r.value) for r in done) if v is not None]
    output_type = next((r.output_type for r in results if r.output_type), "unknown")
    return CriterionStats(
        name=name,
        output_type=output_type,
        n=len(done),
        passes=passes,
        pass_rate=passes / len(judged) if judged else None,
        mean=sum(values) / len(values) if values else None,
        min=min(values) if values else None,
        max=max(values) if values else None,
        errors=sum(1 for r in results if r.status == "error"),
        pending=sum(1 for r in results if r.status == "pending"),
        results=tuple(results),
    )


def parse_task(detail: Mapping[str, Any]) -> TaskResult:
    """Read one task-detail dict (see docs/reference/local-shapes.md, "Task detail")."""
    task_id = int(detail["id"])
    outputs: dict[str, dict[str, Any]] = {}
    node_db_ids: dict[str, int] = {}
    criteria: list[CriterionResult] = []
    calls: list[ToolCall] = []
    nodes = detail.get("nodes") or []
    for node in nodes:
        outputs[str(node.get("node_id"))] = dict(node.get("outputs") or {})
        if node.get("id") is not None:
            node_db_ids[str(node.get("node_id"))] = int(node["id"])
    llm_fields: list[LlmField] = []
    for node in nodes:
        node_id = str(node.get("node_id"))
        for f in node.get("fields") or []:
            if f.get("type") == "llm":
                llm_fields.append(
                    LlmField(
                        node_id=node_id,
                        field_id=str(f.get("field_id")),
                        model=f.get("model"),
                        prompt_id=f.get("prompt_id"),
                        prompt_version=f.get("prompt_version"),
                        served_by=f.get("served_by"),
                        stand_in_for=f.get("stand_in_for"),
                    )
                )
        for ev in node.get("evaluation_results") or []:
            tnode, tfield = ev.get("target_node_id"), ev.get("target_field_id")
            target_out = outputs.get(str(tnode), {}).get(str(tfield)) if tnode else None
            criteria.append(
                CriterionResult(
                    task_id=task_id,
                    criterion=display_name(str(ev.get("criterion_name") or ev.get("criterion_id"))),
                    criterion_id=ev.get("criterion_id"),
                    output_type=str(ev.get("output_type") or "unknown"),
                    status=str(ev.get("status") or "completed"),
                    value=ev.get("value"),
                    passed=ev.get("passed"),
                    reason=ev.get("reason"),
                    error=ev.get("error"),
                    node_id=node_id,
                    field_id=str(ev.get("field_id")),
                    target_node_id=tnode,
                    target_field_id=tfield,
                    output=target_out,
                    evaluation_id=ev.get("evaluation_id"),
                    evaluation_version=ev.get("evaluation_version"),
                )
            )
        for call in node.get("tool_calls") or []:
            calls.append(
                ToolCall(
                    task_id=task_id,
                    node_id=node_id,
                    field_id=str(call.get("field_id")),
                    tool_name=str(call.get("tool_name")),
                    input=call.get("input"),
                    output=call.get("output"),
                    error=call.get("error"),
                    round=call.get("round"),
                    order=call.get("order"),
                    traceback=call.get("traceback"),
                )
            )
    return TaskResult(
        id=task_id,
        status=str(detail.get("status")),
        inputs=dict(detail.get("inputs") or {}),
        expected_output=detail.get("expected_output"),
        error=detail.get("error"),
        outputs=outputs,
        criteria=tuple(criteria),
        tool_calls=tuple(calls),
        node_db_ids=node_db_ids,
        llm_fields=tuple(llm_fields),
        usage=Usage.from_dict(detail.get("usage")),
    )


def export_request(task_ids: Sequence[int]) -> dict[str, Any]:
    """The export-tasks payload that asks for these tasks' full details and not their rows
    (see docs/reference/local-shapes.md, "Bulk task detail")."""
    return {
        "format": "json",
        "task_ids": list(task_ids),
        "include_details": True,
        "include_content": False,
    }


def export_details(response: Any) -> dict[int, Mapping[str, Any]] | None:
    """Task id -> task detail from an export-tasks response, or None when it carries no details.

    The local backend answers :func:`export_request` with a ``details`` list (one task-detail
    dict per exported task). A deployment whose export lacks it (the hosted export's fields are
    not public) gives None, and the caller reads the tasks one by one.
    """
    if not isinstance(response, Mapping):
        return None
    details = response.get("details")
    if not isinstance(details, list):
        return None
    out: dict[int, Mapping[str, Any]] = {}
    for detail in details:
        if not isinstance(detail, Mapping) or detail.get("id") is None:
            return None
        if not isinstance(detail.get("nodes", []), list):
            return None
        out[int(detail["id"])] = detail
    return out


def node_of_field(task: TaskResult, field_id: str, node: str | None) -> list[str]:
    """The node ids of ``task`` that hold LLM field ``field_id`` (restricted to ``node``)."""
    if node is not None:
        return [node] if node in task.outputs else []
    return [n for n, outs in task.outputs.items() if field_id in outs]


def parse_tool_correctness(
    task: TaskResult, node_id: str, response: Mapping[str, Any]
) -> ToolCorrectness:
    """Read one tool-correctness response (see local-shapes.md, "Tool correctness")."""
    return ToolCorrectness(
        task_id=task.id,
        node_id=node_id,
        node_db_id=int(response.get("node_db_id", task.node_db_ids.get(node_id, 0))),
        field_id=str(response.get("field_id")),
        score=float(response.get("score") or 0.0),
        passed=response.get("passed"),
        threshold=response.get("threshold"),
        details=dict(response.get("details") or {}),
    )


def with_tool_correctness(task: TaskResult, checks: Iterable[ToolCorrectness]) -> TaskResult:
    """A copy of ``task`` carrying its tool-correctness results."""
    from dataclasses import replace

    return replace(task, tool_correctness=task.tool_correctness + tuple(checks))


def assign_inputs(tasks: Sequence[TaskResult], repeat: int = 1) -> tuple[TaskResult, ...]:
    """The tasks, in creation order, with their ``input_key`` and ``repeat_index``.

    Tasks are grouped by their inputs (canonical JSON). Within a group, in creation order, the
    t-th task is repeat ``t % repeat`` of the group's ``t // repeat``-th input: the plugin lays a
    repeated run out input by input (``repeat`` consecutive copies of each row), and tasks that
    ran the same row are interchangeable, so this needs neither the backend's row order nor a
    marker carried in the inputs. The key is :func:`~pytest_pipelines._baseline.derive_input_key`
    of the inputs and that occurrence number: identical rows stay apart, and a reordered dataset
    still pairs.
    """
    from dataclasses import replace

    from pytest_pipelines._baseline import canonical_json, derive_input_key

    seen: dict[str, int] = {}
    out: list[TaskResult] = []
    for task in tasks:
        body = canonical_json(dict(task.inputs))
        rank = seen.get(body, 0)
        seen[body] = rank + 1
        key = derive_input_key(task.inputs, rank // repeat)
        out.append(replace(task, input_key=key, repeat_index=rank % repeat))
    return tuple(out)


def run_problems(tasks: Sequence[TaskResult]) -> list[str]:
    """What makes a run broken rather than worse: failed tasks and evaluator errors."""
    problems: list[str] = []
    for task in tasks:
        if task.status != "completed":
            problems.append(f"task {task.id} is {task.status}: {task.error or 'no error message'}")
        for r in task.criteria:
            if r.status == "error":
                problems.append(
                    f"task {task.id}: evaluator error for criterion {r.criterion!r}: {r.error or 'no error message'}"
                )
    return problems


@dataclass(frozen=True)
class RunResult:
    """The results of one eval test's run: per task and per criterion.

    ``criterion(name)`` gives a :class:`CriterionStats`; ``tasks`` every :class:`TaskResult`;
    ``tool_correctness`` every tool-correctness check the tool gates asked for.
    """

    project_id: int
    workflow_id: int
    mode: str
    variant: str | None
    tasks: tuple[TaskResult, ...]
    job_id: str | None = None
    experiment_id: str | None = None
    run_workflow_id: int | None = None
    #: runs of every input (``pipelines_workflow(repeat=K)``)
    repeat: int = 1
    #: tasks the markers asked for before adaptive sampling (None: not recorded)
    tasks_planned: int | None = None
    #: create-tasks jobs (or experiments) the run took: more than one when adaptive sampling
    #: ran more tasks
    batches: int = 1

    @property
    def tasks_used(self) -> int:
        """Tasks the run used (more than ``tasks_planned`` when adaptive sampling added some)."""
        return len(self.tasks)

    def by_input(self) -> dict[str, tuple[TaskResult, ...]]:
        """Input key -> its tasks (repeats in order), in first-seen order."""
        groups: dict[str, list[TaskResult]] = {}
        for task in self.tasks:
            groups.setdefault(task.input_key, []).append(task)
        return {key: tuple(ts) for key, ts in groups.items()}

    #: one experiment with several variants in one test item (``pipelines_compare``): each
    #: variant's own result, in the order of ``pipelines_variants``; ``tasks`` holds them all
    variant_results: tuple[RunResult, ...] = ()

    @property
    def variants(self) -> dict[str, RunResult]:
        """Variant name -> that variant's :class:`RunResult` (empty unless several variants ran
        in this item's experiment)."""
        return {str(r.variant): r for r in self.variant_results}

    def for_variant(self, name: str) -> RunResult:
        """The result of variant ``name`` of this item's experiment.

        :raises KeyError: when no variant has that name; the message lists the variants.
        """
        found = self.variants
        if name in found:
            return found[name]
        raise KeyError(UNKNOWN_VARIANT.format(name=name, known=sorted(found) or "none"))

    def compare(self, a: str, b: str, criterion: str, *, confidence: float = 0.95) -> PairedResult:
        """The paired difference ``a - b`` of ``criterion`` between two variants of this run.

        Pass rate for a pass/fail criterion, mean value otherwise; paired on the input keys
        (every variant of one experiment runs the same inputs), unpaired when they do not pair.

        :param a: the variant compared (e.g. ``"new"``).
        :param b: the variant compared against (e.g. ``"control"``).
        :param criterion: the criterion's name.
        :param confidence: the interval's level; default 0.95.
        :returns: difference, interval (``low``/``high``), ``p_value`` and ``n_pairs``.
        :raises KeyError: an unknown variant or criterion (the message lists the known ones).
        """
        from pytest_pipelines._baseline import criterion_series
        from pytest_pipelines._decide import compare

        ra, rb = self.for_variant(a), self.for_variant(b)
        kind = "boolean" if ra.criterion(criterion).output_type == "boolean" else "numeric"
        rb.criterion(criterion)
        sa, sb = criterion_series(ra, criterion), criterion_series(rb, criterion)
        index = 0 if kind == "boolean" else 1
        return compare(sa[index], sb[index], kind=kind, confidence=confidence)

    @property
    def criteria(self) -> dict[str, CriterionStats]:
        """Criterion name -> its aggregate, in first-seen order."""
        groups: dict[str, list[CriterionResult]] = {}
        for task in self.tasks:
            for r in task.criteria:
                groups.setdefault(r.criterion, []).append(r)
        return {name: aggregate(name, rs) for name, rs in groups.items()}

    def criterion(self, name: str) -> CriterionStats:
        """The aggregate of the criterion called ``name``.

        :raises KeyError: when no criterion has that name; the message lists the known names.
        """
        stats = self.criteria
        if name in stats:
            return stats[name]
        raise KeyError(UNKNOWN_CRITERION.format(name=name, known=sorted(stats) or "none"))

    @property
    def tool_correctness(self) -> tuple[ToolCorrectness, ...]:
        """Every tool-correctness check of every task."""
        return tuple(c for t in self.tasks for c in t.tool_correctness)

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        """Every tool call of every task."""
        return tuple(c for t in self.tasks for c in t.tool_calls)

    @property
    def models(self) -> tuple[ModelUse, ...]:
        """The models of every task, distinct, with who served them (reports mark local ones)."""
        return models_of(f for t in self.tasks for f in t.llm_fields)

    @property
    def errors(self) -> list[str]:
        """Failed tasks and evaluator errors (a run with any is a test error)."""
        return run_problems(self.tasks)

    @property
    def usage(self) -> Usage:
        """Tokens, latency and cost of every model call of the run (judges included)."""
        return total(t.usage for t in self.tasks)

    def __repr__(self) -> str:
        head = f"workflow={self.workflow_id}"
        if self.variant is not None:
            head += f" variant={self.variant!r}"
        head += f" mode={self.mode} tasks={len(self.tasks)}"
        if self.repeat > 1:
            head += f" repeat={self.repeat}"
        if self.tasks_planned is not None and self.tasks_planned != len(self.tasks):
            head += f" planned={self.tasks_planned}"
        lines = [f"<RunResult {head}>"]
        if self.variant_results:  # every variant on its own: their tasks together mean nothing
            for part in self.variant_results:
                lines += ["  " + line for line in repr(part).splitlines()]
            return "\n".join(lines)
        for _name, s in self.criteria.items():
            lines.append("  " + format_stats(s))
        for c in self.tool_correctness:
            lines.append(
                f"  tool correctness {c.node_id}.{c.field_id} task {c.task_id}: {c.score:.2f}"
            )
        return "\n".join(lines)


def fmt(value: float | None) -> str:
    """A number for tables: ``-`` for None, at most 3 decimals."""
    if value is None:
        return "-"
    if not math.isfinite(value):  # int(inf) raises; a judge may answer "Infinity"
        return str(value)
    return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def format_stats(s: CriterionStats) -> str:
    """One readable line for a criterion aggregate."""
    text = f"{s.name} [{s.output_type}]: n={s.n}"
    if s.pass_rate is not None:
        text += f" passes={s.passes} pass_rate={fmt(s.pass_rate)}"
    if s.mean is not None:
        text += f" mean={fmt(s.mean)} min={fmt(s.min)} max={fmt(s.max)}"
    if s.errors:
        text += f" errors={s.errors}"
    if s.pending:
        text += f" pending={s.pending}"
    return text
