"""The ``pipelines_*`` markers: one dataclass per marker, validation at collection, the run spec.

Each marker is defined once, by its options dataclass: the fields are the marker's arguments
(positional ones first, then keyword-only ones after ``KW_ONLY``), each field's metadata holds its
description and its check, and the ``pytest --markers`` line is generated from the fields. A
marker's arguments are bound to the fields with Python's own wording for a missing, surplus or
unknown argument; each field's check then runs, then the checks that involve several fields.
Every error names the test, the marker, the argument and the valid choices.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, MISSING, dataclass, field, fields
from typing import Any

import pytest

WORKFLOW = "pipelines_workflow"
PROMPT_SWAP = "pipelines_prompt_swap"
MODEL_SWAP = "pipelines_model_swap"
EVALUATION_SWAP = "pipelines_evaluation_swap"
VARIANTS = "pipelines_variants"
GATE = "pipelines_gate"
TOOL_GATE = "pipelines_tool_gate"
COMPARE = "pipelines_compare"
BUDGET = "pipelines_budget"

MODES = ("tasks", "experiment")
TOOL_EVALUATION_PARAMS = ("input_parameters",)
OVERRIDE_KEYS = ("prompts", "models", "evaluations")
DEFAULT_EXPECTED_COLUMN = "expected_output"
INCONCLUSIVE_POLICIES = ("warn", "fail", "pass")
SEVERITIES = ("error", "warn")

MARKER_ERROR = "{nodeid}: @pytest.mark.{marker}: {problem}\n  signature: {signature}"
TOOL_GATE_NO_INTERVAL = (
    "argument {name!r} does not apply to a tool gate: it checks the lowest tool-correctness "
    "score on any task, a worst case that one task decides (like pipelines_gate's min_value), "
    "so there is no interval to decide by and nothing is ever inconclusive. For a statistical "
    "decision, gate a pass/fail criterion: pipelines_gate(criterion, min_pass_rate=..., "
    "confidence=...). Valid arguments: {valid}"
)
NEEDS_RUN_FIXTURE = (
    "{nodeid}: has @pytest.mark.{marker} but does not request the pipelines_run fixture, so "
    "nothing would apply it (a silent pass). Add `pipelines_run` to the test's arguments."
)
DATASET_EXCLUSIVE = (
    "arguments 'dataset' and {other!r} are mutually exclusive: the dataset's rows are the "
    "inputs (and its expected column the expected outputs). Give one or the other."
)
DUPLICATE_MARKER = (
    "two markers on the same test, class or module set {what} differently; keep one (a "
    "marker on the test overrides its class's and module's)"
)
GATE_CONFLICT = (
    "two gates on criterion {criterion!r} at the same level set {name} to {a!r} and {b!r}; "
    "keep one value"
)
THRESHOLD_NAMES = ("min_pass_rate", "min_mean", "max_mean", "min_value", "max_value")
COMPARE_NEEDS_EXPERIMENT = (
    "compares variants that run in ONE experiment on the same inputs: set "
    "pipelines_workflow(..., mode='experiment') (this test runs in mode {mode!r}, where each "
    "variant is a test item of its own and nothing pairs them)"
)
COMPARE_NEEDS_VARIANTS = (
    "needs @pytest.mark.pipelines_variants(...) with the baseline variant {baseline!r} and at "
    "least one other variant to compare with it"
)
COMPARE_NOT_ADAPTIVE = (
    "runs every variant in one experiment of a fixed size: adaptive sampling "
    "(pipelines_workflow(max_count=...)) does not apply; give count= (and repeat=) instead"
)
COMPARE_UNKNOWN_VARIANT = (
    "argument 'baseline' is {baseline!r}, which is not a variant of this test; its variants: "
    "{variants}"
)
NEEDS_WORKFLOW = (
    "{nodeid}: requests pipelines_run but no @pytest.mark.pipelines_workflow(project, workflow, "
    "...) applies to it (on the test, its class or its module). Add one."
)
BAD_CONFIDENCE = (
    "argument 'confidence' must be None (the point rule; ini pipelines_confidence) or a number "
    "strictly between 0 and 1 such as 0.95, got {value!r}"
)
BAD_REDUCE = (
    "argument 'reduce' is {value!r}; valid values: {valid} (how the {kind} of one input's "
    "repeats reduce to one value)"
)
BAD_MAX_COUNT = (
    "argument 'max_count' ({max_count!r}) is less than 'count' ({count!r}); adaptive sampling "
    "starts with count tasks and may grow up to max_count: give max_count >= count"
)


class MarkerError(Exception):
    """A marker argument is invalid; the message names the test, marker and argument."""


class _Bad(Exception):
    """A check's complaint: the problem, without the test and marker (the caller adds them)."""


Check = Callable[[str, Any], Any]


