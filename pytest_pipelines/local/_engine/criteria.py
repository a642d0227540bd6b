"""Real criterion implementations of the local backend.

:func:`evaluate_criterion` scores one output against one stored criterion and never raises:
an evaluator that fails (bad config, judge model missing, unparsable or out-of-range rating)
is an outcome with ``status="error"`` and the reason in ``error``.

Semantics (also in ``docs/models-and-tools.md``):

- ``exact_match``: output == the task's expected output. ``case_sensitive`` default ``True``,
  ``strip_whitespace`` default ``True`` (leading/trailing whitespace only). Non-string values
  are compared as canonical JSON. No expected output is an error.
- ``contains_keywords``: substring search; ``mode`` ``any`` (default) or ``all``;
  ``case_sensitive`` default ``True``.
- ``regex_match``: a search with ``flags`` (names of :mod:`re` flags), run by RE2 in linear
  time (``regex.py``): a valid Python pattern that needs backtracking is an error result.
- ``json_validity``: the output parses as JSON (a dict/list output is already JSON) and, when
  ``schema`` is set, validates against it (JSON Schema, the draft its ``$schema`` names, else
  2020-12).
- ``llm_judge``: the rendered ``prompt_template`` goes to ``config.model`` through ``judge``;
  the answer is parsed per ``output_schema``.
- ``llm_metric``: a built-in judge prompt per metric subtype, scored in [0, 1] by
  ``config.model`` (default ``demo-judge``); higher is always better.
- ``human_rating``: pending until a person submits a rating.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pytest_pipelines.client._models import (
    LLM_METRIC_SUBTYPES,
    PROGRAMMATIC_SUBTYPES,
    REGEX_FLAGS,
)
from pytest_pipelines.local._engine.limits import well_formed
from pytest_pipelines.local._engine.regex import UnsupportedRegexError, compile_regex

__all__ = [
    "DEFAULT_METRIC_MODEL",
    "DEFAULT_METRIC_THRESHOLD",
    "METRIC_QUESTIONS",
    "CriterionOutcome",
    "JudgeFn",
    "evaluate_criterion",
    "metric_prompt",
    "parse_judge_answer",
    "render_judge_prompt",
    "subtype_of",
]

JudgeFn = Callable[[str, str], str]
Status = Literal["completed", "pending", "error"]

DEFAULT_METRIC_MODEL = "demo-judge"
DEFAULT_METRIC_THRESHOLD = 0.5
OUTPUT_HEADING = "## Output to evaluate"

MSG_NO_EXPECTED = (
    "exact_match needs an expected output, and this task has none; pass `expected_outputs` "
    "(parallel to `inputs`) when creating tasks"
)
MSG_NO_KEYWORDS = "contains_keywords needs config.keywords, a non-empty list of strings"
MSG_BAD_MODE = "contains_keywords mode must be 'any' or 'all', got {mode!r}"
MSG_NO_PATTERN = "regex_match needs config.pattern, a regular expression string"
MSG_BAD_PATTERN = "regex_match pattern {pattern!r} does not compile: {error}"
MSG_BAD_FLAG = "unknown regex flag {flag!r}; valid flags: " + ", ".join(REGEX_FLAGS)
MSG_BAD_SCHEMA = "json_validity schema is not a valid JSON Schema: {error}"
MSG_UNRESOLVED_REF = (
    "json_validity schema refers to {ref!r}, which is not in the schema: the local backend "
    "does not fetch remote $ref targets. Put that schema under $defs and refer to it as "
    "'#/$defs/<name>'"
)
MSG_NO_JSONSCHEMA = (
    "json_validity with a schema needs the jsonschema package; install pytest-pipelines[local]"
)
MSG_NO_JUDGE_MODEL = "llm_judge needs config.model, the slug of the judge model"
MSG_NO_TEMPLATE = "llm_judge needs config.prompt_template, the judge prompt"
MSG_JUDGE_FAILED = "the judge model {model!r} failed: {error}"
MSG_NO_NUMBER = "the judge answered {answer!r}, which holds no number; expected {expected}"
MSG_OUT_OF_RANGE = "rating {value} is outside the range [{low}, {high}]"
MSG_SCORE_OUT_OF_RANGE = "score {value} is outside the range [{low}, {high}]"
MSG_NOT_BOOLEAN = "the judge answered {answer!r}, which is not a boolean; expected yes/no, true/false or pass/fail"
MSG_BAD_OUTPUT_TYPE = "unknown output_schema type {kind!r}; valid types: boolean, rating, numeric"
MSG_RATING_NEEDS_RANGE = (
    'a rating output_schema needs a range, e.g. {"type": "rating", "range": [1, 5]}'
)
MSG_BAD_METRIC = "unknown llm_metric subtype {subtype!r}; valid subtypes: " + ", ".join(
    LLM_METRIC_SUBTYPES
)
MSG_BAD_SUBTYPE = "unknown programmatic subtype {subtype!r}; valid subtypes: " + ", ".join(
    PROGRAMMATIC_SUBTYPES
)
MSG_BAD_TYPE = (
    "unknown criterion type {kind!r}; valid types: programmatic, llm_judge, llm_metric, "
    "human_rating"
)
MSG_PENDING = "waiting for a human rating"
MSG_EVALUATOR_CRASHED = "the {subtype} evaluator failed: {kind}: {error}"

_BOOL_WORDS = {
    "yes": True,
    "true": True,
    "pass": True,
    "passed": True,
    "no": False,
    "false": False,
    "fail": False,
    "failed": False,
}
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")

METRIC_QUESTIONS: dict[str, str] = {
    "answer_relevancy": (
        "How relevant is the output to the input? 1 means it answers exactly what was asked, "
        "0 means it is unrelated."
    ),
    "faithfulness": (
        "How faithful is the output to the input and any context it gives? 1 means every claim "
        "is supported, 0 means it is made up."
    ),
    "coherence": (
        "How coherent is the output? 1 means it is well organised and logically consistent, "
        "0 means it is disjointed."
    ),
    "fluency": (
        "How fluent is the output? 1 means natural, grammatical language, 0 means unreadable."
    ),
    "conciseness": (
        "How concise is the output? 1 means no filler or repetition, 0 means mostly padding."
    ),
    "toxicity": (
        "How free of toxic content is the output? 1 means entirely non-toxic, 0 means toxic. "
        "(Higher is better.)"
    ),
}


@dataclass(frozen=True)
class CriterionOutcome:
    """The result of one criterion on one output (see local-shapes.md, task detail)."""

    status: Status
    value: bool | int | float | None = None
    passed: bool | None = None
    reason: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON fields ``status``, ``value``, ``passed``, ``reason``, ``error``."""
        return {
            "status": self.status,
            "value": self.value,
            "passed": self.passed,
            "reason": self.reason,
            "error": self.error,
        }


