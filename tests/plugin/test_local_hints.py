"""What a user of local mode sees when something is off: a model's traceback, the demo-data hint,
and models served by the local backend labelled as such (issue 9).

The inner runs are in-process (about half the time of subprocesses); the 307s several local
sessions in one interpreter used to get are covered by tests/plugin/test_inprocess_local.py.
"""

from __future__ import annotations

import itertools

import pytest

from pytest_pipelines._results import LlmField, ModelUse, TaskResult, models_of, parse_task

LOCAL_DEMO_INI = "[pytest]\npipelines_env = local\npipelines_demo = true\n"

BROKEN_MODELS = """
def _helper(prompt):
    raise RuntimeError("my model blew up on purpose")


def broken(request):
    return _helper(request.prompt)
"""


def test_a_raising_model_shows_its_traceback(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(mymodels=BROKEN_MODELS)
    pytester.syspathinsert()
    pytester.makeini(LOCAL_DEMO_INI + "pipelines_models = mymodels:broken\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflow(22, 10, count=1)
        @pytest.mark.pipelines_model_swap("plan", "broken")
        def test_model(pipelines_run):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*task * is failed: node 'plan' field 'itinerary': model 'broken' raised "
            "RuntimeError: my model blew up on purpose",
            "    Traceback (most recent call last):",
            '      File "*mymodels.py", line 6, in broken',
            "        return _helper(request.prompt)",
            '      File "*mymodels.py", line 2, in _helper',
            '        raise RuntimeError("my model blew up on purpose")',
            "    RuntimeError: my model blew up on purpose",
        ]
    )
    # only the model's frames: the backend's own are trimmed. The traceback is the indented
    # block under the task line; later sections (a captured DEBUG log of this interpreter's
    # pytest_pipelines logger, say) are not part of it.
    after = result.stdout.str().split("    Traceback (most recent call last):\n", 1)[1]
    block = list(itertools.takewhile(lambda line: line.startswith("    "), after.splitlines()))
    assert block[-1] == "    RuntimeError: my model blew up on purpose"
    assert not [line for line in block if "pytest_pipelines" in line]


def test_a_missing_project_in_local_mode_without_demo_says_how_to_fix_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflow(22, 10)
        def test_e(pipelines_run):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--pipelines-env=local")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*pipelines API error while creating tasks on workflow 10: 404*project 22 not found*"
            "no demo data loaded*--pipelines-demo or pipelines_demo = true*seed your own*"
        ]
    )


def test_with_demo_data_a_missing_workflow_has_no_demo_hint(pytester: pytest.Pytester) -> None:
    pytester.makeini(LOCAL_DEMO_INI)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflow(22, 999999)
        def test_e(pipelines_run):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*404*workflow 999999*"])
    assert "--pipelines-demo" not in result.stdout.str()


def test_a_run_names_the_stand_in_model_it_used(pytester: pytest.Pytester) -> None:
    pytester.makeini(LOCAL_DEMO_INI)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflow(22, 10, count=1)
        @pytest.mark.pipelines_model_swap("plan", "gemini-3.5-flash")
        def test_models(pipelines_run):
            labels = {m.model: m for m in pipelines_run.models}
            stand_in = labels["gemini-3.5-flash"]
            assert (stand_in.served_by, stand_in.stand_in_for) == ("local", "gemini-3.5-flash")
            assert stand_in.label == "gemini-3.5-flash (local stand-in)"
            researcher = labels["demo-researcher"]
            assert (researcher.served_by, researcher.stand_in_for) == ("local", None)
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_parse_task_reads_who_served_each_model() -> None:
    detail = {
        "id": 1,
        "status": "completed",
        "nodes": [
            {
                "id": 5,
                "node_id": "plan",
                "outputs": {"itinerary": "x"},
                "fields": [
                    {
                        "field_id": "itinerary",
                        "type": "llm",
                        "model": "gemini-3.5-flash",
                        "served_by": "local",
                        "stand_in_for": "gemini-3.5-flash",
                    },
                    {"field_id": "notes", "type": "llm", "model": "echo", "served_by": "local"},
                    {"field_id": "again", "type": "llm", "model": "echo", "served_by": "local"},
                ],
            }
        ],
    }
    task = parse_task(detail)
    assert task.models == (
        ModelUse("gemini-3.5-flash", "local", "gemini-3.5-flash"),
        ModelUse("echo", "local", None),
    )
    assert [m.label for m in task.models] == ["gemini-3.5-flash (local stand-in)", "echo (local)"]


def test_a_backend_that_does_not_say_who_served_leaves_the_model_unmarked() -> None:
    """The hosted API's task detail has no ``served_by``: its models are not marked local."""
    detail = {
        "id": 1,
        "status": "completed",
        "nodes": [
            {
                "node_id": "plan",
                "fields": [{"field_id": "f", "type": "llm", "model": "gemini-3.5-flash"}],
            }
        ],
    }
    (use,) = parse_task(detail).models
    assert (use.is_local, use.label) == (False, "gemini-3.5-flash")


def test_models_of_skips_fields_without_a_model() -> None:
    fields = [LlmField("n", "f", None, None, None), LlmField("n", "g", "echo", None, None)]
    assert models_of(fields) == (ModelUse("echo"),)
    task = TaskResult(1, "completed", {}, None, None, {}, (), (), {}, llm_fields=tuple(fields))
    assert task.models == (ModelUse("echo"),)


def test_parse_task_keeps_a_code_tools_traceback() -> None:
    detail = {
        "id": 1,
        "status": "completed",
        "nodes": [
            {
                "node_id": "a",
                "tool_calls": [
                    {
                        "field_id": "w",
                        "tool_name": "t",
                        "error": "boom",
                        "traceback": "Tb\nKeyError",
                    }
                ],
            }
        ],
    }
    (call,) = parse_task(detail).tool_calls
    assert (call.error, call.traceback) == ("boom", "Tb\nKeyError")


def test_every_report_marks_the_models_the_local_backend_served(pytester: pytest.Pytester) -> None:
    pytester.makeini(LOCAL_DEMO_INI)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflow(22, 10, count=1)
        @pytest.mark.pipelines_model_swap("plan", "gemini-3.5-flash")
        @pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=0)
        def test_models(pipelines_run):
            pass
        """
    )
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "--pipelines-junitxml=detail.xml",
        "--pipelines-summary-md=summary.md",
        "--pipelines-html=report.html",
    )
    result.assert_outcomes(passed=1)
    label = "gemini-3.5-flash (local stand-in)"
    result.stdout.fnmatch_lines(
        [f"models served by the local backend (not hosted models): *{label}*"]
    )
    assert label in (pytester.path / "summary.md").read_text()
    assert label in (pytester.path / "report.html").read_text()
    detail = (pytester.path / "detail.xml").read_text()
    assert 'name="models"' in detail
    assert label in detail
