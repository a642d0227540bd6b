"""Our client driven through the local backend's chaos switch, over real HTTP.

The chaos switch answers before any handler runs, so a 429/503 never creates anything: a retried
idempotency-keyed POST makes exactly one object, and a plain POST surfaces the error unretried.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_pipelines.client import RateLimitError, ServerError
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._http.app import CHAOS_429, CHAOS_503


@pytest.fixture(scope="module")
def local() -> Iterator[LocalPipelines]:
    with LocalPipelines(demo=True) as backend:
        yield backend


@pytest.fixture(autouse=True)
def _calm(local: LocalPipelines) -> Iterator[None]:
    local.set_chaos()
    yield
    local.set_chaos()


def test_get_retries_429_honouring_retry_after(local: LocalPipelines) -> None:
    local.set_chaos(rate_429=1.0, retry_after=4)
    slept: list[float] = []
    with (
        local.client(max_retries=3, sleep=slept.append) as client,
        pytest.raises(RateLimitError) as caught,
    ):
        client.list_prompts()
    assert slept == [4.0, 4.0, 4.0]  # every retry waited the server's Retry-After
    assert caught.value.retry_after == 4.0
    assert caught.value.message == CHAOS_429.format(seconds=4)

    local.set_chaos(rate_429=0.5, retry_after=2, seed=11)
    slept.clear()
    with local.client(max_retries=10, sleep=slept.append) as client:
        for _ in range(10):
            assert isinstance(client.list_prompts()["items"], list)
    assert slept  # some 429s happened
    assert set(slept) == {2.0}  # and were retried after Retry-After


def test_get_and_keyed_post_succeed_through_503_and_429(local: LocalPipelines) -> None:
    local.set_chaos(rate_429=0.3, rate_503=0.3, retry_after=1, seed=5)
    slept: list[float] = []
    with local.client(max_retries=12, sleep=slept.append) as client:
        jobs = [
            client.create_tasks_async(22, 10, {"count": 1}, idempotency_key=f"chaos-keyed-{n}")
            for n in range(6)
        ]
        for job in jobs:
            status = client.get_create_tasks_status(22, 10, job["job_id"])
            assert status["total"] == 1
    assert slept  # the chaos switch did answer some requests, and the client retried them
    local.set_chaos()
    with local.client() as client:
        for n, job in enumerate(jobs):
            # exactly one job per key: replaying the key gives the same job
            again = client.create_tasks_async(
                22, 10, {"count": 1}, idempotency_key=f"chaos-keyed-{n}"
            )
            assert again == job
            client.wait_for_create_tasks(22, 10, job["job_id"], timeout=30)


def test_plain_post_surfaces_503_and_429_without_retry(local: LocalPipelines) -> None:
    slept: list[float] = []
    name = "chaos plain post"
    with local.client(max_retries=5, sleep=slept.append) as client:
        local.set_chaos(rate_503=1.0)
        with pytest.raises(ServerError) as server_error:
            client.create_prompt({"name": name, "prompt_text": "x"})
        assert server_error.value.status_code == 503
        assert server_error.value.message == CHAOS_503
        local.set_chaos(rate_429=1.0, retry_after=3)
        with pytest.raises(RateLimitError) as limited:
            client.create_tasks_async(22, 10, {"count": 1})  # no Idempotency-Key
        assert limited.value.retry_after == 3.0
        assert slept == []  # neither POST was retried
        local.set_chaos()
        assert [p for p in client.list_prompts(page_size=1000)["items"] if p["name"] == name] == []


@pytest.mark.anyio
async def test_async_client_retries_through_chaos(local: LocalPipelines) -> None:
    local.set_chaos(rate_503=0.4, rate_429=0.2, retry_after=1, seed=9)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async with local.async_client(max_retries=12, sleep=sleep) as client:
        for _ in range(8):
            assert isinstance((await client.list_prompts())["items"], list)
        job = await client.create_tasks_async(22, 10, {"count": 1}, idempotency_key="chaos-async")
        local.set_chaos(rate_503=1.0)
        with pytest.raises(ServerError):
            await client.create_prompt({"name": "chaos async plain", "prompt_text": "x"})
    assert slept
    local.set_chaos()
    async with local.async_client() as client:
        final = await client.wait_for_create_tasks(22, 10, job["job_id"], timeout=30)
    assert final["total"] == 1