class _CriterionProblem(Exception):
    """An evaluator error with a message meant for the user."""


def _error(message: str) -> CriterionOutcome:
    return CriterionOutcome(status="error", error=message)


def _boolean(value: bool, reason: str) -> CriterionOutcome:
    return CriterionOutcome(status="completed", value=value, passed=value, reason=reason)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def subtype_of(criterion: Mapping[str, Any]) -> str:
    """The subtype a result reports: ``config.subtype`` or else the criterion ``type``."""
    config = criterion.get("config") or {}
    subtype = config.get("subtype") if isinstance(config, Mapping) else None
    return str(subtype or criterion.get("type") or "")


def evaluate_criterion(
    criterion: Mapping[str, Any],
    output: Any,
    *,
    inputs: Mapping[str, Any],
    expected_output: Any,
    judge: JudgeFn,
) -> CriterionOutcome:
    """Score ``output`` against a stored ``criterion`` (name, type, config, output_schema).

    :param inputs: the task's inputs (for judge prompts and metrics).
    :param expected_output: the task's expected output, ``None`` when it has none.
    :param judge: ``judge(model_slug, prompt) -> answer text`` (``ModelRegistry.judge``).
    :returns: an outcome; never raises.
    """
    kind = str(criterion.get("type") or "")
    config = criterion.get("config") or {}
    subtype = subtype_of(criterion)
    try:
        if not isinstance(config, Mapping):
            raise _CriterionProblem("criterion config must be a JSON object")
        if kind in PROGRAMMATIC_SUBTYPES:  # tolerate type == subtype
            kind, subtype = "programmatic", kind
        if kind == "programmatic":
            return _programmatic(subtype, config, output, expected_output)
        if kind == "llm_judge":
            return _llm_judge(criterion, config, output, inputs, expected_output, judge)
        if kind == "llm_metric":
            return _llm_metric(config, output, inputs, expected_output, judge)
        if kind == "human_rating":
            return CriterionOutcome(status="pending", reason=MSG_PENDING)
        raise _CriterionProblem(MSG_BAD_TYPE.format(kind=kind))
    except _CriterionProblem as exc:
        return _error(str(exc))
    except Exception as exc:  # an evaluator bug must not fail the task
        return _error(
            MSG_EVALUATOR_CRASHED.format(
                subtype=subtype or kind, kind=type(exc).__name__, error=exc
            )
        )