def arg(
    default: Any = MISSING, *, doc: str, check: Check | None = None, optional: bool | None = None
) -> Any:
    """A marker argument: a dataclass field whose metadata holds its description and check.

    ``check(name, value)`` returns the normalised value or raises :class:`_Bad`.

    :param optional: ``None`` is a valid value, accepted without the check (default: when the
        default is ``None``).
    """
    metadata = {
        "doc": doc,
        "check": check,
        "optional": default is None if optional is None else optional,
    }
    if default is MISSING:
        return field(metadata=metadata)
    return field(default=default, metadata=metadata)


def internal(default: Any) -> Any:
    """A field that is not a marker argument (set by the plugin, never by a marker)."""
    return field(default=default, metadata={"internal": True})


# --- checks: one per kind of value ---------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad(
            f"argument {name!r} must be a non-empty string (a node or field id from "
            f"get_configurable_fields), got {value!r}"
        )
    return value


def _ref(name: str, value: Any) -> Any:
    ok = (
        (isinstance(value, str) and value.strip())
        or _is_int(value)
        or (isinstance(value, Mapping) and "id" in value)
        or hasattr(value, "id")
    )
    if not ok:
        raise _Bad(
            f"argument {name!r} must be a fixture name (str), an id (int) or an object/dict with "
            f"an 'id', got {value!r}"
        )
    return value


def _version(name: str, value: Any) -> int:
    if not _is_int(value) or value < 1:
        raise _Bad(f"argument {name!r} must be None (latest) or an int >= 1, got {value!r}")
    return int(value)


def _int_id(name: str, value: Any) -> int:
    if not _is_int(value) or value < 1:
        raise _Bad(f"argument {name!r} must be an int id >= 1, got {value!r}")
    return int(value)


def _count(name: str, value: Any) -> int:
    if not _is_int(value) or value < 1:
        raise _Bad(
            f"argument {name!r} must be None (1, or one task per dataset row) or an int >= 1, "
            f"got {value!r}"
        )
    return int(value)


def _repeat(name: str, value: Any) -> int:
    if not _is_int(value) or value < 1:
        raise _Bad(
            f"argument {name!r} must be an int >= 1 (how many times every input runs), "
            f"got {value!r}"
        )
    return int(value)


def _max_count(name: str, value: Any) -> int:
    if not _is_int(value) or value < 1:
        raise _Bad(
            f"argument {name!r} must be None (no adaptive sampling) or an int >= 1 (the most "
            f"inputs to run while a confident gate is inconclusive), got {value!r}"
        )
    return int(value)


def _inputs(name: str, value: Any) -> tuple[dict[str, Any], ...] | str:
    if isinstance(value, str):
        if not value.strip():
            raise _Bad(f"argument {name!r} is an empty fixture name")
        return value
    if isinstance(value, Mapping):
        return (dict(value),)
    if isinstance(value, Sequence) and value and all(isinstance(r, Mapping) for r in value):
        return tuple(dict(r) for r in value)
    raise _Bad(
        f"argument {name!r} must be a dict of inputs, a non-empty list of dicts (rows used "
        f"round-robin), or the name of a fixture returning rows, got {value!r}"
    )


def _expected_outputs(name: str, value: Any) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise _Bad(f"argument {name!r} must be a list parallel to 'inputs', got {value!r}")
    return tuple(value)


def _column(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad(
            f"argument {name!r} must be a non-empty column name or None (the dataset has no "
            f"expected outputs), got {value!r}"
        )
    return value


def _timeout(name: str, value: Any) -> float:
    if not _is_number(value) or value <= 0:
        raise _Bad(
            f"argument {name!r} must be None (use --pipelines-timeout) or seconds > 0, "
            f"got {value!r}"
        )
    return float(value)


def _positive(name: str, value: Any) -> float:
    if not _is_number(value) or value <= 0:
        raise _Bad(f"argument {name!r} must be a number > 0, got {value!r}")
    return float(value)


def _tokens(name: str, value: Any) -> int:
    if not _is_int(value) or value < 1:
        raise _Bad(f"argument {name!r} must be a whole number of tokens >= 1, got {value!r}")
    return int(value)


def _choice(valid: Sequence[str]) -> Check:
    def check(name: str, value: Any) -> str:
        if value not in valid:
            raise _Bad(
                f"argument {name!r} is {value!r}; valid values: {', '.join(map(repr, valid))}"
            )
        return str(value)

    return check


def _number(name: str, value: Any) -> float:
    if not _is_number(value):
        raise _Bad(f"argument {name!r} must be a number, got {value!r}")
    return value  # type: ignore[no-any-return]


def _rate(name: str, value: Any) -> float:
    _number(name, value)
    if not 0 <= value <= 1:
        raise _Bad(f"argument {name!r} must be between 0 and 1, got {value!r}")
    return value  # type: ignore[no-any-return]


def _unit_score(name: str, value: Any) -> float:
    if not _is_number(value) or not 0 <= value <= 1:
        raise _Bad(f"argument {name!r} must be a number between 0 and 1, got {value!r}")
    return float(value)


def check_confidence(name: str, value: Any) -> float:
    """A confidence level: strictly between 0 and 1 (also used for the ini key and option)."""
    if not _is_number(value) or not 0 < value < 1:
        raise _Bad(BAD_CONFIDENCE.format(value=value).replace("'confidence'", repr(name)))
    return float(value)


def _reduce(name: str, value: Any) -> str:
    # the decision code's names (one list), imported here: pytest_configure imports this module
    # in every run, and _decide/_stats cost tens of milliseconds to import
    from pytest_pipelines._decide import NUMERIC_REDUCERS, PASS_FAIL_REDUCERS

    valid = tuple(dict.fromkeys(PASS_FAIL_REDUCERS + NUMERIC_REDUCERS))
    if value not in valid:
        raise _Bad(
            BAD_REDUCE.format(
                value=value, valid=", ".join(map(repr, valid)), kind="pass/fail or values"
            )
        )
    return str(value)


def _variant_name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"argument {name!r} must be a variant name (a non-empty string), got {value!r}")
    return value


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"argument {name!r} must be True or False, got {value!r}")
    return value


