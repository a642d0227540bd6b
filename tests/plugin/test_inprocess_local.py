"""Local mode in several in-process pytester sessions of one interpreter.

pytester's in-process runs drop the modules each run imported. The packages' lazy attributes
(``pytest_pipelines.local.LocalPipelines``) used to be cached in the package, which outlives
the run: the next run then built its app from the dropped run's FastAPI while its routers came
from a fresh import, the app recognised none of their routes, and every request was a 307.
"""

from __future__ import annotations

import logging
import sys

import pytest

import pytest_pipelines
import pytest_pipelines.local

LOCAL_DEMO_INI = "[pytest]\npipelines_env = local\npipelines_demo = true\n"


def _drop(monkeypatch: pytest.MonkeyPatch, *prefixes: str) -> None:
    """Drop the modules named by ``prefixes`` (``"a.b"``: it and its submodules; ``"a."``: the
    submodules only) until the test ends, parents' attributes included (an import rebinds them)."""
    dropped = [
        name
        for name in sys.modules
        if any(
            name.startswith(p) if p.endswith(".") else name == p or name.startswith(p + ".")
            for p in prefixes
        )
    ]
    for name in dropped:
        parent, _, child = name.rpartition(".")
        if parent in sys.modules and parent not in dropped and hasattr(sys.modules[parent], child):
            monkeypatch.setattr(sys.modules[parent], child, getattr(sys.modules[parent], child))
        monkeypatch.delitem(sys.modules, name)


def _as_before_any_local_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The outer interpreter as a suite leaves it when earlier tests imported the package only."""
    _drop(monkeypatch, "pytest_pipelines.local.", "fastapi", "starlette")
    for name in pytest_pipelines.local.__all__:
        monkeypatch.delitem(vars(pytest_pipelines.local), name, raising=False)


def test_two_in_process_local_sessions_in_a_row(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _as_before_any_local_run(monkeypatch)
    pytester.makeini(LOCAL_DEMO_INI)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflow(22, 10, count=1)
        def test_run(pipelines_run):
            assert [t.status for t in pipelines_run.tasks] == ["completed"]
        """
    )
    for session in (1, 2):
        result = pytester.runpytest("-p", "no:cacheprovider")
        assert "307" not in result.stdout.str(), session
        result.assert_outcomes(passed=1)


def test_lazy_attributes_follow_the_modules_loaded_now(monkeypatch: pytest.MonkeyPatch) -> None:
    for package, name, module in (
        (pytest_pipelines.local, "LocalPipelines", "pytest_pipelines.local._server"),
        (pytest_pipelines, "Gates", "pytest_pipelines._gates"),
    ):
        before = getattr(package, name)
        # dropped and imported again, as after an in-process pytester run that imported it first
        _drop(monkeypatch, module)
        after = getattr(package, name)
        assert after is getattr(sys.modules[module], name), name
        assert after is not before, name


def test_pipelines_debug_leaves_no_handler_after_an_in_process_session(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, remote_args: list[str]
) -> None:
    # PIPELINES_DEBUG's handler belongs to the session's client, which the session closes: the
    # outer interpreter's logger is as it was, and a second session adds one handler, not two.
    monkeypatch.setenv("PIPELINES_DEBUG", "1")
    logger = logging.getLogger("pytest_pipelines")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    pytester.makepyfile(
        """
        import logging

        def test_prompt(pipelines_prompt):
            pipelines_prompt("Plan a day in Rome.")
            logger = logging.getLogger("pytest_pipelines")
            assert len([h for h in logger.handlers if getattr(h, "_pipelines_debug", 0)]) == 1
            assert logger.level == logging.DEBUG
        """
    )
    for session in (1, 2):
        result = pytester.runpytest(*remote_args, "-s")
        result.assert_outcomes(passed=1)
        assert "DELETE /api/prompts/" in result.stderr.str(), session  # it did log at DEBUG
        assert logger.handlers == [], session
        assert logger.level == logging.NOTSET, session
