"""Regression tests from a review of the client as a demanding SDK user (sync and async).

Each test here failed before its fix: Retry-After bounds, broken streams, pagination params,
eager waiter/page argument checks, readable error messages, injected clients' base_url,
closed clients, text-mode uploads and colliding experiment idempotency keys.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from clienttest_helpers import API_KEY, Api, error, ok

from pytest_pipelines.client import (
    AsyncPipelinesClient,
    ClientClosedError,
    NotFoundError,
    PipelinesAPIError,
    PipelinesClient,
    PipelinesConfigError,
    PipelinesConnectionError,
    PipelinesError,
    RateLimitError,
    ServerError,
    _base,
    _exceptions,
)

pytestmark = pytest.mark.anyio


# -- Retry-After -------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["99999", "3600", "inf", "60.5"])
async def test_retry_after_above_the_bound_is_not_slept_through(api: Api, header: str) -> None:
    api.server.reply(error(429, "slow down", headers={"Retry-After": header}), ok())
    with pytest.raises(RateLimitError) as info:
        await api.call("health")
    assert len(api.server.requests) == 1
    assert api.fake.sleeps == []
    assert info.value.retry_after == float(header)


async def test_retry_after_at_the_bound_is_honoured(api: Api) -> None:
    limit = str(int(_base.MAX_RETRY_AFTER))
    api.server.reply(error(503, headers={"Retry-After": limit}), ok({"status": "ok"}))
    assert await api.call("health") == {"status": "ok"}
    assert api.fake.sleeps == [_base.MAX_RETRY_AFTER]


async def test_retry_after_nan_falls_back_to_backoff(api: Api) -> None:
    api.server.reply(error(503, headers={"Retry-After": "nan"}), ok({"status": "ok"}))
    assert await api.call("health") == {"status": "ok"}
    assert api.fake.sleeps == [1.0]


# -- streams -----------------------------------------------------------------------------------


class BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body whose connection breaks after the first line."""

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"n": 1}\n'
        raise httpx.ReadError("connection reset by peer")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"n": 1}\n'
        raise httpx.ReadError("connection reset by peer")


@pytest.mark.parametrize("method", ["request_stream", "stream_lines"])
async def test_a_stream_broken_midway_is_a_connection_error(api: Api, method: str) -> None:
    api.server.reply(httpx.Response(200, stream=BrokenStream()))
    got: list[Any] = []

    async def read_all() -> None:
        iterator = getattr(api.client, method)("GET", "/api/notifications")
        if api.kind == "sync":
            for item in iterator:
                got.append(item)
        else:
            async for item in iterator:
                got.append(item)

    with pytest.raises(PipelinesConnectionError) as info:
        await read_all()
    assert got in ([b'{"n": 1}\n'], ['{"n": 1}'])
    assert "broke while its body was being read" in str(info.value)
    assert "ReadError" in str(info.value)


# -- pagination --------------------------------------------------------------------------------


async def test_page_in_params_is_the_first_page(api: Api) -> None:
    api.server.reply(ok({"items": [5], "next_page": 4}), ok({"items": [6], "next_page": None}))
    assert await api.collect("paginate", "/api/projects", params={"page": 3}) == [5, 6]
    assert [r.params["page"] for r in api.server.requests] == ["3", "4"]


async def test_page_size_in_params_is_used(api: Api) -> None:
    api.server.reply(ok({"items": [1], "has_more": False}))
    await api.collect("paginate", "/api/projects", params={"page_size": 7, "q": "x"})
    assert api.server.last.params == {"page": "1", "page_size": "7", "q": "x"}


async def test_iter_helper_keeps_page_and_page_size_filters(api: Api) -> None:
    api.server.reply(ok({"items": [1], "has_more": False}))
    await api.collect("iter_projects", page_size=5, page=2)
    assert api.server.last.params == {"page": "2", "page_size": "5"}


