"""The committed baseline file: schema, load and validate, merge and prune, deterministic write.

Pure I/O and schema, no pytest: the plugin's hooks (``_baseline_hooks``) decide when to read and
write. The file is JSON written for people reading a pull request: sorted keys, two-space
indentation, one line per input, a stable number format and a trailing newline, so an update
shows as a small, readable diff. It is replaced atomically (a temporary file in the same
directory, then :func:`os.replace`), so an interrupted write never leaves half a file.

Layout (format version 1)::

    {
      "entries": {
        "<node id, variant included>": {
          "criteria": {
            "<criterion>": {
              "inputs": {"<input key>": {"passed": [1, 0], "values": [4, 2]}},
              "mean": 3.0, "n": 2, "pass_rate": 0.5, "type": "rating"
            }
          },
          "mode": "tasks", "project": 22, "tasks": 2, "updated": "2026-12-02T05:00:00Z",
          "variant": null, "versions": {"plan.itinerary": {"model": "demo-planner", ...}},
          "workflow": 10
        }
      },
      "format": "pytest-pipelines-baseline",
      "version": 1
    }
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "pytest-pipelines-baseline"
VERSION = 1
DEFAULT_FILE = "pipelines-baseline.json"
#: per input key, one number per task (a repeat): pass/fail as 0/1, or the criterion's value
Series = Mapping[str, Sequence[float]]

REGENERATE = "regenerate it with `pytest --pipelines-baseline-update`"
BASELINE_UNREADABLE = "pytest-pipelines: cannot read the baseline file {path}: {error}."
BASELINE_CONFLICT = (
    "pytest-pipelines: the baseline file {path} contains merge conflict markers (line {line}). "
    "Fix: resolve the conflict by keeping one side of each entry, or {regenerate}."
)
BASELINE_NOT_JSON = (
    "pytest-pipelines: the baseline file {path} is not valid JSON ({error} at line {line}, "
    "column {column}). Fix: restore it from version control (e.g. `git checkout -- {name}`) "
    "or {regenerate}."
)
BASELINE_NOT_BASELINE = (
    "pytest-pipelines: {path} is not a pytest-pipelines baseline file (expected a JSON object "
    'with "format": "{format}"). Fix: point the ini key pipelines_baseline at the baseline '
    "file, or {regenerate}."
)
BASELINE_VERSION = (
    "pytest-pipelines: the baseline file {path} has format version {found!r}; this version of "
    "pytest-pipelines reads version {version}. Fix: {regenerate} (or upgrade pytest-pipelines "
    "if the file was written by a newer one)."
)
BASELINE_BAD_ENTRY = (
    "pytest-pipelines: the baseline file {path}: entry {entry!r}: {problem}. Fix: correct or "
    "delete that entry (then re-create it with `pytest --pipelines-baseline-update`), or restore "
    "the file from version control."
)
BASELINE_BAD_TOP = (
    "pytest-pipelines: the baseline file {path}: {problem}. Fix: restore the file from version "
    "control, or {regenerate}."
)


class BaselineError(Exception):
    """The baseline file cannot be used; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class CriterionBaseline:
    """One criterion of one test item in the baseline: aggregates and per-input results.

    :param name: the criterion's name.
    :param output_type: ``boolean``, ``rating``, ``numeric`` (as the results report it).
    :param n: completed results.
    :param pass_rate: the share that passed, or ``None`` (no pass/fail values).
    :param mean: the mean value, or ``None`` (no numeric values).
    :param passed: per input key, 1/0 for each result with a pass/fail.
    :param values: per input key, the numeric value of each result (empty for boolean
        criteria, whose values are their pass/fail).
    """

    name: str
    output_type: str
    n: int
    pass_rate: float | None
    mean: float | None
    passed: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    values: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    def series(self, kind: str) -> dict[str, tuple[float, ...]]:
        """Per input key: pass/fail (``kind="boolean"``) or numeric values (``"numeric"``)."""
        if kind == "boolean":
            return dict(self.passed)
        return dict(self.values) if self.values else dict(self.passed)


