"""Markers: registration, validation at collection (every bad-argument path), variants, scope."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import pytest

from pytest_pipelines._markers import (
    MARKER_DOCS,
    MARKERS,
    EvaluationSwap,
    ModelSwap,
    PromptSwap,
    RunSpec,
    WorkflowTarget,
    arguments,
    build_spec,
    options,
    signature,
)
from pytest_pipelines._run import RunBroken, build_payload, idempotency_key

WF = "@pytest.mark.pipelines_workflow(22, 10)"

# (decorators, fragments the collection error must contain)
BAD = [
    (
        "@pytest.mark.pipelines_workflow(22)",
        ["pipelines_workflow", "missing 1 required positional argument: 'workflow'"],
    ),
    (
        "@pytest.mark.pipelines_workflow(22, 10, 5)",
        ["pipelines_workflow", "takes 2 positional arguments"],
    ),
    ("@pytest.mark.pipelines_workflow(22, 10, cout=2)", ["unexpected keyword argument 'cout'"]),
    (
        "@pytest.mark.pipelines_workflow('22', 10)",
        ["argument 'project' must be an int id >= 1, got '22'"],
    ),
    (
        "@pytest.mark.pipelines_workflow(22, 0)",
        ["argument 'workflow' must be an int id >= 1, got 0"],
    ),
    (
        "@pytest.mark.pipelines_workflow(22, 10, count=0)",
        ["argument 'count' must be None (1, or one task per dataset row) or an int >= 1, got 0"],
    ),
    (
        "@pytest.mark.pipelines_workflow(22, 10, mode='batch')",
        ["argument 'mode' is 'batch'; valid values: 'tasks', 'experiment'"],
    ),
    ("@pytest.mark.pipelines_workflow(22, 10, timeout=-1)", ["argument 'timeout' must be None"]),
    (
        "@pytest.mark.pipelines_workflow(22, 10, inputs=[1, 2])",
        ["argument 'inputs' must be a dict of inputs"],
    ),
    (
        "@pytest.mark.pipelines_workflow(22, 10, inputs='')",
        ["argument 'inputs' is an empty fixture name"],
    ),
    (
        "@pytest.mark.pipelines_workflow(22, 10, expected_outputs='x')",
        ["argument 'expected_outputs' must be a list"],
    ),
    (
        "@pytest.mark.pipelines_workflow(22, 10, inputs=[{'a': 1}], expected_outputs=['x', 'y'])",
        ["'expected_outputs' has 2 item(s) but 'inputs' has 1 row(s)"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_prompt_swap('plan', 'itinerary')",
        ["pipelines_prompt_swap", "missing 1 required positional argument: 'prompt'"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_prompt_swap('plan', '', 3)",
        ["argument 'field' must be a non-empty string"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_prompt_swap('plan', 'itinerary', 3.5)",
        [
            "argument 'prompt' must be a fixture name (str), an id (int) or an object/dict with an 'id'"
        ],
    ),
    (
        WF + "\n@pytest.mark.pipelines_prompt_swap('plan', 'itinerary', 3, version=0)",
        ["argument 'version' must be None (latest) or an int >= 1"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_model_swap('plan')",
        ["pipelines_model_swap", "missing 1 required positional argument: 'model'"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_model_swap('plan', 5)",
        ["argument 'model' must be a non-empty string"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_model_swap('plan', 'echo', field=3)",
        ["argument 'field' must be a non-empty string"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_evaluation_swap('review', 'quality')",
        ["missing 1 required positional argument: 'evaluation'"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_evaluation_swap('review', 'quality', {'name': 'x'})",
        ["argument 'evaluation' must be a fixture name"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_evaluation_swap('review', 'quality', 5, version='1')",
        ["argument 'version' must be None"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('X')",
        [
            "pipelines_gate",
            "give at least one threshold: min_pass_rate, min_mean, max_mean, min_value, max_value",
        ],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('X', 0.8)",
        ["takes 1 positional argument but 2 were given"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('X', min_pass=0.8)",
        ["unexpected keyword argument 'min_pass'"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('X', min_pass_rate=80)",
        ["argument 'min_pass_rate' must be between 0 and 1, got 80"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('X', min_mean='4')",
        ["argument 'min_mean' must be a number, got '4'"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('X', min_mean=4, max_mean=3)",
        ["argument 'min_mean' (4) is greater than 'max_mean' (3)"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('', min_mean=4)",
        ["argument 'criterion' must be a non-empty string"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('X', min_pass_rate=0.8, confidence=1)",
        ["argument 'confidence' must be None", "strictly between 0 and 1", "got 1"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('X', min_pass_rate=0.8, confidence=0)",
        ["argument 'confidence' must be None", "got 0"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('X', min_pass_rate=0.8, reduce='best')",
        [
            "argument 'reduce' is 'best'; valid values: 'mean', 'all', 'any', 'majority', 'median', 'min'"
        ],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('X', min_pass_rate=0.8, reduce='median')",
        ["argument 'reduce' is 'median'; valid values: 'mean', 'all', 'any', 'majority'"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('X', min_mean=3, reduce='all')",
        ["argument 'reduce' is 'all'; valid values: 'mean', 'median', 'min'"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('X', min_pass_rate=0.8, on_inconclusive='ignore')",
        ["argument 'on_inconclusive' is 'ignore'; valid values: 'warn', 'fail', 'pass'"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('X', min_pass_rate=0.8, severity='info')",
        ["argument 'severity' is 'info'; valid values: 'error', 'warn'"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_gate('X', min_pass_rate=0.8, implicit=True)",
        ["pipelines_gate() got an unexpected keyword argument 'implicit'"],
    ),
    (
        "@pytest.mark.pipelines_workflow(22, 10, repeat=0)",
        ["argument 'repeat' must be an int >= 1", "got 0"],
    ),
    (
        "@pytest.mark.pipelines_workflow(22, 10, count=20, max_count=10)",
        ["argument 'max_count' (10) is less than 'count' (20)", "give max_count >= count"],
    ),
    (
        "@pytest.mark.pipelines_workflow(22, 10, max_count=0)",
        ["argument 'max_count' must be None (no adaptive sampling) or an int >= 1"],
    ),
    (
        "@pytest.mark.pipelines_workflow(22, 10, project=22)",
        ["pipelines_workflow() got multiple values for argument 'project'"],
    ),
    (
        "@pytest.mark.pipelines_workflow()",
        ["missing 2 required positional arguments: 'project' and 'workflow'"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_tool_gate()",
        ["pipelines_tool_gate", "missing 1 required positional argument: 'field'"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_tool_gate('notes', min_score=2)",
        ["argument 'min_score' must be a number between 0 and 1"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_tool_gate('notes', evaluation_params='input_parameters')",
        ["argument 'evaluation_params' must be a list; valid items: 'input_parameters'"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_tool_gate('notes', evaluation_params=['names'])",
        ["contains 'names'; valid items: 'input_parameters'"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_tool_gate('notes', exact='yes')",
        ["argument 'exact' must be True or False"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_tool_gate('notes', node='')",
        ["argument 'node' must be a non-empty string"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_variants({})",
        ["pipelines_variants", "takes only keyword arguments"],
    ),
    (WF + "\n@pytest.mark.pipelines_variants()", ["give at least one variant"]),
    (
        WF + "\n@pytest.mark.pipelines_variants(a=[])",
        ["variant 'a' must be a configOverrides dict"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_variants(a={'prompt': []})",
        ["variant 'a' has unknown key(s) ['prompt']; valid keys: prompts, models, evaluations"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_variants(a={'models': {'nodeId': 'plan'}})",
        ["variant 'a': 'models' must be a list of dicts"],
    ),
    (
        WF + "\n@pytest.mark.pipelines_variants(a={'models': [{'nodeId': 'plan'}]})",
        ["an entry of 'models' lacks ['modelSlug']"],
    ),
    (
        WF
        + "\n@pytest.mark.pipelines_variants(a={'prompts': [{'nodeId': 'plan', 'fieldId': 'itinerary'}]})",
        ["an entry of 'prompts' lacks ['promptId']"],
    ),
    (
        WF
        + "\n@pytest.mark.pipelines_variants(a={'evaluations': [{'nodeId': 'review', 'evaluationId': 1}]})",
        ["an entry of 'evaluations' lacks ['fieldId']"],
    ),
]


@pytest.mark.parametrize(("decorators", "fragments"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_marker_is_a_collection_error(
    pytester: pytest.Pytester, decorators: str, fragments: list[str]
) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        {decorators.replace(chr(10), chr(10) + "        ")}
        def test_eval(pipelines_run):
            pass
        """
    )
    result = pytester.runpytest("--collect-only", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    assert "test_bad_marker_is_a_collection_error.py::test_eval: @pytest.mark." in out
    assert "signature: pipelines_" in out
    for fragment in fragments:
        assert fragment in out
    assert "Traceback" not in out


def test_markers_are_registered_with_signatures(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    for doc in MARKER_DOCS.values():
        result.stdout.fnmatch_lines([f"@pytest.mark.{doc}"])
    assert len(MARKER_DOCS) == 9


def _help_signature(marker: str) -> inspect.Signature:
    """The signature the ``--markers`` help line states, parsed as Python."""
    head = MARKER_DOCS[marker].split(": ", 1)[0]
    assert head.startswith(marker + "(")
    tree = ast.parse(f"def {head}: pass")
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    namespace: dict[str, object] = {}
    exec(compile(ast.Module([func], []), "<help>", "exec"), namespace)
    return inspect.signature(namespace[marker])  # type: ignore[arg-type]


@pytest.mark.parametrize("marker", sorted(set(MARKERS)))
def test_help_line_and_dataclass_agree(marker: str) -> None:
    cls = MARKERS[marker][0]
    help_params = list(_help_signature(marker).parameters.values())
    init = inspect.signature(cls)
    internal = {f.name for f in dataclasses.fields(cls) if f.metadata.get("internal")}
    init_params = [p for p in init.parameters.values() if p.name not in internal]
    assert [(p.name, p.kind) for p in help_params] == [(p.name, p.kind) for p in init_params]
    assert [p.default for p in help_params] == [p.default for p in init_params]
    for f in arguments(cls):
        assert f.metadata["doc"], f"{marker}: argument {f.name!r} has no description"
        assert f.metadata["check"] is not None, f"{marker}: argument {f.name!r} is unchecked"


def test_reference_headings_are_the_generated_signatures() -> None:
    """docs/reference/plugin.md documents each marker under its generated signature."""
    text = (Path(__file__).parents[2] / "docs" / "reference" / "plugin.md").read_text()
    for marker in MARKER_DOCS:
        assert f"### `{signature(marker)}`" in text, marker


def test_every_marker_argument_is_accepted_by_its_marker() -> None:
    """A valid value for every argument binds and checks (the help line names real arguments)."""
    valid: dict[str, dict[str, object]] = {
        "pipelines_workflow": {
            "count": 2,
            "inputs": [{"a": 1}],
            "expected_outputs": ["x"],
            "timeout": 5,
            "mode": "experiment",
            "repeat": 3,
            "max_count": 10,
        },
        "pipelines_gate": {
            "min_pass_rate": 0.8,
            "min_value": 0,
            "max_value": 1,
            "confidence": 0.9,
            "reduce": "all",
            "on_inconclusive": "fail",
            "severity": "warn",
            "max_drop": 0.05,
        },
        "pipelines_tool_gate": {
            "node": "n",
            "min_score": 0.5,
            "evaluation_params": ["input_parameters"],
            "exact": True,
            "ordering": True,
            "severity": "warn",
        },
        "pipelines_prompt_swap": {"version": 2},
        "pipelines_model_swap": {"field": "f"},
        "pipelines_evaluation_swap": {"version": 1},
        "pipelines_compare": {"baseline": "old", "min_difference": -0.05, "confidence": 0.9},
        "pipelines_budget": {"max_cost": 0.5, "max_tokens": 1000, "max_latency_p95": 2.5},
    }
    positional = {
        "pipelines_workflow": (22, 10),
        "pipelines_gate": ("C",),
        "pipelines_tool_gate": ("f",),
        "pipelines_prompt_swap": ("n", "f", 5),
        "pipelines_model_swap": ("n", "m"),
        "pipelines_evaluation_swap": ("n", "f", 5),
        "pipelines_compare": ("C",),
        "pipelines_budget": (),
    }
    covered: dict[str, set[str]] = {}
    cases = [(m, positional[m], kw) for m, kw in valid.items()]
    cases.append(("pipelines_workflow", (22, 10), {"dataset": 5, "expected_column": None}))
    cases.append(("pipelines_gate", ("C",), {"min_mean": 1, "max_mean": 2, "reduce": "median"}))
    for marker, args, kwargs in cases:
        covered.setdefault(marker, set()).update(kwargs)
        value = options("t.py::test", marker, getattr(pytest.mark, marker)(*args, **kwargs).mark)
        for name, given in kwargs.items():
            got = getattr(value, name)
            assert got == (tuple(given) if isinstance(given, list) else given), (marker, name)
    for marker, (cls, _summary) in MARKERS.items():
        assert covered[marker] == {f.name for f in arguments(cls) if f.kw_only}, marker


def test_strict_markers_accepts_them(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflow(22, 10)
        def test_plain():
            pass
        """
    )
    pytester.runpytest("--strict-markers", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_gate_without_run_fixture_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflow(22, 10)
        @pytest.mark.pipelines_gate("X", min_mean=1)
        def test_eval():
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_eval: has @pytest.mark.pipelines_gate but does not request the pipelines_run fixture*"
        ]
    )


def test_run_fixture_without_workflow_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_eval(pipelines_run):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*test_eval: requests pipelines_run but no @pytest.mark.pipelines_workflow*"]
    )


def test_variants_become_items_with_stable_ids(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.pipelines_workflow(22, 10)

        @pytest.mark.pipelines_variants(baseline={}, echo={"models": [{"nodeId": "plan", "modelSlug": "echo"}]})
        def test_v(pipelines_run):
            pass

        @pytest.mark.parametrize("x", [1, 2])
        @pytest.mark.pipelines_variants(a={})
        def test_both(pipelines_run, x):
            pass
        """
    )
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        [
            "test_variants_become_items_with_stable_ids.py::test_v[baseline]",
            "test_variants_become_items_with_stable_ids.py::test_v[echo]",
            "test_variants_become_items_with_stable_ids.py::test_both[a-1]",
            "test_variants_become_items_with_stable_ids.py::test_both[a-2]",
        ]
    )


def test_closest_marker_wins(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_pipelines._markers import collect_spec_parts

        pytestmark = [
            pytest.mark.pipelines_workflow(22, 10, count=3),
            pytest.mark.pipelines_gate("A", min_pass_rate=0.5),
            pytest.mark.pipelines_model_swap("plan", "echo"),
        ]

        @pytest.fixture
        def pipelines_run():  # overridden: this test inspects markers only
            return None

        @pytest.mark.pipelines_gate("A", min_pass_rate=0.9)
        class TestC:
            @pytest.mark.pipelines_workflow(22, 11)
            @pytest.mark.pipelines_gate("B", min_mean=2)
            @pytest.mark.pipelines_model_swap("plan", "demo-planner")
            def test_x(self, request, pipelines_run):
                parts = collect_spec_parts(request.node.nodeid, request.node)
                assert parts["target"].workflow == 11
                assert parts["target"].count is None
                assert [(g.criterion, g.min_pass_rate, g.min_mean) for g in parts["gates"]] == [
                    ("B", None, 2), ("A", 0.9, None)
                ]
                assert [m.model for m in parts["model_swaps"]] == ["demo-planner"]

            def test_y(self, request, pipelines_run):
                parts = collect_spec_parts(request.node.nodeid, request.node)
                assert parts["target"].count == 3
                assert [(g.criterion, g.min_pass_rate) for g in parts["gates"]] == [("A", 0.9)]
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def _spec(**kw: object) -> RunSpec:
    base: dict[str, object] = {"target": WorkflowTarget(22, 10, count=2)}
    base.update(kw)
    return RunSpec(**base)  # type: ignore[arg-type]


def test_payload_resolves_references() -> None:
    fixtures = {
        "concise": {"id": 41, "name": "p"},
        "rows": [{"city": "Rome"}, {"city": "Milan"}],
        "ev": type("E", (), {"id": 7})(),
    }
    spec = _spec(
        prompt_swaps=(PromptSwap("plan", "itinerary", "concise", version=2),),
        model_swaps=(ModelSwap("plan", "echo"), ModelSwap("research", "echo", field="notes")),
        evaluation_swaps=(EvaluationSwap("review", "quality", "ev"),),
        target=WorkflowTarget(22, 10, count=2, inputs="rows"),
        variant="v",
        variant_overrides={
            "prompts": [{"nodeId": "plan", "fieldId": "itinerary", "promptId": 5}],
            "models": [{"nodeId": "plan", "modelSlug": "x"}],
        },
    )
    payload = build_payload(spec, fixtures.__getitem__)
    assert payload == {
        "count": 2,
        "inputs": [{"city": "Rome"}, {"city": "Milan"}],
        "configOverrides": {
            "prompts": [{"nodeId": "plan", "fieldId": "itinerary", "promptId": 5, "version": None}],
            "models": [
                {"nodeId": "research", "modelSlug": "echo", "fieldId": "notes"},
                {"nodeId": "plan", "modelSlug": "x"},
            ],
            "evaluations": [
                {"nodeId": "review", "fieldId": "quality", "evaluationId": 7, "version": None}
            ],
        },
    }
    exp = build_payload(
        _spec(
            target=WorkflowTarget(
                22, 10, mode="experiment", inputs=({"city": "Rome"},), expected_outputs=("x",)
            )
        ),
        fixtures.__getitem__,
    )
    assert exp == {
        "count": 1,
        "inputs": [{"city": "Rome"}],
        "expected_outputs": ["x"],
        "variants": [
            {
                "name": "baseline",
                "configOverrides": {"prompts": [], "models": [], "evaluations": []},
            }
        ],
    }


def test_bad_reference_is_a_broken_run() -> None:
    spec = _spec(prompt_swaps=(PromptSwap("plan", "itinerary", "concise"),))
    with pytest.raises(
        RunBroken,
        match="prompt 'concise' is neither a fixture name, an int id, nor an object with an 'id'",
    ):
        build_payload(spec, {"concise": "text"}.__getitem__)


def test_idempotency_key_is_stable_per_session_and_test() -> None:
    a = idempotency_key("0123456789ab", "t.py::test_x[a]", "a")
    assert a == idempotency_key("0123456789ab", "t.py::test_x[a]", "a")
    assert a != idempotency_key("0123456789ab", "t.py::test_x[b]", "b")
    assert a != idempotency_key("ba9876543210", "t.py::test_x[a]", "a")
    assert a.startswith("pytest-pipelines-0123456789ab-")
    payload = {"count": 1, "configOverrides": {"prompts": [{"promptId": 5}]}}
    b = idempotency_key("0123456789ab", "t.py::test_x[a]", "a", payload)
    assert b == idempotency_key("0123456789ab", "t.py::test_x[a]", "a", dict(payload))
    assert b != idempotency_key(
        "0123456789ab", "t.py::test_x[a]", "a", {**payload, "configOverrides": {}}
    )


def test_build_spec_picks_variant() -> None:
    parts = {
        "target": WorkflowTarget(22, 10),
        "prompt_swaps": (),
        "model_swaps": (),
        "evaluation_swaps": (),
        "gates": (),
        "tool_gates": (),
        "variants": {"a": {"models": [{"nodeId": "plan", "modelSlug": "echo"}]}, "b": {}},
    }
    assert build_spec(parts, "a").variant_overrides == {
        "models": [{"nodeId": "plan", "modelSlug": "echo"}]
    }
    assert build_spec(parts, "b").variant_overrides == {}


def test_bad_marker_error_is_printed_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflow(22, 10, mode="batch")
        def test_eval(pipelines_run):
            pass
        """
    )
    # schemathesis (a dev dependency) wraps collection in an old-style hookwrapper that
    # re-raises our collection error, which pluggy reports as a warning of its own
    result = pytester.runpytest("--collect-only", "-p", "no:cacheprovider", "-p", "no:schemathesis")
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    assert out.count("argument 'mode' is 'batch'; valid values: 'tasks', 'experiment'") == 1
    assert "During handling of the above exception" not in out


def test_same_level_gates_combine_and_closest_level_wins(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_pipelines._markers import collect_spec_parts

        pytestmark = [
            pytest.mark.pipelines_workflow(22, 10),
            pytest.mark.pipelines_gate("A", min_pass_rate=0.5),
        ]

        @pytest.fixture
        def pipelines_run():  # overridden: this test inspects markers only
            return None

        @pytest.mark.pipelines_gate("A", min_mean=3)
        @pytest.mark.pipelines_gate("A", max_mean=4.5)
        @pytest.mark.pipelines_gate("B", min_value=1)
        @pytest.mark.pipelines_gate("B", min_value=1)
        def test_x(request, pipelines_run):
            parts = collect_spec_parts(request.node.nodeid, request.node)
            gates = {g.criterion: g.thresholds() for g in parts["gates"]}
            assert gates == {
                "A": [("mean", ">=", 3.0), ("mean", "<=", 4.5)],
                "B": [("min", ">=", 1.0)],
            }
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("decorators", "fragment"),
    [
        (
            '@pytest.mark.pipelines_gate("A", min_mean=3)\n@pytest.mark.pipelines_gate("A", min_mean=4)',
            "two gates on criterion 'A' at the same level set min_mean to 4 and 3; keep one value",
        ),
        (
            "@pytest.mark.pipelines_workflow(22, 11)",
            "@pytest.mark.pipelines_workflow: two markers on the same test, class or module set "
            "the workflow differently",
        ),
        (
            '@pytest.mark.pipelines_model_swap("plan", "echo")\n'
            '@pytest.mark.pipelines_model_swap("plan", "demo-planner")',
            "@pytest.mark.pipelines_model_swap: two markers on the same test, class or module set "
            "node 'plan' differently",
        ),
        (
            '@pytest.mark.pipelines_tool_gate("notes", min_score=0.5)\n'
            '@pytest.mark.pipelines_tool_gate("notes", min_score=0.9)',
            "set tool correctness of notes differently",
        ),
        (
            "@pytest.mark.pipelines_variants(a={})\n@pytest.mark.pipelines_variants(b={})",
            "set the variants differently",
        ),
    ],
    ids=["gate-conflict", "workflow", "model-swap", "tool-gate", "variants"],
)
def test_ambiguous_markers_on_one_level_are_collection_errors(
    pytester: pytest.Pytester, decorators: str, fragment: str
) -> None:
    pytester.makepyfile(
        f"""
import pytest

{decorators}
@pytest.mark.pipelines_workflow(22, 10)
def test_eval(pipelines_run):
    pass
"""
    )
    result = pytester.runpytest("--collect-only", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    out = " ".join(result.stdout.str().split())
    assert fragment in out
