"""The ledger of what a session creates, and the sweep that deletes only what it left.

Each process (the controller, each xdist worker) appends JSON lines to its own file in a session
directory the controller makes and shares through ``workerinput``: an ``intent`` line before a
create is sent (so a crash between the request and its answer is still found by name), a
``created`` line with the new id, a ``deleted`` line when teardown removed it. Lines are flushed
as they are written, so the controller reads them after a worker died. At the end the controller
deletes what has no ``deleted`` line: by id where the id is known, else by one listing of that
kind. A session whose objects were all deleted at teardown makes no sweep request at all.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


class Ledger:
    """One process's ledger file in the session's ledger directory.

    :param directory: the session's ledger directory; default None: nothing is recorded.
    :param worker: this process's name (``main``, ``gw0``...), part of the file name.
    """

    def __init__(self, directory: str | None, worker: str) -> None:
        self.name = f"{worker}-{os.getpid()}"
        self.path = Path(directory) / f"{self.name}.jsonl" if directory else None
        self._lock = threading.Lock()
        self._n = 0

    def _write(self, line: dict[str, Any]) -> None:
        if self.path is None:
            return
        text = json.dumps(line, default=str) + "\n"
        with self._lock:
            try:
                f = self.path.open("a", encoding="utf-8")
            except FileNotFoundError:
                # the directory went meanwhile (a /tmp cleaner): the line is written before
                # the create is sent, so it must land somewhere the sweep will read
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                f = self.path.open("a", encoding="utf-8")
            with f:
                f.write(text)

    def intend(self, kind: str, **where: Any) -> str:
        """Record that an object of ``kind`` is about to be created; returns its ledger key.

        ``where`` says how to find it without an id (its name, workflow, slot...).
        """
        with self._lock:
            self._n += 1
            key = f"{self.name}-{self._n}"
        self._write({"key": key, "event": "intent", "kind": kind, **where})
        return key

    def created(self, key: str, ident: Any) -> None:
        """Record the id the create returned."""
        self._write({"key": key, "event": "created", "id": ident})

    def deleted(self, key: str) -> None:
        """Record that teardown deleted the object (the sweep leaves it alone)."""
        self._write({"key": key, "event": "deleted"})


def pending(directory: str | None) -> list[dict[str, Any]]:
    """Every ledger entry of the session without a ``deleted`` line, in creation order per file.

    A line cut short by a crash is skipped.
    """
    if not directory or not Path(directory).is_dir():
        return []
    entries: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(directory).glob("*.jsonl")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            key, event = str(line.pop("key", "")), line.pop("event", None)
            if event == "intent":
                entries[key] = line
            elif event == "created" and key in entries:
                entries[key]["id"] = line.get("id")
            elif event == "deleted":
                entries.pop(key, None)
    return list(entries.values())


def sweep_ledger(
    client: Any, entries: list[dict[str, Any]], log: Callable[[str], None] | None = None
) -> list[str]:
    """Delete what ``entries`` (from :func:`pending`) describe, newest first; returns what was
    deleted. Not-found is success; a delete that still fails after retries is logged at the end
    and does not stop the others.
    """
    from pytest_pipelines._retry import delete
    from pytest_pipelines._session import SWEEP_LEFT
    from pytest_pipelines.client import ForbiddenError, NotFoundError, PipelinesError

    deleted: list[str] = []
    failed: list[str] = []
    listings: dict[tuple[Any, ...], list[dict[str, Any]]] = {}

    def listing(key: tuple[Any, ...], lister: Callable[[], Any]) -> list[dict[str, Any]]:
        # one listing per kind (and workflow/project) however many entries need it
        if key not in listings:
            try:
                listings[key] = [dict(x) for x in lister()]
            except (NotFoundError, ForbiddenError):
                listings[key] = []
            except PipelinesError as exc:
                failed.append(f"listing {key[0]}: {exc}")
                listings[key] = []
        return listings[key]

    def drop(what: str, fn: Callable[[], Any]) -> None:
        try:
            delete(client, fn)
        except NotFoundError:
            return
        except PipelinesError as exc:
            failed.append(f"{what}: {exc}")
            return
        deleted.append(what)

    libraries = {
        "prompt": (client.iter_prompts, client.delete_prompt),
        "criterion": (client.iter_criteria, client.delete_criterion),
        "evaluation": (client.iter_evaluations, client.delete_evaluation),
    }
    for e in reversed(entries):
        kind, ident = e.get("kind"), e.get("id")
        if kind in libraries:
            lister, deleter = libraries[str(kind)]
            ids = (
                [ident]
                if ident is not None
                else [o["id"] for o in listing((kind,), lister) if o.get("name") == e.get("name")]
            )
            for i in ids:
                drop(f"{kind} {i} {e.get('name')!r}", functools.partial(deleter, i))
        elif kind == "tool_endpoint":
            org = e.get("org")
            ids = (
                [ident]
                if ident is not None
                else [
                    o["id"]
                    for o in listing(
                        (kind, org), functools.partial(client.iter_tool_endpoints, org)
                    )
                    if o.get("name") == e.get("name")
                ]
            )
            for i in ids:
                drop(f"tool endpoint {i}", functools.partial(client.delete_tool_endpoint, org, i))
        elif kind in ("tool_binding", "tool_ground_truth"):
            wf = e.get("workflow_id")
            match = e.get("match") or {}
            if kind == "tool_binding":
                lister, deleter, what = (
                    client.iter_tool_bindings,
                    client.delete_tool_binding,
                    "tool binding",
                )
            else:
                lister, deleter, what = (
                    client.iter_tool_ground_truths,
                    client.delete_tool_ground_truth,
                    "tool ground truth",
                )
            ids = (
                [ident]
                if ident is not None
                else [
                    o["id"]
                    for o in listing((kind, wf), functools.partial(lister, wf))
                    if all(o.get(k) == v for k, v in match.items())
                ]
            )
            for i in ids:
                drop(f"{what} {i}", functools.partial(deleter, wf, i))
        elif kind == "run" and ident is not None:
            # a run launched ahead whose test never used it (its worker crashed): cancel it
            drop(
                f"run {ident}",
                functools.partial(
                    client.cancel_create_tasks, e.get("project"), e.get("workflow"), ident
                ),
            )
        elif kind == "experiment":
            # its copies are named after its variant name (the session prefix, the test, the
            # execution: PipelinesState.experiment_name); another worker may have deleted them
            project = e.get("project")
            for wf in listing(
                ("workflow", project), functools.partial(client.iter_project_workflows, project)
            ):
                name = str(wf.get("name", ""))
                if str(e.get("name")) in name:
                    drop(
                        f"workflow {wf['id']} {name!r}",
                        functools.partial(client.delete_workflow, project, wf["id"]),
                    )
    if log is not None and deleted:
        log(f"pipelines: swept {len(deleted)} object(s) left by this run: {', '.join(deleted)}")
    if log is not None and failed:
        log(SWEEP_LEFT.format(n=len(failed), errors="; ".join(failed)))
    return deleted
