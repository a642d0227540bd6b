"""Local mode: the embedded backend starts once per session on the controller, loads demo data,
models and seeds from ini/CLI, is shared with xdist workers, and stops at the end."""

from __future__ import annotations

import json

import pytest

from pytest_pipelines._session import BAD_MODEL_SPEC

LOCAL_INI = "[pytest]\npipelines_env = local\npipelines_demo = true\n"

SUITE = """
import pytest

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=1)

@pytest.mark.pipelines_variants(a={}, b={}, c={}, d={})
@pytest.mark.pipelines_gate("Has Day Number", min_pass_rate=1.0)
def test_v(pipelines_run, pipelines_settings):
    assert pipelines_settings.mode == "local"
"""


def test_local_mode_runs_and_exposes_the_backend(pytester: pytest.Pytester) -> None:
    pytester.makeini(LOCAL_INI)
    pytester.makepyfile(
        """
        import pytest

        URLS = []

        def test_handle(pipelines_local, pipelines_client):
            URLS.append(pipelines_local.base_url)
            assert pipelines_local.base_url.startswith("http://127.0.0.1:")
            assert pipelines_client.whoami()["org_id"] == 2

        @pytest.mark.pipelines_workflow(22, 10, count=2)
        @pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=1.0)
        def test_eval(pipelines_run, pipelines_local):
            assert pipelines_local.base_url == URLS[0]  # one backend for the session
            assert len(pipelines_run.tasks) == 2
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["pipelines: mode=local env=local *"])


def test_local_backend_stops_at_the_end(pytester: pytest.Pytester) -> None:
    pytester.makeini(LOCAL_INI)
    pytester.makeconftest(
        """
        import json

        def pytest_sessionfinish(session):
            from pytest_pipelines._session import STATE_KEY
            state = session.config.stash[STATE_KEY]
            session.config._local_seen = state.local

        def pytest_unconfigure(config):
            local = getattr(config, "_local_seen", None)
            with open("state.json", "w") as f:
                json.dump({"started": local is not None, "stopped": local is not None and local.state is None}, f)
        """
    )
    pytester.makepyfile(
        "def test_c(pipelines_client):\n    assert pipelines_client.health()['status'] == 'ok'\n"
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert json.loads((pytester.path / "state.json").read_text()) == {
        "started": True,
        "stopped": True,
    }


def test_local_mode_does_not_start_without_eval_tests(pytester: pytest.Pytester) -> None:
    pytester.makeini(LOCAL_INI)
    pytester.makepyfile(
        """
        import sys

        def test_plain():
            assert "pytest_pipelines.local._server" not in sys.modules
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_local_mode_with_xdist_shares_one_backend(pytester: pytest.Pytester) -> None:
    pytester.makeini(LOCAL_INI)
    pytester.makepyfile(test_eval=SUITE)
    pytester.makepyfile(
        test_worker="""
        def test_worker_gets_the_url(pipelines_client, request):
            from pytest_pipelines._session import STATE_KEY
            state = request.config.stash[STATE_KEY]
            assert state.is_worker and state.base_url.startswith("http://127.0.0.1:")
            assert pipelines_client.whoami()["org_id"] == 2

        def test_local_handle_on_worker_errors(pipelines_local):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=5, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*pipelines_local is the embedded backend's handle, which lives in the xdist controller process; this test runs on worker gw*"
        ]
    )
    result.stdout.fnmatch_lines(["test_eval.py::test_v * d * (test) * 1 tasks * - * PASS"])


def test_models_and_seeds_from_ini(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        mymodels="""
        def shout(request):
            return "DAY 1: COLOSSEUM " + request.prompt.upper()
        """
    )
    (pytester.path / "seed.json").write_text(
        json.dumps({"projects": [{"name": "Seeded by ini", "org_id": 2}]})
    )
    pytester.syspathinsert()
    pytester.makeini(LOCAL_INI + "pipelines_models = mymodels:shout\npipelines_seeds = seed.json\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflow(22, 10, count=1)
        @pytest.mark.pipelines_model_swap("plan", "shout")
        def test_model(pipelines_run, pipelines_client):
            assert pipelines_run.tasks[0].output("plan", "itinerary").startswith("DAY 1: COLOSSEUM PLAN A")
            assert "Seeded by ini" in [p["name"] for p in pipelines_client.iter_projects()]
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("how", "source"),
    [
        (("--pipelines-model=nowhere:nothing",), "--pipelines-model"),
        (("-o", "pipelines_models=nowhere:nothing"), "ini key pipelines_models"),
    ],
)
def test_bad_model_spec_is_one_usage_error_at_startup(
    pytester: pytest.Pytester, how: tuple[str, ...], source: str
) -> None:
    pytester.makepyfile("\n".join(f"def test_{n}(pipelines_client):\n    pass\n" for n in range(5)))
    result = pytester.runpytest("-p", "no:cacheprovider", "--pipelines-env=local", *how)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert BAD_MODEL_SPEC.split("{error}")[0].format(source=source) in err
    assert err.count("cannot load models from 'nowhere:nothing'") == 1
    assert "During handling of the above exception" not in err
    out = result.stdout.str()
    assert "test_0" not in out  # nothing was collected, let alone run
    assert "passed" not in out


def test_a_model_module_that_raises_is_one_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(broken="raise RuntimeError('model module blew up on import')\n")
    pytester.syspathinsert()
    pytester.makepyfile("def test_c(pipelines_client):\n    pass\n")
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--pipelines-env=local", "--pipelines-model=broken:model"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*loading 'broken:model' raised RuntimeError: model module blew up on import*"]
    )


def test_model_specs_load_once_per_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        counted="""
        import os

        def register(registry):
            with open(os.environ["COUNT_FILE"], "a") as fh:
                fh.write("x")
            registry.register("counted", lambda request: "DAY 1: counted")
        """
    )
    pytester.syspathinsert()
    count = pytester.path / "count.txt"
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflow(22, 10, count=1)
        @pytest.mark.pipelines_model_swap("plan", "counted")
        def test_model(pipelines_run):
            assert pipelines_run.tasks[0].output("plan", "itinerary") == "DAY 1: counted"
        """
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COUNT_FILE", str(count))
        result = pytester.runpytest(
            "-p",
            "no:cacheprovider",
            "--pipelines-env=local",
            "--pipelines-demo",
            "--pipelines-model=counted:register",
            "-o",
            "pipelines_default_gate=none",
        )
    result.assert_outcomes(passed=1)
    assert count.read_text() == "x"


def test_local_without_demo_has_no_workflow(pytester: pytest.Pytester) -> None:
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
    result.stdout.fnmatch_lines(["*pipelines API error while creating tasks on workflow 10: 404*"])
