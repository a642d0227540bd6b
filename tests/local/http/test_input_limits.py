"""Data that would break later reads is refused at the door (issue 11 finding 4).

A lone surrogate in a global evaluation's description made every organization's
``GET /api/evaluations`` a 500 until it was deleted; JSON nested 256+ levels deep did the same
when serialised, and 1,000+ levels were a 500 ``RecursionError`` on create and on ``.json`` /
``.jsonl`` dataset imports. Every JSON body and imported file is now checked: 422 naming where.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_pipelines.local._engine.limits import LONE_SURROGATE, MAX_JSON_DEPTH, TOO_DEEP


def nested(depth: int) -> str:
    """JSON text of ``depth`` lists inside each other."""
    return "[" * depth + "]" * depth


def post_raw(http: httpx.Client, path: str, text: str) -> httpx.Response:
    return http.post(path, content=text.encode(), headers={"Content-Type": "application/json"})


def test_a_lone_surrogate_is_refused_and_listing_still_works(
    http: httpx.Client, unique: Callable[[str], str]
) -> None:
    name = unique("surrogate")
    # json.dumps keeps the escape as written: the server decodes "\ud800" to a lone surrogate
    body = json.dumps({"name": name, "description": "x\ud800", "scope_type": "global"})
    answer = post_raw(http, "/api/evaluations", body)
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", "description"]
    assert error["msg"] == LONE_SURROGATE.format(where="$.description", code=0xD800)
    assert http.get("/api/evaluations", params={"name": name}).json()["total"] == 0
    assert http.get("/api/evaluations").status_code == 200


def test_a_lone_surrogate_in_a_key_is_answered_escaped(http: httpx.Client) -> None:
    answer = post_raw(http, "/api/prompts", '{"name": "k", "prompt_text": "t", "\\udc00": 1}')
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "\\udc00"]


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 300, 5000])
def test_json_nested_too_deep_is_422_not_500(
    http: httpx.Client, unique: Callable[[str], str], depth: int
) -> None:
    # the body object is level 1, "metadata" holds the rest
    text = f'{{"name": "{unique("deep")}", "prompt_text": "t", "metadata": {nested(depth)}}}'
    answer = post_raw(http, "/api/prompts", text)
    assert answer.status_code == 422, answer.text[:300]
    message = answer.json()["detail"][0]["msg"]
    assert message.startswith(TOO_DEEP.format(limit=MAX_JSON_DEPTH, where="$")[:40])


def test_json_at_the_depth_limit_is_stored_and_listed(
    http: httpx.Client, unique: Callable[[str], str]
) -> None:
    name = unique("deep-ok")
    text = f'{{"name": "{name}", "prompt_text": "t", "metadata": {nested(MAX_JSON_DEPTH - 1)}}}'
    assert post_raw(http, "/api/prompts", text).status_code == 200
    listed = http.get("/api/prompts", params={"name": name})
    assert listed.status_code == 200
    assert listed.json()["total"] == 1


@pytest.mark.parametrize(
    ("filename", "content", "problem"),
    [
        ("deep.json", f'[{{"a": {nested(2000)}}}]', "JSON nested deeper than"),
        ("deep.json", f'[{{"a": {nested(100)}}}]', "JSON nested deeper than"),
        ("deep.jsonl", f'{{"a": 1}}\n{{"a": {nested(2000)}}}\n', "line 2: JSON nested deeper"),
        ("text.json", '[{"a": "x\\ud800"}]', "lone surrogate (U+D800)"),
        ("text.jsonl", '{"\\udfff": 1}\n', "line 1: the text at $.\\udfff holds a lone"),
    ],
)
@pytest.mark.parametrize(
    "route", ["/api/datasets/import/file", "/api/datasets/import/file/preview"]
)
def test_dataset_imports_refuse_what_cannot_be_stored(
    http: httpx.Client, route: str, filename: str, content: str, problem: str
) -> None:
    files: Any = {"file": (filename, content.encode(), "application/octet-stream")}
    answer = http.post(route, files=files)
    assert answer.status_code == 422, answer.text[:300]
    # FastAPI's validation shape (issue 11 finding 13): the problem is on the file field
    (item,) = answer.json()["detail"]
    assert item["loc"] == ["body", "file"]
    assert problem in item["msg"]
