"""Datasets: multipart import (async job, preview, cancel), content, analytics, charts, export,
dataset evaluation runs, and seeding a workflow from a dataset (the export of a workflow's tasks
is an area of its own, ``task_export.py``).

Shapes: ``docs/local-backend-reference.md`` ("Datasets"). Rows live on the ``dataset`` record;
a file column holds ``file://<project file id>`` (or ``{"file_id": N}``) cells, and the zip
export formats bundle those files.
"""

from __future__ import annotations

import io
import json
import statistics
import zipfile
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile

from pytest_pipelines.local._engine.access import Principal, get_or_404, get_workflow_or_404
from pytest_pipelines.local._engine.background import (
    cancel,
    checkpoint,
    create_job,
    get_job,
    job_view,
    run_in_background,
    workflow_job_view,
)
from pytest_pipelines.local._engine.errors import APIError, error_item, not_found
from pytest_pipelines.local._engine.evaluation import evaluation_criteria, score_rows, summarize
from pytest_pipelines.local._engine.notifications import notify
from pytest_pipelines.local._engine.state import BackendState
from pytest_pipelines.local._engine.tables import (
    BAD_FORMAT,
    columns_of,
    file_bytes,
    file_ref,
    matches,
    parse_table,
    to_csv,
)
from pytest_pipelines.local._http.deps import (
    Body,
    DatasetsAuth,
    Page,
    State,
    TasksAuth,
    page_of,
    paginate_list,
)

router = APIRouter(prefix="/api", tags=["datasets"])

EXPORT_FORMATS = ("csv", "json", "zip", "zip-json")
UNKNOWN_COLUMN = "column {column!r} is not in dataset {id}; its columns: {valid}"
AGGS = ("count", "sum", "avg", "min", "max")
BAD_AGG = "agg must be one of: " + ", ".join(AGGS) + "; sum/avg/min/max need a numeric y column"
OUTPUT_COLUMN = "output_column is required: the dataset column holding the outputs to score"
DATASET_ID = "dataset_id is required (an imported dataset of this organization)"
NOT_READY = "dataset {id} is {status}; wait for its import job to complete"
IMPORT_ROW_CHUNK = 200
PREVIEW_ROWS = 20


def _public(ds: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in ds.items() if k != "rows"}


def get_dataset_or_404(
    state: BackendState, principal: Principal, dataset_id: int
) -> dict[str, Any]:
    """A dataset of the key's organization; else 404."""
    return get_or_404(state, "dataset", dataset_id, principal)


def _ready(state: BackendState, principal: Principal, dataset_id: int) -> dict[str, Any]:
    ds = get_dataset_or_404(state, principal, dataset_id)
    if ds.get("status") != "ready":
        raise APIError(409, NOT_READY.format(id=dataset_id, status=ds.get("status")))
    return ds


def _column(ds: dict[str, Any], column: Any, loc: str) -> str:
    names = [c["name"] for c in ds.get("columns") or []]
    if column not in names:
        raise APIError(
            422,
            [
                error_item(
                    [loc], UNKNOWN_COLUMN.format(column=column, id=ds["id"], valid=", ".join(names))
                )
            ],
        )
    return str(column)


# -- import ------------------------------------------------------------------------------------


