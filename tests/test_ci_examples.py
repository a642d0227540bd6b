"""The CI snippets (examples/ci/github-actions.yml, docs/how-to/ci-gating.md) use only options
the plugin has, publish the files their command writes, and give each check its own title."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "examples" / "ci" / "github-actions.yml"
HOWTO = ROOT / "docs" / "how-to" / "ci-gating.md"


class _Recorder:
    """Stands in for pytest's parser and option group: records the option names."""

    def __init__(self) -> None:
        self.options: set[str] = set()

    def getgroup(self, *args: Any, **kwargs: Any) -> _Recorder:
        return self

    def addoption(self, *names: str, **kwargs: Any) -> None:
        self.options.update(names)

    def addini(self, *args: Any, **kwargs: Any) -> None:
        pass


def _options() -> set[str]:
    from pytest_pipelines import plugin

    recorder = _Recorder()
    plugin.pytest_addoption(recorder)  # type: ignore[arg-type]
    return recorder.options


def test_ci_snippets_use_only_real_options() -> None:
    known = _options()
    for page in (WORKFLOW, HOWTO):
        used = set(re.findall(r"--pipelines-[a-z-]+", page.read_text(encoding="utf-8")))
        assert used, page
        assert used <= known, (page.name, sorted(used - known))


def test_github_workflow_publishes_what_its_command_writes() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    written = set(re.findall(r"--(?:pipelines-junitxml|junitxml|pipelines-html)=(\S+)", text))
    assert "reports/evals.html" in written
    published = re.findall(r"report_paths: (\S+)", text)
    assert published
    assert set(published) <= written
    assert re.search(r"path: reports/\n", text)  # the artifact holds every report, HTML too
    titles = re.findall(r"check_name: (.+)", text)
    assert len(titles) == len(published) == len(set(titles))  # one distinct title per check
