"""The model registry: registration, lookup, load_spec, complete(), latency, threads."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pytest_pipelines.local.models import (
    BAD_SPEC_MESSAGE,
    ECHO_SLUG,
    SPEC_ACCEPTED_FORMS,
    BadModelSpecError,
    Message,
    ModelError,
    ModelRegistry,
    ModelRequest,
    ModelResponse,
    ToolCall,
    ToolSpec,
    UnknownModelError,
    default_registry,
)

from .._helpers import write_module


def request(prompt: str = "hello", slug: str = "m", **kwargs: object) -> ModelRequest:
    return ModelRequest(model=slug, prompt=prompt, messages=(Message("user", prompt),), **kwargs)  # type: ignore[arg-type]


class FakeSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def test_register_directly_and_complete_normalises_str() -> None:
    registry = ModelRegistry()
    registry.register("upper", lambda r: r.prompt.upper())
    assert "upper" in registry
    assert registry.complete("upper", request("hi")) == ModelResponse(text="HI")


def test_register_as_decorator_returns_the_function_and_uses_docstring() -> None:
    registry = ModelRegistry()

    @registry.register("rev")
    def reverse(req: ModelRequest) -> str:
        """Reverses the prompt.

        Second paragraph is not part of the description."""
        return req.prompt[::-1]

    assert reverse(request("abc")) == "cba"
    assert registry.get("rev") is reverse
    assert registry.describe() == [
        {
            "slug": "rev",
            "name": "rev",
            "description": "Reverses the prompt.",
            "latency": 0.0,
            "served_by": "local",
            "stand_in_for": None,
        }
    ]


def test_unknown_slug_message_names_slug_registered_and_how_to_register() -> None:
    registry = ModelRegistry()
    registry.register("b", lambda r: "b")
    registry.register("a", lambda r: "a")
    with pytest.raises(UnknownModelError) as info:
        registry.complete("gpt-x", request())
    message = str(info.value)
    assert message == (
        "no model is registered for slug 'gpt-x'; registered: a, b. Register one with "
        "`pipelines-local serve --models package.module:attr`, the `pipelines_models` ini key "
        "of the pytest plugin, or `registry.register('gpt-x', fn)`"
    )
    assert isinstance(info.value, LookupError)
    assert info.value.registered == ("a", "b")


def test_unregister_and_slugs() -> None:
    registry = ModelRegistry()
    registry.register("x", lambda r: "x")
    registry.register("y", lambda r: "y")
    assert registry.slugs() == ["x", "y"]
    registry.unregister("x")
    assert registry.slugs() == ["y"]
    assert "x" not in registry
    with pytest.raises(UnknownModelError):
        registry.unregister("x")


@pytest.mark.parametrize("slug", ["", "has space", None])
def test_invalid_slug_is_rejected(slug: object) -> None:
    with pytest.raises(ValueError, match="invalid model slug"):
        ModelRegistry().register(slug, lambda r: "x")  # type: ignore[call-overload]


@pytest.mark.parametrize("latency", [-1, "fast", True])
def test_invalid_latency_is_rejected(latency: object) -> None:
    with pytest.raises(
        ValueError, match="latency of model 'm' must be a finite number of seconds >= 0"
    ):
        ModelRegistry().register("m", lambda r: "x", latency=latency)  # type: ignore[call-overload]


def test_non_callable_is_rejected() -> None:
    with pytest.raises(TypeError, match="model 'm' must be callable"):
        ModelRegistry().register("m", "not a function")  # type: ignore[call-overload]


def test_latency_uses_the_injected_sleep_and_can_change() -> None:
    sleep = FakeSleep()
    registry = ModelRegistry(sleep=sleep)
    registry.register("slow", lambda r: "done", latency=0.25)
    registry.register("fast", lambda r: "done")
    registry.complete("slow", request())
    registry.complete("fast", request())
    assert sleep.calls == [0.25]
    registry.set_latency("slow", 1.5)
    registry.complete("slow", request())
    assert sleep.calls == [0.25, 1.5]
    assert registry.entry("slow").latency == 1.5


def test_model_exception_is_wrapped_naming_the_slug() -> None:
    registry = ModelRegistry()

    def broken(req: ModelRequest) -> str:
        raise KeyError("boom")

    registry.register("broken", broken)
    with pytest.raises(ModelError) as info:
        registry.complete("broken", request())
    assert str(info.value) == "model 'broken' raised KeyError: 'boom'"
    assert info.value.slug == "broken"
    assert isinstance(info.value.__cause__, KeyError)


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (42, "returned int"),
        (ModelResponse(), "returned an empty ModelResponse"),
        (ModelResponse(tool_calls=("search",)), "a tool call of type str"),  # type: ignore[arg-type]
    ],
)
def test_bad_answers_are_model_errors(answer: object, fragment: str) -> None:
    registry = ModelRegistry()
    registry.register("odd", lambda r: answer)  # type: ignore[arg-type,return-value]
    with pytest.raises(ModelError, match=fragment):
        registry.complete("odd", request())


def test_tool_calls_without_id_get_ids_counting_earlier_calls() -> None:
    registry = ModelRegistry()
    registry.register(
        "caller",
        lambda r: ModelResponse(tool_calls=(ToolCall("a", {}), ToolCall("b", {}, "mine"))),
    )
    first = registry.complete("caller", request())
    assert [c.id for c in first.tool_calls] == ["call-1", "mine"]
    later = ModelRequest(
        model="caller",
        prompt="p",
        messages=(
            Message("user", "p"),
            Message("assistant", "", tool_calls=first.tool_calls),
            Message("tool", "{}", tool_call_id="call-1", name="a"),
            Message("tool", "{}", tool_call_id="mine", name="b"),
        ),
        tools=(ToolSpec("a"), ToolSpec("b")),
    )
    second = registry.complete("caller", later)
    assert [c.id for c in second.tool_calls] == ["call-3", "mine"]
    assert later.offers("a")
    assert not later.offers("c")
    assert [m.name for m in later.tool_results()] == ["a", "b"]


def test_message_role_is_checked() -> None:
    with pytest.raises(ValueError, match="valid roles: system, user, assistant, tool"):
        Message("robot", "hi")  # type: ignore[arg-type]


def test_judge_returns_text_and_refuses_tool_only_answers() -> None:
    registry = ModelRegistry()
    registry.register("j", lambda r: "4")
    registry.register("t", lambda r: ModelResponse(tool_calls=(ToolCall("x"),)))
    assert registry.judge("j", "rate it") == "4"
    with pytest.raises(ModelError, match="answered with tool calls but no text"):
        registry.judge("t", "rate it")


def test_default_registry_has_echo_and_demo_models_on_request() -> None:
    plain = default_registry()
    assert plain.slugs() == [ECHO_SLUG]
    assert plain.complete("echo", request("Plan 3 days")).text == "Plan 3 days"
    demo = default_registry(demo=True)
    assert demo.slugs() == [
        "demo-flash",
        "demo-judge",
        "demo-planner",
        "demo-researcher",
        "echo",
        "gemini-3.5-flash",
    ]
    stand_in = demo.entry("gemini-3.5-flash")
    assert "NOT the real model" in stand_in.description
    # the guide's slug answers as demo-flash, labelled as a local stand-in; demo-* are not
    assert stand_in.fn is demo.entry("demo-flash").fn
    assert stand_in.stand_in_for == "gemini-3.5-flash"
    assert stand_in.as_dict()["stand_in_for"] == "gemini-3.5-flash"
    assert [e.slug for e in demo.entries() if e.stand_in_for] == ["gemini-3.5-flash"]


# --- load_spec --------------------------------------------------------------------------------


def test_load_spec_callable_uses_slug_attribute_or_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = write_module(
        tmp_path,
        monkeypatch,
        """
        def shout(request):
            return request.prompt.upper()

        def tagged(request):
            return "tagged"
        tagged.slug = "my-org/tagged"
        tagged.latency = 0.5
        """,
    )
    registry = ModelRegistry(sleep=FakeSleep())
    assert registry.load_spec(f"{module}:shout") == ["shout"]
    assert registry.load_spec(f"{module}:tagged") == ["my-org/tagged"]
    assert registry.complete("shout", request("hi")).text == "HI"
    assert registry.entry("my-org/tagged").latency == 0.5


def test_load_spec_dict_and_dotted_attr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = write_module(
        tmp_path,
        monkeypatch,
        """
        MODELS = {"one": lambda r: "1", "two": lambda r: "2"}

        class Holder:
            MODELS = {"three": lambda r: "3"}
        """,
    )
    registry = ModelRegistry()
    assert registry.load_spec(f"{module}:MODELS") == ["one", "two"]
    assert registry.load_spec(f"{module}:Holder.MODELS") == ["three"]
    assert registry.complete("two", request()).text == "2"


def test_load_spec_registration_function_and_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = write_module(
        tmp_path,
        monkeypatch,
        """
        from pytest_pipelines.local.models import ModelRegistry

        def setup(registry):
            registry.register("from-setup", lambda r: "s", latency=0.1)

        def typed(reg: ModelRegistry) -> None:
            reg.register("from-typed", lambda r: "t")

        REGISTRY = ModelRegistry()
        REGISTRY.register("from-registry", lambda r: "r")
        """,
    )
    registry = ModelRegistry()
    assert registry.load_spec(f"{module}:setup") == ["from-setup"]
    assert registry.load_spec(f"{module}:typed") == ["from-typed"]
    assert registry.load_spec(f"{module}:REGISTRY") == ["from-registry"]
    assert registry.complete("from-typed", request()).text == "t"


@pytest.mark.parametrize(
    ("spec_suffix", "problem"),
    [
        ("", "expected exactly one ':' between module and attr"),
        (":", "the module and the attr must both be non-empty"),
        (":missing", "has no attribute 'missing'"),
        (":NUMBER", "the attribute is a int, not a callable or a dict"),
        (":EMPTY", "the dict of models is empty"),
        (":BAD_DICT", "the dict must map slug strings to callables"),
        (":noop", "the registration function registered no model"),
    ],
)
def test_load_spec_bad_specs_name_the_spec_and_forms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec_suffix: str, problem: str
) -> None:
    module = write_module(
        tmp_path,
        monkeypatch,
        """
        NUMBER = 3
        EMPTY = {}
        BAD_DICT = {"x": 5}

        def noop(registry):
            return None
        """,
    )
    spec = module + spec_suffix
    with pytest.raises(BadModelSpecError) as info:
        ModelRegistry().load_spec(spec)
    assert isinstance(info.value, ValueError)
    assert problem in str(info.value)
    assert str(info.value).startswith(f"cannot load models from {spec!r}: ")
    assert str(info.value).endswith(SPEC_ACCEPTED_FORMS)


def test_load_spec_unimportable_module() -> None:
    with pytest.raises(BadModelSpecError) as info:
        ModelRegistry().load_spec("no_such_module_xyz:models")
    assert str(info.value) == BAD_SPEC_MESSAGE.format(
        spec="no_such_module_xyz:models",
        problem=info.value.problem,
    )
    assert "module 'no_such_module_xyz' cannot be imported" in info.value.problem


# --- threads ----------------------------------------------------------------------------------


def test_registry_is_thread_safe_under_concurrent_register_and_complete() -> None:
    registry = ModelRegistry()
    registry.register("base", lambda r: r.prompt)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(index: int) -> None:
        try:
            barrier.wait()
            for step in range(200):
                slug = f"w{index}-{step}"
                registry.register(slug, lambda r, s=slug: s)  # type: ignore[misc]
                assert registry.complete(slug, request(slug=slug)).text == slug
                assert (
                    registry.complete("base", request(f"{index}-{step}")).text == f"{index}-{step}"
                )
                if step % 2:
                    registry.unregister(slug)
        except BaseException as exc:  # collected and re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(registry) == 1 + 8 * 100
