"""Pagination stop rules, waiters, uploads, downloads, streaming and small request rules."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest
from clienttest_helpers import Api, ok

from pytest_pipelines.client import (
    PipelinesConfigError,
    PipelinesError,
    PipelinesTimeoutError,
    _base,
)

pytestmark = pytest.mark.anyio


def pages(*bodies: Any) -> list[httpx.Response]:
    return [ok(body) for body in bodies]


# -- pagination --------------------------------------------------------------------------------


async def test_stops_when_has_more_is_false(api: Api) -> None:
    api.server.reply(*pages({"items": [1, 2], "has_more": True}, {"items": [3], "has_more": False}))
    assert await api.collect("paginate", "/api/projects", page_size=2) == [1, 2, 3]
    assert [r.params for r in api.server.requests] == [
        {"page": "1", "page_size": "2"},
        {"page": "2", "page_size": "2"},
    ]


async def test_stops_on_an_empty_page(api: Api) -> None:
    api.server.reply(*pages({"items": [1]}, {"items": []}, {"items": [99]}))
    assert await api.collect("paginate", "/api/x") == [1]
    assert len(api.server.requests) == 2


async def test_stops_when_next_page_is_null_and_follows_it_otherwise(api: Api) -> None:
    api.server.reply(
        *pages({"items": [1], "next_page": 5}, {"items": [2], "next_page": None}, {"items": [3]})
    )
    assert await api.collect("paginate", "/api/x") == [1, 2]
    assert [r.params["page"] for r in api.server.requests] == ["1", "5"]


async def test_stops_when_total_is_reached(api: Api) -> None:
    api.server.reply(
        *pages({"items": [1, 2], "total": 3}, {"items": [3], "total": 3}, {"items": [4]})
    )
    assert await api.collect("paginate", "/api/x", page_size=2) == [1, 2, 3]
    assert len(api.server.requests) == 2


async def test_stops_at_max_pages(api: Api) -> None:
    api.server.reply(*pages(*({"items": [i], "has_more": True} for i in range(10))))
    assert await api.collect("paginate", "/api/x", max_pages=3) == [0, 1, 2]
    assert len(api.server.requests) == 3


async def test_data_key_is_accepted(api: Api) -> None:
    api.server.reply(*pages({"data": ["a"], "has_more": False}))
    assert await api.collect("paginate", "/api/x") == ["a"]


async def test_bare_lists_page_until_empty(api: Api) -> None:
    api.server.reply(*pages([1, 2], [3], []))
    assert await api.collect("paginate", "/api/x", page_size=2) == [1, 2, 3]
    assert len(api.server.requests) == 3


async def test_bare_list_that_ignores_page_param_stops(api: Api) -> None:
    api.server.handler = lambda request: ok([1, 2])
    assert await api.collect("paginate", "/api/x", page_size=2) == [1, 2]
    assert len(api.server.requests) == 2


async def test_unknown_page_shape_is_a_clear_error(api: Api) -> None:
    api.server.reply(ok({"results": []}))
    with pytest.raises(PipelinesError, match=r"expected a list or an object with 'items'.*results"):
        await api.collect("paginate", "/api/x")


async def test_iter_helpers_pass_filters_and_page_size(api: Api) -> None:
    api.server.reply(*pages({"items": [{"id": 1}], "has_more": False}))
    assert await api.collect("iter_prompts", scope_type="org", org_id=2, page_size=10) == [
        {"id": 1}
    ]
    assert api.server.last.params == {
        "scope_type": "org",
        "org_id": "2",
        "page": "1",
        "page_size": "10",
    }


async def test_list_helpers_send_page_params(api: Api) -> None:
    await api.call("list_models", org_id=2, page_size=10)
    assert api.server.last.path == "/api/orgs/2/models"
    assert api.server.last.params == {"page_size": "10"}


def test_pager_rejects_bad_sizes() -> None:
    with pytest.raises(PipelinesConfigError, match="page_size"):
        _base.Pager("/x", None, 0, None)
    with pytest.raises(PipelinesConfigError, match="max_pages"):
        _base.Pager("/x", None, 10, 0)


# -- waiters -----------------------------------------------------------------------------------


def statuses(*names: str) -> list[httpx.Response]:
    return [ok({"job_id": "job-1", "status": name}) for name in names]


async def test_wait_for_create_tasks_polls_until_terminal(api: Api) -> None:
    api.server.reply(*statuses("queued", "running", "running", "running", "completed"))
    result = await api.call("wait_for_create_tasks", 22, 10, "job-1")
    assert result["status"] == "completed"
    assert (
        api.server.last.path
        == "/api/projects/22/workflows/10/seeded-data/create-tasks-status/job-1"
    )
    # nothing known of the run: polls 0.2, 0.6, 1.4 and 3 s after the start (client/_polls.py)
    assert api.fake.sleeps == pytest.approx([0.2, 0.4, 0.8, 1.6])


def test_adaptive_schedule_caps_at_two_seconds() -> None:
    delays = iter(_base.poll_delays(None))
    first = [next(delays) for _ in range(15)]
    assert first[0] == 0.05
    assert all(b == pytest.approx(min(a * 1.5, 2.0)) for a, b in itertools.pairwise(first))
    assert first[-1] == 2.0


async def test_fixed_poll_interval(api: Api) -> None:
    api.server.reply(*statuses("running", "running", "cancelled"))
    result = await api.call("wait_for_experiment", 22, 10, "exp-1", poll_interval=2.0)
    assert result["status"] == "cancelled"
    assert api.server.last.path == "/api/projects/22/workflows/10/experiments/exp-1"
    assert api.fake.sleeps == [2.0, 2.0]


@pytest.mark.parametrize("terminal", sorted(_base.TERMINAL_STATUSES))
async def test_every_terminal_status_ends_the_wait(api: Api, terminal: str) -> None:
    api.server.reply(*statuses("running", terminal))
    assert (await api.call("wait_for_create_tasks", 1, 2, "job-1"))["status"] == terminal


async def test_waiter_timeout_names_job_status_and_timeout(api: Api) -> None:
    api.server.handler = lambda request: ok({"status": "running"})
    with pytest.raises(PipelinesTimeoutError) as info:
        await api.call("wait_for_create_tasks", 22, 10, "job-7", poll_interval=1.0, timeout=5)
    message = str(info.value)
    assert "'job-7'" in message
    assert "'running'" in message
    assert "5s" in message
    assert sum(api.fake.sleeps) == pytest.approx(5.0)  # never sleeps past the deadline
    assert len(api.server.requests) == 6  # t=0..5, one last poll at the deadline


async def test_waiter_last_poll_at_deadline_can_succeed(api: Api) -> None:
    api.server.reply(*statuses("running", "running", "completed"))
    result = await api.call("wait_for_experiment", 1, 2, "e", poll_interval=10.0, timeout=15)
    assert result["status"] == "completed"
    assert api.fake.sleeps == [10.0, 5.0]


@pytest.mark.parametrize(
    ("name", "args", "path"),
    [
        ("wait_for_dataset_import", ("j1",), "/api/datasets/import/jobs/j1"),
        (
            "wait_for_export_tasks",
            (1, 2, "j2"),
            "/api/projects/1/workflows/2/export-tasks-status/j2",
        ),
        ("wait_for_seed", (1, 2, "j3"), "/api/projects/1/workflows/2/seed-data-status/j3"),
        ("wait_for_dataset_eval", (4, "j4"), "/api/datasets/4/eval-run/j4"),
        ("wait_for_test_run", ("tr",), "/api/test-runs/tr"),
    ],
)
async def test_other_waiters_poll_their_status_route(
    api: Api, name: str, args: tuple[Any, ...], path: str
) -> None:
    api.server.reply(*statuses("running", "completed"))
    assert (await api.call(name, *args, timeout=60))["status"] == "completed"
    assert {r.path for r in api.server.requests} == {path}
    api.server.handler = lambda request: ok({"status": "queued"})
    with pytest.raises(PipelinesTimeoutError, match="did not finish within 0s"):
        await api.call(name, *args, timeout=0)


# -- uploads and downloads ---------------------------------------------------------------------


def multipart(content: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """Parse a multipart body into {field: (filename, value)}."""
    boundary = content_type.split("boundary=")[1].encode()
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in content.split(b"--" + boundary)[1:-1]:
        head, _, value = part[2:-2].partition(b"\r\n\r\n")
        disposition = head.decode().split("\r\n")[0]
        name = disposition.split('name="')[1].split('"')[0]
        filename = (
            disposition.split('filename="')[1].split('"')[0] if "filename=" in disposition else None
        )
        fields[name] = (filename, value)
    return fields


@pytest.mark.parametrize("source", ["path", "bytes", "fileobj"])
async def test_import_dataset_from_file_is_multipart(api: Api, tmp_path: Path, source: str) -> None:
    data = b"city,days\nRome,5\n"
    file: Any
    if source == "path":
        file = tmp_path / "trips.csv"
        file.write_bytes(data)
    elif source == "bytes":
        file = data
    else:
        file = io.BytesIO(data)
    api.server.reply(ok({"job_id": "imp-1"}))
    result = await api.call(
        "import_dataset_from_file", file=file, name="Trips", description="d", org_id=2
    )
    assert result == {"job_id": "imp-1"}
    sent = api.server.last
    assert (sent.method, sent.path) == ("POST", "/api/datasets/import/file")
    fields = multipart(sent.content, sent.headers["content-type"])
    assert fields["file"] == ("trips.csv" if source == "path" else "upload.csv", data)
    assert fields["name"] == (None, b"Trips")
    assert fields["description"] == (None, b"d")
    assert fields["org_id"] == (None, b"2")


async def test_preview_upload_and_optional_fields_dropped(api: Api) -> None:
    await api.call("preview_dataset_import_file", file=b"a\n1\n", filename="x.csv")
    fields = multipart(api.server.last.content, api.server.last.headers["content-type"])
    assert fields == {"file": ("x.csv", b"a\n1\n")}
    assert api.server.last.path == "/api/datasets/import/file/preview"


async def test_bad_file_argument(api: Api) -> None:
    with pytest.raises(PipelinesConfigError, match="file must be a path"):
        await api.call("import_dataset_from_file", file=123)
    assert api.server.requests == []


@pytest.mark.parametrize("fmt", ["csv", "json", "zip", "zip-json"])
async def test_export_dataset_returns_bytes(api: Api, fmt: str) -> None:
    api.server.reply(httpx.Response(200, content=b"\x00raw,bytes"))
    assert await api.call("export_dataset", dataset_id=123, format=fmt) == b"\x00raw,bytes"
    assert api.server.last.params == {"format": fmt}
    assert api.server.last.headers["accept"] == "*/*"


async def test_export_dataset_rejects_unknown_format_before_any_request(api: Api) -> None:
    with pytest.raises(PipelinesConfigError) as info:
        await api.call("export_dataset", dataset_id=1, format="xlsx")
    assert str(info.value) == _base.MSG_BAD_EXPORT_FORMAT.format(value="xlsx")
    assert api.server.requests == []


# -- streaming ---------------------------------------------------------------------------------


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Any:
        yield from self.chunks

    async def __aiter__(self) -> Any:
        for chunk in self.chunks:
            yield chunk


async def test_request_stream_yields_chunks(api: Api) -> None:
    api.server.reply(httpx.Response(200, stream=Chunks([b"ab", b"cd", b"e"])))
    assert await api.collect("request_stream", "GET", "/api/notifications") == [b"ab", b"cd", b"e"]


async def test_stream_lines_decodes_split_lines(api: Api) -> None:
    api.server.reply(
        httpx.Response(200, stream=Chunks([b'{"a": 1}\n{"b"', b": 2}\n", b"data: x\n\nlast"]))
    )
    lines = await api.collect("stream_lines", "GET", "/api/notifications")
    assert lines == ['{"a": 1}', '{"b": 2}', "data: x", "", "last"]


async def test_stream_error_status_raises_typed_error(api: Api) -> None:
    api.server.reply(httpx.Response(404, json={"detail": "no stream"}))
    with pytest.raises(PipelinesError, match="no stream"):
        await api.collect("stream_lines", "GET", "/api/nope")


async def test_stream_is_retried_on_503(api: Api) -> None:
    api.server.reply(httpx.Response(503), httpx.Response(200, stream=Chunks([b"ok"])))
    assert await api.collect("request_stream", "GET", "/api/x") == [b"ok"]
    assert api.fake.sleeps == [1.0]


# -- small request rules -----------------------------------------------------------------------


async def test_confirm_upload_always_sends_a_json_object(api: Api) -> None:
    await api.call("confirm_project_file_upload", 22, "f1")
    assert api.server.last.json() == {}
    assert api.server.last.headers["content-type"] == "application/json"
    await api.call("confirm_project_file_upload", 22, "f1", size_bytes=42)
    assert api.server.last.json() == {"size_bytes": 42}
    assert api.server.last.path == "/api/projects/22/files/f1/confirm"


@pytest.mark.parametrize(
    ("kwargs", "body"),
    [
        ({"notification_ids": [101, 102]}, {"notification_ids": [101, 102]}),
        ({"all": True}, {"all": True}),
    ],
)
async def test_mark_notifications_read(
    api: Api, kwargs: dict[str, Any], body: dict[str, Any]
) -> None:
    await api.call("mark_notifications_read", **kwargs)
    assert api.server.last.json() == body


@pytest.mark.parametrize(
    "kwargs", [{}, {"notification_ids": [1], "all": True}, {"notification_ids": []}]
)
async def test_mark_notifications_read_needs_exactly_one(api: Api, kwargs: dict[str, Any]) -> None:
    with pytest.raises(PipelinesConfigError, match="exactly one of notification_ids"):
        await api.call("mark_notifications_read", **kwargs)
    assert api.server.requests == []


async def test_path_segments_are_quoted(api: Api) -> None:
    await api.call("get_experiment_status", 1, 2, "exp/../x")
    assert api.server.last.raw_path == "/api/projects/1/workflows/2/experiments/exp%2F..%2Fx"


async def test_generic_request_with_params_and_json(api: Api) -> None:
    api.server.reply(ok({"n": 1}))
    result = await api.call(
        "request", "POST", "/api/custom", params={"a": 1, "b": None}, json={"x": 1}
    )
    assert result == {"n": 1}
    assert api.server.last.params == {"a": "1"}
    assert api.server.last.json() == {"x": 1}
