"""Tables: uploaded files read as rows (CSV, JSON, JSONL), column types, CSV export, row filters.

Used by datasets, notebooks and task exports; shapes are documented in
``docs/local-backend-reference.md``.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_pipelines.local._engine import limits
from pytest_pipelines.local._engine.errors import APIError, error_item
from pytest_pipelines.local._store.db import parse_id

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.state import BackendState

NO_ROWS = (
    "the file has no data rows; send a CSV with a header row, a JSON list of objects, or JSONL"
)
BAD_FILE = (
    "cannot read {filename!r} as a table: {error}. Supported files: .csv (header row), .json "
    "(a list of objects) and .jsonl (one object per line)"
)
FILE_REF_PREFIX = "file://"
BAD_FORMAT = "unknown export format {format!r}; valid formats: {valid}"
# Where an upload's problem is reported: the multipart field ``file`` (FastAPI's shape).
UPLOAD_LOC = ("body", "file")


def _coerce(text: str) -> Any:
    """A CSV cell as int, float or bool when it reads as one, else the text."""
    if text == "":
        return None
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    # "nan", "inf", "Infinity" stay text: a non-finite float is not JSON, and a stored one
    # breaks every read of the dataset.
    return number if math.isfinite(number) else text


_BLANK = object()


def _json_line(number: int, line: str) -> Any:
    if not line.strip():
        return _BLANK
    try:
        return limits.loads(line)
    except limits.InputProblem as exc:
        raise ValueError(f"line {number}: {exc}") from None


def parse_table(filename: str, content: bytes) -> list[dict[str, Any]]:
    """Rows of an uploaded file (CSV, JSON list of objects, JSONL); 422 when unreadable."""
    name = filename.lower()
    try:
        text = content.decode("utf-8-sig")
        if name.endswith((".jsonl", ".ndjson")):
            rows = [_json_line(number, line) for number, line in enumerate(text.splitlines(), 1)]
            rows = [row for row in rows if row is not _BLANK]
        elif name.endswith(".json"):
            rows = limits.loads(text)
        else:
            reader = csv.DictReader(io.StringIO(text))
            rows = [
                {k: _coerce(v or "") for k, v in row.items() if k is not None} for row in reader
            ]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError("expected a list of objects")
    except (UnicodeDecodeError, ValueError, csv.Error) as exc:
        raise APIError(
            422, [error_item(UPLOAD_LOC, BAD_FILE.format(filename=filename, error=exc))]
        ) from None
    if not rows:
        raise APIError(422, [error_item(UPLOAD_LOC, NO_ROWS)])
    return rows


def column_type(values: Iterable[Any]) -> str:
    """``file``, ``boolean``, ``number`` or ``string`` for a column's non-null values."""
    present = [v for v in values if v is not None]
    if present and all(file_ref(v) is not None for v in present):
        return "file"
    if present and all(isinstance(v, bool) for v in present):
        return "boolean"
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "number"
    return "string"


def columns_of(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The columns of ``rows`` in first-seen order, each ``{"name", "type"}``."""
    names: list[str] = []
    for row in rows:
        for key in row:
            if key not in names:
                names.append(key)
    return [{"name": n, "type": column_type(r.get(n) for r in rows)} for n in names]


def file_ref(value: Any) -> int | None:
    """The project file id a cell refers to (``file://<id>`` or ``{"file_id": <id>}``), or None."""
    if isinstance(value, str) and value.startswith(FILE_REF_PREFIX):
        rest = value[len(FILE_REF_PREFIX) :]
        return parse_id(rest)
    if isinstance(value, Mapping) and isinstance(value.get("file_id"), int):
        return int(value["file_id"])
    return None


def file_bytes(
    state: BackendState, file_id: int, org_id: int
) -> tuple[dict[str, Any], bytes] | None:
    """A confirmed file of the organization and its bytes, or None (used by downloads and
    exports)."""
    record = state.db.get("project_file", file_id)
    if record is None or record.get("org_id") != org_id or record.get("status") != "confirmed":
        return None
    blobs = state.db.query("file_blob", parent_id=file_id)
    if not blobs:
        return None
    return record, base64.b64decode(blobs[0]["b64"])


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Rows as CSV text (nested values as JSON)."""
    names = list(columns) if columns is not None else [c["name"] for c in columns_of(rows)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        cells = []
        for name in names:
            value = row.get(name)
            if value is None:
                cells.append("")
            elif isinstance(value, (dict, list)):
                cells.append(json.dumps(value))
            elif isinstance(value, bool):
                cells.append("true" if value else "false")
            else:
                cells.append(str(value))
        writer.writerow(cells)
    return out.getvalue()


def _compare(op: str, value: Any, target: Any) -> bool:
    if op == "eq":
        return bool(value == target)
    if op == "ne":
        return bool(value != target)
    if op == "contains":
        return str(target) in str(value if value is not None else "")
    if value is None:
        return False
    if op == "gt":
        return bool(value > target)
    if op == "gte":
        return bool(value >= target)
    if op == "lt":
        return bool(value < target)
    return bool(value <= target)


def matches(row: Mapping[str, Any], filters: Sequence[Mapping[str, Any]]) -> bool:
    """True when ``row`` passes every filter ``{"column", "op", "value"}``.

    Ops: ``eq`` (default), ``ne``, ``contains``, ``gt``, ``gte``, ``lt``, ``lte``; comparing
    values of different types is false, not an error.
    """
    for f in filters:
        op = str(f.get("op", "eq"))
        if op not in FILTER_OPS:
            raise APIError(422, FILTER_OP.format(op=op))
        try:
            ok = _compare(op, row.get(str(f.get("column"))), f.get("value"))
        except TypeError:
            ok = False
        if not ok:
            return False
    return True


FILTER_OPS = ("eq", "ne", "contains", "gt", "gte", "lt", "lte")
FILTER_OP = "unknown filter op {op!r}; valid ops: eq, ne, contains, gt, gte, lt, lte"
