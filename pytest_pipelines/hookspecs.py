"""Hook specifications of pytest-pipelines (registered through ``pytest_addhooks``).

Implement them in a ``conftest.py`` or a plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_pipelines._gates import Gates, Verdict
    from pytest_pipelines._results import RunResult


@pytest.hookspec(firstresult=True)
def pytest_pipelines_verdict(
    item: pytest.Item, result: RunResult, gates: Gates
) -> Verdict | bool | None:
    """Decide whether an eval test passes, after its body ran.

    Return a :class:`~pytest_pipelines.Verdict` (or ``True``/``False``) to decide, or ``None`` to
    leave the decision to the next implementation; the plugin's own implementation runs last and
    applies ``gates`` (the declared ``pipelines_gate``/``pipelines_tool_gate`` markers, or the
    default gate). Stops at the first non-``None`` result.

    Also called when the body failed or skipped: then the verdict only fills the reports (the
    body's outcome stands), and an implementation that raises falls back to the default gates.

    :param item: the test item.
    :param result: the :class:`~pytest_pipelines.RunResult` of the item's run.
    :param gates: the gates that apply; ``gates.effective(result)`` lists the criterion gates.
    """


def pytest_pipelines_run_finished(item: pytest.Item, result: RunResult) -> Any:
    """Called after an eval test's run completed and its results were gathered.

    Runs during the test's setup, before the test body; for logging or exporting results.

    :param item: the test item.
    :param result: the :class:`~pytest_pipelines.RunResult` of the run.
    """