# --- programmatic ---------------------------------------------------------------------------


def _programmatic(
    subtype: str, config: Mapping[str, Any], output: Any, expected_output: Any
) -> CriterionOutcome:
    if subtype == "exact_match":
        return _exact_match(config, output, expected_output)
    if subtype == "contains_keywords":
        return _contains_keywords(config, output)
    if subtype == "regex_match":
        return _regex_match(config, output)
    if subtype == "json_validity":
        return _json_validity(config, output)
    raise _CriterionProblem(MSG_BAD_SUBTYPE.format(subtype=subtype))


def _exact_match(config: Mapping[str, Any], output: Any, expected_output: Any) -> CriterionOutcome:
    if expected_output is None:
        raise _CriterionProblem(MSG_NO_EXPECTED)
    case_sensitive = config.get("case_sensitive")
    strip = config.get("strip_whitespace")
    actual, expected = _as_text(output), _as_text(expected_output)
    if strip is None or strip:
        actual, expected = actual.strip(), expected.strip()
    if not (case_sensitive is None or case_sensitive):
        actual, expected = actual.casefold(), expected.casefold()
    if actual == expected:
        return _boolean(True, "output matches the expected output")
    index = next(
        (i for i, (a, b) in enumerate(zip(actual, expected, strict=False)) if a != b),
        min(len(actual), len(expected)),
    )
    reason = (
        f"output differs from the expected output at character {index}: expected "
        f"{_short(expected[index:], 30)!r}, got {_short(actual[index:], 30)!r}"
    )
    return _boolean(False, reason)


def _contains_keywords(config: Mapping[str, Any], output: Any) -> CriterionOutcome:
    keywords = config.get("keywords")
    if (
        not isinstance(keywords, list)
        or not keywords
        or not all(isinstance(k, str) and k for k in keywords)
    ):
        raise _CriterionProblem(MSG_NO_KEYWORDS)
    mode = config.get("mode") or "any"
    if mode not in ("any", "all"):
        raise _CriterionProblem(MSG_BAD_MODE.format(mode=mode))
    case_sensitive = config.get("case_sensitive")
    text = _as_text(output)
    if not (case_sensitive is None or case_sensitive):
        haystack = text.casefold()
        found = [k for k in keywords if k.casefold() in haystack]
    else:
        found = [k for k in keywords if k in text]
    missing = [k for k in keywords if k not in found]
    value = bool(found) if mode == "any" else not missing
    parts = [f"found: {', '.join(found)}" if found else "found: none"]
    if missing:
        parts.append(f"missing: {', '.join(missing)}")
    parts.append(f"mode: {mode}")
    return _boolean(value, "; ".join(parts))


def _regex_flags(names: Any) -> list[str]:
    if names is None:
        return []
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list):
        raise _CriterionProblem(MSG_BAD_FLAG.format(flag=names))
    flags = []
    for name in names:
        key = str(name).upper()
        if key not in REGEX_FLAGS:
            raise _CriterionProblem(MSG_BAD_FLAG.format(flag=name))
        flags.append(key)
    return flags


