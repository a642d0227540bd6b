"""The plugin's retries of the requests the client does not retry: DELETEs, creates, evaluations.

A scripted server (``httpx.MockTransport``) plays what a flaky platform does that the local
backend's chaos switch cannot: a request that went through but whose answer was lost (a 503 or
a dropped connection after the work was done).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from pytest_pipelines import _retry
from pytest_pipelines.client import (
    MAX_RETRY_AFTER,
    NotFoundError,
    PipelinesClient,
    RateLimitError,
    ServerError,
    ValidationError,
)

Handler = Callable[[httpx.Request], httpx.Response]


class Script:
    """Answers requests from a list; records method, path and the waits between retries."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(_retry, "pause", slept.append)
    return slept


def client_for(script: Handler, max_retries: int = 3) -> PipelinesClient:
    return PipelinesClient(
        api_key="pk_test",
        base_url="https://api.test",
        max_retries=max_retries,
        http_client=httpx.Client(transport=httpx.MockTransport(script)),
        sleep=_retry.client_sleep,
    )


@pytest.fixture
def make_client() -> Iterator[Callable[..., PipelinesClient]]:
    made: list[PipelinesClient] = []

    def make(script: Handler, max_retries: int = 3) -> PipelinesClient:
        made.append(client_for(script, max_retries))
        return made[-1]

    yield make
    for client in made:
        client.close()


def busy(status: int = 503, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"detail": "busy"}, headers=headers)


def test_delete_is_retried_and_a_404_after_a_retry_is_deleted(
    make_client: Callable[..., PipelinesClient], waits: list[float]
) -> None:
    # the first DELETE went through but its answer was lost (503): the retry finds nothing
    script = Script(busy(), httpx.Response(404, json={"detail": "prompt 7 not found"}))
    client = make_client(script)
    _retry.delete(client, lambda: client.delete_prompt(7))
    assert script.seen == ["DELETE /api/prompts/7", "DELETE /api/prompts/7"]
    assert waits == [1.0]


def test_delete_404_on_the_first_attempt_is_not_found(
    make_client: Callable[..., PipelinesClient], waits: list[float]
) -> None:
    script = Script(httpx.Response(404, json={"detail": "prompt 7 not found"}))
    client = make_client(script)
    with pytest.raises(NotFoundError):
        _retry.delete(client, lambda: client.delete_prompt(7))
    assert waits == []


def test_delete_honours_retry_after_then_gives_up_after_the_budget(
    make_client: Callable[..., PipelinesClient], waits: list[float]
) -> None:
    script = Script(*(busy(429, **{"Retry-After": "3"}) for _ in range(3)))
    client = make_client(script, max_retries=2)
    with pytest.raises(RateLimitError):
        _retry.delete(client, lambda: client.delete_prompt(7))
    assert waits == [3.0, 3.0]
    assert len(script.seen) == 3


def test_delete_does_not_retry_a_client_error(
    make_client: Callable[..., PipelinesClient], waits: list[float]
) -> None:
    script = Script(httpx.Response(422, json={"detail": "no"}))
    client = make_client(script)
    with pytest.raises(ValidationError):
        _retry.delete(client, lambda: client.delete_prompt(7))
    assert len(script.seen) == 1


def test_create_finds_the_object_a_lost_answer_created(
    make_client: Callable[..., PipelinesClient], waits: list[float]
) -> None:
    created = {"id": 41, "name": "pytest-abc-main-1-prompt"}
    script = Script(
        busy(502),  # the POST went through; the gateway lost the answer
        httpx.Response(
            200, json={"items": [{"id": 3, "name": "other"}, created], "has_more": False}
        ),
    )
    client = make_client(script)
    got = _retry.create(
        client,
        lambda: client.create_prompt({"name": created["name"]}),
        lambda: _retry.first(client.iter_prompts(), lambda p: p["name"] == created["name"]),
    )
    assert got == created
    assert script.seen == ["POST /api/prompts", "GET /api/prompts"]  # created once


def test_create_retries_when_nothing_was_created(
    make_client: Callable[..., PipelinesClient], waits: list[float]
) -> None:
    script = Script(
        httpx.ConnectError("connection reset"),
        httpx.Response(200, json={"items": [], "has_more": False}),
        busy(429, **{"Retry-After": "2"}),  # not processed: no lookup needed
        httpx.Response(201, json={"id": 5, "name": "n"}),
    )
    client = make_client(script)
    got = _retry.create(
        client,
        lambda: client.create_prompt({"name": "n"}),
        lambda: _retry.first(client.iter_prompts(), lambda p: p["name"] == "n"),
    )
    assert got == {"id": 5, "name": "n"}
    assert script.seen == [
        "POST /api/prompts",
        "GET /api/prompts",
        "POST /api/prompts",
        "POST /api/prompts",
    ]
    assert waits == [1.0, 2.0]


def test_repeat_gives_up_on_a_500(
    make_client: Callable[..., PipelinesClient], waits: list[float]
) -> None:
    script = Script(busy(500))
    client = make_client(script)
    with pytest.raises(ServerError):
        _retry.repeat(client, lambda: client.evaluate_tool_correctness(1, 2, {}))
    assert waits == []


def test_a_retry_after_above_the_cap_is_not_waited_for() -> None:
    exc = RateLimitError("slow down", retry_after=MAX_RETRY_AFTER + 1)
    assert _retry.transient_delay(exc, 0, 5) is None
    assert _retry.transient_delay(RateLimitError("x", retry_after=2.0), 0, 5) == 2.0
    assert _retry.transient_delay(RateLimitError("x", retry_after=2.0), 5, 5) is None


def test_the_sweep_retries_and_keeps_going_past_a_failure(
    make_client: Callable[..., PipelinesClient], waits: list[float]
) -> None:
    from pytest_pipelines._session import SWEEP_LEFT, sweep

    prefix = "pytest-abc-"
    listed = {
        "/api/prompts": [
            {"id": 1, "name": prefix + "main-1-p"},
            {"id": 2, "name": prefix + "main-2-p"},
        ],
        "/api/criteria": [{"id": 3, "name": prefix + "main-3-c"}, {"id": 4, "name": "not ours"}],
    }
    answers = {
        "DELETE /api/prompts/1": [httpx.Response(500, json={"detail": "disk full"})],
        "DELETE /api/prompts/2": [busy(503), httpx.Response(404, json={"detail": "gone"})],
        "DELETE /api/criteria/3": [httpx.Response(204)],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        key = f"{request.method} {request.url.path}"
        if request.method == "GET":
            return httpx.Response(
                200, json={"items": listed.get(request.url.path, []), "has_more": False}
            )
        return answers[key].pop(0)

    client = make_client(handler)
    lines: list[str] = []
    deleted = sweep(client, prefix, None, lines.append, workflows=False)
    # prompt 1 failed for good, yet the others were still deleted (prompt 2 after a retry)
    assert deleted == [f"criterion 3 '{prefix}main-3-c'", f"prompt 2 '{prefix}main-2-p'"]
    assert waits == [1.0]
    left = [line for line in lines if line.startswith(SWEEP_LEFT.split("{")[0])]
    assert len(left) == 1
    assert "prompt 1" in left[0]
    assert "disk full" in left[0]
