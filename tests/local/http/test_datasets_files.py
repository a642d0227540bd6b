"""Datasets (import job, preview, content, analytics, charts, exports with bundled files, eval
runs, seeding, task export), project files (presigned flow) and notebooks, sync and async."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import zipfile
from typing import Any

import anyio
import httpx
import pytest

from pytest_pipelines.client import (
    AsyncPipelinesClient,
    ConflictError,
    NotFoundError,
    PipelinesClient,
    ValidationError,
)
from pytest_pipelines.local import LocalPipelines
from pytest_pipelines.local._http.routers.files import COLLECTED, NOT_CONFIRMED, NOT_UPLOADED

from .._helpers import ORG, PROJECT

CSV = b"question,answer,expected,score\nCapital of Italy?,Rome,Rome,3\nCapital of France?,Lyon,Paris,5\n"


def _wait(get: Any, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status = get()
        if status["status"] in ("completed", "failed", "cancelled") or time.monotonic() > deadline:
            return status
        time.sleep(0.02)


def _upload(client: PipelinesClient, content: bytes, filename: str = "photo.png") -> int:
    ticket = client.request_project_file_upload_url(
        PROJECT, {"filename": filename, "content_type": "image/png"}
    )
    assert (
        httpx.put(ticket["upload_url"], content=content, headers=ticket["headers"]).status_code
        == 200
    )
    client.confirm_project_file_upload(PROJECT, ticket["file_id"], size_bytes=len(content))
    return int(ticket["file_id"])


def _import(
    client: PipelinesClient, content: bytes, name: str, filename: str = "data.csv"
) -> dict[str, Any]:
    started = client.import_dataset_from_file(
        content, name=name, description="d", org_id=ORG, filename=filename
    )
    status = _wait(lambda: client.get_dataset_import_job(started["job_id"]))
    assert status["status"] == "completed", status
    return dict(client.get_dataset(started["dataset_id"]))


def test_presigned_file_flow(client: PipelinesClient, local_backend: LocalPipelines) -> None:
    ticket = client.request_project_file_upload_url(
        PROJECT, {"filename": "a.txt", "content_type": "text/plain"}
    )
    file_id = ticket["file_id"]
    with pytest.raises(ConflictError) as early:
        client.confirm_project_file_upload(PROJECT, file_id)
    assert NOT_UPLOADED.format(id=file_id) in str(early.value)
    raw = httpx.post(
        f"{local_backend.base_url}/api/projects/{PROJECT}/files/{file_id}/confirm",
        headers={"Authorization": f"Bearer {local_backend.api_key}"},
    )
    assert raw.status_code == 422  # an absent body is a 422
    assert httpx.put(ticket["upload_url"] + "x", content=b"nope").status_code == 403
    forged = ticket["upload_url"].split("?")[0] + "?token=\u00e9t\u00e9"
    assert httpx.put(forged, content=b"nope").status_code == 403
    assert httpx.put(ticket["upload_url"], content=b"hello").status_code == 200
    with pytest.raises(ConflictError) as unconfirmed:
        client.get_project_file_url(PROJECT, file_id)
    assert NOT_CONFIRMED.split(" (")[0].format(id=file_id) in str(unconfirmed.value)
    with pytest.raises(ValidationError):
        client.confirm_project_file_upload(PROJECT, file_id, size_bytes=99)
    confirmed = client.confirm_project_file_upload(PROJECT, file_id, size_bytes=5)
    assert confirmed["status"] == "confirmed"
    url = client.get_project_file_url(PROJECT, file_id)["url"]
    assert httpx.get(url).content == b"hello"
    gc = client.delete_project_file(PROJECT, file_id)
    assert gc["status"] == "collected"
    with pytest.raises(NotFoundError) as gone:
        client.get_project_file_url(PROJECT, file_id)
    assert COLLECTED.format(id=file_id) in str(gone.value)
    assert httpx.get(url).status_code == 404
    assert client.enqueue_project_file_gc(PROJECT, file_id)["status"] == "collected"


def test_import_preview_content_analytics_charts(client: PipelinesClient, unique: Any) -> None:
    preview = client.preview_dataset_import_file(CSV, filename="data.csv")
    assert preview["row_count"] == 2
    assert [c["type"] for c in preview["columns"]] == ["string", "string", "string", "number"]
    with pytest.raises(ValidationError):
        client.preview_dataset_import_file(b"[1, 2]", filename="bad.json")
    name = unique("ds")
    ds = _import(client, CSV, name)
    assert (ds["name"], ds["row_count"], ds["status"]) == (name, 2, "ready")
    assert ds["id"] in [d["id"] for d in client.iter_datasets(page_size=5)]
    assert ds["id"] in [d["id"] for d in client.list_datasets(page_size=1000)["items"]]
    content = client.get_dataset_content(ds["id"], page_size=1)
    assert content["items"] == [
        {"question": "Capital of Italy?", "answer": "Rome", "expected": "Rome", "score": 3}
    ]
    assert content["has_more"] is True
    analytics = client.get_dataset_analytics(ds["id"])
    score = next(c for c in analytics["columns"] if c["name"] == "score")
    assert (score["min"], score["max"], score["mean"]) == (3, 5, 4.0)
    fields = client.get_chart_fields(ds["id"])["fields"]
    assert {f["id"]: f["role"] for f in fields}["score"] == "measure"
    values = client.get_chart_field_values(ds["id"], "answer")
    assert {v["value"] for v in values["values"]} == {"Rome", "Lyon"}
    chart = client.chart_query(
        ds["id"],
        {
            "x": "answer",
            "y": "score",
            "agg": "sum",
            "filters": [{"column": "score", "op": "gte", "value": 4}],
        },
    )
    assert chart["series"] == [{"x": "Lyon", "y": 5}]
    with pytest.raises(ValidationError):
        client.chart_query(ds["id"], {"x": "nope"})

    csv_bytes = client.export_dataset(ds["id"], format="csv")
    assert list(csv.DictReader(io.StringIO(csv_bytes.decode())))[1]["answer"] == "Lyon"
    assert json.loads(client.export_dataset(ds["id"], format="json"))[0]["score"] == 3


def test_zip_exports_bundle_file_columns(client: PipelinesClient, unique: Any) -> None:
    photo = _upload(client, b"\x89PNG-bytes")
    rows = [{"name": "a", "image": f"file://{photo}"}, {"name": "b", "image": {"file_id": photo}}]
    ds = _import(client, json.dumps(rows).encode(), unique("files ds"), filename="rows.json")
    assert {c["name"]: c["type"] for c in ds["columns"]}["image"] == "file"
    for fmt, member in (("zip", "data.csv"), ("zip-json", "data.json")):
        archive = zipfile.ZipFile(io.BytesIO(client.export_dataset(ds["id"], format=fmt)))
        path = f"files/{photo}-photo.png"
        assert archive.read(path) == b"\x89PNG-bytes"
        assert path in archive.read(member).decode()
        manifest = json.loads(archive.read("manifest.json"))
        assert (manifest["file_columns"], manifest["missing_files"]) == (["image"], [])
    client.delete_project_file(PROJECT, photo)
    archive = zipfile.ZipFile(io.BytesIO(client.export_dataset(ds["id"], format="zip")))
    assert json.loads(archive.read("manifest.json"))["missing_files"] == [photo]


def test_cancel_import_and_finished_jobs(
    client: PipelinesClient, unique: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_pipelines.local._http.routers import datasets

    gate = threading.Event()
    real = datasets.checkpoint

    def held(*args: Any) -> None:  # hold the import at its first chunk until the cancel is sent
        assert gate.wait(10)
        real(*args)

    monkeypatch.setattr(datasets, "checkpoint", held)
    started = client.import_dataset_from_file(CSV, name=unique("held"), filename="held.csv")
    assert client.get_dataset(started["dataset_id"])["status"] == "importing"
    cancelled = client.cancel_dataset_import_job(started["job_id"])
    assert cancelled["cancel_requested"] is True
    gate.set()
    final = _wait(lambda: client.get_dataset_import_job(started["job_id"]))
    assert final["status"] == "cancelled"
    assert client.get_dataset(started["dataset_id"])["status"] == "cancelled"
    # a finished job is left as it is
    again = client.cancel_dataset_import_job(started["job_id"])
    assert (again["status"], again["finished_at"]) == ("cancelled", final["finished_at"])
    with pytest.raises(NotFoundError):
        client.get_dataset_import_job("import-999999999")


def test_dataset_eval_run_preview_config(client: PipelinesClient, unique: Any) -> None:
    ds = _import(client, CSV, unique("eval ds"))
    criterion = client.create_criterion(
        {
            "name": unique("exact"),
            "display_label": "Exact",
            "type": "programmatic",
            "config": {"subtype": "exact_match"},
            "output_schema": {"type": "boolean"},
        }
    )
    evaluation = client.create_evaluation(
        {"name": unique("ev"), "criteria": [{"criterion_id": criterion["id"]}]}
    )
    config = client.get_dataset_eval_config(ds["id"])
    assert config["suggested"] == {"output_column": "answer", "expected_column": "expected"}
    assert evaluation["id"] in [e["id"] for e in config["evaluations"]]
    payload = {
        "evaluation_id": evaluation["id"],
        "output_column": "answer",
        "expected_column": "expected",
    }
    preview = client.preview_dataset_eval(ds["id"], {**payload, "limit": 1})
    assert [r["results"][0]["passed"] for r in preview["rows"]] == [True]
    job = client.run_dataset_eval(ds["id"], payload)
    status = _wait(lambda: client.get_dataset_eval_status(ds["id"], job["job_id"]))
    assert status["status"] == "completed"
    assert [r["results"][0]["passed"] for r in status["result"]["rows"]] == [True, False]
    assert status["result"]["summary"][0]["passed"] == 1
    with pytest.raises(ValidationError):
        client.run_dataset_eval(
            ds["id"], {"evaluation_id": evaluation["id"], "output_column": "nope"}
        )


def test_seed_from_dataset_and_export_tasks(client: PipelinesClient, unique: Any) -> None:
    ds = _import(client, CSV, unique("seed ds"))
    workflow = client.create_workflow(
        PROJECT,
        {
            "name": unique("seeded"),
            "definition": {
                "nodes": [
                    {
                        "id": "n",
                        "title": "N",
                        "fields": [
                            {"id": "q", "type": "input"},
                            {"id": "a", "type": "llm", "prompt_text": "Q: {{q}}", "model": "echo"},
                        ],
                    }
                ]
            },
        },
    )
    job = client.seed_from_dataset(
        PROJECT, workflow["id"], {"dataset_id": ds["id"], "column_mapping": {"q": "question"}}
    )
    status = _wait(lambda: client.get_seed_status(PROJECT, workflow["id"], job["job_id"]))
    assert status["result"] == {"workflow_id": workflow["id"], "rows_seeded": 2}
    assert client.get_creation_mode(PROJECT, workflow["id"])["requires_csv"] is False
    run = client.create_tasks_async(PROJECT, workflow["id"], {"count": 2})
    client.wait_for_create_tasks(PROJECT, workflow["id"], run["job_id"], timeout=30)
    exported = client.export_tasks(
        PROJECT, workflow["id"], {"format": "csv", "include_files": False}
    )
    rows = list(csv.DictReader(io.StringIO(exported["content"])))
    assert sorted(r["n.a"] for r in rows) == ["Q: Capital of France?", "Q: Capital of Italy?"]
    started = client.export_tasks_async(PROJECT, workflow["id"], {"format": "json"})
    done = _wait(lambda: client.get_export_status(PROJECT, workflow["id"], started["job_id"]))
    assert done["result"]["count"] == 2
    assert len(json.loads(done["result"]["content"])) == 2
    with pytest.raises(ValidationError):
        client.export_tasks(PROJECT, workflow["id"], {"format": "xml"})


def test_notebooks(client: PipelinesClient, unique: Any) -> None:
    ds = _import(client, CSV, unique("nb ds"))
    notebooks = list(client.iter_dataset_notebooks(ds["id"]))
    assert len(notebooks) == 1
    nb = client.get_notebook(notebooks[0]["id"])
    assert nb["name"].startswith("Explore ")
    updated = client.update_notebook(
        nb["id"],
        {
            "name": "Scores",
            "cells": [
                {
                    "type": "query",
                    "columns": ["answer", "score"],
                    "filters": [{"column": "score", "op": "gt", "value": 3}],
                }
            ],
        },
    )
    assert updated["name"] == "Scores"
    saved = client.save_notebook(nb["id"], payload={"cells": updated["cells"]})
    assert saved["saved_cells"] == updated["cells"]
    preview = client.preview_notebook(nb["id"], payload={"limit": 10})
    assert preview["rows"] == [{"answer": "Lyon", "score": 5}]
    with pytest.raises(ValidationError):
        client.save_notebook(nb["id"], payload={"cells": [{"type": "sql"}]})
    assert client.list_dataset_notebooks(ds["id"])["total"] == 1
    client.delete_notebook(nb["id"])
    with pytest.raises(NotFoundError):
        client.get_notebook(nb["id"])


@pytest.mark.anyio
async def test_datasets_files_notebooks_async(
    async_client: AsyncPipelinesClient, unique: Any
) -> None:
    ticket = await async_client.request_project_file_upload_url(PROJECT, {"filename": "b.bin"})
    async with httpx.AsyncClient() as raw:
        assert (await raw.put(ticket["upload_url"], content=b"abc")).status_code == 200
        await async_client.confirm_project_file_upload(PROJECT, ticket["file_id"])
        url = (await async_client.get_project_file_url(PROJECT, ticket["file_id"]))["url"]
        assert (await raw.get(url)).content == b"abc"
    await async_client.delete_project_file(PROJECT, ticket["file_id"])

    preview = await async_client.preview_dataset_import_file(CSV, filename="d.csv")
    assert preview["row_count"] == 2
    started = await async_client.import_dataset_from_file(
        CSV, name=unique("async ds"), filename="d.csv"
    )
    for _ in range(500):
        status = await async_client.get_dataset_import_job(started["job_id"])
        if status["status"] == "completed":
            break
        await anyio.sleep(0.01)
    assert status["status"] == "completed"
    assert (await async_client.cancel_dataset_import_job(started["job_id"]))[
        "status"
    ] == "completed"
    ds_id = started["dataset_id"]
    assert ds_id in [d["id"] async for d in async_client.iter_datasets()]
    assert b"Lyon" in await async_client.export_dataset(ds_id, format="csv")
    config = await async_client.get_dataset_eval_config(ds_id)
    criterion = await async_client.create_criterion(
        {
            "name": unique("c"),
            "display_label": "C",
            "type": "programmatic",
            "config": {"subtype": "exact_match"},
            "output_schema": {"type": "boolean"},
        }
    )
    evaluation = await async_client.create_evaluation(
        {"name": unique("e"), "criteria": [{"criterion_id": criterion["id"]}]}
    )
    payload = {"evaluation_id": evaluation["id"], **config["suggested"]}
    assert len((await async_client.preview_dataset_eval(ds_id, payload))["rows"]) == 2
    job = await async_client.run_dataset_eval(ds_id, payload)
    for _ in range(500):
        status = await async_client.get_dataset_eval_status(ds_id, job["job_id"])
        if status["status"] == "completed":
            break
        await anyio.sleep(0.01)
    assert status["result"]["summary"][0]["failed"] == 1
    notebooks = [n async for n in async_client.iter_dataset_notebooks(ds_id)]
    nb = await async_client.get_notebook(notebooks[0]["id"])
    await async_client.save_notebook(
        nb["id"], payload={"cells": [{"type": "query", "columns": ["question"]}]}
    )
    assert len((await async_client.preview_notebook(nb["id"]))["rows"]) == 2
    exported = await async_client.export_tasks(PROJECT, 10, {"format": "json"})
    assert exported["format"] == "json"