def _tool_params(name: str, value: Any) -> tuple[str, ...]:
    valid = ", ".join(map(repr, TOOL_EVALUATION_PARAMS))
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _Bad(f"argument {name!r} must be a list; valid items: {valid}")
    for p in value:
        if p not in TOOL_EVALUATION_PARAMS:
            raise _Bad(f"argument {name!r} contains {p!r}; valid items: {valid}")
    return tuple(value)


# --- the markers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowTarget:
    """The workflow an eval test runs (from ``pipelines_workflow``)."""

    project: int = arg(doc="the project id", check=_int_id)
    workflow: int = arg(doc="the workflow id", check=_int_id)
    _: KW_ONLY
    count: int | None = arg(
        None,
        doc="inputs to run (default 1, or one per row of dataset=); with repeat=K, count*K tasks",
        check=_count,
    )
    inputs: tuple[dict[str, Any], ...] | str | None = arg(
        None,
        doc="a dict of inputs, a list of input rows (used round-robin) or a fixture name",
        check=_inputs,
    )
    expected_outputs: tuple[Any, ...] | None = arg(
        None, doc="expected outputs parallel to inputs", check=_expected_outputs
    )
    dataset: Any = arg(  # noqa: RUF009 (arg() is a field specifier, like field())
        None,
        doc="a dataset id, fixture name or object with 'id' whose rows are the inputs",
        check=_ref,
    )
    expected_column: str | None = arg(
        DEFAULT_EXPECTED_COLUMN,
        doc="the dataset column holding expected outputs (None: it has none)",
        check=_column,
        optional=True,
    )
    timeout: float | None = arg(
        None, doc="seconds the run may take (default --pipelines-timeout)", check=_timeout
    )
    mode: str = arg("tasks", doc="'tasks' (create-tasks) or 'experiment'", check=_choice(MODES))
    repeat: int = arg(
        1,
        doc="runs of every input (results grouped by input; gates choose the reduction)",
        check=_repeat,
    )
    max_count: int | None = arg(
        None,
        doc="adaptive sampling: run more inputs, up to max_count, while a confident gate is "
        "inconclusive",
        check=_max_count,
    )

    @property
    def count_from_rows(self) -> bool:
        """``count`` was not given and ``dataset`` is: one input per dataset row."""
        return self.count is None and self.dataset is not None

    def _together(self) -> str | None:
        if self.dataset is not None:
            for other in ("inputs", "expected_outputs"):
                if getattr(self, other) is not None:
                    return DATASET_EXCLUSIVE.format(other=other)
        if self.expected_outputs is not None:
            rows = self.inputs
            if not isinstance(rows, tuple) or len(rows) != len(self.expected_outputs):
                n_rows = len(rows) if isinstance(rows, tuple) else 0
                return (
                    f"argument 'expected_outputs' has {len(self.expected_outputs)} item(s) but "
                    f"'inputs' has {n_rows} row(s); give one expected output per input row"
                )
        if self.max_count is not None and self.max_count < (self.count or 1):
            return BAD_MAX_COUNT.format(max_count=self.max_count, count=self.count or 1)
        return None


@dataclass(frozen=True)
class PromptSwap:
    """Use another prompt for one LLM field."""

    node: str = arg(doc="the node id", check=_name)
    field: str = arg(doc="the LLM field id", check=_name)
    prompt: Any = arg(  # noqa: RUF009 (arg() is a field specifier, like field())
        doc="a fixture name, prompt id or object with 'id'", check=_ref
    )
    _: KW_ONLY
    version: int | None = arg(None, doc="the prompt version (default: latest)", check=_version)


