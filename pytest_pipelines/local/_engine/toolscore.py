"""Tool correctness scoring and tool recommendation (pure functions, no I/O).

Scoring (:func:`score_tool_calls`), with ``E`` the expected tools of the ground truth and
``C`` the recorded calls, in call order:

- An expected tool is **hit** when some call has its name; when ``"input_parameters"`` is in
  ``evaluation_params`` and the expected tool gives an ``input``, the call must also carry
  every key of that input with an equal value (extra keys in the call are allowed).
- When ordering is considered (``should_consider_ordering`` or the ground truth's
  ``ordering_matters``), only hits in the expected order count: the hits are the longest
  common subsequence of ``E`` and ``C``.
- ``recall`` = hits / len(E) (1.0 when nothing is expected).
- ``safety`` = distinct called tools that are not excluded / distinct called tools
  (1.0 when nothing was called).
- ``score`` = recall * (1 + safety) / 2: recall, cut by up to half for calling excluded
  tools. Nothing called when a tool was expected scores 0. Tools that are neither expected nor
  excluded are reported as ``unexpected`` but do not lower the score.
- With ``should_exact_match`` the score is 1.0 when the called tools are exactly the expected
  ones (the same set; the same sequence when ordering is considered; every expected input
  matched when parameters are compared) and 0.0 otherwise.
- ``passed`` = score >= threshold (default 1.0).

Example: expected ``search_docs``, excluded ``delete_record``, called ``search_docs`` then
``delete_record``: recall 1.0, safety 0.5, score 0.75.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "INPUT_PARAMETERS",
    "recommend_tools",
    "score_tool_calls",
]

INPUT_PARAMETERS = "input_parameters"
EVALUATION_PARAMS: tuple[str, ...] = (INPUT_PARAMETERS,)
MSG_BAD_PARAM = "unknown evaluation param {param!r}; valid params: " + ", ".join(EVALUATION_PARAMS)
MSG_BAD_THRESHOLD = "threshold must be a number in [0, 1], got {threshold!r}"


def _name(item: Any) -> str:
    if isinstance(item, Mapping):
        return str(item.get("name") or item.get("tool_name") or "")
    return str(item)


def _inputs_match(expected: Mapping[str, Any], actual: Any) -> bool:
    if not isinstance(actual, Mapping):
        return not expected
    return all(key in actual and actual[key] == value for key, value in expected.items())


def _lcs(
    expected: Sequence[Mapping[str, Any]],
    calls: Sequence[Mapping[str, Any]],
    matches: Callable[[Mapping[str, Any], Mapping[str, Any]], bool],
) -> int:
    """Length of the longest common subsequence of expected tools and calls."""
    previous = [0] * (len(calls) + 1)
    for item in expected:
        current = [0] * (len(calls) + 1)
        for j, call in enumerate(calls, start=1):
            if matches(item, call):
                current[j] = previous[j - 1] + 1
            else:
                current[j] = max(previous[j], current[j - 1])
        previous = current
    return previous[-1]


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))


def score_tool_calls(
    calls: Sequence[Mapping[str, Any]],
    ground_truth: Mapping[str, Any],
    *,
    evaluation_params: Sequence[str] = (),
    should_exact_match: bool = False,
    should_consider_ordering: bool = False,
    threshold: float = 1.0,
) -> dict[str, Any]:
    """Score recorded tool calls against a ground truth (formula in the module docstring).

    :param calls: the recorded calls, in call order, each ``{"tool_name", "input"}``.
    :param ground_truth: ``expected_tools`` (``[{"name", "input"?}]``), ``excluded_tools``
        (``[{"name"}]``) and ``ordering_matters`` (default ``False``).
    :param evaluation_params: default ``()``; ``"input_parameters"`` also compares inputs.
    :param should_exact_match: default ``False``; score 1.0 or 0.0 on an exact match.
    :param should_consider_ordering: default ``False``; also on when the ground truth says
        ``ordering_matters``.
    :param threshold: default ``1.0``; ``passed`` is ``score >= threshold``.
    :returns: ``{"score", "passed", "threshold", "details": {"expected", "called", "missing",
        "excluded_called", "unexpected", "ordering_ok", "ordering_considered",
        "parameter_mismatches"}}``; ``ordering_considered`` says whether the order was scored.
    :raises ValueError: an unknown evaluation param or a threshold outside [0, 1].
    """
    for param in evaluation_params:
        if param not in EVALUATION_PARAMS:
            raise ValueError(MSG_BAD_PARAM.format(param=param))
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise ValueError(MSG_BAD_THRESHOLD.format(threshold=threshold))
    if not 0 <= threshold <= 1:
        raise ValueError(MSG_BAD_THRESHOLD.format(threshold=threshold))
    compare_inputs = INPUT_PARAMETERS in evaluation_params
    ordering = bool(should_consider_ordering or ground_truth.get("ordering_matters"))

    expected: list[Mapping[str, Any]] = [
        item if isinstance(item, Mapping) else {"name": str(item)}
        for item in ground_truth.get("expected_tools") or []
    ]
    excluded = {_name(item) for item in ground_truth.get("excluded_tools") or []}
    called_calls: list[Mapping[str, Any]] = [
        {"name": _name(call), "input": call.get("input") or call.get("arguments") or {}}
        for call in calls
    ]
    called = [call["name"] for call in called_calls]
    expected_names = [_name(item) for item in expected]

    def matches(item: Mapping[str, Any], call: Mapping[str, Any]) -> bool:
        if _name(item) != call["name"]:
            return False
        wanted = item.get("input")
        if compare_inputs and isinstance(wanted, Mapping):
            return _inputs_match(wanted, call["input"])
        return True

    hits_any = [item for item in expected if any(matches(item, call) for call in called_calls)]
    hits = _lcs(expected, called_calls, matches) if ordering else len(hits_any)
    name_hits = [name for name in expected_names if name in called]
    ordering_ok = _lcs(
        [{"name": n} for n in name_hits], [{"name": n} for n in called], _same_name
    ) == len(name_hits)

    missing = _unique([name for name in expected_names if name not in called])
    excluded_called = _unique([name for name in called if name in excluded])
    unexpected = _unique(
        [name for name in called if name not in excluded and name not in expected_names]
    )
    mismatches: list[dict[str, Any]] = []
    if compare_inputs:
        for item in expected:
            wanted = item.get("input")
            name = _name(item)
            if not isinstance(wanted, Mapping) or name not in called:
                continue
            if item in hits_any:
                continue
            actual = [call["input"] for call in called_calls if call["name"] == name]
            mismatches.append({"tool_name": name, "expected": dict(wanted), "actual": actual})

    if should_exact_match:
        same = (called == expected_names) if ordering else (set(called) == set(expected_names))
        exact = same and not mismatches and len(hits_any) == len(expected)
        score = 1.0 if exact else 0.0
    else:
        recall = hits / len(expected) if expected else 1.0
        distinct = set(called)
        safety = (len(distinct - excluded) / len(distinct)) if distinct else 1.0
        score = recall * (1 + safety) / 2
    score = round(score, 4)
    return {
        "score": score,
        "passed": score >= threshold,
        "threshold": float(threshold),
        "details": {
            "expected": expected_names,
            "called": called,
            "missing": missing,
            "excluded_called": excluded_called,
            "unexpected": unexpected,
            "ordering_ok": ordering_ok,
            "ordering_considered": ordering,
            "parameter_mismatches": mismatches,
        },
    }


def _same_name(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return bool(a["name"] == b["name"])


# --- recommendation -------------------------------------------------------------------------

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "for",
        "from",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "need",
        "needed",
        "of",
        "on",
        "or",
        "please",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "this",
        "to",
        "up",
        "use",
        "user",
        "using",
        "via",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "you",
        "your",
    ]
)
_SUFFIXES = ("ing", "ers", "er", "ed", "es", "s")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _words(text: str) -> dict[str, str]:
    """Stem -> the first word of ``text`` with that stem (stop words left out)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    found: dict[str, str] = {}
    for word in re.findall(r"[a-z0-9]+", spaced.lower()):
        if word not in _STOPWORDS:
            found.setdefault(_stem(word), word)
    return found