@dataclass(frozen=True)
class Entry:
    """The baseline of one test item (variant included in its node id).

    :param nodeid: the test item's node id, e.g. ``test_x.py::test_a[control]``.
    :param criteria: criterion name -> :class:`CriterionBaseline`.
    :param variant: the variant of the item, or ``None``.
    :param project: the project id of the run.
    :param workflow: the workflow id of the run.
    :param mode: ``tasks`` or ``experiment``.
    :param tasks: how many tasks the run had.
    :param updated: when the entry was recorded (ISO 8601, UTC).
    :param versions: what the run used: per LLM field its model and prompt version, per
        evaluation field its evaluation version (``node.field`` -> facts).
    """

    nodeid: str
    criteria: Mapping[str, CriterionBaseline]
    variant: str | None = None
    project: int | None = None
    workflow: int | None = None
    mode: str = "tasks"
    tasks: int = 0
    updated: str = ""
    versions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def file(self) -> str:
        """The test file part of the node id."""
        return test_file(self.nodeid)


#: an item that runs several variants in one experiment has one entry per variant, keyed
#: ``<node id>@<variant>``
VARIANT_SEP = "@"


def entry_key(nodeid: str, variant: str | None = None) -> str:
    """The key of an entry: the node id, plus ``@variant`` for a variant of a multi-variant item."""
    return f"{nodeid}{VARIANT_SEP}{variant}" if variant is not None else nodeid


def test_id(key: str, entry: Entry) -> str:
    """The node id of the test an entry belongs to (without a multi-variant item's ``@variant``)."""
    suffix = f"{VARIANT_SEP}{entry.variant}" if entry.variant is not None else None
    if suffix is not None and key.endswith(suffix) and "::" in key[: -len(suffix)]:
        return key[: -len(suffix)]
    return key


def test_file(nodeid: str) -> str:
    """The file part of a node id (``a/test_x.py::T::test_y[p]`` -> ``a/test_x.py``)."""
    return nodeid.split("::", 1)[0]


# helpers, not tests, for pytest's collection
test_file.__test__ = False  # type: ignore[attr-defined]
test_id.__test__ = False  # type: ignore[attr-defined]


# --- input keys -----------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """The canonical JSON of a value: sorted keys, no whitespace, non-JSON values as ``str``."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def derive_input_key(inputs: Mapping[str, Any], occurrence: int) -> str:
    """A stable key for one input: a digest of its canonical JSON and its occurrence number.

    The occurrence counts earlier tasks with the same inputs, so identical rows stay apart and a
    reordered dataset still pairs. Used when the task carries no ``input_key`` of its own.
    """
    digest = hashlib.sha256(canonical_json(dict(inputs)).encode()).hexdigest()[:16]
    return f"{digest}#{occurrence}"


def input_keys(tasks: Sequence[Any]) -> list[str]:
    """The input key of each task, in order (the task's own ``input_key`` when it has one)."""
    seen: dict[str, int] = {}
    keys: list[str] = []
    for task in tasks:
        own = getattr(task, "input_key", None)
        if own:
            keys.append(str(own))
            continue
        body = canonical_json(dict(task.inputs))
        n = seen.get(body, 0)
        seen[body] = n + 1
        keys.append(derive_input_key(task.inputs, n))
    return keys


# --- from a run -----------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)) and math.isfinite(float(value)):
        return float(value)
    return None


