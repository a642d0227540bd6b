"""The ``pipelines_*`` markers: signatures, validation at collection, and the run specification.

Each marker is validated by calling a keyword-only function with the marker's arguments, so
Python's own signature check produces the error for a missing or unknown argument; value checks
follow. Every error names the test, the marker, the argument and the valid choices.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

WORKFLOW = "pipelines_workflow"
PROMPT_SWAP = "pipelines_prompt_swap"
MODEL_SWAP = "pipelines_model_swap"
EVALUATION_SWAP = "pipelines_evaluation_swap"
VARIANTS = "pipelines_variants"
GATE = "pipelines_gate"
TOOL_GATE = "pipelines_tool_gate"

MODES = ("tasks", "experiment")
TOOL_EVALUATION_PARAMS = ("input_parameters",)
OVERRIDE_KEYS = ("prompts", "models", "evaluations")
DEFAULT_EXPECTED_COLUMN = "expected_output"

#: marker name -> the line ``pytest --markers`` shows
MARKER_DOCS: dict[str, str] = {
    WORKFLOW: (
        "pipelines_workflow(project, workflow, *, count=None, inputs=None, expected_outputs=None, "
        "dataset=None, expected_column='expected_output', timeout=None, mode='tasks'): the "
        "Pipelines workflow this eval test runs (mode 'tasks' or 'experiment'; inputs: list of "
        "input rows or a fixture name; dataset: a dataset id, fixture name or object with 'id' "
        "whose rows are the inputs; count defaults to 1, or to the dataset's row count)."
    ),
    PROMPT_SWAP: (
        "pipelines_prompt_swap(node, field, prompt, *, version=None): use another prompt for "
        "one LLM field in this run (prompt: fixture name, prompt id or object with 'id')."
    ),
    MODEL_SWAP: (
        "pipelines_model_swap(node, model, *, field=None): use another model slug for a node "
        "(or one field of it) in this run."
    ),
    EVALUATION_SWAP: (
        "pipelines_evaluation_swap(node, field, evaluation, *, version=None): use another "
        "evaluation for an evaluation field (evaluation: fixture name, id or object with 'id')."
    ),
    VARIANTS: (
        "pipelines_variants(**variants): one test item per variant, id test_x[name]; each "
        "value is a configOverrides dict whose promptId/evaluationId may name fixtures."
    ),
    GATE: (
        "pipelines_gate(criterion, *, min_pass_rate=None, min_mean=None, max_mean=None, "
        "min_value=None, max_value=None): fail the test when a criterion misses a threshold."
    ),
    TOOL_GATE: (
        "pipelines_tool_gate(field, *, node=None, min_score=1.0, evaluation_params=(), "
        "exact=False, ordering=False): fail the test when tool correctness of a field is "
        "below min_score on any task."
    ),
}

MARKER_ERROR = "{nodeid}: @pytest.mark.{marker}: {problem}\n  signature: {signature}"
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
NEEDS_WORKFLOW = (
    "{nodeid}: requests pipelines_run but no @pytest.mark.pipelines_workflow(project, workflow, "
    "...) applies to it (on the test, its class or its module). Add one."
)


class MarkerError(Exception):
    """A marker argument is invalid; the message names the test, marker and argument."""


@dataclass(frozen=True)
class WorkflowTarget:
    """The workflow an eval test runs (from ``pipelines_workflow``)."""

    project: int
    workflow: int
    count: int = 1
    inputs: tuple[dict[str, Any], ...] | str | None = None
    expected_outputs: tuple[Any, ...] | None = None
    timeout: float | None = None
    mode: str = "tasks"
    #: a dataset reference (id, fixture name, or object/dict with ``id``) whose rows are the inputs
    dataset: Any = None
    #: the dataset column that holds expected outputs (None: the dataset has none)
    expected_column: str | None = DEFAULT_EXPECTED_COLUMN
    #: ``count`` was not given: one task per row when ``dataset`` is set (else 1)
    count_from_rows: bool = False


@dataclass(frozen=True)
class PromptSwap:
    """Use another prompt for one LLM field."""

    node: str
    field: str
    prompt: Any
    version: int | None = None


@dataclass(frozen=True)
class ModelSwap:
    """Use another model slug for a node (or one of its fields)."""

    node: str
    model: str
    field: str | None = None


@dataclass(frozen=True)
class EvaluationSwap:
    """Use another evaluation for one evaluation field."""

    node: str
    field: str
    evaluation: Any
    version: int | None = None


@dataclass(frozen=True)
class Gate:
    """A threshold on one criterion's aggregate over the run's tasks."""

    criterion: str
    min_pass_rate: float | None = None
    min_mean: float | None = None
    max_mean: float | None = None
    min_value: float | None = None
    max_value: float | None = None
    implicit: bool = False

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


@dataclass(frozen=True)
class ToolGate:
    """A minimum tool-correctness score for one LLM field on every task."""

    field: str
    node: str | None = None
    min_score: float = 1.0
    evaluation_params: tuple[str, ...] = ()
    exact: bool = False
    ordering: bool = False


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


# --- signature functions (Python checks the arguments) -------------------------------------


def _workflow_sig(
    project: int,
    workflow: int,
    *,
    count: int | None = None,
    inputs: Any = None,
    expected_outputs: Any = None,
    dataset: Any = None,
    expected_column: str | None = DEFAULT_EXPECTED_COLUMN,
    timeout: float | None = None,
    mode: str = "tasks",
) -> dict[str, Any]:
    return locals()


def _prompt_swap_sig(
    node: str, field: str, prompt: Any, *, version: int | None = None
) -> dict[str, Any]:
    return locals()


def _model_swap_sig(node: str, model: str, *, field: str | None = None) -> dict[str, Any]:
    return locals()


def _evaluation_swap_sig(
    node: str, field: str, evaluation: Any, *, version: int | None = None
) -> dict[str, Any]:
    return locals()


def _gate_sig(
    criterion: str,
    *,
    min_pass_rate: float | None = None,
    min_mean: float | None = None,
    max_mean: float | None = None,
    min_value: float | None = None,
    max_value: float | None = None,
) -> dict[str, Any]:
    return locals()


def _tool_gate_sig(
    field: str,
    *,
    node: str | None = None,
    min_score: float = 1.0,
    evaluation_params: Sequence[str] = (),
    exact: bool = False,
    ordering: bool = False,
) -> dict[str, Any]:
    return locals()


_SIGNATURES: dict[str, Callable[..., dict[str, Any]]] = {
    WORKFLOW: _workflow_sig,
    PROMPT_SWAP: _prompt_swap_sig,
    MODEL_SWAP: _model_swap_sig,
    EVALUATION_SWAP: _evaluation_swap_sig,
    GATE: _gate_sig,
    TOOL_GATE: _tool_gate_sig,
}


def _signature(marker: str) -> str:
    return MARKER_DOCS[marker].split(": ", 1)[0]


def _fail(nodeid: str, marker: str, problem: str) -> MarkerError:
    return MarkerError(
        MARKER_ERROR.format(
            nodeid=nodeid, marker=marker, problem=problem, signature=_signature(marker)
        )
    )


def _call(nodeid: str, mark: pytest.Mark) -> dict[str, Any]:
    func = _SIGNATURES[mark.name]
    try:
        return func(*mark.args, **mark.kwargs)
    except TypeError as exc:
        text = str(exc).replace(func.__name__ + "()", mark.name + "()")
        raise _fail(nodeid, mark.name, text) from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _need_name(nodeid: str, marker: str, arg: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(
            nodeid,
            marker,
            f"argument {arg!r} must be a non-empty string (a node or field id from get_configurable_fields), got {value!r}",
        )
    return value


def _need_ref(nodeid: str, marker: str, arg: str, value: Any) -> Any:
    ok = (
        (isinstance(value, str) and value.strip())
        or _is_int(value)
        or (isinstance(value, Mapping) and "id" in value)
        or hasattr(value, "id")
    )
    if not ok:
        raise _fail(
            nodeid,
            marker,
            f"argument {arg!r} must be a fixture name (str), an id (int) or an object/dict with "
            f"an 'id', got {value!r}",
        )
    return value


def _need_version(nodeid: str, marker: str, value: Any) -> int | None:
    if value is not None and (not _is_int(value) or value < 1):
        raise _fail(
            nodeid,
            marker,
            f"argument 'version' must be None (latest) or an int >= 1, got {value!r}",
        )
    return value  # type: ignore[no-any-return]


def validate_workflow(nodeid: str, mark: pytest.Mark) -> WorkflowTarget:
    """Validate one ``pipelines_workflow`` marker."""
    a = _call(nodeid, mark)
    m = WORKFLOW
    for arg in ("project", "workflow"):
        if not _is_int(a[arg]) or a[arg] < 1:
            raise _fail(nodeid, m, f"argument {arg!r} must be an int id >= 1, got {a[arg]!r}")
    count = a["count"]
    if count is not None and (not _is_int(count) or count < 1):
        raise _fail(
            nodeid,
            m,
            f"argument 'count' must be None (1, or one task per dataset row) or an int >= 1, "
            f"got {count!r}",
        )
    dataset = a["dataset"]
    if dataset is not None:
        for other in ("inputs", "expected_outputs"):
            if a[other] is not None:
                raise _fail(nodeid, m, DATASET_EXCLUSIVE.format(other=other))
        _need_ref(nodeid, m, "dataset", dataset)
    column = a["expected_column"]
    if column is not None and (not isinstance(column, str) or not column.strip()):
        raise _fail(
            nodeid,
            m,
            "argument 'expected_column' must be a non-empty column name or None (the dataset "
            f"has no expected outputs), got {column!r}",
        )
    if a["mode"] not in MODES:
        raise _fail(
            nodeid,
            m,
            f"argument 'mode' is {a['mode']!r}; valid values: {', '.join(map(repr, MODES))}",
        )
    timeout = a["timeout"]
    if timeout is not None and (not _is_number(timeout) or timeout <= 0):
        raise _fail(
            nodeid,
            m,
            f"argument 'timeout' must be None (use --pipelines-timeout) or seconds > 0, got {timeout!r}",
        )
    inputs = a["inputs"]
    rows: tuple[dict[str, Any], ...] | str | None
    if inputs is None:
        rows = None
    elif isinstance(inputs, str):
        if not inputs.strip():
            raise _fail(nodeid, m, "argument 'inputs' is an empty fixture name")
        rows = inputs
    elif isinstance(inputs, Mapping):
        rows = (dict(inputs),)
    elif isinstance(inputs, Sequence) and inputs and all(isinstance(r, Mapping) for r in inputs):
        rows = tuple(dict(r) for r in inputs)
    else:
        raise _fail(
            nodeid,
            m,
            "argument 'inputs' must be a dict of inputs, a non-empty list of dicts (rows used "
            f"round-robin), or the name of a fixture returning rows, got {inputs!r}",
        )
    expected = a["expected_outputs"]
    exp: tuple[Any, ...] | None = None
    if expected is not None:
        if isinstance(expected, (str, bytes)) or not isinstance(expected, Sequence):
            raise _fail(
                nodeid,
                m,
                f"argument 'expected_outputs' must be a list parallel to 'inputs', got {expected!r}",
            )
        exp = tuple(expected)
        if not isinstance(rows, tuple) or len(rows) != len(exp):
            n_rows = len(rows) if isinstance(rows, tuple) else 0
            raise _fail(
                nodeid,
                m,
                f"argument 'expected_outputs' has {len(exp)} item(s) but 'inputs' has {n_rows} "
                "row(s); give one expected output per input row",
            )
    return WorkflowTarget(
        project=a["project"],
        workflow=a["workflow"],
        count=count if count is not None else 1,
        inputs=rows,
        expected_outputs=exp,
        timeout=float(timeout) if timeout is not None else None,
        mode=a["mode"],
        dataset=dataset,
        expected_column=column,
        count_from_rows=count is None and dataset is not None,
    )


def validate_prompt_swap(nodeid: str, mark: pytest.Mark) -> PromptSwap:
    """Validate one ``pipelines_prompt_swap`` marker."""
    a = _call(nodeid, mark)
    return PromptSwap(
        node=_need_name(nodeid, PROMPT_SWAP, "node", a["node"]),
        field=_need_name(nodeid, PROMPT_SWAP, "field", a["field"]),
        prompt=_need_ref(nodeid, PROMPT_SWAP, "prompt", a["prompt"]),
        version=_need_version(nodeid, PROMPT_SWAP, a["version"]),
    )


def validate_model_swap(nodeid: str, mark: pytest.Mark) -> ModelSwap:
    """Validate one ``pipelines_model_swap`` marker."""
    a = _call(nodeid, mark)
    fld = a["field"]
    if fld is not None:
        _need_name(nodeid, MODEL_SWAP, "field", fld)
    return ModelSwap(
        node=_need_name(nodeid, MODEL_SWAP, "node", a["node"]),
        model=_need_name(nodeid, MODEL_SWAP, "model", a["model"]),
        field=fld,
    )


def validate_evaluation_swap(nodeid: str, mark: pytest.Mark) -> EvaluationSwap:
    """Validate one ``pipelines_evaluation_swap`` marker."""
    a = _call(nodeid, mark)
    return EvaluationSwap(
        node=_need_name(nodeid, EVALUATION_SWAP, "node", a["node"]),
        field=_need_name(nodeid, EVALUATION_SWAP, "field", a["field"]),
        evaluation=_need_ref(nodeid, EVALUATION_SWAP, "evaluation", a["evaluation"]),
        version=_need_version(nodeid, EVALUATION_SWAP, a["version"]),
    )


def validate_gate(nodeid: str, mark: pytest.Mark) -> Gate:
    """Validate one ``pipelines_gate`` marker."""
    a = _call(nodeid, mark)
    _need_name(nodeid, GATE, "criterion", a["criterion"])
    names = ("min_pass_rate", "min_mean", "max_mean", "min_value", "max_value")
    if all(a[n] is None for n in names):
        raise _fail(nodeid, GATE, f"give at least one threshold: {', '.join(names)}")
    for n in names:
        if a[n] is not None and not _is_number(a[n]):
            raise _fail(nodeid, GATE, f"argument {n!r} must be a number, got {a[n]!r}")
    rate = a["min_pass_rate"]
    if rate is not None and not 0 <= rate <= 1:
        raise _fail(nodeid, GATE, f"argument 'min_pass_rate' must be between 0 and 1, got {rate!r}")
    for low, high in (("min_mean", "max_mean"), ("min_value", "max_value")):
        if a[low] is not None and a[high] is not None and a[low] > a[high]:
            raise _fail(
                nodeid,
                GATE,
                f"argument {low!r} ({a[low]!r}) is greater than {high!r} ({a[high]!r})",
            )
    return Gate(**a)


def validate_tool_gate(nodeid: str, mark: pytest.Mark) -> ToolGate:
    """Validate one ``pipelines_tool_gate`` marker."""
    a = _call(nodeid, mark)
    _need_name(nodeid, TOOL_GATE, "field", a["field"])
    if a["node"] is not None:
        _need_name(nodeid, TOOL_GATE, "node", a["node"])
    score = a["min_score"]
    if not _is_number(score) or not 0 <= score <= 1:
        raise _fail(
            nodeid,
            TOOL_GATE,
            f"argument 'min_score' must be a number between 0 and 1, got {score!r}",
        )
    params = a["evaluation_params"]
    if isinstance(params, str) or not isinstance(params, Sequence):
        raise _fail(
            nodeid,
            TOOL_GATE,
            f"argument 'evaluation_params' must be a list; valid items: {', '.join(map(repr, TOOL_EVALUATION_PARAMS))}",
        )
    for p in params:
        if p not in TOOL_EVALUATION_PARAMS:
            raise _fail(
                nodeid,
                TOOL_GATE,
                f"argument 'evaluation_params' contains {p!r}; valid items: {', '.join(map(repr, TOOL_EVALUATION_PARAMS))}",
            )
    for flag in ("exact", "ordering"):
        if not isinstance(a[flag], bool):
            raise _fail(
                nodeid, TOOL_GATE, f"argument {flag!r} must be True or False, got {a[flag]!r}"
            )
    return ToolGate(
        field=a["field"],
        node=a["node"],
        min_score=float(score),
        evaluation_params=tuple(params),
        exact=a["exact"],
        ordering=a["ordering"],
    )


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
    """One criterion's gates declared on the same node: their thresholds combined."""
    merged: dict[str, Any] = {}
    for gate in gates:
        for name in THRESHOLD_NAMES:
            value = getattr(gate, name)
            if value is None:
                continue
            if name in merged and merged[name] != value:
                raise _fail(
                    nodeid,
                    GATE,
                    GATE_CONFLICT.format(
                        criterion=gate.criterion, name=name, a=merged[name], b=value
                    ),
                )
            merged[name] = value
    return Gate(criterion=gates[0].criterion, **merged)


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
    )


def uses_pipelines_markers(parts: Mapping[str, Any]) -> str | None:
    """The name of a marker that only ``pipelines_run`` applies, if the node has one."""
    for key, marker in (
        ("gates", GATE),
        ("tool_gates", TOOL_GATE),
        ("variants", VARIANTS),
        ("prompt_swaps", PROMPT_SWAP),
        ("model_swaps", MODEL_SWAP),
        ("evaluation_swaps", EVALUATION_SWAP),
    ):
        if parts.get(key):
            return marker
    return None
