"""Retries, Retry-After, idempotency, error mapping, settings, headers and secrets."""

from __future__ import annotations

import gc
import io
import logging
import sys

import httpx
import pytest
from clienttest_helpers import API_KEY, Api, error, ok

from pytest_pipelines import __version__
from pytest_pipelines.client import (
    AsyncPipelinesClient,
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PipelinesAPIError,
    PipelinesClient,
    PipelinesConfigError,
    PipelinesConnectionError,
    PipelinesTimeoutError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    ValidationError,
    _base,
    error_for_status,
)

pytestmark = pytest.mark.anyio


# -- retries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_safe_request_is_retried_on_retryable_status(api: Api, status: int) -> None:
    api.server.reply(error(status), error(status), ok({"status": "ok"}))
    assert await api.call("health") == {"status": "ok"}
    assert len(api.server.requests) == 3
    assert api.fake.sleeps == [1.0, 2.0]  # min(2**attempt, 30), attempt from 0


@pytest.mark.parametrize("status", [500, 400, 401, 403, 404, 409, 422])
async def test_other_statuses_are_not_retried(api: Api, status: int) -> None:
    api.server.reply(error(status))
    with pytest.raises(error_for_status(status)):
        await api.call("health")
    assert len(api.server.requests) == 1
    assert api.fake.sleeps == []


async def test_retries_stop_after_max_retries_and_raise(api: Api) -> None:
    api.server.reply(*(error(503) for _ in range(5)))
    with pytest.raises(ServerError) as info:
        await api.call("list_projects")
    assert info.value.status_code == 503
    assert len(api.server.requests) == 3  # one try + max_retries=2


async def test_max_retries_zero_sends_once(api: Api) -> None:
    api.client = api.make(max_retries=0)
    api.server.reply(error(503), ok())
    with pytest.raises(ServerError):
        await api.call("health")
    assert len(api.server.requests) == 1


async def test_retry_after_header_sets_the_delay(api: Api) -> None:
    api.server.reply(error(429, headers={"Retry-After": "7"}), ok({"status": "ok"}))
    await api.call("health")
    assert api.fake.sleeps == [7.0]


async def test_backoff_is_capped_at_30_seconds(api: Api) -> None:
    api.client = api.make(max_retries=7)
    api.server.reply(*(error(502) for _ in range(7)), ok())
    await api.call("health")
    assert api.fake.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


async def test_rate_limit_error_exposes_retry_after(api: Api) -> None:
    api.server.reply(*(error(429, "slow down", headers={"Retry-After": "3"}) for _ in range(3)))
    with pytest.raises(RateLimitError) as info:
        await api.call("list_prompts")
    assert info.value.retry_after == 3.0
    assert info.value.message == "slow down"


async def test_post_without_idempotency_key_is_not_retried(api: Api) -> None:
    api.server.reply(error(503), ok({"job_id": "j"}))
    with pytest.raises(ServerError):
        await api.call("create_tasks_async", 22, 10, {"count": 1})
    assert len(api.server.requests) == 1
    assert "idempotency-key" not in api.server.last.headers


async def test_post_with_idempotency_key_is_retried_with_the_same_key(api: Api) -> None:
    api.server.reply(error(429), error(503), ok({"job_id": "j"}))
    result = await api.call("create_tasks_async", 22, 10, {"count": 1}, idempotency_key="k-1")
    assert result == {"job_id": "j"}
    assert [r.headers["idempotency-key"] for r in api.server.requests] == ["k-1"] * 3
    assert len({r.content for r in api.server.requests}) == 1


async def test_experiment_and_test_run_take_idempotency_keys(api: Api) -> None:
    await api.call(
        "create_experiment", 22, 10, {"count": 1, "variants": [{"name": "a"}]}, idempotency_key="e"
    )
    assert api.server.last.headers["idempotency-key"] == "e"
    await api.call("create_test_run", 5, {"inputs": []}, idempotency_key="t")
    assert api.server.last.headers["idempotency-key"] == "t"


