"""The storage layer of the local backend: a small repository over sqlite3 with JSON columns.

Every object lives in one ``records`` table: ``(id, kind, org_id, parent_id, data, created_at,
updated_at)``, where ``data`` is the object's JSON. Ids come from one sequence shared by all kinds,
so an id is unique across the database. Versioned objects (prompts, criteria, evaluations, tool
endpoints) keep snapshots in ``versions``. API keys, idempotency records and the schema version
have tables of their own.

One connection serves every thread, guarded by a re-entrant lock: uvicorn runs handlers in a
thread pool and jobs run in worker threads, and SQLite work here is short. ``tx()`` groups
statements into one transaction. The database runs in WAL mode.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from typing import Any

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    org_id INTEGER,
    parent_id INTEGER,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_kind_org ON records(kind, org_id);
CREATE INDEX IF NOT EXISTS records_kind_parent ON records(kind, parent_id);
CREATE INDEX IF NOT EXISTS records_job ON records(json_extract(data, '$.job_db_id'));
CREATE TABLE IF NOT EXISTS versions (
    record_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (record_id, version)
);
CREATE TABLE IF NOT EXISTS api_keys (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    org_id INTEGER NOT NULL,
    user_id INTEGER,
    scopes TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
"""

# Migrations from version N to N+1, applied in order by ``_migrate``.
_MIGRATIONS: dict[int, str] = {}

_COLUMNS = {"org_id", "parent_id"}

# SQLite integers are 64-bit: a larger id (from a path or a filter) names no row, and binding
# it would raise OverflowError (a 500). Lookups answer "not found" instead; offsets are clamped.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


OWNER_GONE = (
    "{owner} {id} no longer exists (deleted while this request or run was in progress), so the "
    "new {kind} was not stored; nothing of the deleted {owner} is kept"
)


class OwnerGone(KeyError):
    """An owned record's owner was deleted (a workflow deleted while its task ran): the write
    that would have left a record nobody owns was refused."""

    def __str__(self) -> str:
        # KeyError's own str() quotes the message as if it were a key
        return str(self.args[0]) if self.args else ""


NOT_A_JSON_NUMBER = (
    "cannot store the {what}: {where} is {value}, which JSON cannot represent (NaN and "
    "Infinity are not JSON numbers, and SQLite refuses the row); nothing was stored. Put a "
    "finite number, null or a string there"
)


class NotStorable(ValueError):
    """A value JSON cannot represent (a NaN or infinite float) was refused; nothing was stored."""


def json_path(loc: Sequence[str | int]) -> str:
    """``loc`` (keys and indices) as a JSONPath such as ``$.a[0].b``."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)


def spell(number: float) -> str:
    """A non-finite float as JSON's would-be spelling: ``NaN``, ``Infinity``, ``-Infinity``."""
    if math.isnan(number):
        return "NaN"
    return "Infinity" if number > 0 else "-Infinity"


def find_non_finite(value: Any) -> tuple[str, float] | None:
    """Where the first NaN or infinite float in ``value`` sits (``$.a[0]``) and that float.

    ``None`` when there is none. Walks dicts, lists and tuples in document order, iteratively
    (no recursion limit to hit).
    """
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        node, loc = stack.pop()
        if isinstance(node, float):
            if not math.isfinite(node):
                return json_path(loc), node
        elif isinstance(node, Mapping):
            stack.extend((child, (*loc, str(key))) for key, child in list(node.items())[::-1])
        elif isinstance(node, (list, tuple)):
            stack.extend((node[i], (*loc, i)) for i in reversed(range(len(node))))
    return None


def dumps(value: Any, what: str) -> str:
    """``value`` as JSON text for a row; :class:`NotStorable` naming ``what`` and the place when
    it holds a NaN or an infinity (which :func:`json.dumps` would write as ``NaN``, text that
    SQLite's JSON functions, and so the ``records_job`` index, refuse as malformed)."""
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError:
        found = find_non_finite(value)
        if found is None:
            raise
        where, number = found
        raise NotStorable(
            NOT_A_JSON_NUMBER.format(what=what, where=where, value=spell(number))
        ) from None