async def test_conflicting_page_sizes_are_an_error_before_any_request(api: Api) -> None:
    with pytest.raises(PipelinesConfigError, match="disagree"):
        await api.collect("paginate", "/api/projects", params={"page_size": 7}, page_size=9)
    assert api.server.requests == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"page_size": "5"}, "page_size must be an int >= 1; got '5'"),
        ({"page_size": True}, "page_size must be an int >= 1; got True"),
        ({"page_size": 2.5}, "page_size must be an int >= 1; got 2.5"),
        ({"page_size": 0}, "page_size must be an int >= 1; got 0"),
        ({"max_pages": 1.5}, "max_pages must be an int >= 1"),
        ({"max_pages": 0}, "max_pages must be an int >= 1"),
        ({"params": {"page": 0}}, r"params\['page'\]"),
        ({"params": {"page": "2"}}, r"params\['page'\]"),
    ],
)
async def test_bad_pagination_arguments_are_clear_errors(
    api: Api, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(PipelinesConfigError, match=match):
        await api.collect("paginate", "/api/projects", **kwargs)
    assert api.server.requests == []


# -- waiters -----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [-1, "2", True, float("nan"), float("inf")])
async def test_bad_poll_interval_is_refused_before_the_first_poll(api: Api, bad: Any) -> None:
    with pytest.raises(PipelinesConfigError, match="poll_interval must be a finite number"):
        await api.call("wait_for_test_run", 1, poll_interval=bad)
    assert api.server.requests == []


@pytest.mark.parametrize("bad", [-1, "300", float("nan")])
async def test_bad_timeout_is_refused_before_the_first_poll(api: Api, bad: Any) -> None:
    with pytest.raises(PipelinesConfigError, match="timeout must be a number of seconds"):
        await api.call("wait_for_experiment", 1, 2, "exp-1", timeout=bad)
    assert api.server.requests == []


def test_poll_delays_checks_its_argument_at_call_time() -> None:
    with pytest.raises(PipelinesConfigError):
        _base.poll_delays(-0.5)


# -- error messages ----------------------------------------------------------------------------


async def test_huge_detail_is_cut_in_the_message_but_whole_in_body(api: Api) -> None:
    detail = "x" * 5000
    api.server.reply(error(500, detail))
    with pytest.raises(ServerError) as info:
        await api.call("health")
    limit = _exceptions.MAX_MESSAGE_CHARS
    assert info.value.message == "x" * limit + _exceptions.MSG_TRUNCATED.format(more=5000 - limit)
    assert info.value.body == {"detail": detail}
    assert len(str(info.value)) < limit + 200


async def test_huge_validation_list_is_cut_in_the_message(api: Api) -> None:
    detail = [{"loc": ["body", "items", i], "msg": "Field required"} for i in range(500)]
    api.server.reply(error(422, detail))
    with pytest.raises(PipelinesAPIError) as info:
        await api.call("health")
    assert info.value.message.startswith("body.items.0: Field required; body.items.1: ")
    assert "the full body is in .body" in info.value.message
    assert info.value.body == {"detail": detail}


async def test_huge_text_body_is_cut_in_the_message_but_whole_in_body(api: Api) -> None:
    text = "<html>" + "y" * 9000 + "</html>"
    api.server.reply(httpx.Response(502, text=text), httpx.Response(502, text=text))
    api.server.reply(httpx.Response(502, text=text))
    with pytest.raises(ServerError) as info:
        await api.call("health")
    assert info.value.body == text
    assert "the full body is in .body" in info.value.message
    assert len(info.value.message) < _exceptions.MAX_MESSAGE_CHARS + 100


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"detail": {"error": "bad thing", "code": 7}}, '{"error": "bad thing", "code": 7}'),
        ({"message": "quota exceeded"}, '{"message": "quota exceeded"}'),
        (["oops"], '["oops"]'),
    ],
)
async def test_other_json_error_bodies_are_shown(api: Api, payload: Any, expected: str) -> None:
    api.server.reply(httpx.Response(400, json=payload))
    with pytest.raises(PipelinesAPIError) as info:
        await api.call("health")
    assert info.value.message == expected
    assert info.value.body == payload


async def test_empty_error_body_gives_status_and_reason(api: Api) -> None:
    api.server.reply(httpx.Response(404))
    with pytest.raises(NotFoundError) as info:
        await api.call("health")
    assert info.value.message == "404 Not Found"
    assert info.value.body is None


# -- injected HTTP clients, close ---------------------------------------------------------------