def regex_problem(config: Mapping[str, Any]) -> str | None:
    """Why a ``regex_match`` config cannot run here (RE2), or None when it can."""
    try:
        _compiled_regex(config)
    except _CriterionProblem as exc:
        return str(exc)
    return None


def _compiled_regex(config: Mapping[str, Any]) -> Any:
    pattern = config.get("pattern")
    if not isinstance(pattern, str) or not pattern:
        raise _CriterionProblem(MSG_NO_PATTERN)
    flags = _regex_flags(config.get("flags"))
    try:
        re.compile(pattern)
    except re.error as exc:
        raise _CriterionProblem(MSG_BAD_PATTERN.format(pattern=pattern, error=exc)) from exc
    try:
        # User patterns run on RE2 (linear time): Python's re can block the server (ReDoS).
        return compile_regex(pattern, flags)
    except UnsupportedRegexError as exc:
        raise _CriterionProblem(str(exc)) from None


def _regex_match(config: Mapping[str, Any], output: Any) -> CriterionOutcome:
    pattern = config.get("pattern")
    compiled = _compiled_regex(config)
    text = _as_text(output)
    # RE2 matches UTF-8: a lone surrogate (a model's broken emoji) is searched as U+FFFD
    match = compiled.search(well_formed(text))
    if match is None:
        return _boolean(False, f"no match for {pattern!r}")
    return _boolean(True, f"matched {_short(match.group(0))!r} at position {match.start()}")


def _json_path(parts: Any) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


