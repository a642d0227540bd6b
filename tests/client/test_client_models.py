"""Client-side payload validation (shared with the local backend's 422 responses)."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from pytest_pipelines.client import _models as m


def crit(
    ctype: str, config: dict[str, Any], output: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "name": "C",
        "display_label": "C",
        "type": ctype,
        "config": config,
        "output_schema": output or {"type": "boolean"},
        "scope_type": "org",
        "org_id": 2,
    }


VALID = [
    crit(
        "programmatic",
        {"subtype": "exact_match", "case_sensitive": False, "strip_whitespace": True},
    ),
    crit(
        "programmatic",
        {
            "subtype": "contains_keywords",
            "keywords": ["Rome"],
            "mode": "all",
            "case_sensitive": False,
        },
    ),
    crit(
        "programmatic",
        {"subtype": "regex_match", "pattern": r"Day\s+[1-5]", "flags": ["IGNORECASE"]},
    ),
    crit(
        "programmatic",
        {"subtype": "json_validity", "schema": {"type": "object", "required": ["days"]}},
    ),
    crit("programmatic", {"subtype": "json_validity"}),
    crit(
        "llm_judge",
        {"model": "gemini-3.5-flash", "temperature": 0, "prompt_template": "Score 1-5."},
        {"type": "rating", "range": [1, 5]},
    ),
    crit(
        "llm_metric",
        {"subtype": "answer_relevancy", "threshold": 0.7},
        {"type": "numeric", "range": [0, 1]},
    ),
    crit(
        "human_rating",
        {"rubric": "1 = poor, 5 = excellent"},
        {"type": "rating", "range": [1, 5], "labels": {"1": "Poor", "5": "Excellent"}},
    ),
]


@pytest.mark.parametrize(
    "payload", VALID, ids=lambda p: f"{p['type']}-{p['config'].get('subtype', '')}"
)
def test_guide_recipes_are_valid(payload: dict[str, Any]) -> None:
    assert m.criterion_errors(payload) == []
    # the typed model accepts the same payload and dumps it back unchanged
    assert m.dump_payload(m.CriterionDefinition.model_validate(payload)) == payload


INVALID = [
    (
        crit("programmatic", {"subtype": "contains_keywords"}),
        ["config", "keywords"],
        "Field required",
    ),
    (
        crit("programmatic", {"subtype": "contains_keywords", "keywords": []}),
        ["config", "keywords"],
        "at least 1",
    ),
    (
        crit("programmatic", {"subtype": "contains_keywords", "keywords": ["a"], "mode": "some"}),
        ["config", "mode"],
        "'any' or 'all'",
    ),
    (crit("programmatic", {"subtype": "regex_match"}), ["config", "pattern"], "Field required"),
    (
        crit("programmatic", {"subtype": "regex_match", "pattern": "(unclosed"}),
        ["config", "pattern"],
        "regular expression",
    ),
    (
        crit("programmatic", {"subtype": "regex_match", "pattern": "a", "flags": ["I"]}),
        ["config", "flags", 0],
        "IGNORECASE",
    ),
    (
        crit("programmatic", {"subtype": "json_validity", "schema": {"type": "objx"}}),
        ["config", "schema"],
        "JSON Schema",
    ),
    (
        crit("programmatic", {"subtype": "json_validity", "schema": "object"}),
        ["config", "schema"],
        "dictionary",
    ),
    (crit("programmatic", {"subtype": "fuzzy"}), ["config", "subtype"], "'exact_match'"),
    (crit("programmatic", {}), ["config", "subtype"], "Field required"),
    (
        crit("programmatic", {"subtype": "exact_match"}, {"type": "numeric"}),
        ["output_schema", "type"],
        "boolean",
    ),
    (
        crit("llm_judge", {"model": "m"}, {"type": "rating", "range": [1, 5]}),
        ["config", "prompt_template"],
        "Field required",
    ),
    (
        crit("llm_judge", {"prompt_template": "p"}, {"type": "numeric"}),
        ["config", "model"],
        "Field required",
    ),
    (
        crit(
            "llm_judge",
            {"model": "m", "prompt_template": "p", "temperature": 3},
            {"type": "numeric"},
        ),
        ["config", "temperature"],
        "less than or equal",
    ),
    (
        crit("llm_metric", {"subtype": "vibes"}, {"type": "numeric"}),
        ["config", "subtype"],
        "answer_relevancy",
    ),
    (
        crit("llm_metric", {"subtype": "toxicity", "threshold": 1.5}, {"type": "numeric"}),
        ["config", "threshold"],
        "less than or equal to 1",
    ),
    (
        crit("human_rating", {}, {"type": "rating", "range": [1, 5]}),
        ["config", "rubric"],
        "Field required",
    ),
    (
        crit("human_rating", {"rubric": "r"}, {"type": "rating", "range": [5, 1]}),
        ["output_schema", "range"],
        "low < high",
    ),
    (
        crit("human_rating", {"rubric": "r"}, {"type": "rating"}),
        ["output_schema", "range"],
        "Field required",
    ),
    (
        crit("human_rating", {"rubric": "r"}, {"type": "stars"}),
        ["output_schema", "type"],
        "'boolean'",
    ),
    (crit("magic", {}), ["type"], "'programmatic'"),
    (
        {
            "type": "programmatic",
            "config": {"subtype": "exact_match"},
            "output_schema": {"type": "boolean"},
        },
        ["name"],
        "Field required",
    ),
]


@pytest.mark.parametrize(("payload", "loc", "msg"), INVALID)
def test_invalid_criteria_report_clean_relative_loc(
    payload: dict[str, Any], loc: list[Any], msg: str
) -> None:
    errors = m.criterion_errors(payload)
    matching = [e for e in errors if e["loc"] == loc]
    assert matching, errors
    assert msg in matching[0]["msg"]
    for error in errors:
        assert set(error) == {"loc", "msg", "type"}
        assert not any(isinstance(p, str) and "[" in p for p in error["loc"]), error


def test_criterion_not_a_mapping() -> None:
    assert m.criterion_errors([1, 2]) == [  # type: ignore[arg-type]
        {"loc": [], "msg": m.MSG_NOT_A_MAPPING, "type": "dict_type"}
    ]


def test_criterion_model_construction_raises_with_path() -> None:
    with pytest.raises(pydantic.ValidationError, match=r"config\.keywords: Field required"):
        m.CriterionDefinition(
            name="a",
            display_label="a",
            type="programmatic",
            config={"subtype": "contains_keywords"},  # type: ignore[arg-type]
            output_schema=m.BooleanOutput(),
        )


def test_models_nested_in_dicts_are_dumped_by_alias() -> None:
    payload = crit("programmatic", m.ContainsKeywordsConfig(keywords=["x"]))  # type: ignore[arg-type]
    assert m.criterion_errors(payload) == []
    assert m.dump_payload(m.JsonValidityConfig(json_schema={"type": "object"})) == {
        "subtype": "json_validity",
        "schema": {"type": "object"},
    }
    override = m.PromptOverride(node_id="n", field_id="f", prompt_id=3, version=1)
    assert m.dump_payload({"prompts": [override]}) == {
        "prompts": [{"nodeId": "n", "fieldId": "f", "promptId": 3, "version": 1}]
    }


def test_config_overrides() -> None:
    good = {
        "prompts": [{"nodeId": "n", "fieldId": "f", "promptId": 1, "version": 1}],
        "models": [
            {"nodeId": "n", "modelSlug": "echo"},
            {"nodeId": "n", "modelSlug": "e", "fieldId": "f"},
        ],
        "evaluations": [{"nodeId": "r", "fieldId": "q", "evaluationId": 5, "version": 1}],
    }
    assert m.config_overrides_errors(good) == []
    assert m.config_overrides_errors({}) == []
    errors = m.config_overrides_errors(
        {
            "prompts": [{"nodeId": "n", "fieldId": "f"}],
            "model": [],
            "evaluations": [{"nodeId": "", "fieldId": "q", "evaluationId": 1}],
        }
    )
    locs = [e["loc"] for e in errors]
    assert ["prompts", 0, "promptId"] in locs
    assert ["model"] in locs
    assert ["evaluations", 0, "nodeId"] in locs
    assert m.config_overrides_errors([]) == [
        {"loc": [], "msg": m.MSG_NOT_A_MAPPING, "type": "dict_type"}
    ]


def test_create_tasks_payload() -> None:
    assert (
        m.create_tasks_errors({"count": 2, "inputs": [{"city": "Rome"}], "expected_outputs": ["x"]})
        == []
    )
    assert (
        m.create_tasks_errors(
            {"count": 1, "configOverrides": {"models": [{"nodeId": "n", "modelSlug": "echo"}]}}
        )
        == []
    )
    locs = [e["loc"] for e in m.create_tasks_errors({"count": 0, "inputs": ["nope"]})]
    assert locs == [["count"], ["inputs", 0]]
    assert [e["loc"] for e in m.create_tasks_errors({"count": True})] == [["count"]]
    assert [e["loc"] for e in m.create_tasks_errors({})] == [["count"]]
    assert [
        e["loc"] for e in m.create_tasks_errors({"count": 1, "configOverrides": {"x": []}})
    ] == [["configOverrides", "x"]]


def test_experiment_payload() -> None:
    good = {"count": 1, "variants": [{"name": "baseline", "configOverrides": {}}, {"name": "b"}]}
    assert m.experiment_errors(good) == []
    errors = m.experiment_errors({"count": 1, "variants": [{"name": "a"}, {"name": "a"}]})
    assert errors == [
        {
            "loc": ["variants", 1, "name"],
            "msg": m.MSG_DUPLICATE_VARIANT.format(name="a"),
            "type": "value_error",
        }
    ]
    assert [e["loc"] for e in m.experiment_errors({"count": 1, "variants": []})] == [["variants"]]
    assert [e["loc"] for e in m.experiment_errors({"count": 1, "variants": [{"name": ""}]})] == [
        ["variants", 0, "name"]
    ]
    with pytest.raises(pydantic.ValidationError, match="unique"):
        m.ExperimentPayload.model_validate({"count": 1, "variants": [{"name": "a"}, {"name": "a"}]})


def test_format_errors() -> None:
    assert m.format_errors(
        [{"loc": ["config", "keywords"], "msg": "Field required"}, {"loc": [], "msg": "bad"}]
    ) == ("config.keywords: Field required; bad")