@router.post("/datasets/import/file/preview")
async def preview_dataset_import_file(
    principal: DatasetsAuth, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Parse the file without storing anything: columns, row count, the first rows."""
    rows = parse_table(file.filename or "upload.csv", await file.read())
    return {
        "filename": file.filename,
        "columns": columns_of(rows),
        "row_count": len(rows),
        "rows": rows[:PREVIEW_ROWS],
    }


@router.post("/datasets/import/file")
async def import_dataset_from_file(
    state: State,
    principal: DatasetsAuth,
    file: Annotated[UploadFile, File()],
    name: Annotated[str | None, Form()] = None,
    description: Annotated[str | None, Form()] = None,
    org_id: Annotated[int | None, Form()] = None,
) -> dict[str, Any]:
    """Parse the file (422 when unreadable), create the dataset and start its import job."""
    principal.check_org(org_id)
    filename = file.filename or "upload.csv"
    rows = parse_table(filename, await file.read())
    dataset = state.db.insert(
        "dataset",
        {
            "org_id": principal.org_id,
            "name": name or filename,
            "description": description or "",
            "source_filename": filename,
            "columns": columns_of(rows),
            "row_count": 0,
            "status": "importing",
            "rows": [],
        },
        org_id=principal.org_id,
    )
    job = create_job(
        state, "import", principal.org_id, dataset_id=dataset["id"], requested_by=principal.user_id
    )

    def work(job: dict[str, Any]) -> dict[str, Any]:
        # The rows are written once, at the end (or at a cancel): writing the growing list at
        # every chunk re-serialised it each time, quadratic in the rows (60,000 rows took
        # minutes). Each chunk still records progress and honours a cancel.
        imported: list[dict[str, Any]] = []
        try:
            for start in range(0, len(rows), IMPORT_ROW_CHUNK):
                checkpoint(state, job["id"], len(imported), len(rows))
                imported.extend(rows[start : start + IMPORT_ROW_CHUNK])
                state.db.patch("dataset", dataset["id"], {"row_count": len(imported)})
            checkpoint(state, job["id"], len(imported), len(rows))
        except Exception:
            state.db.patch(
                "dataset",
                dataset["id"],
                {"rows": imported, "row_count": len(imported), "status": "cancelled"},
            )
            raise
        state.db.patch(
            "dataset",
            dataset["id"],
            {"rows": imported, "row_count": len(imported), "status": "ready"},
        )
        state.db.insert(
            "notebook",
            {
                "org_id": principal.org_id,
                "dataset_id": dataset["id"],
                "name": f"Explore {dataset['name']}",
                "version": 1,
                "saved_at": None,
                "cells": [
                    {"type": "markdown", "source": f"# {dataset['name']}"},
                    {"type": "query", "columns": [], "filters": []},
                ],
                "saved_cells": None,
            },
            org_id=principal.org_id,
            parent_id=dataset["id"],
        )
        notify(
            state,
            org_id=principal.org_id,
            user_id=principal.user_id,
            kind="dataset_import",
            title=f"Dataset {dataset['name']!r} imported",
            body=f"{len(imported)} rows",
            link={"dataset_id": dataset["id"]},
        )
        return {"dataset_id": dataset["id"], "rows_imported": len(imported)}

    run_in_background(state, job, work)
    return {**job_view(job), "dataset_id": dataset["id"]}


@router.get("/datasets/import/jobs/{job_id}")
def get_dataset_import_job(state: State, principal: DatasetsAuth, job_id: str) -> dict[str, Any]:
    """The import job's status (``progress``: rows done and total; ``dataset_id``)."""
    job = get_job(state, "import", job_id, principal.org_id)
    return {**job_view(job), "dataset_id": job.get("dataset_id")}


@router.post("/datasets/import/jobs/{job_id}/cancel")
def cancel_dataset_import_job(state: State, principal: DatasetsAuth, job_id: str) -> dict[str, Any]:
    """Stop the import at the next chunk; a finished import is left as it is."""
    job = cancel(state, get_job(state, "import", job_id, principal.org_id))
    return {**job_view(job), "dataset_id": job.get("dataset_id")}


# -- datasets ----------------------------------------------------------------------------------


@router.get("/datasets")
def list_datasets(state: State, principal: DatasetsAuth, page: Page) -> dict[str, Any]:
    """Datasets of the key's organization (without their rows)."""
    items = state.db.query(
        "dataset", org_id=principal.org_id, limit=page.page_size, offset=page.offset
    )
    return page_of(
        [_public(d) for d in items], state.db.count("dataset", org_id=principal.org_id), page
    )


@router.get("/datasets/{dataset_id}")
def get_dataset(state: State, principal: DatasetsAuth, dataset_id: int) -> dict[str, Any]:
    """One dataset (columns, row count, status), without its rows."""
    return _public(get_dataset_or_404(state, principal, dataset_id))


@router.get("/datasets/{dataset_id}/content")
def get_dataset_content(
    state: State, principal: DatasetsAuth, dataset_id: int, page: Page
) -> dict[str, Any]:
    """The rows, paginated, plus the columns."""
    ds = get_dataset_or_404(state, principal, dataset_id)
    return {**paginate_list(ds.get("rows") or [], page), "columns": ds.get("columns") or []}


def archive_name(filename: Any) -> str:
    """A user's file name as one zip entry name: no folder separators, no control characters.

    With ``/`` or ``\\`` in it, ``../../x`` would be an entry outside ``files/`` for an
    extracting tool (zip slip); they become ``_``.
    """
    text = "".join("_" if ch in "/\\" or not ch.isprintable() else ch for ch in str(filename))
    return text or "file"


def _bundle(state: BackendState, ds: dict[str, Any], as_json: bool) -> bytes:
    rows = [dict(r) for r in ds.get("rows") or []]
    file_columns = [c["name"] for c in ds.get("columns") or [] if c.get("type") == "file"]
    buffer = io.BytesIO()
    bundled: list[dict[str, Any]] = []
    missing: list[int] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        done: dict[int, str] = {}
        for row in rows:
            for column in file_columns:
                ref = file_ref(row.get(column))
                if ref is None:
                    continue
                if ref not in done:
                    found = file_bytes(state, ref, int(ds["org_id"]))
                    if found is None:
                        missing.append(ref)
                        done[ref] = ""
                        continue
                    path = f"files/{ref}-{archive_name(found[0].get('filename'))}"
                    archive.writestr(path, found[1])
                    bundled.append({"file_id": ref, "path": path, "size_bytes": len(found[1])})
                    done[ref] = path
                if done[ref]:
                    row[column] = done[ref]
        if as_json:
            archive.writestr("data.json", json.dumps(rows, indent=2))
        else:
            archive.writestr("data.csv", to_csv(rows, [c["name"] for c in ds.get("columns") or []]))
        archive.writestr(
            "manifest.json",
            json.dumps(
                {
                    "dataset_id": ds["id"],
                    "name": ds.get("name"),
                    "format": "zip-json" if as_json else "zip",
                    "row_count": len(rows),
                    "file_columns": file_columns,
                    "files": bundled,
                    "missing_files": sorted(set(missing)),
                },
                indent=2,
            ),
        )
    return buffer.getvalue()


@router.get("/datasets/{dataset_id}/export")
def export_dataset(
    state: State, principal: DatasetsAuth, dataset_id: int, format: str = "csv"
) -> Response:
    """The dataset as ``csv``, ``json``, ``zip`` or ``zip-json`` bytes (zips bundle file columns)."""
    if format not in EXPORT_FORMATS:
        raise APIError(
            422,
            [
                error_item(
                    ["query", "format"],
                    BAD_FORMAT.format(format=format, valid=", ".join(EXPORT_FORMATS)),
                )
            ],
        )
    ds = _ready(state, principal, dataset_id)
    rows = ds.get("rows") or []
    if format == "csv":
        return Response(
            to_csv(rows, [c["name"] for c in ds.get("columns") or []]), media_type="text/csv"
        )
    if format == "json":
        return Response(json.dumps(rows), media_type="application/json")
    return Response(_bundle(state, ds, format == "zip-json"), media_type="application/zip")


@router.get("/datasets/{dataset_id}/analytics")
def get_dataset_analytics(state: State, principal: DatasetsAuth, dataset_id: int) -> dict[str, Any]:
    """Per column: type, non-null and null counts, distinct values, numeric min/max/mean, top values."""
    ds = get_dataset_or_404(state, principal, dataset_id)
    rows = ds.get("rows") or []
    columns = []
    for column in ds.get("columns") or []:
        values = [r.get(column["name"]) for r in rows]
        present = [v for v in values if v is not None]
        hashable = [
            json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v for v in present
        ]
        stats: dict[str, Any] = {
            "name": column["name"],
            "type": column["type"],
            "non_null": len(present),
            "nulls": len(values) - len(present),
            "distinct": len(set(hashable)),
            "top": [{"value": v, "count": n} for v, n in Counter(hashable).most_common(5)],
        }
        if column["type"] == "number" and present:
            stats.update(
                min=min(present), max=max(present), mean=round(statistics.fmean(present), 6)
            )
        columns.append(stats)
    return {
        "dataset_id": dataset_id,
        "row_count": len(rows),
        "column_count": len(columns),
        "columns": columns,
    }


@router.get("/datasets/{dataset_id}/chart-fields")
def get_chart_fields(state: State, principal: DatasetsAuth, dataset_id: int) -> dict[str, Any]:
    """Columns usable in charts: numeric ones as measures, the others as categories."""
    ds = get_dataset_or_404(state, principal, dataset_id)
    return {
        "dataset_id": dataset_id,
        "fields": [
            {
                "id": c["name"],
                "name": c["name"],
                "type": c["type"],
                "role": "measure" if c["type"] == "number" else "category",
            }
            for c in ds.get("columns") or []
            if c["type"] != "file"
        ],
    }


@router.get("/datasets/{dataset_id}/chart-fields/{field_id}/values")
def get_chart_field_values(
    state: State, principal: DatasetsAuth, dataset_id: int, field_id: str
) -> dict[str, Any]:
    """Distinct values of one column with their counts, most frequent first."""
    ds = get_dataset_or_404(state, principal, dataset_id)
    name = _column(ds, field_id, "field_id")
    counts = Counter(json.dumps(r.get(name)) for r in ds.get("rows") or [])
    values = [{"value": json.loads(v), "count": n} for v, n in counts.most_common()]
    return {"dataset_id": dataset_id, "field_id": name, "values": values, "total": len(values)}


@router.post("/datasets/{dataset_id}/chart-query")
def chart_query(
    state: State, principal: DatasetsAuth, dataset_id: int, body: Body
) -> dict[str, Any]:
    """``{"x", "y"?, "agg": count|sum|avg|min|max, "filters"?}`` -> ``{"series": [{"x", "y"}]}``."""
    ds = get_dataset_or_404(state, principal, dataset_id)
    x = _column(ds, body.get("x"), "x")
    agg = body.get("agg", "count")
    y = _column(ds, body["y"], "y") if body.get("y") is not None else None
    if agg not in AGGS or (agg != "count" and y is None):
        raise APIError(422, [error_item(["agg"], BAD_AGG)])
    filters = body.get("filters") or []
    groups: dict[str, list[Any]] = {}
    for row in ds.get("rows") or []:
        if matches(row, filters):
            groups.setdefault(json.dumps(row.get(x)), []).append(row.get(y) if y else 1)
    series = []
    for key, values in groups.items():
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if agg == "count":
            value: Any = len(values)
        elif not numbers:
            value = None
        else:
            value = {
                "sum": sum(numbers),
                "avg": statistics.fmean(numbers),
                "min": min(numbers),
                "max": max(numbers),
            }[agg]
        series.append({"x": json.loads(key), "y": value})
    return {"dataset_id": dataset_id, "x": x, "y": y, "agg": agg, "series": series}


# -- dataset evaluation --------------------------------------------------------------------------


def _eval_args(
    state: BackendState, principal: Principal, ds: dict[str, Any], body: dict[str, Any]
) -> tuple[list[dict[str, Any]], str, str | None, list[dict[str, Any]]]:
    _, criteria = evaluation_criteria(state, principal, body.get("evaluation_id"))
    if body.get("output_column") is None:
        raise APIError(422, [error_item(["output_column"], OUTPUT_COLUMN, "missing")])
    output_column = _column(ds, body.get("output_column"), "output_column")
    expected = body.get("expected_column")
    expected_column = _column(ds, expected, "expected_column") if expected is not None else None
    rows = list(ds.get("rows") or [])
    limit = body.get("limit")
    if isinstance(limit, int) and limit > 0:
        rows = rows[:limit]
    return criteria, output_column, expected_column, rows


@router.get("/datasets/{dataset_id}/eval-config")
def get_dataset_eval_config(
    state: State, principal: DatasetsAuth, dataset_id: int
) -> dict[str, Any]:
    """What an eval run accepts: columns, suggested output/expected columns, evaluations."""
    ds = get_dataset_or_404(state, principal, dataset_id)
    names = [c["name"] for c in ds.get("columns") or []]
    guess = next(
        (n for n in names if n.lower() in ("output", "answer", "response", "completion")), None
    )
    expected = next(
        (n for n in names if n.lower() in ("expected", "expected_output", "reference")), None
    )
    evaluations = state.db.query("evaluation", org_id=principal.org_id, org_or_global=True)
    return {
        "dataset_id": dataset_id,
        "columns": ds.get("columns") or [],
        "suggested": {"output_column": guess, "expected_column": expected},
        "evaluations": [{"id": e["id"], "name": e.get("name")} for e in evaluations],
        "payload": {
            "evaluation_id": "int (required)",
            "output_column": "str (required)",
            "expected_column": "str (optional)",
            "limit": "int (optional)",
        },
    }


@router.post("/datasets/{dataset_id}/eval-preview")
def preview_dataset_eval(
    state: State, principal: DatasetsAuth, dataset_id: int, body: Body
) -> dict[str, Any]:
    """Score the first rows (``limit``, default 5) synchronously; nothing is stored."""
    ds = _ready(state, principal, dataset_id)
    body.setdefault("limit", 5)
    criteria, output_column, expected_column, rows = _eval_args(state, principal, ds, body)
    scored = score_rows(state, criteria, rows, output_column, expected_column)
    return {"dataset_id": dataset_id, "rows": scored, "summary": summarize(scored)}


@router.post("/datasets/{dataset_id}/eval-run")
def run_dataset_eval(
    state: State, principal: DatasetsAuth, dataset_id: int, body: Body
) -> dict[str, Any]:
    """Start scoring every row (or ``limit``) with the evaluation's criteria; a job."""
    ds = _ready(state, principal, dataset_id)
    criteria, output_column, expected_column, rows = _eval_args(state, principal, ds, body)
    job = create_job(
        state,
        "eval",
        principal.org_id,
        dataset_id=dataset_id,
        evaluation_id=body.get("evaluation_id"),
    )

    def work(job: dict[str, Any]) -> dict[str, Any]:
        scored = score_rows(
            state,
            criteria,
            rows,
            output_column,
            expected_column,
            on_row=lambda i: checkpoint(state, job["id"], i, len(rows)),
        )
        checkpoint(state, job["id"], len(rows), len(rows))
        return {"rows": scored, "summary": summarize(scored)}

    run_in_background(state, job, work)
    return {**job_view(job), "dataset_id": dataset_id}


@router.get("/datasets/{dataset_id}/eval-run/{job_id}")
def get_dataset_eval_status(
    state: State, principal: DatasetsAuth, dataset_id: int, job_id: str
) -> dict[str, Any]:
    """The eval job's status; ``result`` holds per-row results and a per-criterion summary."""
    get_dataset_or_404(state, principal, dataset_id)
    job = get_job(state, "eval", job_id, principal.org_id)
    if job.get("dataset_id") != dataset_id:
        raise not_found("eval job", job_id)
    return {**job_view(job), "dataset_id": dataset_id}


# -- workflows and datasets ----------------------------------------------------------------------


_WF = "/projects/{project_id}/workflows/{workflow_id}"


@router.post(_WF + "/seed-from-dataset")
def seed_from_dataset(
    state: State, principal: TasksAuth, project_id: int, workflow_id: int, body: Body
) -> dict[str, Any]:
    """Replace the workflow's seed rows with dataset rows (``column_mapping``, ``limit``,
    ``expected_output_column``); a job."""
    get_workflow_or_404(state, principal, project_id, workflow_id)
    if not isinstance(body.get("dataset_id"), int):
        raise APIError(422, [error_item(["dataset_id"], DATASET_ID, "missing")])
    ds = _ready(state, principal, body["dataset_id"])
    mapping = body.get("column_mapping") or {}
    for column in mapping.values():
        _column(ds, column, "column_mapping")
    expected = body.get("expected_output_column")
    if expected is not None:
        _column(ds, expected, "expected_output_column")
    rows = list(ds.get("rows") or [])
    if isinstance(body.get("limit"), int):
        rows = rows[: body["limit"]]
    job = create_job(state, "seed", principal.org_id, workflow_id=workflow_id, dataset_id=ds["id"])

    def work(job: dict[str, Any]) -> dict[str, Any]:
        seeded = []
        for index, row in enumerate(rows):
            checkpoint(state, job["id"], index, len(rows))
            out = (
                {field: row.get(column) for field, column in mapping.items()}
                if mapping
                else dict(row)
            )
            if expected is not None:
                out["expected_output"] = row.get(expected)
            seeded.append(out)
        state.db.patch("workflow", workflow_id, {"seed_rows": seeded})
        return {"workflow_id": workflow_id, "rows_seeded": len(seeded)}

    run_in_background(state, job, work)
    return job_view(job)


@router.get(_WF + "/seed-data-status/{job_id}")
def get_seed_status(
    state: State, principal: TasksAuth, project_id: int, workflow_id: int, job_id: str
) -> dict[str, Any]:
    """The seeding job's status."""
    return workflow_job_view(state, principal, project_id, workflow_id, "seed", job_id)
