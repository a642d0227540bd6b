"""The baseline in a pytest session: --pipelines-baseline-update writes the file once (also
under xdist), stale entries are listed and pruned, a broken file is one usage error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_pipelines import _baseline as bl

SUITE = """
import pytest

pytestmark = pytest.mark.pipelines_workflow(
    22, 10, inputs=[{"city": "Rome", "days": 2}, {"city": "Rome", "days": 3}], count=2
)

@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=1.0)
def test_plain(pipelines_run):
    pass

@pytest.mark.pipelines_variants(control={}, other={})
def test_variants(pipelines_run):
    pass

def test_not_an_eval():
    pass
"""


def _file(pytester: pytest.Pytester) -> Path:
    return pytester.path / bl.DEFAULT_FILE


def test_update_writes_one_entry_per_eval_item(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest(*remote_args, "--pipelines-baseline-update")
    result.assert_outcomes(passed=4)
    path = _file(pytester)
    result.stdout.fnmatch_lines([f"pipelines: baseline written to {path} (3 entries updated)"])
    entries = bl.load(path)
    assert entries is not None
    assert sorted(entries) == [
        "test_suite.py::test_plain",
        "test_suite.py::test_variants[control]",
        "test_suite.py::test_variants[other]",
    ]
    plain = entries["test_suite.py::test_plain"]
    assert plain.variant is None
    assert entries["test_suite.py::test_variants[other]"].variant == "other"
    day = plain.criteria["Has Day Number"]
    assert day.n == 2
    assert day.pass_rate == 1.0
    assert len(day.passed) == 2
    assert plain.versions["plan.itinerary"]["model"] == "demo-planner"
    assert plain.updated.endswith("Z")


def test_without_update_nothing_is_written(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_suite=SUITE)
    pytester.runpytest(*remote_args).assert_outcomes(passed=4)
    assert not _file(pytester).exists()


def test_update_without_eval_tests_writes_no_file(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest(*remote_args, "--pipelines-baseline-update", "-k", "not_an_eval")
    result.assert_outcomes(passed=1, deselected=3)
    result.stdout.fnmatch_lines(["pipelines: no eval test ran, so the baseline * was not written"])
    assert not _file(pytester).exists()


def test_ini_key_names_the_file_relative_to_the_ini_file(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makeini("[pytest]\npipelines_baseline = evals/base.json\n")
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest(*remote_args, "--pipelines-baseline-update", "-k", "plain")
    result.assert_outcomes(passed=1, deselected=3)
    assert bl.load(pytester.path / "evals" / "base.json") is not None


def test_xdist_writes_once_on_the_controller_and_the_same_file(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_suite=SUITE)
    path = _file(pytester)
    pytester.runpytest(*remote_args, "--pipelines-baseline-update", "-n", "0").assert_outcomes(
        passed=4
    )
    serial = bl.load(path)
    path.unlink()
    pytester.makeconftest(
        """
        import pytest_pipelines._baseline as bl

        real = bl.write
        def counted(path, entries):
            with open(str(path) + ".writes", "a") as fh:
                fh.write("w\\n")
            return real(path, entries)

        def pytest_configure(config):
            bl.write = counted
        """
    )
    # a subprocess: the patched write must not outlive this run in the test process (an
    # in-process run left it in place for later tests of the session)
    result = pytester.runpytest_subprocess(*remote_args, "--pipelines-baseline-update", "-n", "2")
    result.assert_outcomes(passed=4)
    distributed = bl.load(path)
    assert serial is not None
    assert distributed is not None
    assert Path(str(path) + ".writes").read_text() == "w\n"  # once, by the controller

    def same(entries: dict[str, bl.Entry]) -> str:
        # the timestamps differ between the two runs; everything else must not
        return bl.dumps(bl.Entry(**{**e.__dict__, "updated": "t"}) for e in entries.values())

    assert same(distributed) == same(serial)


def test_stale_entries_are_listed_then_pruned_by_the_next_update(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_suite=SUITE, test_other=SUITE)
    pytester.runpytest(*remote_args, "--pipelines-baseline-update").assert_outcomes(passed=8)
    # test_plain is renamed away in test_suite.py
    pytester.makepyfile(test_suite=SUITE.replace("def test_plain", "def test_renamed"))
    result = pytester.runpytest(*remote_args, "test_suite.py", "-k", "not variants")
    result.assert_outcomes(passed=2, deselected=2)
    result.stdout.fnmatch_lines(
        [
            "pipelines: 1 baseline entry in * belong to tests that no longer exist (the next "
            "--pipelines-baseline-update prunes them):",
            "  test_suite.py::test_plain",
        ]
    )
    # a partial run (only test_suite.py, only "renamed"): deselected variants and the
    # uncollected test_other.py keep their entries; only the gone test is pruned
    result = pytester.runpytest(
        *remote_args, "test_suite.py", "-k", "renamed", "--pipelines-baseline-update"
    )
    result.assert_outcomes(passed=1, deselected=3)
    result.stdout.fnmatch_lines(
        [
            "pipelines: baseline written to * (1 entry updated, 1 pruned)",
            "  pruned (the test no longer exists): test_suite.py::test_plain",
        ]
    )
    entries = bl.load(_file(pytester))
    assert entries is not None
    assert sorted(entries) == [
        "test_other.py::test_plain",
        "test_other.py::test_variants[control]",
        "test_other.py::test_variants[other]",
        "test_suite.py::test_renamed",
        "test_suite.py::test_variants[control]",
        "test_suite.py::test_variants[other]",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{broken", "*baseline file */pipelines-baseline.json is not valid JSON*Fix: restore it*"),
        (
            json.dumps({"format": bl.FORMAT, "version": 0, "entries": {}}),
            "*has format version 0; this version of pytest-pipelines reads version 1. Fix:*",
        ),
        (
            json.dumps(
                {"format": bl.FORMAT, "version": 1, "entries": {"t.py::test_x": {"criteria": 3}}}
            ),
            "*entry 't.py::test_x': 'criteria' must be an object, got 3. Fix: correct or delete*",
        ),
    ],
)
def test_a_broken_file_is_one_usage_error(
    pytester: pytest.Pytester, remote_args: list[str], content: str, expected: str
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_suite=SUITE)
    _file(pytester).write_text(content)
    result = pytester.runpytest(*remote_args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {expected}"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    # an update replaces the broken file
    pytester.runpytest(*remote_args, "--pipelines-baseline-update").assert_outcomes(passed=4)
    assert bl.load(_file(pytester)) is not None


def test_bad_max_drop_in_the_ini_file(pytester: pytest.Pytester, remote_args: list[str]) -> None:
    pytester.makeini("[pytest]\npipelines_max_drop = 1.5\n")
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest(*remote_args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: pytest-pipelines: ini key pipelines_max_drop is '1.5'*"])


def test_strict_without_a_file_is_a_usage_error(
    pytester: pytest.Pytester, remote_args: list[str]
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest(*remote_args, "--pipelines-baseline-strict")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--pipelines-baseline-strict needs the baseline file*"])
