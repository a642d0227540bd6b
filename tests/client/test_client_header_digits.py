"""Numbers in headers and page fields are ASCII: '²' or '١٢' is not a number to the client.

``str.isdigit()`` is true for superscripts and other scripts' digits, which ``int()`` rejects
('²') or reads ('١٢' is 12): a Retry-After or ``next_page`` in those must neither crash the
client nor be obeyed as a number.
"""

from __future__ import annotations

import pytest
from clienttest_helpers import Api, error, ok

from pytest_pipelines.client import PipelinesError
from pytest_pipelines.client._base import MSG_PAGE_NO_PROGRESS

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("header", ["²", "١٢", "1_0", "½"])
async def test_a_non_ascii_retry_after_falls_back_to_the_backoff(api: Api, header: str) -> None:
    # raw bytes: a server may send any octets, and httpx decodes them (utf-8, else latin-1)
    raw = [(b"Retry-After", header.encode())]
    api.server.reply(error(503, headers=raw), ok({"status": "ok"}))
    assert await api.call("health") == {"status": "ok"}
    # the default backoff of the first retry (2**0 s), not 2, 12, 10 or 0.5 s
    assert api.fake.sleeps == [1.0]


async def test_ascii_retry_after_seconds_are_still_obeyed(api: Api) -> None:
    api.server.reply(error(429, headers={"Retry-After": " 12 "}), ok({"status": "ok"}))
    assert await api.call("health") == {"status": "ok"}
    assert api.fake.sleeps == [12.0]


@pytest.mark.parametrize("next_page", ["²", "١٢"])
async def test_a_non_ascii_next_page_is_a_clear_error_not_a_crash(api: Api, next_page: str) -> None:
    api.server.handler = lambda request: ok({"items": [1], "next_page": next_page})
    prefix = MSG_PAGE_NO_PROGRESS.split("{")[0]
    with pytest.raises(PipelinesError, match=prefix[:20]):
        await api.collect("paginate", "/api/projects")
    assert len(api.server.requests) == 1