def _clients(
    kind: str, handler: Any, **http_kw: Any
) -> tuple[PipelinesClient | AsyncPipelinesClient, httpx.Client | httpx.AsyncClient]:
    transport = httpx.MockTransport(handler)
    if kind == "sync":
        http: httpx.Client | httpx.AsyncClient = httpx.Client(transport=transport, **http_kw)
        return PipelinesClient(api_key=API_KEY, http_client=http), http  # type: ignore[arg-type]
    http = httpx.AsyncClient(transport=transport, **http_kw)
    return AsyncPipelinesClient(api_key=API_KEY, http_client=http), http  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_injected_client_base_url_is_used(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINES_ENV", "production")
    monkeypatch.setenv("PIPELINES_BASE_URL", "https://from-env.example")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"status": "ok"})

    client, _ = _clients(kind, handler, base_url="http://127.0.0.1:9999/")
    assert client.base_url == "http://127.0.0.1:9999"
    result = client.health()
    if kind == "async":
        result = await result  # type: ignore[misc]
    assert seen == ["http://127.0.0.1:9999/api/health"]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_explicit_base_url_beats_the_injected_clients(kind: str) -> None:
    http_cls = httpx.Client if kind == "sync" else httpx.AsyncClient
    cls = PipelinesClient if kind == "sync" else AsyncPipelinesClient
    http = http_cls(base_url="http://127.0.0.1:9999")
    client = cls(api_key=API_KEY, base_url="http://explicit.example/", http_client=http)  # type: ignore[arg-type]
    assert client.base_url == "http://explicit.example"


async def _close(api: Api) -> None:
    if isinstance(api.client, PipelinesClient):
        api.client.close()
    else:
        await api.client.aclose()


async def test_closed_client_raises_a_clear_error_and_leaves_injected_http_open(api: Api) -> None:
    await _close(api)
    await _close(api)  # twice is fine
    assert api.client.is_closed
    assert not api.client._http.is_closed  # injected: its owner closes it
    with pytest.raises(ClientClosedError, match="is closed") as info:
        await api.call("health")
    assert isinstance(info.value, RuntimeError)
    assert type(api.client).__name__ in str(info.value)
    with pytest.raises(ClientClosedError):
        await api.collect("iter_projects")
    assert api.server.requests == []


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_owned_client_close_twice_and_use_after(kind: str) -> None:
    if kind == "sync":
        sync = PipelinesClient(api_key=API_KEY, base_url="http://127.0.0.1:1")
        with sync:
            pass
        sync.close()
        with pytest.raises(ClientClosedError):
            sync.health()
        return
    async with AsyncPipelinesClient(api_key=API_KEY, base_url="http://127.0.0.1:1") as client:
        pass
    await client.aclose()
    with pytest.raises(ClientClosedError):
        await client.health()


async def test_injected_http_closed_by_its_owner_is_a_clear_error(api: Api) -> None:
    http = api.client._http
    if isinstance(http, httpx.Client):
        http.close()
    else:
        await http.aclose()
    with pytest.raises(ClientClosedError):
        await api.call("health")


# -- uploads, bundles, construction -----------------------------------------------------------


async def test_text_mode_file_is_refused_before_any_request(api: Api) -> None:
    with pytest.raises(PipelinesConfigError, match="'rb'"):
        await api.call("import_dataset_from_file", io.StringIO("a,b\n1,2\n"), name="n")
    assert api.server.requests == []


def _experiment(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "project_id": 1,
        "workflow_id": 2,
        "payload": {"count": 1, "variants": [{"name": "a", "configOverrides": {}}]},
    }


async def test_experiment_names_with_the_same_slug_are_refused_with_a_prefix(api: Api) -> None:
    bundle = _base.artifact_bundle_template("prompts")
    bundle["experiments"] = [_experiment("New Prompt"), _experiment("new-prompt!")]
    with pytest.raises(PipelinesConfigError) as info:
        await api.call("push_artifact_bundle", bundle, idempotency_key_prefix="ci")
    assert "experiments.1.name" in str(info.value)
    assert "'ci-new-prompt'" in str(info.value)
    assert "experiments[0]" in str(info.value)
    assert api.server.requests == []


async def test_same_slug_without_prefix_is_fine(api: Api) -> None:
    bundle = {
        "artifact_type": _base.BUNDLE_ARTIFACT_TYPE,
        "name": "b",
        "experiments": [_experiment("A B"), _experiment("a-b")],
    }
    api.server.handler = lambda request: ok({"experiment_id": "exp", "status": "queued"})
    summary = await api.call("push_artifact_bundle", bundle)
    assert [e["name"] for e in summary["created"]["experiments"]] == ["A B", "a-b"]
    assert all("Idempotency-Key" not in r.headers for r in api.server.requests)


@pytest.mark.parametrize("bad", ["2", 1.5, True, -1])
def test_max_retries_must_be_a_non_negative_int(bad: Any) -> None:
    with pytest.raises(PipelinesConfigError, match="max_retries"):
        PipelinesClient(api_key=API_KEY, base_url="http://x.test", max_retries=bad)


# -- idempotency keys, pages that do not advance ------------------------------------------------


