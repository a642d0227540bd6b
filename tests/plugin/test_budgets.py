"""pipelines_budget per test or module, and the session budget pipelines_max_session_cost.

The demo models are priced through pipelines_prices, so their (estimated) tokens have a cost.
"""

from __future__ import annotations

import pytest

from pytest_pipelines._usage import Usage, budget_problems, over_budget, p95

pytest_plugins = ["pytester"]

INI = (
    "[pytest]\npipelines_env = local\npipelines_demo = true\npipelines_default_gate = none\n"
    "pipelines_prices =\n    demo-planner 1000 1000\n"
)


def test_budget_pass_and_fail_with_where_the_money_went(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import pytest

        pytestmark = [
            pytest.mark.pipelines_workflow(22, 10, count=2),
            pytest.mark.pipelines_budget(max_cost=10, max_tokens=1_000_000, max_latency_p95=60),
        ]


        def test_within(pipelines_run):
            assert pipelines_run.usage.cost_usd > 0


        @pytest.mark.pipelines_budget(max_cost=0.000001)
        def test_too_expensive(pipelines_run):
            pass


        @pytest.mark.pipelines_budget(max_tokens=10)
        def test_too_many_tokens(pipelines_run):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*pipelines_budget exceeded: cost $0.* > max_cost $1e-06",
            "*model * calls * tokens in * tokens out * cost * model time",
            "*demo-judge * 2 * ~* unknown *",
            "*demo-planner * 2 * ~* $0.*",
            "*total * $0.* + * unpriced call(s)*",
            "*task * $0.*",
        ]
    )
    result.stdout.fnmatch_lines(["*pipelines_budget exceeded: tokens * > max_tokens 10*"])


def test_a_cost_limit_without_prices_cannot_pass_silently(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.replace("demo-planner 1000 1000", ""))
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflow(22, 10, count=1)
        @pytest.mark.pipelines_budget(max_cost=5)
        def test_unpriced(pipelines_run):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*max_cost=5 cannot be checked: no model call had a price*"])


@pytest.mark.parametrize(
    ("marker", "problem"),
    [
        ("pipelines_budget()", "give at least one limit: max_cost, max_tokens, max_latency_p95"),
        ("pipelines_budget(max_cost=-1)", "argument 'max_cost' must be a number > 0, got -1"),
        ("pipelines_budget(max_tokens=1.5)", "argument 'max_tokens' must be a whole number"),
        ("pipelines_budget(5)", "pipelines_budget() takes 0 positional arguments but 1 was given"),
    ],
)
def test_bad_budget_markers(pytester: pytest.Pytester, marker: str, problem: str) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.pipelines_workflow(22, 10)
        @pytest.mark.{marker}
        def test_x(pipelines_run):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret != 0
    assert problem in result.stdout.str()


def test_a_spent_session_budget_launches_no_new_run(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI + "pipelines_max_session_cost = 0.000001\n")
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.pipelines_workflow(22, 10, count=1)

        def test_first(pipelines_run):
            pass

        def test_second(pipelines_run):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_second*",
            "*pipelines_max_session_cost is spent: the session's model calls cost $0.* of $1e-06*",
        ]
    )


def test_p95_and_problems_are_exact() -> None:
    assert p95([]) is None
    assert p95([5.0]) == 5.0
    assert p95([float(v) for v in range(1, 21)]) == 19.0
    assert p95([float(v) for v in range(1, 101)]) == 95.0

    class Limits:
        max_cost = 1.0
        max_tokens = 100
        max_latency_p95 = 0.5

    run = Usage(calls=3, input_tokens=80, output_tokens=30, cost_usd=1.5, latency_ms=900.0)
    assert budget_problems(Limits(), run, [100.0, 200.0, 600.0]) == [
        "cost $1.5000 > max_cost $1",
        "tokens 110 > max_tokens 100",
        "model time p95 0.600 s > max_latency_p95 0.5 s",
    ]
    within = Usage(calls=1, input_tokens=10, output_tokens=10, cost_usd=1.0, latency_ms=100.0)
    assert over_budget(Limits(), [(1, within)]) is None