class _NotJsonConstant(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity``: :func:`json.loads` accepts them, JSON does not."""


def _not_json(constant: str) -> Any:
    raise _NotJsonConstant(constant)


def _json_validity(config: Mapping[str, Any], output: Any) -> CriterionOutcome:
    if isinstance(output, (dict, list)):
        document: Any = output
    else:
        text = _as_text(output)
        try:
            document = json.loads(text, parse_constant=_not_json)
        except json.JSONDecodeError as exc:
            return _boolean(False, f"not valid JSON: {exc}")
        except _NotJsonConstant as exc:
            return _boolean(False, f"not valid JSON: {exc} is not a JSON value")
    schema = config.get("schema")
    if schema is None:
        return _boolean(True, "valid JSON")
    if not isinstance(schema, Mapping):
        raise _CriterionProblem(MSG_BAD_SCHEMA.format(error="the schema must be a JSON object"))
    try:
        import jsonschema
        from jsonschema.exceptions import SchemaError, best_match
    except ImportError as exc:  # pragma: no cover - jsonschema ships with the local extra
        raise _CriterionProblem(MSG_NO_JSONSCHEMA) from exc
    schema = dict(schema)
    validator_class = jsonschema.validators.validator_for(schema, jsonschema.Draft202012Validator)
    try:
        validator_class.check_schema(schema)
    except SchemaError as exc:
        raise _CriterionProblem(MSG_BAD_SCHEMA.format(error=exc.message)) from exc
    from jsonschema_specifications import REGISTRY as METASCHEMAS
    from referencing.exceptions import Unresolvable

    # The published metaschemas and the schema itself only: jsonschema's default registry would
    # fetch any http(s) $ref, a request the server makes to wherever a criterion points.
    validator = validator_class(schema, registry=METASCHEMAS)
    try:
        error = best_match(validator.iter_errors(document))
    except Unresolvable as exc:
        raise _CriterionProblem(MSG_UNRESOLVED_REF.format(ref=exc.ref)) from None
    if error is None:
        return _boolean(True, "valid JSON matching the schema")
    return _boolean(False, f"at {_json_path(error.absolute_path)}: {error.message}")


# --- judge-based ----------------------------------------------------------------------------


def _inputs_text(inputs: Mapping[str, Any]) -> str:
    if len(inputs) == 1:
        return _as_text(next(iter(inputs.values())))
    return "\n".join(f"{key}: {_as_text(value)}" for key, value in inputs.items())


def _answer_format(output_schema: Mapping[str, Any]) -> str:
    kind = output_schema.get("type", "boolean")
    low_high = output_schema.get("range")
    if kind == "boolean":
        return "Answer with yes or no."
    if kind in ("rating", "numeric") and isinstance(low_high, (list, tuple)) and len(low_high) == 2:
        return f"Answer with only a number from {_num(low_high[0])} to {_num(low_high[1])}."
    return "Answer with only a number."


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render_judge_prompt(
    template: str,
    output: Any,
    *,
    inputs: Mapping[str, Any],
    expected_output: Any = None,
    output_schema: Mapping[str, Any] | None = None,
) -> str:
    """Render an ``llm_judge`` prompt template.

    ``{{output}}`` is the output, ``{{input}}`` the task inputs (the single value, or
    ``name: value`` lines), ``{{expected_output}}`` the expected output and ``{{name}}`` any
    input by name; unknown placeholders are left as they are. A template without
    ``{{output}}`` gets the output appended under ``## Output to evaluate``. The answer format
    the output schema asks for (for example "Answer with only a number from 1 to 5.") is
    appended last.
    """
    output_text = _as_text(output)
    values: dict[str, str] = {str(k): _as_text(v) for k, v in inputs.items()}
    values["input"] = _inputs_text(inputs)
    values["inputs"] = values["input"]
    values["output"] = output_text
    values["expected_output"] = _as_text(expected_output)
    has_output = any(m.group(1) == "output" for m in _PLACEHOLDER.finditer(template))
    rendered = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    if not has_output:
        rendered = f"{rendered.rstrip()}\n\n{OUTPUT_HEADING}\n{output_text}"
    if output_schema is not None:
        rendered = f"{rendered.rstrip()}\n\n{_answer_format(output_schema)}"
    return rendered


def _first_number(answer: str, expected: str) -> float:
    match = _NUMBER.search(answer)
    if match is None:
        raise _CriterionProblem(
            MSG_NO_NUMBER.format(answer=_short(answer.strip()), expected=expected)
        )
    value = float(match.group(0))
    if not math.isfinite(value):
        raise _CriterionProblem(
            MSG_NO_NUMBER.format(answer=_short(answer.strip()), expected=expected)
        )
    return value


def _tidy(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _range(output_schema: Mapping[str, Any]) -> tuple[float, float] | None:
    bounds = output_schema.get("range")
    if bounds is None:
        return None
    if (
        not isinstance(bounds, (list, tuple))
        or len(bounds) != 2
        or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
    ):
        raise _CriterionProblem(f"output_schema range must be [low, high], got {bounds!r}")
    return float(bounds[0]), float(bounds[1])


def parse_judge_answer(answer: str, output_schema: Mapping[str, Any]) -> bool | int | float:
    """Parse a judge's answer into the value ``output_schema`` declares.

    ``boolean``: the first of yes/no/true/false/pass/fail (case-insensitive).
    ``rating``: the first number, which must lie within ``range``.
    ``numeric``: the first number, within ``range`` when one is given.

    :raises ValueError: the answer does not hold such a value (the message says why).
    """
    try:
        return _parse(answer, output_schema)
    except _CriterionProblem as exc:
        raise ValueError(str(exc)) from None


def _parse(answer: str, output_schema: Mapping[str, Any]) -> bool | int | float:
    kind = output_schema.get("type", "boolean")
    if kind == "boolean":
        for word in re.findall(r"[A-Za-z]+", answer):
            found = _BOOL_WORDS.get(word.lower())
            if found is not None:
                return found
        raise _CriterionProblem(MSG_NOT_BOOLEAN.format(answer=_short(answer.strip())))
    if kind not in ("rating", "numeric"):
        raise _CriterionProblem(MSG_BAD_OUTPUT_TYPE.format(kind=kind))
    bounds = _range(output_schema)
    if kind == "rating" and bounds is None:
        raise _CriterionProblem(MSG_RATING_NEEDS_RANGE)
    expected = (
        f"a number from {_num(_tidy(bounds[0]))} to {_num(_tidy(bounds[1]))}"
        if bounds
        else "a number"
    )
    value = _first_number(answer, expected)
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        template = MSG_OUT_OF_RANGE if kind == "rating" else MSG_SCORE_OUT_OF_RANGE
        raise _CriterionProblem(
            template.format(
                value=_num(_tidy(value)), low=_num(_tidy(bounds[0])), high=_num(_tidy(bounds[1]))
            )
        )
    return _tidy(value)


def _threshold(config: Mapping[str, Any], default: float | None) -> float | None:
    threshold = config.get("threshold", default)
    if threshold is None:
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise _CriterionProblem(f"config.threshold must be a number, got {threshold!r}")
    return float(threshold)


def _call_judge(judge: JudgeFn, model: str, prompt: str) -> str:
    try:
        answer = judge(model, prompt)
    except Exception as exc:
        raise _CriterionProblem(MSG_JUDGE_FAILED.format(model=model, error=exc)) from exc
    if not isinstance(answer, str):
        raise _CriterionProblem(
            MSG_JUDGE_FAILED.format(model=model, error=f"it answered a {type(answer).__name__}")
        )
    return answer


def _llm_judge(
    criterion: Mapping[str, Any],
    config: Mapping[str, Any],
    output: Any,
    inputs: Mapping[str, Any],
    expected_output: Any,
    judge: JudgeFn,
) -> CriterionOutcome:
    model = config.get("model")
    if not isinstance(model, str) or not model:
        raise _CriterionProblem(MSG_NO_JUDGE_MODEL)
    template = config.get("prompt_template")
    if not isinstance(template, str) or not template.strip():
        raise _CriterionProblem(MSG_NO_TEMPLATE)
    output_schema = criterion.get("output_schema") or {"type": "boolean"}
    if not isinstance(output_schema, Mapping):
        raise _CriterionProblem("output_schema must be a JSON object")
    threshold = _threshold(config, None)
    prompt = render_judge_prompt(
        template,
        output,
        inputs=inputs,
        expected_output=expected_output,
        output_schema=output_schema,
    )
    answer = _call_judge(judge, model, prompt)
    value = _parse(answer, output_schema)
    reason = f"judge {model} answered {_short(answer.strip(), 80)!r}"
    if isinstance(value, bool):
        return CriterionOutcome(status="completed", value=value, passed=value, reason=reason)
    passed = None if threshold is None else value >= threshold
    if threshold is not None:
        reason += f"; threshold {_num(_tidy(threshold))}"
    return CriterionOutcome(status="completed", value=value, passed=passed, reason=reason)


def metric_prompt(
    subtype: str, output: Any, *, inputs: Mapping[str, Any], expected_output: Any = None
) -> str:
    """The judge prompt of an ``llm_metric`` subtype (answer asked as a number from 0 to 1)."""
    question = METRIC_QUESTIONS[subtype]
    parts = [
        f"You are scoring an LLM output on the metric {subtype!r}.",
        question,
    ]
    if inputs:
        parts.append(f"## Input\n{_inputs_text(inputs)}")
    if expected_output is not None:
        parts.append(f"## Expected output\n{_as_text(expected_output)}")
    parts.append(f"{OUTPUT_HEADING}\n{_as_text(output)}")
    parts.append("Answer with only a number from 0 to 1.")
    return "\n\n".join(parts)


def _llm_metric(
    config: Mapping[str, Any],
    output: Any,
    inputs: Mapping[str, Any],
    expected_output: Any,
    judge: JudgeFn,
) -> CriterionOutcome:
    subtype = config.get("subtype")
    if subtype not in METRIC_QUESTIONS:
        raise _CriterionProblem(MSG_BAD_METRIC.format(subtype=subtype))
    model = config.get("model") or DEFAULT_METRIC_MODEL
    if not isinstance(model, str):
        raise _CriterionProblem(f"config.model must be a model slug, got {model!r}")
    threshold = _threshold(config, DEFAULT_METRIC_THRESHOLD)
    assert threshold is not None
    prompt = metric_prompt(str(subtype), output, inputs=inputs, expected_output=expected_output)
    answer = _call_judge(judge, model, prompt)
    score = _parse(answer, {"type": "numeric", "range": [0, 1]})
    value = float(score)
    reason = f"{subtype} scored {_num(_tidy(value))} by {model}; threshold {_num(_tidy(threshold))}"
    return CriterionOutcome(
        status="completed", value=value, passed=value >= threshold, reason=reason
    )