def criterion_series(
    result: Any, name: str
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per input key, the pass/fail (1/0) and numeric values of criterion ``name`` in a run.

    Only completed results count; a task without a completed result of the criterion has no
    entry. Repeats of an input (tasks with the same key) append to its lists.
    """
    passed: dict[str, list[float]] = {}
    values: dict[str, list[float]] = {}
    for key, task in zip(input_keys(result.tasks), result.tasks, strict=True):
        for r in task.criteria:
            if r.criterion != name or r.status != "completed":
                continue
            if r.passed is not None:
                passed.setdefault(key, []).append(1.0 if r.passed else 0.0)
            number = _number(r.value)
            if number is not None:
                values.setdefault(key, []).append(number)
    return passed, values


def _versions(result: Any) -> dict[str, dict[str, Any]]:
    """``node.field`` -> what the run used there, over every task (lists when tasks differ)."""
    seen: dict[str, dict[str, set[Any]]] = {}
    for task in result.tasks:
        for f in getattr(task, "llm_fields", ()):
            slot = seen.setdefault(f"{f.node_id}.{f.field_id}", {})
            for name in ("model", "prompt_id", "prompt_version"):
                value = getattr(f, name)
                if value is not None:
                    slot.setdefault(name, set()).add(value)
        for r in task.criteria:
            slot = seen.setdefault(f"{r.node_id}.{r.field_id}", {})
            for name in ("evaluation_id", "evaluation_version"):
                value = getattr(r, name, None)
                if value is not None:
                    slot.setdefault(name, set()).add(value)
    out: dict[str, dict[str, Any]] = {}
    for slot_name, facts in seen.items():
        if not facts:
            continue
        out[slot_name] = {
            k: (next(iter(v)) if len(v) == 1 else sorted(v, key=str)) for k, v in facts.items()
        }
    return out


def now_utc() -> str:
    """The current time, ISO 8601 in UTC to the second (``2026-12-02T05:00:00Z``)."""
    moment = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def entry_from_result(nodeid: str, result: Any, *, updated: str | None = None) -> Entry:
    """The baseline entry of one test item's :class:`~pytest_pipelines.RunResult`."""
    criteria: dict[str, CriterionBaseline] = {}
    for name, stats in result.criteria.items():
        passed, values = criterion_series(result, name)
        boolean = stats.output_type == "boolean"
        criteria[name] = CriterionBaseline(
            name=name,
            output_type=stats.output_type,
            n=stats.n,
            pass_rate=stats.pass_rate,
            mean=stats.mean,
            passed={k: tuple(v) for k, v in passed.items()},
            values={} if boolean else {k: tuple(v) for k, v in values.items()},
        )
    return Entry(
        nodeid=nodeid,
        criteria=criteria,
        variant=result.variant,
        project=result.project_id,
        workflow=result.workflow_id,
        mode=result.mode,
        tasks=len(result.tasks),
        updated=updated or now_utc(),
        versions=_versions(result),
    )


# --- to and from JSON -----------------------------------------------------------------------


def _num(value: float) -> int | float:
    """A stable rendering of a number: integral values as ints, others rounded to 1e-9."""
    x = float(value)
    if x.is_integer() and abs(x) < 2**53:
        return int(x)
    return round(x, 9)


def _opt(value: float | None) -> int | float | None:
    return None if value is None else _num(value)


def entry_to_json(entry: Entry) -> dict[str, Any]:
    """A JSON-ready dict of an entry (what the file holds, and what xdist workers send)."""
    criteria: dict[str, Any] = {}
    for name, c in entry.criteria.items():
        inputs: dict[str, dict[str, list[int | float]]] = {}
        for key in sorted(set(c.passed) | set(c.values)):
            item: dict[str, list[int | float]] = {}
            if c.passed.get(key):
                item["passed"] = [_num(v) for v in c.passed[key]]
            if c.values.get(key):
                item["values"] = [_num(v) for v in c.values[key]]
            inputs[key] = item
        criteria[name] = {
            "type": c.output_type,
            "n": c.n,
            "pass_rate": _opt(c.pass_rate),
            "mean": _opt(c.mean),
            "inputs": inputs,
        }
    return {
        "variant": entry.variant,
        "project": entry.project,
        "workflow": entry.workflow,
        "mode": entry.mode,
        "tasks": entry.tasks,
        "updated": entry.updated,
        "versions": {k: dict(v) for k, v in entry.versions.items()},
        "criteria": criteria,
    }


class _Problem(Exception):
    """A problem inside one entry (becomes a :class:`BaselineError` naming the entry)."""


def _need(cond: bool, problem: str) -> None:
    if not cond:
        raise _Problem(problem)


def _is_num(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _opt_num(raw: Mapping[str, Any], key: str, where: str) -> float | None:
    value = raw.get(key)
    _need(
        value is None or _is_num(value), f"{where}: {key!r} must be a number or null, got {value!r}"
    )
    return None if value is None else float(value)


def _series(raw: Any, where: str, *, zero_one: bool) -> tuple[float, ...]:
    _need(
        isinstance(raw, list) and all(_is_num(v) for v in raw),
        f"{where} must be a list of numbers, got {raw!r}",
    )
    if zero_one:
        _need(all(v in (0, 1) for v in raw), f"{where} must hold only 0 and 1, got {raw!r}")
    return tuple(float(v) for v in raw)


def _criterion_from_json(name: str, raw: Any) -> CriterionBaseline:
    where = f"criterion {name!r}"
    _need(isinstance(raw, dict), f"{where} must be an object, got {raw!r}")
    output_type = raw.get("type")
    _need(isinstance(output_type, str), f"{where}: 'type' must be a string, got {output_type!r}")
    n = raw.get("n")
    _need(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0,
        f"{where}: 'n' must be a count >= 0, got {n!r}",
    )
    inputs = raw.get("inputs")
    _need(isinstance(inputs, dict), f"{where}: 'inputs' must be an object, got {inputs!r}")
    passed: dict[str, tuple[float, ...]] = {}
    values: dict[str, tuple[float, ...]] = {}
    for key, item in inputs.items():
        at = f"{where}: input {key!r}"
        _need(isinstance(item, dict), f"{at} must be an object, got {item!r}")
        unknown = sorted(set(item) - {"passed", "values"})
        _need(not unknown, f"{at} has unknown key(s) {unknown}; valid keys: passed, values")
        if "passed" in item:
            passed[key] = _series(item["passed"], f"{at}: 'passed'", zero_one=True)
        if "values" in item:
            values[key] = _series(item["values"], f"{at}: 'values'", zero_one=False)
    return CriterionBaseline(
        name=name,
        output_type=output_type,
        n=n,
        pass_rate=_opt_num(raw, "pass_rate", where),
        mean=_opt_num(raw, "mean", where),
        passed=passed,
        values=values,
    )


def entry_from_json(nodeid: str, raw: Any) -> Entry:
    """Read one entry; :class:`_Problem` says what is wrong inside it."""
    _need(isinstance(raw, dict), f"must be an object, got {type(raw).__name__}")
    criteria = raw.get("criteria")
    _need(isinstance(criteria, dict), f"'criteria' must be an object, got {criteria!r}")
    variant = raw.get("variant")
    _need(variant is None or isinstance(variant, str), "'variant' must be a string or null")
    for key in ("project", "workflow"):
        value = raw.get(key)
        _need(
            value is None or (isinstance(value, int) and not isinstance(value, bool)),
            f"{key!r} must be an int id or null, got {value!r}",
        )
    tasks = raw.get("tasks", 0)
    _need(
        isinstance(tasks, int) and not isinstance(tasks, bool) and tasks >= 0,
        f"'tasks' must be a count >= 0, got {tasks!r}",
    )
    versions = raw.get("versions", {})
    _need(
        isinstance(versions, dict) and all(isinstance(v, dict) for v in versions.values()),
        f"'versions' must be an object of objects, got {versions!r}",
    )
    return Entry(
        nodeid=nodeid,
        criteria={str(k): _criterion_from_json(str(k), v) for k, v in criteria.items()},
        variant=variant,
        project=raw.get("project"),
        workflow=raw.get("workflow"),
        mode=str(raw.get("mode", "tasks")),
        tasks=tasks,
        updated=str(raw.get("updated", "")),
        versions=versions,
    )


def _leaf(value: Any) -> bool:
    """A value rendered on one line: a scalar, or a list/object of scalars and such lists."""
    if isinstance(value, list):
        return all(not isinstance(v, (list, dict)) for v in value)
    if isinstance(value, dict):
        return all(
            not isinstance(v, dict) and (not isinstance(v, list) or _leaf(v))
            for v in value.values()
        )
    return True


def _render(value: Any, indent: int) -> str:
    if isinstance(value, dict) and value and not (_leaf(value) and indent >= 4):
        pad = "  " * (indent + 1)
        body = ",\n".join(
            f"{pad}{json.dumps(k)}: {_render(value[k], indent + 1)}" for k in sorted(value)
        )
        return "{\n" + body + "\n" + "  " * indent + "}"
    # one line: lists of numbers, one input's results, a field's versions
    return json.dumps(value, sort_keys=True, separators=(", ", ": "), ensure_ascii=False)


def dumps(entries: Iterable[Entry]) -> str:
    """The file's text: deterministic for the same entries (sorted, stable numbers, newline)."""
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "entries": {e.nodeid: entry_to_json(e) for e in sorted(entries, key=lambda e: e.nodeid)},
    }
    return _render(doc, 0) + "\n"


def loads(text: str, path: Path | str) -> dict[str, Entry]:
    """Parse and validate a baseline file's text.

    :raises BaselineError: naming the file, the entry and the fix.
    """
    name = Path(path).name
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(("<<<<<<<", ">>>>>>>")):
            raise BaselineError(
                BASELINE_CONFLICT.format(path=path, line=number, regenerate=REGENERATE)
            )
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(
            BASELINE_NOT_JSON.format(
                path=path,
                error=exc.msg,
                line=exc.lineno,
                column=exc.colno,
                name=name,
                regenerate=REGENERATE,
            )
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BaselineError(
            BASELINE_NOT_BASELINE.format(path=path, format=FORMAT, regenerate=REGENERATE)
        )
    if doc.get("version") != VERSION:
        raise BaselineError(
            BASELINE_VERSION.format(
                path=path, found=doc.get("version"), version=VERSION, regenerate=REGENERATE
            )
        )
    entries = doc.get("entries")
    if not isinstance(entries, dict):
        raise BaselineError(
            BASELINE_BAD_TOP.format(
                path=path,
                problem=f"'entries' must be an object keyed by test id, got {entries!r}",
                regenerate=REGENERATE,
            )
        )
    out: dict[str, Entry] = {}
    for nodeid, raw in entries.items():
        try:
            out[nodeid] = entry_from_json(nodeid, raw)
        except _Problem as exc:
            raise BaselineError(
                BASELINE_BAD_ENTRY.format(path=path, entry=nodeid, problem=exc)
            ) from None
    return out


def load(path: Path) -> dict[str, Entry] | None:
    """Read the baseline file at ``path``; ``None`` when it does not exist.

    :raises BaselineError: the file is unreadable, corrupt, of another version, or has an
        invalid entry.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(BASELINE_UNREADABLE.format(path=path, error=exc)) from None
    return loads(text, path)


def write(path: Path, entries: Iterable[Entry]) -> None:
    """Write the baseline file atomically: a temporary file beside it, then a rename.

    A crash or a full disk leaves the old file as it was (never half a file).
    """
    text = dumps(entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --- merge and prune ------------------------------------------------------------------------


def stale(old: Mapping[str, Entry], known: Iterable[str]) -> list[str]:
    """Entries whose test no longer exists: their file was collected, their node id was not.

    ``known`` are the node ids collected in this session (deselected ones included). An entry
    of a file this session did not collect (a partial run, ``pytest tests/a.py``) is kept:
    nothing says its test is gone.
    """
    known_ids = set(known)
    files = {test_file(n) for n in known_ids}
    return sorted(
        key
        for key, entry in old.items()
        if test_id(key, entry) not in known_ids and test_file(key) in files
    )


def merge(
    old: Mapping[str, Entry], new: Mapping[str, Entry], known: Iterable[str]
) -> tuple[dict[str, Entry], list[str]]:
    """The updated entries: ``new`` replace ``old``, stale entries are pruned.

    Items that did not produce a result this session (skipped, broken, deselected, not
    collected) keep their old entries.

    :returns: the merged entries and the node ids pruned.
    """
    pruned = [n for n in stale(old, known) if n not in new]
    merged = {n: e for n, e in old.items() if n not in pruned}
    merged.update(new)
    return merged, pruned
