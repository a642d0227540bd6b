"""A misspelled ``pipelines_*`` marker is a collection error with a did-you-mean.

Without the error such a mark is only a PytestUnknownMarkWarning and the test passes with no
gate, no swap: a silent pass is the worst outcome of a typo in an eval suite.
"""

from __future__ import annotations

import pytest

from pytest_pipelines._hooks import DID_YOU_MEAN, unknown_marker
from pytest_pipelines._markers import MARKER_DOCS

TYPO = """
import pytest

@pytest.mark.pipelines_gates("Has Day Number", min_pass_rate=1.0)
def test_typo():
    pass

def test_other():
    pass
"""


@pytest.mark.parametrize("strict", [False, True])
def test_a_misspelled_marker_is_a_collection_error(pytester: pytest.Pytester, strict: bool) -> None:
    pytester.makepyfile(test_typo=TYPO)
    args = ["-p", "no:cacheprovider", "-W", "ignore::pytest.PytestUnknownMarkWarning"]
    result = pytester.runpytest(*args, *(["--strict-markers"] if strict else []))
    result.assert_outcomes(errors=1)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    out = result.stdout.str()
    assert "@pytest.mark.pipelines_gates is not a pytest-pipelines marker" in out
    assert DID_YOU_MEAN.format(name="pipelines_gate") in out
    assert "passed" not in out


def test_a_class_level_typo_is_caught(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflw(22, 10)
        class TestSuite:
            def test_a(self):
                pass
        """
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestUnknownMarkWarning"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*pipelines_workflw is not a pytest-pipelines marker*(did you mean @pytest.mark.pipelines_workflow?)*"
        ]
    )


def test_other_plugins_marks_are_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.slow
        @pytest.mark.pipelinesque
        def test_a():
            pass
        """
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestUnknownMarkWarning"
    )
    result.assert_outcomes(passed=1)


def test_message_lists_the_known_markers_and_omits_a_far_guess() -> None:
    message = unknown_marker("t.py::test_x", "pipelines_zzzzzz", MARKER_DOCS)
    assert "did you mean" not in message
    for name in MARKER_DOCS:
        assert name in message
    assert message.startswith("t.py::test_x: @pytest.mark.pipelines_zzzzzz is not")
