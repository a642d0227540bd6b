"""Criterion implementations: every subtype, judge parsing, ranges and error paths."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pytest

from pytest_pipelines.local._engine.criteria import (
    MSG_NO_EXPECTED,
    MSG_NO_JUDGE_MODEL,
    MSG_PENDING,
    OUTPUT_HEADING,
    CriterionOutcome,
    evaluate_criterion,
    parse_judge_answer,
    render_judge_prompt,
)
from pytest_pipelines.local._engine.regex import MSG_UNSUPPORTED, MSG_VERBOSE
from pytest_pipelines.local.models import ModelRequest, default_registry


class RecordingJudge:
    """A judge that answers a fixed text and records what it was asked."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str]] = []

    def __call__(self, model: str, prompt: str) -> str:
        self.calls.append((model, prompt))
        return self.answer


def no_judge(model: str, prompt: str) -> str:
    raise AssertionError("a programmatic criterion must not call the judge")


def programmatic(subtype: str, **config: Any) -> dict[str, Any]:
    return {
        "name": subtype,
        "type": "programmatic",
        "config": {"subtype": subtype, **config},
        "output_schema": {"type": "boolean"},
    }


def run(
    criterion: Mapping[str, Any],
    output: Any,
    *,
    expected: Any = None,
    inputs: Mapping[str, Any] | None = None,
    judge: Any = no_judge,
) -> CriterionOutcome:
    return evaluate_criterion(
        criterion, output, inputs=inputs or {}, expected_output=expected, judge=judge
    )


# --- exact_match ------------------------------------------------------------------------------


def test_exact_match_defaults_are_case_sensitive_and_strip_whitespace() -> None:
    criterion = programmatic("exact_match")
    assert run(criterion, "  Rome \n", expected="Rome") == CriterionOutcome(
        "completed", True, True, "output matches the expected output", None
    )
    outcome = run(criterion, "rome", expected="Rome")
    assert (outcome.value, outcome.passed) == (False, False)
    assert outcome.reason == (
        "output differs from the expected output at character 0: expected 'Rome', got 'rome'"
    )


def test_exact_match_options() -> None:
    loose = programmatic("exact_match", case_sensitive=False, strip_whitespace=True)
    assert run(loose, " ROME ", expected="rome").value is True
    strict = programmatic("exact_match", strip_whitespace=False)
    assert run(strict, "Rome ", expected="Rome").value is False


def test_exact_match_compares_structured_values_as_json() -> None:
    criterion = programmatic("exact_match")
    assert run(criterion, {"b": 1, "a": 2}, expected={"a": 2, "b": 1}).value is True
    assert run(criterion, '{"a": 2, "b": 1}', expected={"b": 1, "a": 2}).value is True
    assert run(criterion, {"a": 3}, expected={"a": 2}).value is False


def test_exact_match_without_expected_output_is_an_error() -> None:
    outcome = run(programmatic("exact_match"), "Rome", expected=None)
    assert outcome == CriterionOutcome("error", None, None, None, MSG_NO_EXPECTED)


# --- contains_keywords ------------------------------------------------------------------------

ITINERARY = "Day 1: Colosseum and Roman Forum.\nDay 2: Vatican Museums."


def test_contains_keywords_any_lists_found_and_missing() -> None:
    criterion = programmatic(
        "contains_keywords", keywords=["Colosseum", "Vatican", "Trastevere"], mode="any"
    )
    outcome = run(criterion, ITINERARY)
    assert outcome.value is True
    assert outcome.passed is True
    assert outcome.reason == "found: Colosseum, Vatican; missing: Trastevere; mode: any"


def test_contains_keywords_all_fails_when_one_is_missing() -> None:
    criterion = programmatic("contains_keywords", keywords=["Colosseum", "Trastevere"], mode="all")
    outcome = run(criterion, ITINERARY)
    assert (outcome.value, outcome.passed) == (False, False)
    assert outcome.reason == "found: Colosseum; missing: Trastevere; mode: all"