async def test_connection_errors_are_retried_for_safe_requests_then_raised(api: Api) -> None:
    api.server.reply(*(httpx.ConnectError("refused") for _ in range(3)))
    with pytest.raises(
        PipelinesConnectionError, match=r"could not reach GET https://api\.test/api/health"
    ):
        await api.call("health")
    assert len(api.server.requests) == 3
    assert api.fake.sleeps == [1.0, 2.0]


async def test_connection_error_then_success(api: Api) -> None:
    api.server.reply(httpx.ConnectError("refused"), ok({"status": "ok"}))
    assert await api.call("health") == {"status": "ok"}


async def test_connection_error_on_post_without_key_is_not_retried(api: Api) -> None:
    api.server.reply(httpx.ConnectError("refused"), ok())
    with pytest.raises(PipelinesConnectionError):
        await api.call("create_prompt", {"name": "p"})
    assert len(api.server.requests) == 1


async def test_transport_timeout_is_a_timeout_and_a_connection_error(api: Api) -> None:
    api.client = api.make(max_retries=0)
    api.server.reply(httpx.ReadTimeout("slow"))
    with pytest.raises(RequestTimeoutError) as info:
        await api.call("health")
    assert isinstance(info.value, PipelinesTimeoutError)
    assert isinstance(info.value, PipelinesConnectionError)


