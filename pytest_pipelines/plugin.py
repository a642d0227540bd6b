"""The pytest11 entry point of pytest-pipelines.

pytest imports this module in every run of every suite on the machine, eval or not, so it
imports nothing heavy: options, ini keys, marker registration and hook wiring live here, and
httpx, pydantic, FastAPI and junitparser are imported only inside hooks and fixtures.
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options and ini keys (the API key is never an ini key: secrets do not belong in files)."""
    group = parser.getgroup("pipelines", "pytest-pipelines: evaluation-as-tests")
    group.addoption(
        "--pipelines-env",
        dest="pipelines_env",
        default=None,
        metavar="ENV",
        help="Where eval tests run: 'local' (embedded backend), 'production' or a URL. "
        "Default: ini pipelines_env, else $PIPELINES_ENV, else production.",
    )
    group.addoption(
        "--pipelines-api-key",
        dest="pipelines_api_key",
        default=None,
        metavar="KEY",
        help="API key (default $PIPELINES_API_KEY). Not needed in local mode.",
    )
    group.addoption(
        "--pipelines-base-url",
        dest="pipelines_base_url",
        default=None,
        metavar="URL",
        help="API base URL; overrides the URL implied by --pipelines-env (default: ini "
        "pipelines_base_url, else $PIPELINES_BASE_URL).",
    )
    group.addoption(
        "--pipelines-timeout",
        dest="pipelines_timeout",
        default=None,
        metavar="SECONDS",
        help="Seconds a run may take before the test errors (default 300).",
    )
    group.addoption(
        "--pipelines-max-retries",
        dest="pipelines_max_retries",
        default=None,
        metavar="N",
        help="Retries of a request that failed transiently (429, 502-504, connection errors), "
        "waiting Retry-After or 1, 2, 4... s (default: ini pipelines_max_retries, else 5).",
    )
    group.addoption(
        "--pipelines-exit-codes",
        dest="pipelines_exit_codes",
        action="store_true",
        default=None,
        help="Exit with code 7 (not 1) when every failure is a broken run (platform errors, "
        "timeouts), so CI can retry those and block on quality failures (ini "
        "pipelines_exit_codes).",
    )
    group.addoption(
        "--pipelines-junitxml",
        dest="pipelines_junitxml",
        default=None,
        metavar="PATH",
        help="Write a detailed JUnit report: a testsuite per eval test, a testcase per criterion.",
    )
    group.addoption(
        "--pipelines-summary-md",
        dest="pipelines_summary_md",
        default=None,
        metavar="PATH",
        help="Write a Markdown summary of the eval tests (also appended to "
        "$GITHUB_STEP_SUMMARY when that is set). Default: ini pipelines_summary_md.",
    )
    group.addoption(
        "--pipelines-html",
        dest="pipelines_html",
        default=None,
        metavar="PATH",
        help="Write a self-contained HTML report of the eval tests. Default: ini pipelines_html.",
    )
    group.addoption(
        "--pipelines-table-width",
        dest="pipelines_table_width",
        default=None,
        metavar="COLUMNS",
        help="Columns the terminal results table is fitted into (default: ini "
        "pipelines_table_width, else the terminal's width).",
    )
    group.addoption(
        "--pipelines-model",
        dest="pipelines_models",
        action="append",
        default=None,
        metavar="MODULE:ATTR",
        help="Local mode: register models from MODULE:ATTR (repeatable; ini pipelines_models).",
    )
    group.addoption(
        "--pipelines-seed",
        dest="pipelines_seeds",
        action="append",
        default=None,
        metavar="SEED",
        help="Local mode: load seed data (repeatable; ini pipelines_seeds).",
    )
    group.addoption(
        "--pipelines-cache",
        dest="pipelines_cache",
        default=None,
        choices=("off", "use", "record", "replay"),
        help="Local mode: the model-call cache of provider models: off, use, record or replay "
        "(default: replay when the cache directory holds a recording, else off; "
        "ini pipelines_cache).",
    )
    group.addoption(
        "--pipelines-cache-dir",
        dest="pipelines_cache_dir",
        default=None,
        metavar="PATH",
        help="Local mode: the model-call cache directory (default <rootdir>/.pipelines-cache).",
    )
    group.addoption(
        "--pipelines-demo",
        dest="pipelines_demo",
        action="store_true",
        default=None,
        help="Local mode: load the demo data (project 22, workflow 10 'Italy').",
    )
    group.addoption(
        "--pipelines-confidence",
        dest="pipelines_confidence",
        default=None,
        metavar="LEVEL",
        help="Confidence level (0 < LEVEL < 1, e.g. 0.95) of gates that set none: they decide "
        "pass, fail or inconclusive by an interval. Default: ini pipelines_confidence, else the "
        "point rule.",
    )
    group.addoption(
        "--pipelines-baseline-update",
        dest="pipelines_baseline_update",
        action="store_true",
        default=False,
        help="Write the baseline file (ini pipelines_baseline) from this run's results; entries "
        "of tests that no longer exist are pruned.",
    )
    group.addoption(
        "--pipelines-baseline-strict",
        dest="pipelines_baseline_strict",
        action="store_true",
        default=False,
        help="Fail an eval test whose regression gate has no baseline entry (for CI).",
    )
    parser.addini("pipelines_env", "pytest-pipelines: local, production or a URL.", default=None)
    parser.addini("pipelines_base_url", "pytest-pipelines: API base URL.", default=None)
    parser.addini("pipelines_timeout", "pytest-pipelines: seconds a run may take.", default=None)
    parser.addini(
        "pipelines_junitxml", "pytest-pipelines: path of the detailed JUnit report.", default=None
    )
    parser.addini(
        "pipelines_exit_codes",
        "pytest-pipelines: exit 7 when every failure is a broken run (true/false).",
        default=None,
    )
    parser.addini(
        "pipelines_max_retries",
        "pytest-pipelines: retries of a transiently failed request (default 5).",
        default=None,
    )
    parser.addini(
        "pipelines_summary_md", "pytest-pipelines: path of the Markdown summary.", default=None
    )
    parser.addini("pipelines_html", "pytest-pipelines: path of the HTML report.", default=None)
    parser.addini(
        "pipelines_table_width",
        "pytest-pipelines: columns of the terminal results table.",
        default=None,
    )
    parser.addini(
        "pipelines_models",
        "pytest-pipelines: module:attr model registrations (local mode).",
        type="linelist",
    )
    parser.addini(
        "pipelines_seeds", "pytest-pipelines: seed data to load (local mode).", type="linelist"
    )
    parser.addini(
        "pipelines_cache",
        "pytest-pipelines: model-call cache mode: off, use, record or replay (local mode).",
        default=None,
    )
    parser.addini(
        "pipelines_cache_dir",
        "pytest-pipelines: model-call cache directory, relative to the ini file.",
        default=None,
    )
    parser.addini(
        "pipelines_prices",
        "pytest-pipelines: SLUG INPUT OUTPUT lines, USD per million tokens (local mode).",
        type="linelist",
    )
    parser.addini(
        "pipelines_max_session_cost",
        "pytest-pipelines: USD after which no new eval run is launched.",
        default=None,
    )
    parser.addini(
        "pipelines_max_concurrent_runs",
        "pytest-pipelines: runs launched ahead of their tests at most, per process "
        "(default: local mode, the local workers shared by the processes; else 8; "
        "1: each run starts at its test's setup).",
        default=None,
    )
    parser.addini(
        "pipelines_local_workers",
        "pytest-pipelines: tasks the embedded local backend runs at once (default 32).",
        default=None,
    )
    parser.addini(
        "pipelines_handle_sigterm",
        "pytest-pipelines: SIGTERM stops the session as Ctrl-C does, so fixtures are torn "
        "down and the run's objects swept (true/false, default true).",
        default=None,
    )
    parser.addini(
        "pipelines_freeze_at_exit",
        "pytest-pipelines: a process that used Pipelines skips the shutdown's garbage "
        "collections (true/false, default true).",
        default=None,
    )
    parser.addini(
        "pipelines_demo",
        "pytest-pipelines: load demo data in local mode (true/false).",
        default=None,
    )
    parser.addini(
        "pipelines_baseline",
        "pytest-pipelines: the baseline file, relative to the ini file "
        "(default pipelines-baseline.json).",
        default=None,
    )
    parser.addini(
        "pipelines_max_drop",
        "pytest-pipelines: largest tolerated drop from the baseline, for every gate (0 to 1).",
        default=None,
    )
    parser.addini(
        "pipelines_confidence",
        "pytest-pipelines: confidence level of gates that set none (e.g. 0.95).",
        default=None,
    )
    parser.addini(
        "pipelines_inconclusive",
        "pytest-pipelines: an inconclusive gate warns (default), fails or passes.",
        default=None,
    )
    parser.addini(
        "pipelines_default_gate",
        "pytest-pipelines: verdict without gates: all-boolean-pass (default) or none.",
        default=None,
    )


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register the ``pytest_pipelines_*`` hook specifications."""
    from pytest_pipelines import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_configure(config: pytest.Config) -> None:
    """Resolve settings, register markers, and wire the fixtures and hooks."""
    from pytest_pipelines import _baseline_hooks, _durations, _fixtures, _hooks, _overlap
    from pytest_pipelines._markers import MARKER_DOCS
    from pytest_pipelines._session import STATE_KEY, make_state
    from pytest_pipelines._settings import local_only_ignored, resolve_settings

    for doc in MARKER_DOCS.values():
        config.addinivalue_line("markers", doc)
    settings = resolve_settings(config)
    ignored = local_only_ignored(settings)
    if ignored is not None and not hasattr(config, "workerinput"):  # once, on the controller
        from pytest_pipelines._gates import PipelinesConfigWarning

        try:
            config.issue_config_time_warning(PipelinesConfigWarning(ignored), stacklevel=2)
        except PipelinesConfigWarning as exc:  # a filter made it an error: exit 4, no traceback
            raise pytest.UsageError(str(exc)) from None
    # what may still be a usage error comes before the state: the state makes the session's
    # ledger directory, which only the hooks registered below remove
    limit = _overlap.parse_max_concurrent_runs(
        config.getini("pipelines_max_concurrent_runs"), _overlap.default_limit(config, settings)
    )
    config.stash[_baseline_hooks.BASELINE_STATE_KEY] = _baseline_hooks.make_state(config)
    config.stash[STATE_KEY] = make_state(config, settings)
    config.stash[_overlap.OVERLAP_KEY] = _overlap.Overlap(config.stash[STATE_KEY], limit)
    durations = config.stash[_durations.DURATIONS_KEY] = _durations.SessionDurations(config)
    pm = config.pluginmanager
    if not pm.has_plugin("pipelines-fixtures"):
        pm.register(_fixtures, "pipelines-fixtures")
    if not pm.has_plugin("pipelines-hooks"):
        pm.register(_hooks, "pipelines-hooks")
    if not pm.has_plugin("pipelines-baseline-hooks"):
        pm.register(_baseline_hooks, "pipelines-baseline-hooks")
    pm.register(_hooks.SessionHooks(config), f"pipelines-session-{id(config)}")
    pm.register(_baseline_hooks.BaselineHooks(config), f"pipelines-baseline-{id(config)}")
    pm.register(durations, f"pipelines-durations-{id(config)}")
    if settings.handle_sigterm:
        from pytest_pipelines._sigterm import install

        restore = install()
        if restore is not None:
            config.add_cleanup(restore)


def pytest_unconfigure(config: pytest.Config) -> Any:
    """Unregister the per-session hooks."""
    pm = config.pluginmanager
    for name in (
        f"pipelines-session-{id(config)}",
        f"pipelines-baseline-{id(config)}",
        f"pipelines-durations-{id(config)}",
    ):
        plugin = pm.get_plugin(name)
        if plugin is not None:
            pm.unregister(plugin)