def test_contains_keywords_case_sensitivity() -> None:
    sensitive = programmatic("contains_keywords", keywords=["colosseum"])
    assert run(sensitive, ITINERARY).value is False
    assert run(sensitive, ITINERARY).reason == "found: none; missing: colosseum; mode: any"
    insensitive = programmatic("contains_keywords", keywords=["colosseum"], case_sensitive=False)
    assert run(insensitive, ITINERARY).value is True


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "contains_keywords needs config.keywords"),
        ({"keywords": []}, "contains_keywords needs config.keywords"),
        ({"keywords": ["a"], "mode": "most"}, "contains_keywords mode must be 'any' or 'all'"),
    ],
)
def test_contains_keywords_config_errors(config: dict[str, Any], message: str) -> None:
    outcome = run(programmatic("contains_keywords", **config), ITINERARY)
    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error.startswith(message)
    assert outcome.value is None
    assert outcome.passed is None


# --- regex_match ------------------------------------------------------------------------------


def test_regex_match_with_flags_reports_the_match() -> None:
    criterion = programmatic("regex_match", pattern=r"Day\s+[1-5]", flags=["IGNORECASE"])
    outcome = run(criterion, "Plan:\nday 2: Vatican")
    assert outcome.value is True
    assert outcome.reason == "matched 'day 2' at position 6"
    assert run(programmatic("regex_match", pattern=r"Day\s+[1-5]"), "day 2").value is False


def test_regex_match_searches_text_with_a_lone_surrogate() -> None:
    """A model's answer may hold one (a broken emoji); RE2 matches UTF-8, which cannot encode
    it: it is searched as U+FFFD, positions unchanged, instead of an evaluator error."""
    text = "\ud83d broken, then Day 2 \ude00 in Rome"
    outcome = run(programmatic("regex_match", pattern=r"Day\s+[1-5]"), text)
    assert (outcome.status, outcome.value) == ("completed", True)
    assert outcome.reason == f"matched 'Day 2' at position {text.index('Day 2')}"
    assert run(programmatic("regex_match", pattern=r"Day\s+9"), text).value is False
    assert run(programmatic("regex_match", pattern="broken.\ufffd"), "broken \ud800").value is True


def test_regex_match_multiline_flag() -> None:
    criterion = programmatic("regex_match", pattern=r"^Day 2", flags=["MULTILINE"])
    assert run(criterion, ITINERARY).value is True
    assert run(programmatic("regex_match", pattern=r"^Day 2"), ITINERARY).value is False


def test_regex_match_errors() -> None:
    bad_flag = run(programmatic("regex_match", pattern="x", flags=["LOUD"]), "x")
    assert bad_flag.status == "error"
    assert bad_flag.error == (
        "unknown regex flag 'LOUD'; valid flags: IGNORECASE, MULTILINE, DOTALL, VERBOSE, ASCII"
    )
    bad_pattern = run(programmatic("regex_match", pattern="(unclosed"), "x")
    assert bad_pattern.status == "error"
    assert bad_pattern.error is not None
    assert bad_pattern.error.startswith("regex_match pattern '(unclosed' does not compile")
    missing = run(programmatic("regex_match"), "x")
    assert missing.error == "regex_match needs config.pattern, a regular expression string"