# -- error mapping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, PipelinesAPIError),
        (401, AuthenticationError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, ValidationError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
async def test_status_maps_to_error_class(
    api: Api, status: int, cls: type[PipelinesAPIError]
) -> None:
    api.client = api.make(max_retries=0)
    api.server.reply(error(status, "went wrong"))
    with pytest.raises(cls) as info:
        await api.call("get_prompt", 7)
    assert type(info.value) is cls
    assert info.value.status_code == status
    assert info.value.message == "went wrong"
    assert info.value.body == {"detail": "went wrong"}
    assert str(info.value) == f"{status} (GET /api/prompts/7): went wrong"


async def test_validation_detail_list_is_joined_readably(api: Api) -> None:
    detail = [
        {"loc": ["body", "config", "keywords"], "msg": "Field required", "type": "missing"},
        {"loc": ["body", "name"], "msg": "too short", "type": "x"},
    ]
    api.server.reply(error(422, detail))
    with pytest.raises(ValidationError) as info:
        await api.call("create_prompt", {"name": ""})
    assert info.value.message == "body.config.keywords: Field required; body.name: too short"
    assert info.value.body == {"detail": detail}


async def test_non_json_error_body(api: Api) -> None:
    api.server.reply(httpx.Response(502, text="<html>bad gateway</html>"))
    api.client = api.make(max_retries=0)
    with pytest.raises(ServerError) as info:
        await api.call("health")
    assert info.value.body == "<html>bad gateway</html>"
    assert "bad gateway" in info.value.message


async def test_malformed_success_body(api: Api) -> None:
    api.server.reply(httpx.Response(200, text="{not json"))
    with pytest.raises(PipelinesAPIError, match="not valid JSON"):
        await api.call("health")


async def test_empty_success_body_is_none(api: Api) -> None:
    api.server.reply(httpx.Response(204))
    assert await api.call("delete_prompt", 3) is None


# -- settings, headers, secrets ----------------------------------------------------------------


def test_settings_precedence() -> None:
    env = {
        "PIPELINES_API_KEY": "pk_live_env",
        "PIPELINES_BASE_URL": "https://env.example/",
        "PIPELINES_ENV": "local",
    }
    assert _base.resolve_api_key("pk_live_arg", env) == "pk_live_arg"
    assert _base.resolve_api_key(None, env) == "pk_live_env"
    assert _base.resolve_base_url("https://arg.example///", env) == "https://arg.example"
    assert _base.resolve_base_url(None, env) == "https://env.example"
    assert _base.resolve_base_url(None, {"PIPELINES_ENV": "local"}) == "http://127.0.0.1:8700"
    assert (
        _base.resolve_base_url(None, {"PIPELINES_ENV": "production"})
        == "https://api.pipelines.tech"
    )
    assert (
        _base.resolve_base_url(None, {"PIPELINES_ENV": "https://self.hosted/"})
        == "https://self.hosted"
    )
    assert _base.resolve_base_url(None, {}) == "https://api.pipelines.tech"


def test_url_scheme_is_case_insensitive() -> None:
    # a URL scheme is case-insensitive: HTTP:// is http://, normalised to lower case
    assert (
        _base.resolve_base_url(None, {"PIPELINES_ENV": "HTTP://host:8700/"}) == "http://host:8700"
    )
    assert (
        _base.resolve_base_url(None, {"PIPELINES_ENV": "Https://Self.Hosted"})
        == "https://Self.Hosted"
    )
    assert _base.resolve_base_url("HTTPS://arg.example/", {}) == "https://arg.example"
    assert (
        _base.resolve_base_url(None, {"PIPELINES_BASE_URL": "HTTP://env.example"})
        == "http://env.example"
    )


def test_bad_env_and_url_are_clear_errors() -> None:
    with pytest.raises(PipelinesConfigError, match="'production', 'local'"):
        _base.resolve_base_url(None, {"PIPELINES_ENV": "staging"})
    with pytest.raises(PipelinesConfigError, match="not an http"):
        _base.resolve_base_url("ftp://x", {})


def test_missing_key_names_the_three_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPELINES_API_KEY", raising=False)
    for cls in (PipelinesClient, AsyncPipelinesClient):
        with pytest.raises(PipelinesConfigError) as info:
            cls()
        assert str(info.value) == _base.MSG_MISSING_KEY
        for way in ("api_key=", "PIPELINES_API_KEY", "--pipelines-api-key"):
            assert way in str(info.value)


def test_env_key_and_base_url_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINES_API_KEY", "pk_live_fromenv")
    monkeypatch.setenv("PIPELINES_ENV", "local")
    monkeypatch.delenv("PIPELINES_BASE_URL", raising=False)
    client = PipelinesClient(
        http_client=httpx.Client(transport=httpx.MockTransport(lambda r: ok()))
    )
    assert client.base_url == "http://127.0.0.1:8700"
    assert client.api_key == "pk_live_fromenv"


async def test_headers_and_user_agent(api: Api) -> None:
    await api.call("health")
    headers = api.server.last.headers
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert headers["accept"] == "application/json"
    agent = headers["user-agent"]
    assert agent.startswith(f"pytest-pipelines/{__version__} ")
    assert f"httpx/{httpx.__version__}" in agent
    assert "Python/3." in agent


async def test_key_never_in_repr_errors_or_logs(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="pytest_pipelines")
    api.server.reply(error(503), error(401, "bad key"))
    with pytest.raises(AuthenticationError) as info:
        await api.call("whoami")
    assert API_KEY not in repr(api.client)
    assert "pk_live_***" in repr(api.client)
    assert API_KEY not in str(info.value)
    assert caplog.records  # the retry and the responses were logged ...
    assert all(
        API_KEY not in record.getMessage() for record in caplog.records
    )  # ... without the key


def test_mask_key() -> None:
    assert _base.mask_key("pk_live_abcdef") == "pk_live_***"
    assert _base.mask_key("pk_local_demo") == "pk_local_***"
    assert _base.mask_key("secret") == "***"


def test_pipelines_debug_turns_on_debug_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = logging.getLogger("pytest_pipelines")
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    monkeypatch.setattr(logger, "handlers", [])
    _base.configure_debug_logging({})
    assert logger.level == logging.NOTSET
    first = _base.configure_debug_logging({"PIPELINES_DEBUG": "1"})
    assert logger.level == logging.DEBUG
    assert len(logger.handlers) == 1
    second = _base.configure_debug_logging({"PIPELINES_DEBUG": "1"})
    assert len(logger.handlers) == 1  # shared, never duplicated
    assert first is not None
    assert second is not None
    first()
    first()  # a second release of the same share changes nothing
    assert len(logger.handlers) == 1
    second()
    assert logger.handlers == []
    assert logger.level == logging.NOTSET


def _debug_off_logger(
    monkeypatch: pytest.MonkeyPatch, level: int = logging.NOTSET
) -> logging.Logger:
    monkeypatch.setenv("PIPELINES_DEBUG", "1")
    logger = logging.getLogger("pytest_pipelines")
    monkeypatch.setattr(logger, "level", level)
    monkeypatch.setattr(logger, "handlers", [])
    return logger


def _debug_handlers(logger: logging.Logger) -> list[logging.Handler]:
    return [h for h in logger.handlers if getattr(h, "_pipelines_debug", False)]


def test_debug_handler_lives_while_a_client_is_open(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = _debug_off_logger(monkeypatch, logging.WARNING)
    a = PipelinesClient(API_KEY, base_url="http://127.0.0.1:9")
    b = PipelinesClient(API_KEY, base_url="http://127.0.0.1:9")
    assert len(_debug_handlers(logger)) == 1
    assert logger.level == logging.DEBUG
    a.close()
    a.close()  # closing twice does not release b's share
    assert len(_debug_handlers(logger)) == 1
    b.close()
    assert logger.handlers == []
    assert logger.level == logging.WARNING  # the level from before the first client
    with PipelinesClient(API_KEY, base_url="http://127.0.0.1:9"):
        assert len(_debug_handlers(logger)) == 1  # a later client adds it again
    assert logger.handlers == []


async def test_debug_handler_lives_while_an_async_client_is_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logger = _debug_off_logger(monkeypatch)
    sync = PipelinesClient(API_KEY, base_url="http://127.0.0.1:9")
    async with AsyncPipelinesClient(API_KEY, base_url="http://127.0.0.1:9"):
        sync.close()
        assert len(_debug_handlers(logger)) == 1
    assert logger.handlers == []
    assert logger.level == logging.NOTSET


def test_debug_handler_goes_with_an_unclosed_client(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = _debug_off_logger(monkeypatch)
    client = PipelinesClient(API_KEY, base_url="http://127.0.0.1:9")
    assert len(_debug_handlers(logger)) == 1
    del client
    gc.collect()
    assert logger.handlers == []


def test_a_client_whose_settings_fail_adds_no_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = _debug_off_logger(monkeypatch)
    with pytest.raises(PipelinesConfigError):
        PipelinesClient(API_KEY, max_retries=-1)
    assert logger.handlers == []


def test_debug_log_goes_to_the_current_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    # The handler must not keep the stderr it was created with: pytest's capture (or a
    # pytester run) closes it, and later records would then fail to print.
    logger = logging.getLogger("pytest_pipelines")
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "propagate", False)
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    _base.configure_debug_logging({"PIPELINES_DEBUG": "1"})
    first.close()
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    logger.debug("after the first stream closed")
    printed = second.getvalue()
    assert "Logging error" not in printed
    assert "pytest_pipelines DEBUG after the first stream closed" in printed


def test_invalid_max_retries() -> None:
    with pytest.raises(PipelinesConfigError, match="max_retries"):
        PipelinesClient(API_KEY, max_retries=-1)


def test_retry_after_http_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_base.time, "time", lambda: 1_000_000_000.0)
    response = httpx.Response(429, headers={"Retry-After": "Sun, 09 Sep 2001 01:46:50 GMT"})
    assert _base._retry_after_seconds(response) == pytest.approx(10.0)
    assert _base._retry_after_seconds(httpx.Response(429, headers={"Retry-After": "soon"})) is None


async def test_async_client_is_an_async_context_manager() -> None:
    closed: list[bool] = []

    class Tracking(httpx.AsyncClient):
        async def aclose(self) -> None:
            closed.append(True)
            await super().aclose()

    async with AsyncPipelinesClient(API_KEY, base_url="https://x.test") as client:
        client._http = Tracking(transport=httpx.MockTransport(lambda r: ok()))
        assert await client.health() == {"id": 1}
    assert closed == [True]


def test_sync_client_is_a_context_manager_and_leaves_injected_clients_open() -> None:
    injected = httpx.Client(transport=httpx.MockTransport(lambda r: ok()))
    with PipelinesClient(API_KEY, http_client=injected) as client:
        client.health()
    assert not injected.is_closed
    injected.close()
