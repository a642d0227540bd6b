"""Pydantic models for the payloads the client validates before any request.

One definition serves both sides: the client checks a payload here and raises
:class:`~pytest_pipelines.client.PipelinesConfigError` before touching the network, and the local
backend turns the same errors into FastAPI-style 422 responses (it prefixes ``"body"`` to ``loc``).

The ``*_errors`` functions are the stable interface. Each takes a plain mapping (pydantic models
inside it are dumped first) and returns a list of error dicts::

    {"loc": ["config", "keywords"], "msg": "Field required", "type": "missing"}

``loc`` is relative to the payload and clean: no pydantic union tags. An empty list means valid.

The models (``CriterionDefinition``, ``ContainsKeywordsConfig``, ``ConfigOverrides``,
``ExperimentPayload`` ...) are a typed way to build payloads; every client method accepts them
as well as plain dicts, and dumps them with ``by_alias=True, exclude_none=True``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

ErrorDict = dict[str, Any]

CRITERION_TYPES: tuple[str, ...] = ("programmatic", "llm_judge", "llm_metric", "human_rating")
PROGRAMMATIC_SUBTYPES: tuple[str, ...] = (
    "exact_match",
    "contains_keywords",
    "regex_match",
    "json_validity",
)
LLM_METRIC_SUBTYPES: tuple[str, ...] = (
    "answer_relevancy",
    "faithfulness",
    "coherence",
    "fluency",
    "conciseness",
    "toxicity",
)
REGEX_FLAGS: tuple[str, ...] = ("IGNORECASE", "MULTILINE", "DOTALL", "VERBOSE", "ASCII")
OUTPUT_TYPES: tuple[str, ...] = ("boolean", "rating", "numeric")
JSON_SCHEMA_TYPES: tuple[str, ...] = (
    "object",
    "array",
    "string",
    "number",
    "integer",
    "boolean",
    "null",
)

MSG_PROGRAMMATIC_OUTPUT = (
    'programmatic criteria produce a pass/fail value; set output_schema to {"type": "boolean"}'
)
MSG_RANGE_ORDER = "range must be [low, high] with low < high, e.g. [1, 5]"
MSG_DUPLICATE_VARIANT = "variant names must be unique; {name!r} is used more than once"
MSG_NOT_A_MAPPING = "Input should be a valid dictionary (a JSON object)"


def _literal_msg(values: Sequence[str]) -> str:
    return "Input should be " + ", ".join(repr(v) for v in values[:-1]) + f" or {values[-1]!r}"


class _Model(BaseModel):
    """Base: permissive about extra keys (the hosted API may know more), aliases on both sides."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


# ---------------------------------------------------------------------------------------------
# Criterion configs
# ---------------------------------------------------------------------------------------------


class ExactMatchConfig(_Model):
    """``programmatic`` / ``exact_match``: the output equals the expected output."""

    subtype: Literal["exact_match"] = "exact_match"
    case_sensitive: bool | None = None
    strip_whitespace: bool | None = None


class ContainsKeywordsConfig(_Model):
    """``programmatic`` / ``contains_keywords``: the output mentions any (or all) keywords."""

    subtype: Literal["contains_keywords"] = "contains_keywords"
    keywords: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    mode: Literal["any", "all"] | None = None
    case_sensitive: bool | None = None


class RegexMatchConfig(_Model):
    """``programmatic`` / ``regex_match``: the output matches a regular expression."""

    subtype: Literal["regex_match"] = "regex_match"
    pattern: str
    flags: list[Literal["IGNORECASE", "MULTILINE", "DOTALL", "VERBOSE", "ASCII"]] | None = None

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(
                f"pattern is not a valid Python regular expression ({exc}); "
                "escape special characters such as ( [ \\ with a backslash"
            ) from None
        return value