def test_a_catastrophic_pattern_finishes() -> None:
    """Issue 11 finding 3: ``^(a+)+$`` on 28 a's and a ``!`` blocked the server for 12 s under
    Python's backtracking re (each 2 more characters quadruple it; 60 would take centuries).
    RE2 answers at once; the join's bound only keeps a regression from hanging the suite."""
    outcomes: list[Any] = []
    worker = threading.Thread(
        target=lambda: outcomes.append(
            run(programmatic("regex_match", pattern="^(a+)+$"), "a" * 60 + "!")
        ),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "regex_match is still backtracking"
    assert (outcomes[0].status, outcomes[0].value) == ("completed", False)
    assert run(programmatic("regex_match", pattern="^(a+)+$"), "aaaa").value is True


@pytest.mark.parametrize(
    ("pattern", "flags", "construct"),
    [
        (r"(a)\1", None, "invalid escape sequence: \\1"),
        (r"(?<=a)b", None, "invalid perl operator: (?<="),
        (r"a(?=b)", None, "invalid perl operator: (?="),
        (r"a++", None, "bad repetition operator: ++"),
        (r"a b", ["VERBOSE"], MSG_VERBOSE),
    ],
)
def test_patterns_that_need_backtracking_are_errors_naming_the_construct(
    pattern: str, flags: list[str] | None, construct: str
) -> None:
    outcome = run(programmatic("regex_match", pattern=pattern, flags=flags), "aab")
    assert outcome.status == "error"
    assert outcome.error == MSG_UNSUPPORTED.format(pattern=pattern, problem=construct)


def test_regex_flags_and_positions_keep_their_meaning() -> None:
    dotall = programmatic("regex_match", pattern="a.b", flags=["DOTALL", "ASCII"])
    assert run(dotall, "a\nb").value is True
    assert run(programmatic("regex_match", pattern="a.b"), "a\nb").value is False
    found = run(programmatic("regex_match", pattern="é+"), "café")
    assert found.reason == "matched 'é' at position 3"


# --- json_validity ----------------------------------------------------------------------------

DAYS_SCHEMA = {
    "type": "object",
    "required": ["days"],
    "properties": {"days": {"type": "array", "items": {"type": "object", "required": ["day"]}}},
}


def test_json_validity_without_schema() -> None:
    criterion = programmatic("json_validity")
    assert run(criterion, '{"days": []}') == CriterionOutcome(
        "completed", True, True, "valid JSON", None
    )
    outcome = run(criterion, "Day 1: Colosseum")
    assert (outcome.status, outcome.value, outcome.passed) == ("completed", False, False)
    assert outcome.reason == "not valid JSON: Expecting value: line 1 column 1 (char 0)"


def test_json_validity_with_schema_reports_the_path_of_the_first_error() -> None:
    criterion = programmatic("json_validity", schema=DAYS_SCHEMA)
    assert run(criterion, '{"days": [{"day": 1}]}').reason == "valid JSON matching the schema"
    assert run(criterion, {"days": [{"day": 1}]}).value is True
    wrong_type = run(criterion, '{"days": "five"}')
    assert wrong_type.value is False
    assert wrong_type.reason == "at $.days: 'five' is not of type 'array'"
    nested = run(criterion, '{"days": [{"day": 1}, {"plan": "x"}]}')
    assert nested.reason == "at $.days[1]: 'day' is a required property"
    missing = run(criterion, "{}")
    assert missing.reason == "at $: 'days' is a required property"


def test_json_validity_invalid_schema_is_an_error() -> None:
    outcome = run(programmatic("json_validity", schema={"type": "banana"}), "{}")
    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error.startswith("json_validity schema is not a valid JSON Schema: ")


# --- llm_judge --------------------------------------------------------------------------------


def judge_criterion(output_schema: dict[str, Any], **config: Any) -> dict[str, Any]:
    base = {
        "model": "judge-x",
        "prompt_template": "Score the itinerary from 1 to 5 for specificity.",
    }
    return {
        "name": "judge",
        "type": "llm_judge",
        "config": {**base, **config},
        "output_schema": output_schema,
    }


RATING = {"type": "rating", "range": [1, 5]}


def test_llm_judge_rating_appends_output_and_answer_format() -> None:
    judge = RecordingJudge("Rating: 4 out of 5")
    outcome = run(judge_criterion(RATING), "Day 1: Colosseum", judge=judge)
    assert outcome == CriterionOutcome(
        "completed", 4, None, "judge judge-x answered 'Rating: 4 out of 5'", None
    )
    (model, prompt) = judge.calls[0]
    assert model == "judge-x"
    assert prompt == (
        "Score the itinerary from 1 to 5 for specificity.\n\n"
        f"{OUTPUT_HEADING}\nDay 1: Colosseum\n\n"
        "Answer with only a number from 1 to 5."
    )


def test_llm_judge_threshold_decides_passed() -> None:
    criterion = judge_criterion(RATING, threshold=4)
    assert run(criterion, "x", judge=RecordingJudge("4")).passed is True
    low = run(criterion, "x", judge=RecordingJudge("3"))
    assert (low.value, low.passed) == (3, False)
    assert low.reason == "judge judge-x answered '3'; threshold 4"


def test_llm_judge_rating_out_of_range_is_an_evaluator_error() -> None:
    outcome = run(judge_criterion(RATING), "x", judge=RecordingJudge("7"))
    assert outcome == CriterionOutcome(
        "error", None, None, None, "rating 7 is outside the range [1, 5]"
    )


def test_llm_judge_unparsable_answer_is_an_error() -> None:
    outcome = run(judge_criterion(RATING), "x", judge=RecordingJudge("excellent"))
    assert outcome.status == "error"
    assert outcome.error == (
        "the judge answered 'excellent', which holds no number; expected a number from 1 to 5"
    )


@pytest.mark.parametrize(
    ("answer", "value"),
    [("Yes.", True), ("no", False), ("TRUE", True), ("Verdict: fail", False), ("PASS", True)],
)
def test_llm_judge_boolean_answers(answer: str, value: bool) -> None:
    judge = RecordingJudge(answer)
    outcome = run(judge_criterion({"type": "boolean"}), "x", judge=judge)
    assert (outcome.value, outcome.passed) == (value, value)
    assert judge.calls[0][1].endswith("Answer with yes or no.")


def test_llm_judge_boolean_unparsable() -> None:
    outcome = run(judge_criterion({"type": "boolean"}), "x", judge=RecordingJudge("maybe"))
    assert outcome.status == "error"
    assert outcome.error is not None
    assert "not a boolean; expected yes/no, true/false or pass/fail" in outcome.error


def test_llm_judge_numeric_without_and_with_range() -> None:
    free = run(judge_criterion({"type": "numeric"}), "x", judge=RecordingJudge("score 12.5"))
    assert free.value == 12.5
    ranged = run(
        judge_criterion({"type": "numeric", "range": [0, 1]}, threshold=0.5),
        "x",
        judge=RecordingJudge("1.5"),
    )
    assert ranged.error == "score 1.5 is outside the range [0, 1]"


def test_llm_judge_template_placeholders() -> None:
    judge = RecordingJudge("5")
    criterion = judge_criterion(
        RATING,
        prompt_template="City {{city}}; asked: {{input}}; got: {{ output }}; want {{expected_output}}; {{unknown}}",
    )
    run(criterion, "Day 1", inputs={"city": "Rome"}, expected="Day 1!", judge=judge)
    prompt = judge.calls[0][1]
    assert prompt.startswith("City Rome; asked: Rome; got: Day 1; want Day 1!; {{unknown}}")
    assert OUTPUT_HEADING not in prompt


def test_render_judge_prompt_with_several_inputs() -> None:
    rendered = render_judge_prompt(
        "Inputs:\n{{input}}", {"days": []}, inputs={"city": "Rome", "days": 5}
    )
    assert rendered == f'Inputs:\ncity: Rome\ndays: 5\n\n{OUTPUT_HEADING}\n{{"days": []}}'


def test_llm_judge_errors() -> None:
    no_model = judge_criterion(RATING)
    del no_model["config"]["model"]
    assert run(no_model, "x", judge=RecordingJudge("3")).error == MSG_NO_JUDGE_MODEL

    def failing(model: str, prompt: str) -> str:
        raise LookupError("no model is registered for slug 'judge-x'")

    outcome = run(judge_criterion(RATING), "x", judge=failing)
    assert outcome.status == "error"
    assert outcome.error == (
        "the judge model 'judge-x' failed: no model is registered for slug 'judge-x'"
    )
    no_range = run(judge_criterion({"type": "rating"}), "x", judge=RecordingJudge("3"))
    assert no_range.error is not None
    assert no_range.error.startswith("a rating output_schema needs a range")


def test_parse_judge_answer_raises_value_error() -> None:
    assert parse_judge_answer("3.0", RATING) == 3
    assert parse_judge_answer("2.5", RATING) == 2.5
    with pytest.raises(ValueError, match=r"rating 0 is outside the range \[1, 5\]"):
        parse_judge_answer("0", RATING)
    with pytest.raises(ValueError, match="unknown output_schema type 'stars'"):
        parse_judge_answer("3", {"type": "stars"})


# --- llm_metric -------------------------------------------------------------------------------


def metric(subtype: str, **config: Any) -> dict[str, Any]:
    return {
        "name": subtype,
        "type": "llm_metric",
        "config": {"subtype": subtype, **config},
        "output_schema": {"type": "numeric", "range": [0, 1]},
    }


def test_llm_metric_defaults_to_demo_judge_and_threshold_half() -> None:
    judge = RecordingJudge("0.6")
    outcome = run(metric("answer_relevancy"), "Day 1: Colosseum", inputs={"q": "Rome"}, judge=judge)
    assert outcome.value == 0.6
    assert outcome.passed is True
    assert outcome.reason == "answer_relevancy scored 0.6 by demo-judge; threshold 0.5"
    model, prompt = judge.calls[0]
    assert model == "demo-judge"
    assert "## Input\nRome" in prompt
    assert prompt.endswith(
        f"{OUTPUT_HEADING}\nDay 1: Colosseum\n\nAnswer with only a number from 0 to 1."
    )


def test_llm_metric_threshold_model_and_range() -> None:
    judge = RecordingJudge("0.6")
    outcome = run(metric("toxicity", threshold=0.7, model="judge-x"), "x", judge=judge)
    assert (outcome.value, outcome.passed) == (0.6, False)
    assert judge.calls[0][0] == "judge-x"
    assert run(metric("coherence"), "x", judge=RecordingJudge("1.2")).error == (
        "score 1.2 is outside the range [0, 1]"
    )


def test_llm_metric_unknown_subtype() -> None:
    outcome = run(metric("vibes"), "x", judge=RecordingJudge("1"))
    assert outcome.status == "error"
    assert outcome.error == (
        "unknown llm_metric subtype 'vibes'; valid subtypes: answer_relevancy, faithfulness, "
        "coherence, fluency, conciseness, toxicity"
    )


# --- human_rating, unknown types, crashes ------------------------------------------------------


def test_human_rating_is_pending() -> None:
    criterion = {
        "name": "human",
        "type": "human_rating",
        "config": {"rubric": "1 = poor"},
        "output_schema": RATING,
    }
    assert run(criterion, "x") == CriterionOutcome("pending", None, None, MSG_PENDING, None)


def test_unknown_type_and_subtype_are_errors() -> None:
    assert run({"type": "vibes", "config": {}}, "x").error == (
        "unknown criterion type 'vibes'; valid types: programmatic, llm_judge, llm_metric, "
        "human_rating"
    )
    assert run(programmatic("levenshtein"), "x").error == (
        "unknown programmatic subtype 'levenshtein'; valid subtypes: exact_match, "
        "contains_keywords, regex_match, json_validity"
    )


def test_type_equal_to_subtype_is_tolerated() -> None:
    criterion = {"type": "contains_keywords", "config": {"keywords": ["Rome"]}}
    assert run(criterion, "Rome").value is True


def test_an_evaluator_crash_becomes_an_error_outcome() -> None:
    class Exploding:
        def __str__(self) -> str:
            raise RuntimeError("cannot render")

    criterion = judge_criterion(RATING, prompt_template="{{output}}")
    outcome = run(criterion, "x", inputs={"thing": Exploding()}, judge=RecordingJudge("3"))
    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error.startswith("the llm_judge evaluator failed: ")


def test_as_dict_has_the_result_fields() -> None:
    outcome = CriterionOutcome("completed", 4, True, "ok", None)
    assert outcome.as_dict() == {
        "status": "completed",
        "value": 4,
        "passed": True,
        "reason": "ok",
        "error": None,
    }


# --- with the demo judge from the registry -----------------------------------------------------


def test_demo_judge_rates_detailed_itineraries_higher_than_thin_ones() -> None:
    registry = default_registry(demo=True)
    criterion = judge_criterion(RATING, model="demo-judge")
    detailed = registry.complete(
        "demo-planner",
        ModelRequest("demo-planner", "Create a detailed 5 day Rome itinerary."),
    ).text
    thin = run(criterion, "Go to Rome.", judge=registry.judge)
    rich = run(criterion, detailed, judge=registry.judge)
    assert thin.status == rich.status == "completed"
    assert isinstance(thin.value, int)
    assert isinstance(rich.value, int)
    assert 1 <= thin.value < rich.value <= 5