def _storable(values: Sequence[Any]) -> bool:
    """True when every int in ``values`` fits a SQLite INTEGER."""
    return all(not isinstance(v, int) or _INT64_MIN <= v <= _INT64_MAX for v in values)


def parse_id(text: str) -> int | None:
    """``text`` as a record id when it is ASCII decimal digits, else None.

    ``str.isdigit`` alone is not enough: it accepts ``'²'``, on which ``int`` raises.
    """
    return int(text) if text.isascii() and text.isdecimal() else None


def utcnow() -> str:
    """The current time as an ISO 8601 string in UTC."""
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _row(row: sqlite3.Row, loads: Callable[[str], Any] = json.loads) -> dict[str, Any]:
    data: dict[str, Any] = loads(row["data"])
    data["id"] = row["id"]
    data.setdefault("created_at", row["created_at"])
    data["updated_at"] = row["updated_at"]
    return data


def record(row: sqlite3.Row, loads: Callable[[str], Any] = json.loads) -> dict[str, Any]:
    """The record a stored row holds (what :meth:`Database.query` returns for it).

    :param loads: default :func:`json.loads`; what decodes the row's JSON text.
    """
    return _row(row, loads)


class Database:
    """A thread-safe JSON record store over one SQLite file.

    :param path: the database file; ``None`` (default) makes a temporary file that ``close()``
        removes.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._temporary = path is None
        if path is None:
            fd, name = tempfile.mkstemp(prefix="pipelines-local-", suffix=".sqlite3")
            os.close(fd)
            self.path = name
        else:
            self.path = os.fspath(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._depth = 0
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self._conn.execute(statement)
        self._migrate()

    # -- lifecycle -------------------------------------------------------------------------

    def _migrate(self) -> None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row["value"]) if row else SCHEMA_VERSION
        while version < SCHEMA_VERSION:
            self._conn.execute(_MIGRATIONS[version])
            version += 1
        self._conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(version),)
        )

    def close(self) -> None:
        """Close the connection; remove the file when it was a temporary one."""
        with self._lock:
            self._conn.close()
        if self._temporary:
            for suffix in ("", "-wal", "-shm"):
                with suppress(FileNotFoundError):
                    os.remove(self.path + suffix)

    def is_empty(self) -> bool:
        """True when no record and no API key exists yet."""
        with self._lock:
            a = self._conn.execute("SELECT 1 FROM records LIMIT 1").fetchone()
            b = self._conn.execute("SELECT 1 FROM api_keys LIMIT 1").fetchone()
        return a is None and b is None

    def reset(self) -> None:
        """Delete every record, version, key and idempotency entry."""
        with self.tx():
            for table in ("records", "versions", "api_keys", "idempotency"):
                self._conn.execute(f"DELETE FROM {table}")
            self._conn.execute("DELETE FROM sqlite_sequence")

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run the enclosed statements in one transaction (nestable)."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    # -- records ---------------------------------------------------------------------------

    def insert(
        self,
        kind: str,
        data: Mapping[str, Any],
        *,
        id: int | None = None,
        org_id: int | None = None,
        parent_id: int | None = None,
        parent_kind: str | None = None,
    ) -> dict[str, Any]:
        """Store a new record of ``kind`` and return it with its ``id`` and timestamps.

        :param parent_kind: the kind of the owner ``parent_id`` names; when given, the insert
            is refused with :class:`OwnerGone` unless that owner exists, checked in the same
            transaction as the insert (default None: no check, for seeds whose parent may come
            later).
        """
        now = utcnow()
        body = {k: v for k, v in data.items() if k not in ("id", "updated_at")}
        body.setdefault("created_at", now)
        if org_id is None and isinstance(body.get("org_id"), int):
            org_id = body["org_id"]
        with self.tx() as conn:
            if parent_kind is not None and (
                parent_id is None
                or conn.execute(
                    "SELECT 1 FROM records WHERE id = ? AND kind = ?", (parent_id, parent_kind)
                ).fetchone()
                is None
            ):
                raise OwnerGone(OWNER_GONE.format(owner=parent_kind, id=parent_id, kind=kind))
            cur = conn.execute(
                "INSERT INTO records(id, kind, org_id, parent_id, data, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (id, kind, org_id, parent_id, dumps(body, kind), body["created_at"], now),
            )
            new_id = cur.lastrowid
        assert new_id is not None
        return {**body, "id": new_id, "updated_at": now}

    def get(self, kind: str, id: int) -> dict[str, Any] | None:
        """The record of ``kind`` with ``id``, or None."""
        if not _storable([id]):
            return None
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM records WHERE id = ? AND kind = ?", (id, kind)
            ).fetchone()
        return _row(row) if row else None

    def replace(self, kind: str, id: int, data: Mapping[str, Any]) -> dict[str, Any]:
        """Overwrite the data of a record (its id and created_at stay)."""
        now = utcnow()
        body = {k: v for k, v in data.items() if k not in ("id", "updated_at")}
        with self.tx() as conn:
            row = conn.execute(
                "SELECT created_at FROM records WHERE id = ? AND kind = ?", (id, kind)
            ).fetchone()
            if row is None:
                raise KeyError(f"no {kind} with id {id}")
            body.setdefault("created_at", row["created_at"])
            org_id = body.get("org_id") if isinstance(body.get("org_id"), int) else None
            conn.execute(
                "UPDATE records SET data = ?, updated_at = ?, org_id = COALESCE(?, org_id)"
                " WHERE id = ?",
                (dumps(body, kind), now, org_id, id),
            )
        return {**body, "id": id, "updated_at": now}

    def patch(self, kind: str, id: int, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``changes`` into a record's data, atomically."""
        with self.tx():
            current = self.get(kind, id)
            if current is None:
                raise KeyError(f"no {kind} with id {id}")
            current.update(changes)
            return self.replace(kind, id, current)

    def delete(self, kind: str, id: int) -> bool:
        """Delete a record and its versions; True when it existed."""
        if not _storable([id]):
            return False
        with self.tx() as conn:
            cur = conn.execute("DELETE FROM records WHERE id = ? AND kind = ?", (id, kind))
            conn.execute("DELETE FROM versions WHERE record_id = ?", (id,))
        return cur.rowcount > 0

    def delete_tree(
        self, kind: str, id: int, children: Mapping[str, Sequence[str]]
    ) -> dict[str, int]:
        """Delete a record, the records it owns and their versions; how many of each kind.

        :param children: for a kind, the kinds of records whose ``parent_id`` is such a record
            (``{"workflow": ("task",), "task": ("node",)}``); ownership follows it downwards.
        """
        if not _storable([id]):
            return {}
        deleted: dict[str, int] = {}
        with self.tx() as conn:
            level = [
                (int(r["id"]), str(r["kind"]))
                for r in conn.execute(
                    "SELECT id, kind FROM records WHERE id = ? AND kind = ?", (id, kind)
                )
            ]
            while level:
                ids = [record_id for record_id, _ in level]
                for _, record_kind in level:
                    deleted[record_kind] = deleted.get(record_kind, 0) + 1
                next_level: list[tuple[int, str]] = []
                # One level at a time, a bounded number of ids per statement (SQLite's limit
                # on host parameters is 32766 at least; 500 is far below it).
                for start in range(0, len(level), 500):
                    chunk = level[start : start + 500]
                    for parent_kind in {k for _, k in chunk}:
                        owned = tuple(children.get(parent_kind, ()))
                        parents = [i for i, k in chunk if k == parent_kind]
                        if not owned or not parents:
                            continue
                        rows = conn.execute(
                            f"SELECT id, kind FROM records WHERE parent_id IN "
                            f"({', '.join('?' for _ in parents)}) AND kind IN "
                            f"({', '.join('?' for _ in owned)})",
                            [*parents, *owned],
                        ).fetchall()
                        next_level += [(int(r["id"]), str(r["kind"])) for r in rows]
                for start in range(0, len(ids), 500):
                    chunk_ids = ids[start : start + 500]
                    marks = ", ".join("?" for _ in chunk_ids)
                    conn.execute(f"DELETE FROM records WHERE id IN ({marks})", chunk_ids)
                    conn.execute(f"DELETE FROM versions WHERE record_id IN ({marks})", chunk_ids)
                level = next_level
        return deleted

    def delete_children(self, kind: str, parent_id: int) -> int:
        """Delete every record of ``kind`` under ``parent_id`` (and their versions); how many."""
        with self.tx() as conn:
            cur = conn.execute(
                "DELETE FROM records WHERE kind = ? AND parent_id = ?", (kind, parent_id)
            )
        return cur.rowcount

    def _where(
        self,
        kind: str,
        org_id: int | None,
        parent_id: int | None,
        where: Mapping[str, Any] | None,
        org_or_global: bool,
    ) -> tuple[str, list[Any]]:
        clauses = ["kind = ?"]
        params: list[Any] = [kind]
        if org_id is not None:
            if org_or_global:
                clauses.append("(org_id = ? OR json_extract(data, '$.scope_type') = 'global')")
            else:
                clauses.append("org_id = ?")
            params.append(org_id)
        if parent_id is not None:
            clauses.append("parent_id = ?")
            params.append(parent_id)
        for key, value in (where or {}).items():
            if not key.replace("_", "").isalnum():
                raise ValueError(f"invalid filter key {key!r}")
            expr = f"json_extract(data, '$.{key}')"
            if value is None:
                clauses.append(f"{expr} IS NULL")
            elif isinstance(value, (list, tuple)):
                clauses.append(f"{expr} IN ({', '.join('?' for _ in value)})")
                params.extend(value)
            else:
                clauses.append(f"{expr} = ?")
                params.append(value)
        return " AND ".join(clauses), params

    def query(
        self,
        kind: str,
        *,
        org_id: int | None = None,
        parent_id: int | None = None,
        where: Mapping[str, Any] | None = None,
        org_or_global: bool = False,
        limit: int | None = None,
        offset: int = 0,
        descending: bool = False,
    ) -> list[dict[str, Any]]:
        """Records of ``kind`` matching the filters, ordered by id.

        :param where: equality filters on top-level JSON keys (a list value means IN).
        :param org_or_global: with ``org_id``, also match records whose ``scope_type`` is global.
        """
        sql, params = self._where(kind, org_id, parent_id, where, org_or_global)
        if not _storable(params):
            return []
        order = "DESC" if descending else "ASC"
        tail = f" ORDER BY id {order}"
        if limit is not None:
            tail += " LIMIT ? OFFSET ?"
            params += [min(limit, _INT64_MAX), min(offset, _INT64_MAX)]
        with self._lock:
            rows = self._conn.execute(f"SELECT * FROM records WHERE {sql}{tail}", params).fetchall()
        return [_row(r) for r in rows]

    def children(self, kind: str, parent_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """Records of ``kind`` under each of ``parent_ids`` (parent id -> records ordered by id),
        in a few queries rather than one per parent."""
        return {
            parent: [_row(r) for r in rows]
            for parent, rows in self.child_rows(kind, parent_ids).items()
        }

    def child_rows(self, kind: str, parent_ids: Sequence[int]) -> dict[int, list[sqlite3.Row]]:
        """Like :meth:`children`, the stored rows undecoded (``id``, ``parent_id``, ``data`` as
        JSON text, ``created_at``, ``updated_at``; :func:`record` decodes one)."""
        out: dict[int, list[sqlite3.Row]] = {int(p): [] for p in parent_ids}
        ids = [p for p in out if _storable([p])]
        for start in range(0, len(ids), 500):  # below SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            with self._lock:
                rows = self._conn.execute(
                    f"SELECT * FROM records WHERE kind = ? AND parent_id IN ({marks}) ORDER BY id",
                    [kind, *chunk],
                ).fetchall()
            for row in rows:
                out[int(row["parent_id"])].append(row)
        return out

    def rows(
        self,
        kind: str,
        *,
        org_id: int | None = None,
        parent_id: int | None = None,
        where: Mapping[str, Any] | None = None,
        ids: Sequence[int] | None = None,
    ) -> list[sqlite3.Row]:
        """Like :meth:`query`, the stored rows undecoded (see :meth:`child_rows`), ordered by id.

        :param ids: only these record ids (default None: any id).
        """
        sql, params = self._where(kind, org_id, parent_id, where, False)
        if not _storable(params):
            return []
        if ids is None:
            with self._lock:
                return self._conn.execute(
                    f"SELECT * FROM records WHERE {sql} ORDER BY id", params
                ).fetchall()
        wanted = sorted({i for i in ids if _storable([i])})
        out: list[sqlite3.Row] = []
        for start in range(0, len(wanted), 500):  # below SQLite's bound-parameter limit
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            with self._lock:
                out += self._conn.execute(
                    f"SELECT * FROM records WHERE {sql} AND id IN ({marks}) ORDER BY id",
                    [*params, *chunk],
                ).fetchall()
        return out

    def count(
        self,
        kind: str,
        *,
        org_id: int | None = None,
        parent_id: int | None = None,
        where: Mapping[str, Any] | None = None,
        org_or_global: bool = False,
    ) -> int:
        """How many records :meth:`query` would return without a limit."""
        sql, params = self._where(kind, org_id, parent_id, where, org_or_global)
        if not _storable(params):
            return 0
        with self._lock:
            row = self._conn.execute(
                f"SELECT COUNT(*) AS n FROM records WHERE {sql}", params
            ).fetchone()
        return int(row["n"])

    # -- versions --------------------------------------------------------------------------

    def add_version(self, record_id: int, data: Mapping[str, Any]) -> int:
        """Store a snapshot of a record as its next version; return the version number."""
        with self.tx() as conn:
            row = conn.execute(
                "SELECT COALESCE(MAX(version), 0) AS v FROM versions WHERE record_id = ?",
                (record_id,),
            ).fetchone()
            version = int(row["v"]) + 1
            conn.execute(
                "INSERT INTO versions(record_id, version, data, created_at) VALUES (?, ?, ?, ?)",
                (record_id, version, dumps(dict(data), "version"), utcnow()),
            )
        return version

    def get_version(self, record_id: int, version: int) -> dict[str, Any] | None:
        """A stored snapshot, or None."""
        if not _storable([record_id, version]):
            return None
        with self._lock:
            row = self._conn.execute(
                "SELECT data FROM versions WHERE record_id = ? AND version = ?",
                (record_id, version),
            ).fetchone()
        return json.loads(row["data"]) if row else None

    def list_versions(self, record_id: int) -> list[dict[str, Any]]:
        """Every snapshot of a record, oldest first, each with ``version`` and ``created_at``."""
        if not _storable([record_id]):
            return []
        with self._lock:
            rows = self._conn.execute(
                "SELECT version, data, created_at FROM versions WHERE record_id = ? ORDER BY version",
                (record_id,),
            ).fetchall()
        out = []
        for r in rows:
            snap = json.loads(r["data"])
            snap["version"] = r["version"]
            snap["version_created_at"] = r["created_at"]
            out.append(snap)
        return out

    # -- API keys --------------------------------------------------------------------------

    def put_key(
        self, key: str, *, name: str, org_id: int, user_id: int | None, scopes: Sequence[str]
    ) -> None:
        """Create or replace an API key."""
        with self.tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO api_keys(key, name, org_id, user_id, scopes)"
                " VALUES (?, ?, ?, ?, ?)",
                (key, name, org_id, user_id, dumps(list(scopes), "API key's scopes")),
            )

    def get_key(self, key: str) -> dict[str, Any] | None:
        """The key's name, org_id, user_id and scopes, or None."""
        with self._lock:
            row = self._conn.execute("SELECT * FROM api_keys WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return {
            "name": row["name"],
            "org_id": row["org_id"],
            "user_id": row["user_id"],
            "scopes": json.loads(row["scopes"]),
        }

    # -- idempotency -----------------------------------------------------------------------

    def get_idempotent(self, scope: str, key: str) -> tuple[str, Any] | None:
        """The stored (payload hash, response) for a key, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT payload_hash, response FROM idempotency WHERE scope = ? AND key = ?",
                (scope, key),
            ).fetchone()
        return (row["payload_hash"], json.loads(row["response"])) if row else None

    def put_idempotent(self, scope: str, key: str, payload_hash: str, response: Any) -> None:
        """Remember the first response given for a key."""
        with self.tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO idempotency(scope, key, payload_hash, response)"
                " VALUES (?, ?, ?, ?)",
                (scope, key, payload_hash, dumps(response, "idempotent response")),
            )