def recommend_tools(
    prompt_text: str, available_tools: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Rank ``available_tools`` for ``prompt_text`` by word overlap (deterministic).

    Words are lower-cased, split on ``_``, ``-`` and camelCase, stripped of stop words and
    compared after removing simple suffixes (``searching`` ~ ``search``, ``docs`` ~ ``doc``).
    score = 0.7 * (share of the tool's name words found in the prompt)
    + 0.3 * (share of its description words found in the prompt), rounded to 4 places.
    Ties are broken by name.

    :returns: ``{"recommendations": [{"name", "score", "reason"}, ...]}``, best first.
    """
    prompt_words = _words(prompt_text or "")
    ranked: list[dict[str, Any]] = []
    for tool in available_tools:
        name = _name(tool)
        description = str(tool.get("description") or "") if isinstance(tool, Mapping) else ""
        name_words = _words(name)
        desc_words = _words(description)
        name_hits = [word for stem, word in name_words.items() if stem in prompt_words]
        desc_all = [stem for stem in desc_words if stem in prompt_words]
        desc_hits = [desc_words[stem] for stem in desc_all if stem not in name_words]
        score = 0.0
        if name_words:
            score += 0.7 * len(name_hits) / len(name_words)
        if desc_words:
            score += 0.3 * len(desc_all) / len(desc_words)
        parts = []
        if name_hits:
            parts.append(f"name words in the prompt: {', '.join(name_hits)}")
        if desc_hits:
            parts.append(f"description words in the prompt: {', '.join(desc_hits)}")
        reason = (
            "; ".join(parts)
            if parts
            else "no overlap between the prompt and the tool's name or description"
        )
        ranked.append({"name": name, "score": round(score, 4), "reason": reason})
    ranked.sort(key=lambda item: (-item["score"], item["name"]))
    return {"recommendations": ranked}
