"""Report options, the controller's bookkeeping of each record, and writing every report file."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_pipelines._record import ItemRecord
from pytest_pipelines._settings import whole_number

BAD_TABLE_WIDTH = (
    "pytest-pipelines: {source} is {value!r}; give the number of columns the results table "
    "may use (a whole number, at least 40), e.g. --pipelines-table-width=160."
)
WRITE_FAILED = "pipelines: could not write the {what} to {path}: {error}"
#: GitHub Actions sets it to a file whose Markdown becomes the job's summary page
GITHUB_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
MIN_TABLE_WIDTH = 40


@dataclass(frozen=True)
class ReportOptions:
    """Where the reports go and how wide the terminal table is.

    :param summary_md: path of the Markdown summary, or None.
    :param html: path of the HTML report, or None.
    :param table_width: columns of the terminal table; None: the terminal's width.
    """

    summary_md: str | None
    html: str | None
    table_width: int | None


def _pick(config: pytest.Config, name: str) -> tuple[Any, str]:
    value = config.getoption(name, None)
    if value is not None:
        return value, f"--{name.replace('_', '-')}"
    try:
        ini = config.getini(name)
    except ValueError:
        ini = None
    return (ini or None), f"ini key {name}"


def resolve_report_options(config: pytest.Config) -> ReportOptions:
    """The report options: command line > ini > default.

    :raises pytest.UsageError: when the table width is not a whole number >= 40.
    """
    md, _ = _pick(config, "pipelines_summary_md")
    html, _ = _pick(config, "pipelines_html")
    raw_width, source = _pick(config, "pipelines_table_width")
    width: int | None = None
    if raw_width is not None:
        width = whole_number(raw_width)
        if width is None or width < MIN_TABLE_WIDTH:
            raise pytest.UsageError(BAD_TABLE_WIDTH.format(source=source, value=raw_width))
    return ReportOptions(
        summary_md=str(md) if md else None, html=str(html) if html else None, table_width=width
    )


def apply_report(rec: ItemRecord, report: pytest.TestReport) -> None:
    """Fold one phase's report into the record: outcome, time, and a non-gate failure."""
    rec.duration += float(report.duration or 0.0)
    when = report.when
    xfail = hasattr(report, "wasxfail")
    if report.failed:
        body_failed = when == "call" and rec.body == "failed"
        if rec.problem is None and (body_failed or when == "teardown"):
            crash = getattr(getattr(report.longrepr, "reprcrash", None), "message", None)
            lines = str(crash or report.longreprtext).strip().splitlines()
            rec.problem = (str(when), lines[0].strip()[:300] if lines else report.outcome)
        rec.outcome = "failed" if when == "call" and rec.outcome != "error" else "error"
    elif report.skipped and when in ("setup", "call"):
        # pytest reports an expected failure as skipped with ``wasxfail``
        rec.outcome = "xfailed" if xfail else "skipped"
        if not rec.skip_reason:
            reason = getattr(report, "wasxfail", "") or _skip_reason(report)
            rec.skip_reason = str(reason)
    elif when == "call" and rec.outcome not in ("error", "failed"):
        rec.outcome = "xpassed" if xfail else "passed"


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return ""


def _target(path: str, root: Path) -> Path:
    target = Path(path)
    if not target.is_absolute():
        target = root / target
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def write_reports(
    config: pytest.Config, state: Any, exitstatus: int, log: Callable[[str], None]
) -> None:
    """Write every report the options ask for; a report that fails is logged, not raised, so
    the others and the sweep still happen."""
    from pytest_pipelines._hooks import REPORT_OPTIONS_KEY, _root
    from pytest_pipelines._summary import ordered

    records = ordered(state.records.values())
    options: ReportOptions = config.stash[REPORT_OPTIONS_KEY]
    invocation = config.invocation_params.dir
    status = int(exitstatus)
    jobs: list[tuple[str, Path, Callable[[Path], object], str]] = []
    if state.settings.junitxml:
        from pytest_pipelines._junit import write_junit

        family = str(config.getini("junit_family") or "xunit2")
        jobs.append(
            (
                "detailed JUnit report",
                _target(state.settings.junitxml, invocation),
                lambda p: write_junit(p, records, status, family=family),
                "written to",
            )
        )
    if options.summary_md or (records and os.environ.get(GITHUB_SUMMARY_ENV)):
        from pytest_pipelines._markdown import render_markdown

        text = render_markdown(records, status)
        if options.summary_md:
            jobs.append(
                (
                    "Markdown summary",
                    _target(options.summary_md, invocation),
                    lambda p: p.write_text(text, encoding="utf-8"),
                    "written to",
                )
            )
        env_path = os.environ.get(GITHUB_SUMMARY_ENV)
        if env_path and records:

            def append(p: Path) -> None:
                # GitHub collects what every step appends; overwriting would drop theirs
                with p.open("a", encoding="utf-8") as fh:
                    fh.write(text)

            jobs.append(("Markdown summary", Path(env_path), append, "appended to"))
    if options.html:
        from pytest_pipelines._html import render_html

        page = render_html(records, status, root=str(_root(config)))
        jobs.append(
            (
                "HTML report",
                _target(options.html, invocation),
                lambda p: p.write_text(page, encoding="utf-8"),
                "written to",
            )
        )
    for what, path, write, verb in jobs:
        try:
            write(path)
        except Exception as exc:  # one broken report must not cost the others or the sweep
            log(WRITE_FAILED.format(what=what, path=path, error=f"{type(exc).__name__}: {exc}"))
        else:
            log(f"pipelines: {what} {verb} {path}")