@dataclass(frozen=True)
class ModelSwap:
    """Use another model slug for a node (or one of its fields)."""

    node: str = arg(doc="the node id", check=_name)
    model: str = arg(doc="the model slug", check=_name)
    _: KW_ONLY
    field: str | None = arg(None, doc="one LLM field of the node (default: all)", check=_name)


@dataclass(frozen=True)
class EvaluationSwap:
    """Use another evaluation for one evaluation field."""

    node: str = arg(doc="the node id", check=_name)
    field: str = arg(doc="the evaluation field id", check=_name)
    evaluation: Any = arg(  # noqa: RUF009 (arg() is a field specifier, like field())
        doc="a fixture name, evaluation id or object with 'id'", check=_ref
    )
    _: KW_ONLY
    version: int | None = arg(None, doc="the evaluation version (default: latest)", check=_version)


@dataclass(frozen=True)
class Gate:
    """A threshold on one criterion's aggregate over the run's tasks."""

    criterion: str = arg(doc="the criterion's name", check=_name)
    _: KW_ONLY
    min_pass_rate: float | None = arg(None, doc="lowest share of passing tasks", check=_rate)
    min_mean: float | None = arg(None, doc="lowest mean value", check=_number)
    max_mean: float | None = arg(None, doc="highest mean value", check=_number)
    min_value: float | None = arg(None, doc="lowest value on any task", check=_number)
    max_value: float | None = arg(None, doc="highest value on any task", check=_number)
    confidence: float | None = arg(
        None,
        doc="decide with an interval at this level: pass, fail or inconclusive (default ini "
        "pipelines_confidence; None: the point rule)",
        check=check_confidence,
    )
    reduce: str | None = arg(
        None,
        doc="how one input's repeats reduce: mean (default), all, any, majority for a pass "
        "rate; mean, median, min for a mean",
        check=_reduce,
    )
    on_inconclusive: str | None = arg(
        None,
        doc="an inconclusive decision warns (default; ini pipelines_inconclusive), fails or passes",
        check=_choice(INCONCLUSIVE_POLICIES),
    )
    severity: str = arg(
        "error", doc="'warn': a miss is a warning, not a failure", check=_choice(SEVERITIES)
    )
    max_drop: float | None = arg(
        None,
        doc="largest tolerated drop from the committed baseline, 0 to 1 (default: ini "
        "pipelines_max_drop; None: no regression gate)",
        check=_rate,
    )
    implicit: bool = internal(False)

    def thresholds(self) -> list[tuple[str, str, float]]:
        """``(metric, comparison, threshold)`` for every threshold set."""
        out: list[tuple[str, str, float]] = []
        for name, metric, op in (
            ("min_pass_rate", "pass_rate", ">="),
            ("min_mean", "mean", ">="),
            ("max_mean", "mean", "<="),
            ("min_value", "min", ">="),
            ("max_value", "max", "<="),
        ):
            value = getattr(self, name)
            if value is not None:
                out.append((metric, op, float(value)))
        return out

    def _together(self) -> str | None:
        if all(getattr(self, n) is None for n in THRESHOLD_NAMES) and self.max_drop is None:
            return f"give at least one threshold: {', '.join(THRESHOLD_NAMES)}, or max_drop"
        for low, high in (("min_mean", "max_mean"), ("min_value", "max_value")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                return f"argument {low!r} ({a!r}) is greater than {high!r} ({b!r})"
        if self.reduce is not None:
            from pytest_pipelines._decide import NUMERIC_REDUCERS, PASS_FAIL_REDUCERS

            if self.min_pass_rate is not None and self.reduce not in PASS_FAIL_REDUCERS:
                valid = ", ".join(map(repr, PASS_FAIL_REDUCERS))
                return BAD_REDUCE.format(value=self.reduce, valid=valid, kind="pass/fail")
            mean_set = self.min_mean is not None or self.max_mean is not None
            if mean_set and self.reduce not in NUMERIC_REDUCERS:
                valid = ", ".join(map(repr, NUMERIC_REDUCERS))
                return BAD_REDUCE.format(value=self.reduce, valid=valid, kind="values")
        return None


@dataclass(frozen=True)
class ToolGate:
    """A minimum tool-correctness score for one LLM field on every task."""

    field: str = arg(doc="the LLM field whose tool calls are scored", check=_name)
    _: KW_ONLY
    node: str | None = arg(None, doc="the node (default: every node with the field)", check=_name)
    min_score: float = arg(1.0, doc="lowest score on any task", check=_unit_score)
    evaluation_params: tuple[str, ...] = arg(
        (), doc="also score these ('input_parameters')", check=_tool_params
    )
    exact: bool = arg(False, doc="the calls must match exactly", check=_flag)
    ordering: bool = arg(False, doc="the order of the calls counts", check=_flag)
    severity: str = arg(
        "error", doc="'warn': a miss is a warning, not a failure", check=_choice(SEVERITIES)
    )


@dataclass(frozen=True)
class Compare:
    """A paired comparison of each variant with the baseline variant, in one experiment."""

    criterion: str = arg(doc="the criterion's name", check=_name)
    _: KW_ONLY
    baseline: str = arg(
        "control", doc="the variant every other variant is compared with", check=_variant_name
    )
    min_difference: float = arg(
        0.0,
        doc="the difference (variant - baseline) the interval must clear; negative: "
        "not worse by more than this",
        check=_number,
    )
    confidence: float = arg(0.95, doc="the interval's level", check=check_confidence)


@dataclass(frozen=True)
class Budget:
    """Limits on what the run's model calls (judges included) may cost and take."""

    _: KW_ONLY
    max_cost: float | None = arg(
        None, doc="US dollars the run's priced model calls may cost", check=_positive
    )
    max_tokens: int | None = arg(
        None, doc="input plus output tokens of the run's model calls", check=_tokens
    )
    max_latency_p95: float | None = arg(
        None, doc="seconds: the 95th percentile of the tasks' model time", check=_positive
    )

    def _together(self) -> str | None:
        if self.max_cost is None and self.max_tokens is None and self.max_latency_p95 is None:
            return "give at least one limit: max_cost, max_tokens, max_latency_p95"
        return None


#: marker name -> (options dataclass, one-line summary); pipelines_variants takes **kwargs
MARKERS: dict[str, tuple[type[Any], str]] = {
    WORKFLOW: (
        WorkflowTarget,
        "the Pipelines workflow this eval test runs (mode 'tasks' or 'experiment'; inputs: list "
        "of input rows or a fixture name; dataset: a dataset id, fixture name or object with "
        "'id' whose rows are the inputs; count defaults to 1, or to the dataset's row count; "
        "repeat: runs per input; max_count: adaptive sampling limit).",
    ),
    PROMPT_SWAP: (
        PromptSwap,
        "use another prompt for one LLM field in this run (prompt: fixture name, prompt id or "
        "object with 'id').",
    ),
    MODEL_SWAP: (ModelSwap, "use another model slug for a node (or one field of it) in this run."),
    EVALUATION_SWAP: (
        EvaluationSwap,
        "use another evaluation for an evaluation field (evaluation: fixture name, id or object "
        "with 'id').",
    ),
    GATE: (
        Gate,
        "fail the test when a criterion misses a threshold (with confidence: when the interval "
        "is confidently on the wrong side; severity='warn' only warns).",
    ),
    TOOL_GATE: (
        ToolGate,
        "fail the test when tool correctness of a field is below min_score on any task "
        "(severity='warn' only warns).",
    ),
    COMPARE: (
        Compare,
        "in mode='experiment' with pipelines_variants: ONE test item runs every variant in one "
        "experiment on the same inputs, and fails unless each variant's paired difference from "
        "the baseline variant is confidently >= min_difference.",
    ),
    BUDGET: (
        Budget,
        "fail the test when its run's model calls cost, use or take more than this (local "
        "backend; see docs/models-and-tools.md#budgets).",
    ),
}
#: marker name -> arguments another marker takes that this one refuses on purpose, with why (a
#: plain "unexpected keyword argument" would read as a missing feature)
REFUSED: dict[str, dict[str, str]] = {
    TOOL_GATE: dict.fromkeys(("confidence", "on_inconclusive", "reduce"), TOOL_GATE_NO_INTERVAL),
}
VARIANTS_DOC = (
    "pipelines_variants(**variants): one test item per variant, id test_x[name]; each "
    "value is a configOverrides dict whose promptId/evaluationId may name fixtures."
)


def arguments(cls: type[Any]) -> list[dataclasses.Field[Any]]:
    """The marker arguments of an options dataclass, in signature order."""
    return [f for f in fields(cls) if not f.metadata.get("internal")]


def signature(marker: str) -> str:
    """The marker's signature, generated from its dataclass: ``name(a, b, *, c=None)``."""
    if marker == VARIANTS:
        return VARIANTS_DOC.split(": ", 1)[0]
    cls = MARKERS[marker][0]
    positional = [f.name for f in arguments(cls) if not f.kw_only]
    keyword = [f"{f.name}={f.default!r}" for f in arguments(cls) if f.kw_only]
    return f"{marker}({', '.join([*positional, '*', *keyword] if keyword else positional)})"


def _docs() -> dict[str, str]:
    docs = {name: f"{signature(name)}: {summary}" for name, (_cls, summary) in MARKERS.items()}
    docs[VARIANTS] = VARIANTS_DOC
    order = (
        WORKFLOW,
        PROMPT_SWAP,
        MODEL_SWAP,
        EVALUATION_SWAP,
        VARIANTS,
        GATE,
        TOOL_GATE,
        COMPARE,
        BUDGET,
    )
    return {name: docs[name] for name in order}


#: marker name -> the line ``pytest --markers`` shows (generated from the dataclasses)
MARKER_DOCS: dict[str, str] = _docs()


def _fail(nodeid: str, marker: str, problem: str) -> MarkerError:
    return MarkerError(
        MARKER_ERROR.format(
            nodeid=nodeid, marker=marker, problem=problem, signature=signature(marker)
        )
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _names(names: Sequence[str]) -> str:
    quoted = [repr(n) for n in names]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def _bind(marker: str, cls: type[Any], mark: pytest.Mark) -> dict[str, Any]:
    """The marker's arguments by field name, with Python's wording for a binding error."""
    args = arguments(cls)
    positional = [f.name for f in args if not f.kw_only]
    if len(mark.args) > len(positional):
        raise _Bad(
            f"{marker}() takes {_plural(len(positional), 'positional argument')} but "
            f"{len(mark.args)} {'was' if len(mark.args) == 1 else 'were'} given"
        )
    bound = dict(zip(positional, mark.args, strict=False))
    known = {f.name for f in args}
    for name, value in mark.kwargs.items():
        if name in REFUSED.get(marker, ()):
            valid = ", ".join(f.name for f in args)
            raise _Bad(REFUSED[marker][name].format(name=name, valid=valid))
        if name not in known:
            raise _Bad(f"{marker}() got an unexpected keyword argument {name!r}")
        if name in bound:
            raise _Bad(f"{marker}() got multiple values for argument {name!r}")
        bound[name] = value
    missing = [f.name for f in args if f.default is MISSING and f.name not in bound]
    if missing:
        raise _Bad(
            f"{marker}() missing {len(missing)} required positional "
            f"argument{'' if len(missing) == 1 else 's'}: {_names(missing)}"
        )
    return bound


def options(nodeid: str, marker: str, mark: pytest.Mark) -> Any:
    """Validate one marker: bind its arguments, check each field, then the fields together.

    :raises MarkerError: naming the test, the marker, the argument and the valid values.
    """
    __tracebackhide__ = True
    cls = MARKERS[marker][0]
    try:
        bound = _bind(marker, cls, mark)
        values: dict[str, Any] = {}
        for f in arguments(cls):
            value = bound.get(f.name, f.default)
            check = f.metadata.get("check")
            if check is not None and not (value is None and f.metadata["optional"]):
                value = check(f.name, value)
            values[f.name] = value
        result = cls(**values)
        together = getattr(result, "_together", None)
        problem = together() if together is not None else None
        if problem:
            raise _Bad(problem)
    except _Bad as exc:
        raise _fail(nodeid, marker, str(exc)) from None
    return result


def validate_workflow(nodeid: str, mark: pytest.Mark) -> WorkflowTarget:
    """Validate one ``pipelines_workflow`` marker."""
    target: WorkflowTarget = options(nodeid, WORKFLOW, mark)
    return target


def validate_prompt_swap(nodeid: str, mark: pytest.Mark) -> PromptSwap:
    """Validate one ``pipelines_prompt_swap`` marker."""
    swap: PromptSwap = options(nodeid, PROMPT_SWAP, mark)
    return swap


def validate_model_swap(nodeid: str, mark: pytest.Mark) -> ModelSwap:
    """Validate one ``pipelines_model_swap`` marker."""
    swap: ModelSwap = options(nodeid, MODEL_SWAP, mark)
    return swap


def validate_evaluation_swap(nodeid: str, mark: pytest.Mark) -> EvaluationSwap:
    """Validate one ``pipelines_evaluation_swap`` marker."""
    swap: EvaluationSwap = options(nodeid, EVALUATION_SWAP, mark)
    return swap


def validate_gate(nodeid: str, mark: pytest.Mark) -> Gate:
    """Validate one ``pipelines_gate`` marker."""
    gate: Gate = options(nodeid, GATE, mark)
    return gate


def validate_tool_gate(nodeid: str, mark: pytest.Mark) -> ToolGate:
    """Validate one ``pipelines_tool_gate`` marker."""
    gate: ToolGate = options(nodeid, TOOL_GATE, mark)
    return gate


def validate_compare(nodeid: str, mark: pytest.Mark) -> Compare:
    """Validate one ``pipelines_compare`` marker."""
    compare: Compare = options(nodeid, COMPARE, mark)
    return compare


def _check_compares(nodeid: str, parts: Mapping[str, Any]) -> None:
    """``pipelines_compare`` needs experiment mode and names an existing variant."""
    for compare in parts["compares"]:
        target = parts.get("target")
        if target is not None and target.mode != "experiment":
            raise _fail(nodeid, COMPARE, COMPARE_NEEDS_EXPERIMENT.format(mode=target.mode))
        if target is not None and getattr(target, "max_count", None) is not None:
            raise _fail(nodeid, COMPARE, COMPARE_NOT_ADAPTIVE)
        variants = list(parts.get("variants") or {})
        if len(variants) < 2:
            raise _fail(nodeid, COMPARE, COMPARE_NEEDS_VARIANTS.format(baseline=compare.baseline))
        if compare.baseline not in variants:
            raise _fail(
                nodeid,
                COMPARE,
                COMPARE_UNKNOWN_VARIANT.format(
                    baseline=compare.baseline, variants=", ".join(map(repr, variants))
                ),
            )


@dataclass(frozen=True)
class RunSpec:
    """Everything the markers of one test item say about its run."""

    target: WorkflowTarget
    prompt_swaps: tuple[PromptSwap, ...] = ()
    model_swaps: tuple[ModelSwap, ...] = ()
    evaluation_swaps: tuple[EvaluationSwap, ...] = ()
    variant: str | None = None
    variant_overrides: Mapping[str, Any] = field(default_factory=dict)
    gates: tuple[Gate, ...] = ()
    tool_gates: tuple[ToolGate, ...] = ()
    budget: Budget | None = None


def validate_variants(nodeid: str, mark: pytest.Mark) -> dict[str, dict[str, Any]]:
    """Validate one ``pipelines_variants`` marker; returns name -> configOverrides."""
    m = VARIANTS
    if mark.args:
        raise _fail(
            nodeid,
            m,
            f"takes only keyword arguments (name=configOverrides), got positional {mark.args!r}",
        )
    if not mark.kwargs:
        raise _fail(nodeid, m, "give at least one variant, e.g. pipelines_variants(baseline={})")
    out: dict[str, dict[str, Any]] = {}
    for name, overrides in mark.kwargs.items():
        if not isinstance(overrides, Mapping):
            raise _fail(
                nodeid, m, f"variant {name!r} must be a configOverrides dict, got {overrides!r}"
            )
        unknown = sorted(set(overrides) - set(OVERRIDE_KEYS))
        if unknown:
            raise _fail(
                nodeid,
                m,
                f"variant {name!r} has unknown key(s) {unknown}; valid keys: {', '.join(OVERRIDE_KEYS)}",
            )
        for key, entries in overrides.items():
            if (
                isinstance(entries, (str, bytes))
                or not isinstance(entries, Sequence)
                or not all(isinstance(e, Mapping) for e in entries)
            ):
                raise _fail(
                    nodeid, m, f"variant {name!r}: {key!r} must be a list of dicts, got {entries!r}"
                )
            need = {
                "prompts": ("nodeId", "fieldId", "promptId"),
                "models": ("nodeId", "modelSlug"),
                "evaluations": ("nodeId", "fieldId", "evaluationId"),
            }[key]
            for entry in entries:
                missing = [k for k in need if k not in entry]
                if missing:
                    raise _fail(
                        nodeid,
                        m,
                        f"variant {name!r}: an entry of {key!r} lacks {missing}; each needs {', '.join(need)}",
                    )
        out[name] = {k: [dict(e) for e in v] for k, v in overrides.items()}
    return out


def _closest(node: pytest.Item | Any, name: str) -> list[pytest.Mark]:
    return list(node.iter_markers(name=name))


def _levels(node: Any, name: str) -> list[list[pytest.Mark]]:
    """The ``name`` markers grouped by the node that carries them, closest node first.

    Markers on one node keep pytest's order. A node without ``iter_markers_with_node`` counts
    as one level.
    """
    with_node = getattr(node, "iter_markers_with_node", None)
    if with_node is None:
        return [_closest(node, name)]
    levels: list[list[pytest.Mark]] = []
    owners: list[Any] = []
    for owner, mark in with_node(name=name):
        if not owners or owners[-1] is not owner:
            owners.append(owner)
            levels.append([])
        levels[-1].append(mark)
    return levels


def _merge_gates(nodeid: str, gates: list[Gate]) -> Gate:
    """One criterion's gates declared on the same node: their arguments combined."""
    merged: dict[str, Any] = {}
    for gate in gates:
        for f in arguments(Gate)[1:]:
            value = getattr(gate, f.name)
            if value == f.default:
                continue
            if f.name in merged and merged[f.name] != value:
                raise _fail(
                    nodeid,
                    GATE,
                    GATE_CONFLICT.format(
                        criterion=gate.criterion, name=f.name, a=merged[f.name], b=value
                    ),
                )
            merged[f.name] = value
    combined = Gate(gates[0].criterion, **merged)
    problem = combined._together()
    if problem:
        raise _fail(nodeid, GATE, problem)
    return combined


def collect_spec_parts(nodeid: str, node: Any) -> dict[str, Any]:
    """Validate every pipelines marker on ``node`` (closest first) and return its parts.

    The closest level wins: the test, then its class(es), then its module. Within one level,
    two gates on one criterion combine their thresholds (a conflict is an error), and two
    markers for the same slot (workflow, variants, a swap's or tool gate's node/field) are an
    error: nothing says which one was meant.

    :raises MarkerError: on the first invalid or ambiguous marker.
    """
    parts: dict[str, Any] = {}
    for level in _levels(node, WORKFLOW):  # validate all; the closest wins
        targets = [validate_workflow(nodeid, mark) for mark in level]
        if len(targets) > 1:
            raise _fail(nodeid, WORKFLOW, DUPLICATE_MARKER.format(what="the workflow"))
        parts.setdefault("target", targets[0])

    def unique(marker: str, validate: Any, key: Any, label: Any) -> tuple[Any, ...]:
        seen: dict[Any, Any] = {}
        for level in _levels(node, marker):
            here: dict[Any, Any] = {}
            for mark in level:
                value = validate(nodeid, mark)
                if key(value) in here and here[key(value)] != value:
                    raise _fail(nodeid, marker, DUPLICATE_MARKER.format(what=label(value)))
                here[key(value)] = value
            for k, value in here.items():
                seen.setdefault(k, value)
        return tuple(seen.values())

    def slot(s: Any) -> str:
        return f"{s.node}.{s.field}" if s.field is not None else f"node {s.node!r}"

    parts["prompt_swaps"] = unique(
        PROMPT_SWAP, validate_prompt_swap, lambda s: (s.node, s.field), slot
    )
    parts["model_swaps"] = unique(
        MODEL_SWAP, validate_model_swap, lambda s: (s.node, s.field), slot
    )
    parts["evaluation_swaps"] = unique(
        EVALUATION_SWAP, validate_evaluation_swap, lambda s: (s.node, s.field), slot
    )
    gates: dict[str, Gate] = {}
    for level in _levels(node, GATE):
        by_criterion: dict[str, list[Gate]] = {}
        for mark in level:
            gate = validate_gate(nodeid, mark)
            by_criterion.setdefault(gate.criterion, []).append(gate)
        for criterion, group in by_criterion.items():
            merged = _merge_gates(nodeid, group)
            gates.setdefault(criterion, merged)
    parts["gates"] = tuple(gates.values())
    parts["tool_gates"] = unique(
        TOOL_GATE,
        validate_tool_gate,
        lambda g: (g.node, g.field),
        lambda g: f"tool correctness of {(g.node + '.') if g.node else ''}{g.field}",
    )
    validated = []
    for level in _levels(node, VARIANTS):
        here = [validate_variants(nodeid, mark) for mark in level]
        if len(here) > 1:
            raise _fail(nodeid, VARIANTS, DUPLICATE_MARKER.format(what="the variants"))
        validated += here
    parts["variants"] = validated[0] if validated else None
    parts["compares"] = unique(
        COMPARE,
        validate_compare,
        lambda c: (c.criterion, c.baseline),
        lambda c: f"the comparison of {c.criterion!r} with {c.baseline!r}",
    )
    _check_compares(nodeid, parts)
    for level in _levels(node, BUDGET):  # validate all; the closest level wins
        budgets = [options(nodeid, BUDGET, mark) for mark in level]
        if len(set(budgets)) > 1:
            raise _fail(nodeid, BUDGET, DUPLICATE_MARKER.format(what="the budget"))
        parts.setdefault("budget", budgets[0])
    return parts


def build_spec(parts: Mapping[str, Any], variant: str | None) -> RunSpec:
    """Turn validated marker parts plus the item's variant into a :class:`RunSpec`."""
    variants = parts.get("variants") or {}
    return RunSpec(
        target=parts["target"],
        prompt_swaps=parts["prompt_swaps"],
        model_swaps=parts["model_swaps"],
        evaluation_swaps=parts["evaluation_swaps"],
        variant=variant,
        variant_overrides=variants.get(variant, {}) if variant is not None else {},
        gates=parts["gates"],
        tool_gates=parts["tool_gates"],
        budget=parts.get("budget"),
    )


def uses_pipelines_markers(parts: Mapping[str, Any]) -> str | None:
    """The name of a marker that only ``pipelines_run`` applies, if the node has one."""
    for key, marker in (
        ("gates", GATE),
        ("tool_gates", TOOL_GATE),
        ("compares", COMPARE),
        ("variants", VARIANTS),
        ("prompt_swaps", PROMPT_SWAP),
        ("model_swaps", MODEL_SWAP),
        ("evaluation_swaps", EVALUATION_SWAP),
        ("budget", BUDGET),
    ):
        if parts.get(key):
            return marker
    return None
