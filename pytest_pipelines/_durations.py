"""Run durations kept across sessions in pytest's cache: the first wait of a session has a prior.

A wait on a deployment that does not hold polls (the hosted API) times its polls to the window
in which earlier runs ended (:mod:`pytest_pipelines.client._polls`). Within a session the client
remembers those windows; this module keeps them from one session to the next, in pytest's cache
(``.pytest_cache``, key ``pipelines/run-durations``), per eval test and deployment:
``"<node id> | <deployment> | <kind> x<tasks>"``, the last 5 runs each, the last 1000 keys.

Each run is kept under a second key too, that of the *same work*:
``"* | <deployment> | <kind> <project>/<workflow> | <digest>"``, the digest of the launch payload
(count, inputs, expected outputs, config overrides; an experiment's run-unique variant names
left out). A test with no runs of its own (a new test, or the cache cleared for it) is timed by
the window of runs that did the same work, in this session or an earlier one: another test
launching the same payload, or this test under another node id. Runs of the same workflow and
size with other inputs or other overrides (a swapped model) are not taken: nothing says they
take the same time. A wrong window stays bounded all the same (client/_polls.py).

- Read once, at the first eval run of the process; the file is untrusted input (anything
  malformed is dropped). ``--cache-clear`` empties it first; ``-p no:cacheprovider`` turns the
  keeping off (the in-session memory still works).
- Written once, at the end of the session, by the controller: xdist workers send the runs they
  saw through ``workeroutput``. The controller re-reads the file before writing and merges, so a
  session that ran meanwhile on the same root directory loses nothing but the oldest intervals.

This module imports nothing heavy: the client's code is loaded only once an eval run happened.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from pytest_pipelines.client import RunDurations

Interval = tuple[float, float]

CACHE_KEY = "pipelines/run-durations"
WORKEROUTPUT_KEY = "pipelines_run_durations"
DURATIONS_KEY = pytest.StashKey["SessionDurations"]()


def deployment(mode: str, base_url: str | None) -> str:
    """What the durations of a run depend on besides the test: ``local`` or the API's address.

    The local backend's port changes every session, so local mode is one deployment. A URL
    keeps its scheme, host, port and path only (never credentials, query or fragment).
    """
    if mode == "local" or not base_url:
        return "local"
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path.rstrip('/')}"


class SessionDurations:
    """The run durations of this process: the cache's, then this session's (``config.stash``).

    :param config: the pytest config (its ``cache``, when the cache provider is on).
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.is_worker = hasattr(config, "workerinput")
        #: intervals seen in this session (the controller also gets the workers'), to be saved
        self.new: dict[str, list[Interval]] = {}
        self._store: RunDurations | None = None
        self._lock = threading.Lock()

    @property
    def cache(self) -> Any:
        """pytest's cache, or None with ``-p no:cacheprovider``."""
        return getattr(self.config, "cache", None)

    def store(self) -> RunDurations:
        """The durations known to this process, loaded from the cache at the first call."""
        with self._lock:
            if self._store is None:
                from pytest_pipelines.client import RunDurations

                store = RunDurations()
                cache = self.cache
                if cache is not None:
                    store.load(cache.get(CACHE_KEY, {}))
                self._store = store
            return self._store

    def for_test(self, nodeid: str, where: str) -> TestDurations:
        """The durations of one eval test's runs on deployment ``where``."""
        return TestDurations(self, f"{nodeid} | {where}", where)

    def record(self, key: str, lo: float, hi: float) -> None:
        """Remember (and save at the end of the session) that a run of ``key`` ended in (lo, hi]."""
        self.store().record(key, lo, hi)
        with self._lock:
            self.new.setdefault(key, []).append((lo, hi))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist controller: take the intervals a finished worker saw."""
        data = getattr(node, "workeroutput", {}).get(WORKEROUTPUT_KEY)
        if not data:
            return
        from pytest_pipelines.client import RunDurations

        sent = RunDurations()
        sent.load(data)  # validated as any saved history
        with self._lock:
            for key, intervals in sent.to_json().items():
                self.new.setdefault(key, []).extend((lo, hi) for lo, hi in intervals)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Worker: send this session's intervals. Controller: merge them into the cache, once."""
        if not self.new:
            return
        from pytest_pipelines.client import RunDurations

        if self.is_worker:
            workeroutput = getattr(self.config, "workeroutput", None)
            if workeroutput is not None:
                # builtin types only: execnet carries nothing else
                workeroutput[WORKEROUTPUT_KEY] = {
                    k: [list(i) for i in v] for k, v in self.new.items()
                }
            return
        cache = self.cache
        if cache is None:
            return
        merged = RunDurations()
        merged.load(cache.get(CACHE_KEY, {}))  # what is there now: another session may have run
        for key, intervals in self.new.items():
            for lo, hi in intervals:
                merged.record(key, lo, hi)
        cache.set(CACHE_KEY, merged.to_json())


def work_digest(payload: Mapping[str, Any]) -> str:
    """A digest of the work a launch payload asks for: run-unique names left out.

    An experiment's variants carry names unique to the run (its copies are swept by them);
    everything else (count, inputs, expected outputs, overrides) says what runs.
    """
    body = dict(payload)
    variants = body.get("variants")
    if isinstance(variants, list):
        body["variants"] = [
            {k: v for k, v in variant.items() if k != "name"}
            if isinstance(variant, Mapping)
            else variant
            for variant in variants
        ]
    text = json.dumps(body, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class TestDurations:
    """One eval test's run durations, as the run waiter reads and records them.

    :param owner: the session's durations.
    :param test: ``"<node id> | <deployment>"``.
    :param where: the deployment (:func:`deployment`); default None: no same-work keys.
    """

    __test__ = False  # not a test class, whatever pytest collects

    def __init__(self, owner: SessionDurations, test: str, where: str | None = None) -> None:
        self.owner = owner
        self.test = test
        self.where = where

    def key(self, kind: str, size: int | None) -> str:
        """The cache key of this test's runs of ``kind`` with ``size`` tasks."""
        return f"{self.test} | {kind} x{'?' if size is None else size}"

    def same_work(self, kind: str, project: Any, workflow: Any, payload: Any) -> str | None:
        """The key shared by every run of this work on this deployment (any test), or None."""
        if self.where is None or not isinstance(payload, Mapping):
            return None
        return f"* | {self.where} | {kind} {project}/{workflow} | {work_digest(payload)}"

    def window(self, kind: str, size: int | None, same: str | None = None) -> Interval | None:
        """Where this test's next run should end (seconds after its launch), or None.

        :param same: the run's :meth:`same_work` key, whose window is taken when this test has
            none of its own; default None.
        """
        store = self.owner.store()
        own = store.window(self.key(kind, size))
        return store.window(same) if own is None and same is not None else own

    def record(
        self, kind: str, size: int | None, lo: float, hi: float, same: str | None = None
    ) -> None:
        """Remember that this test's run ended after ``lo`` and by ``hi`` seconds.

        :param same: the run's :meth:`same_work` key, which learns it too; default None.
        """
        self.owner.record(self.key(kind, size), lo, hi)
        if same is not None:
            self.owner.record(same, lo, hi)