@pytest.mark.parametrize("key", ["ключ-1", "a\nb", "two words", "x" * 256])
async def test_unsendable_idempotency_key_is_refused_before_any_request(api: Api, key: str) -> None:
    payload = {"count": 1, "variants": [{"name": "a", "configOverrides": {}}]}
    with pytest.raises(PipelinesConfigError, match="cannot be sent as an HTTP header"):
        await api.call("create_experiment", 1, 2, payload, idempotency_key=key)
    assert api.server.requests == []


async def test_a_visible_ascii_key_is_sent_as_is(api: Api) -> None:
    await api.call("request", "POST", "/api/x", json={}, idempotency_key="ci:run_42.a-b")
    assert api.server.last.headers["Idempotency-Key"] == "ci:run_42.a-b"


async def test_unsendable_bundle_prefix_is_refused_before_any_request(api: Api) -> None:
    bundle = _base.artifact_bundle_template("prompts")
    bundle["experiments"] = [_experiment("baseline")]
    with pytest.raises(PipelinesConfigError, match="cannot be sent as an HTTP header"):
        await api.call("push_artifact_bundle", bundle, idempotency_key_prefix="ci run")
    assert api.server.requests == []  # not even the prompts


@pytest.mark.parametrize("next_page", [1, 0, "soon"])
async def test_next_page_that_does_not_advance_is_an_error_not_a_loop(
    api: Api, next_page: Any
) -> None:
    api.server.handler = lambda request: ok({"items": [1], "next_page": next_page})
    with pytest.raises(PipelinesError, match="does not move past it"):
        await api.collect("paginate", "/api/projects")
    assert len(api.server.requests) == 1


async def test_next_page_as_digit_string_is_followed(api: Api) -> None:
    api.server.reply(ok({"items": [1], "next_page": "3"}), ok({"items": [2], "next_page": None}))
    assert await api.collect("paginate", "/api/projects") == [1, 2]
    assert [r.params["page"] for r in api.server.requests] == ["1", "3"]


async def test_items_page_repeated_while_has_more_stops(api: Api) -> None:
    api.server.handler = lambda request: ok({"items": [1, 2], "has_more": True})
    assert await api.collect("paginate", "/api/projects") == [1, 2]
    assert len(api.server.requests) == 2


# -- the key stays with the API ----------------------------------------------------------------


async def test_absolute_url_on_another_host_gets_no_api_key(api: Api) -> None:
    await api.call("request", "PUT", "https://storage.example/put?sig=1", json={})
    assert api.server.last.path == "/put"
    assert "Authorization" not in api.server.last.headers
    assert API_KEY not in str(api.server.last.headers)


async def test_absolute_url_on_the_api_host_keeps_the_key(api: Api) -> None:
    await api.call("request", "GET", "https://api.test/api/health")
    assert api.server.last.headers["Authorization"] == f"Bearer {API_KEY}"


@pytest.mark.parametrize("bad", [0, -1, "30", float("nan"), True])
@pytest.mark.parametrize("cls", [PipelinesClient, AsyncPipelinesClient])
def test_request_timeout_is_checked_at_construction(cls: type[Any], bad: Any) -> None:
    with pytest.raises(PipelinesConfigError, match="timeout must be a number of seconds > 0"):
        cls(api_key=API_KEY, base_url="http://x.test", timeout=bad)


@pytest.mark.parametrize("good", [None, 0.5, 30])
def test_request_timeout_accepts_numbers_and_none(good: Any) -> None:
    assert PipelinesClient(api_key=API_KEY, base_url="http://x.test", timeout=good).timeout == good


@pytest.mark.parametrize("method", ["request_stream", "stream_lines"])
async def test_a_streamed_error_body_that_breaks_is_a_connection_error(
    api: Api, method: str
) -> None:
    api.server.reply(httpx.Response(404, stream=BrokenStream()))

    async def first() -> None:
        iterator = getattr(api.client, method)("GET", "/api/notifications")
        if api.kind == "sync":
            next(iterator)
        else:
            await iterator.__anext__()

    with pytest.raises(PipelinesConnectionError, match="broke while its body was being read"):
        await first()


async def test_an_undecodable_body_is_a_connection_error_not_raw_httpx(api: Api) -> None:
    bad_gzip = httpx.Response(
        200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
    )
    api.server.reply(bad_gzip)
    with pytest.raises(PipelinesConnectionError, match="could not be read") as info:
        await api.call("health")
    assert "DecodingError" in str(info.value)
    assert len(api.server.requests) == 1  # not retried: the same body would come back