class JsonValidityConfig(_Model):
    """``programmatic`` / ``json_validity``: the output parses as JSON (and fits ``schema``)."""

    subtype: Literal["json_validity"] = "json_validity"
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")

    @field_validator("json_schema")
    @classmethod
    def _schema_is_valid(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            problem = json_schema_problem(value)
            if problem:
                raise ValueError(problem)
        return value


class LlmJudgeConfig(_Model):
    """``llm_judge``: a model scores the output with ``prompt_template``."""

    model: Annotated[str, Field(min_length=1)]
    prompt_template: Annotated[str, Field(min_length=1)]
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    threshold: float | None = None


class LlmMetricConfig(_Model):
    """``llm_metric``: a built-in metric (``subtype``) scored in [0, 1]."""

    subtype: Literal[
        "answer_relevancy", "faithfulness", "coherence", "fluency", "conciseness", "toxicity"
    ]
    threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    model: Annotated[str, Field(min_length=1)] | None = None


class HumanRatingConfig(_Model):
    """``human_rating``: contributors score the output by hand, following ``rubric``."""

    rubric: Annotated[str, Field(min_length=1)]


CriterionConfig = Union[  # noqa: UP007 - a runtime alias, kept readable
    ExactMatchConfig,
    ContainsKeywordsConfig,
    RegexMatchConfig,
    JsonValidityConfig,
    LlmJudgeConfig,
    LlmMetricConfig,
    HumanRatingConfig,
]

_PROGRAMMATIC_MODELS: dict[str, type[_Model]] = {
    "exact_match": ExactMatchConfig,
    "contains_keywords": ContainsKeywordsConfig,
    "regex_match": RegexMatchConfig,
    "json_validity": JsonValidityConfig,
}
_CONFIG_MODELS: dict[str, type[_Model]] = {
    "llm_judge": LlmJudgeConfig,
    "llm_metric": LlmMetricConfig,
    "human_rating": HumanRatingConfig,
}


# ---------------------------------------------------------------------------------------------
# Output schemas
# ---------------------------------------------------------------------------------------------


def _check_range(value: tuple[float, float] | None) -> tuple[float, float] | None:
    if value is not None and not value[0] < value[1]:
        raise ValueError(MSG_RANGE_ORDER)
    return value


class BooleanOutput(_Model):
    """``{"type": "boolean"}``: pass/fail."""

    type: Literal["boolean"] = "boolean"


class RatingOutput(_Model):
    """``{"type": "rating", "range": [lo, hi], "labels"?}``."""

    type: Literal["rating"] = "rating"
    range: tuple[float, float]
    labels: dict[str, str] | None = None

    _range_order = field_validator("range")(_check_range)


class NumericOutput(_Model):
    """``{"type": "numeric", "range"?: [lo, hi]}``."""

    type: Literal["numeric"] = "numeric"
    range: tuple[float, float] | None = None

    _range_order = field_validator("range")(_check_range)


OutputSchema = Union[BooleanOutput, RatingOutput, NumericOutput]  # noqa: UP007

_OUTPUT_MODELS: dict[str, type[_Model]] = {
    "boolean": BooleanOutput,
    "rating": RatingOutput,
    "numeric": NumericOutput,
}


class _CriterionEnvelope(_Model):
    name: Annotated[str, Field(min_length=1)]
    display_label: Annotated[str, Field(min_length=1)]
    type: Literal["programmatic", "llm_judge", "llm_metric", "human_rating"]
    config: dict[str, Any]
    output_schema: dict[str, Any]
    description: str | None = None
    scope_type: str | None = None
    org_id: StrictInt | None = None


class CriterionDefinition(_Model):
    """A criterion definition: ``name``, ``display_label``, ``type``, ``config``, ``output_schema``.

    Validated exactly like :func:`criterion_errors`; construction raises pydantic's
    ``ValidationError`` listing every problem with its field path.
    """

    name: str
    display_label: str
    type: Literal["programmatic", "llm_judge", "llm_metric", "human_rating"]
    config: CriterionConfig
    output_schema: OutputSchema
    description: str | None = None
    scope_type: str | None = None
    org_id: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _validate_whole(cls, data: Any) -> Any:
        return _raise_if_errors(data, criterion_errors)


# ---------------------------------------------------------------------------------------------
# Config overrides, tasks, experiments
# ---------------------------------------------------------------------------------------------

_NonEmptyStr = Annotated[str, Field(min_length=1)]
_Id = Union[StrictInt, _NonEmptyStr]  # noqa: UP007
_Version = Annotated[StrictInt, Field(ge=1)]


class PromptOverride(_Model):
    """Swap the prompt of one LLM field: ``nodeId``, ``fieldId``, ``promptId``, ``version``."""

    node_id: _NonEmptyStr = Field(alias="nodeId")
    field_id: _NonEmptyStr = Field(alias="fieldId")
    prompt_id: _Id = Field(alias="promptId")
    version: _Version | None = None


class ModelOverride(_Model):
    """Swap the model of a node (or of one field with ``fieldId``): ``nodeId``, ``modelSlug``."""

    node_id: _NonEmptyStr = Field(alias="nodeId")
    model_slug: _NonEmptyStr = Field(alias="modelSlug")
    field_id: _NonEmptyStr | None = Field(default=None, alias="fieldId")


class EvaluationOverride(_Model):
    """Swap the evaluation of an evaluation field: ``nodeId``, ``fieldId``, ``evaluationId``."""

    node_id: _NonEmptyStr = Field(alias="nodeId")
    field_id: _NonEmptyStr = Field(alias="fieldId")
    evaluation_id: _Id = Field(alias="evaluationId")
    version: _Version | None = None


class ConfigOverrides(BaseModel):
    """``configOverrides``: three lists, applied to one run only. Unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    prompts: list[PromptOverride] = Field(default_factory=list)
    models: list[ModelOverride] = Field(default_factory=list)
    evaluations: list[EvaluationOverride] = Field(default_factory=list)


class CreateTasksPayload(_Model):
    """Body of ``create-tasks`` / ``create-tasks-async``."""

    count: Annotated[StrictInt, Field(ge=1)]
    inputs: list[dict[str, Any]] | None = None
    expected_outputs: list[Any] | None = None
    config_overrides: ConfigOverrides | None = Field(default=None, alias="configOverrides")


class ExperimentVariant(_Model):
    """One experiment variant: a unique ``name`` and its ``configOverrides``."""

    name: _NonEmptyStr
    config_overrides: ConfigOverrides = Field(
        default_factory=ConfigOverrides, alias="configOverrides"
    )


class ExperimentPayload(_Model):
    """Body of ``POST .../experiments``."""

    count: Annotated[StrictInt, Field(ge=1)]
    variants: Annotated[list[ExperimentVariant], Field(min_length=1)]
    inputs: list[dict[str, Any]] | None = None
    expected_outputs: list[Any] | None = None

    @model_validator(mode="after")
    def _unique_names(self) -> ExperimentPayload:
        errors = _variant_name_errors([v.name for v in self.variants])
        if errors:
            raise ValueError(format_errors(errors))
        return self


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def dump_payload(obj: Any) -> Any:
    """Return ``obj`` as plain JSON-able data: models dumped by alias without ``None`` values."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(obj, Mapping):
        return {key: dump_payload(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [dump_payload(value) for value in obj]
    return obj


def format_errors(errors: Sequence[Mapping[str, Any]]) -> str:
    """Join error dicts as ``loc.dotted: msg`` lines separated by ``; ``."""
    parts = []
    for error in errors:
        loc = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{loc}: {error.get('msg')}" if loc else str(error.get("msg")))
    return "; ".join(parts)


def json_schema_problem(schema: Any) -> str | None:
    """Why ``schema`` is not a usable JSON Schema, or ``None`` when it is.

    Uses ``jsonschema`` (an optional dependency of the ``local`` extra) when importable, else a
    small structural check.
    """
    if not isinstance(schema, Mapping):
        return "schema must be a JSON Schema object, e.g. {'type': 'object'}"
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is installed in dev
        declared = schema.get("type")
        names = [declared] if isinstance(declared, str) else declared
        if names is not None and (
            not isinstance(names, list) or any(n not in JSON_SCHEMA_TYPES for n in names)
        ):
            return f"schema.type must be one of {', '.join(JSON_SCHEMA_TYPES)}"
        return None
    validator = jsonschema.validators.validator_for(schema)
    try:
        validator.check_schema(dict(schema))
    except jsonschema.SchemaError as exc:
        where = ".".join(str(p) for p in exc.path)
        return f"schema is not a valid JSON Schema: {exc.message}" + (
            f" (at {where})" if where else ""
        )
    return None


def _clean_loc(loc: Sequence[Any]) -> list[str | int]:
    # pydantic puts union member tags ("function-after[...]", "str", "int") into loc; drop them.
    clean: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "bool"}):
            continue
        clean.append(part)
    return clean


def _pydantic_errors(
    model: type[BaseModel], data: Any, prefix: Sequence[str | int] = ()
) -> list[ErrorDict]:
    try:
        model.model_validate(data)
    except PydanticValidationError as exc:
        out: list[ErrorDict] = []
        seen: set[tuple[Any, ...]] = set()
        for err in exc.errors(include_url=False, include_context=False, include_input=False):
            loc = [*prefix, *_clean_loc(err["loc"])]
            msg = str(err["msg"])
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            key = (tuple(loc), msg)
            if key in seen:
                continue
            seen.add(key)
            out.append({"loc": loc, "msg": msg, "type": err["type"]})
        return out
    return []


def _error(loc: Sequence[str | int], msg: str, type_: str) -> ErrorDict:
    return {"loc": list(loc), "msg": msg, "type": type_}


def _not_mapping(data: Any, loc: Sequence[str | int] = ()) -> list[ErrorDict]:
    if isinstance(data, Mapping):
        return []
    return [_error(loc, MSG_NOT_A_MAPPING, "dict_type")]


def _raise_if_errors(data: Any, check: Callable[[Any], list[ErrorDict]]) -> Any:
    if isinstance(data, Mapping):
        data = dump_payload(data)
        errors = check(data)
        if errors:
            raise ValueError(format_errors(errors))
    return data


def _variant_name_errors(names: Sequence[Any]) -> list[ErrorDict]:
    seen: set[Any] = set()
    errors = []
    for index, name in enumerate(names):
        if name in seen:
            errors.append(
                _error(
                    ["variants", index, "name"],
                    MSG_DUPLICATE_VARIANT.format(name=name),
                    "value_error",
                )
            )
        seen.add(name)
    return errors


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------


def criterion_errors(payload: Mapping[str, Any]) -> list[ErrorDict]:
    """Validate a criterion definition; return FastAPI-style errors (empty when valid)."""
    if not isinstance(payload, Mapping):
        return _not_mapping(payload)
    payload = dump_payload(payload)
    errors = _pydantic_errors(_CriterionEnvelope, payload)
    ctype = payload.get("type")
    config = payload.get("config")
    if ctype in CRITERION_TYPES and isinstance(config, Mapping):
        errors.extend(_config_errors(str(ctype), config))
    output = payload.get("output_schema")
    if isinstance(output, Mapping):
        otype = output.get("type")
        if otype not in OUTPUT_TYPES:
            if "type" not in output:
                errors.append(_error(["output_schema", "type"], "Field required", "missing"))
            else:
                errors.append(
                    _error(["output_schema", "type"], _literal_msg(OUTPUT_TYPES), "literal_error")
                )
        else:
            errors.extend(_pydantic_errors(_OUTPUT_MODELS[otype], output, ["output_schema"]))
            if ctype == "programmatic" and otype != "boolean":
                errors.append(
                    _error(["output_schema", "type"], MSG_PROGRAMMATIC_OUTPUT, "value_error")
                )
    return errors


def _config_errors(ctype: str, config: Mapping[str, Any]) -> list[ErrorDict]:
    if ctype == "programmatic":
        subtype = config.get("subtype")
        if subtype not in PROGRAMMATIC_SUBTYPES:
            if "subtype" not in config:
                return [_error(["config", "subtype"], "Field required", "missing")]
            return [
                _error(
                    ["config", "subtype"],
                    _literal_msg(PROGRAMMATIC_SUBTYPES),
                    "literal_error",
                )
            ]
        return _pydantic_errors(_PROGRAMMATIC_MODELS[str(subtype)], config, ["config"])
    return _pydantic_errors(_CONFIG_MODELS[ctype], config, ["config"])


def config_overrides_errors(obj: Any) -> list[ErrorDict]:
    """Validate a ``configOverrides`` object; ``loc`` is relative to it."""
    if not isinstance(obj, Mapping):
        return _not_mapping(obj)
    return _pydantic_errors(ConfigOverrides, dump_payload(obj))


def create_tasks_errors(payload: Any) -> list[ErrorDict]:
    """Validate a task-creation body (``count``, ``inputs``, ``expected_outputs``, overrides)."""
    if not isinstance(payload, Mapping):
        return _not_mapping(payload)
    payload = dump_payload(payload)
    return _pydantic_errors(CreateTasksPayload, payload)


def experiment_errors(payload: Any) -> list[ErrorDict]:
    """Validate an experiment body (``count``, unique non-empty variant names, overrides)."""
    if not isinstance(payload, Mapping):
        return _not_mapping(payload)
    payload = dump_payload(payload)
    errors = _pydantic_errors(ExperimentPayload, payload)
    # The model-level uniqueness check reports without a field path; report it precisely.
    errors = [e for e in errors if e["loc"]]
    variants = payload.get("variants")
    if isinstance(variants, list):
        names = [v.get("name") for v in variants if isinstance(v, Mapping)]
        errors.extend(_variant_name_errors(names))
    return errors


__all__ = [
    "CRITERION_TYPES",
    "LLM_METRIC_SUBTYPES",
    "OUTPUT_TYPES",
    "PROGRAMMATIC_SUBTYPES",
    "REGEX_FLAGS",
    "BooleanOutput",
    "ConfigOverrides",
    "ContainsKeywordsConfig",
    "CreateTasksPayload",
    "CriterionConfig",
    "CriterionDefinition",
    "EvaluationOverride",
    "ExactMatchConfig",
    "ExperimentPayload",
    "ExperimentVariant",
    "HumanRatingConfig",
    "JsonValidityConfig",
    "LlmJudgeConfig",
    "LlmMetricConfig",
    "ModelOverride",
    "NumericOutput",
    "OutputSchema",
    "PromptOverride",
    "RatingOutput",
    "RegexMatchConfig",
    "config_overrides_errors",
    "create_tasks_errors",
    "criterion_errors",
    "dump_payload",
    "experiment_errors",
    "format_errors",
    "json_schema_problem",
]
