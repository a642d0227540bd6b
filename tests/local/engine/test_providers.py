"""Provider adapters against fake OpenAI- and Anthropic-protocol servers over real HTTP.

The fake (``pytest_pipelines.local._demo.fake_provider``) speaks the real wire formats on
127.0.0.1 port 0: tool calls, usage, error bodies, Retry-After. Nothing here reaches a real
provider.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_pipelines._secret import Secret
from pytest_pipelines.local._demo.fake_provider import FakeProvider
from pytest_pipelines.local._engine.meter import metering, summarize
from pytest_pipelines.local._engine.providers import (
    PROVIDERS,
    CacheMissError,
    ModelCache,
    ProviderConfigError,
    ProviderError,
    ProviderModel,
    cache_key,
    parse_provider_spec,
    register_provider,
    register_recorded,
)
from pytest_pipelines.local._engine.providers.adapter import (
    AUTH_FAILED,
    MALFORMED,
    MODEL_NOT_FOUND,
    RATE_LIMITED,
    RETRY_TOO_LONG,
    SERVER_ERROR,
    TIMED_OUT,
    UNREACHABLE,
    scrub,
)
from pytest_pipelines.local._engine.providers.spec import (
    BAD_OPTION,
    HALF_PRICE,
    MISSING_KEY,
    NEEDS_API_VERSION,
    NEEDS_BASE_URL,
    UNKNOWN_PROVIDER,
)
from pytest_pipelines.local.models import (
    PROVIDER_NAMES,
    BadModelSpecError,
    Message,
    ModelRegistry,
    ModelRequest,
    ToolSpec,
)

KEY = "sk-test-PROVIDERSECRET-7788"
SEARCH = ToolSpec(
    "search_docs",
    "Search the docs",
    {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider(models=("fake-model",), key=KEY) as server:
        yield server


OPEN: list[ProviderModel] = []


@pytest.fixture(autouse=True)
def _close_models() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def ask(prompt: str, slug: str = "m", **kwargs: object) -> ModelRequest:
    return ModelRequest(slug, prompt, (Message("user", prompt),), **kwargs)  # type: ignore[arg-type]


def model_for(
    server: FakeProvider,
    protocol: str = "openai",
    *,
    options: str = "",
    key: str | None = KEY,
    cache: ModelCache | None = None,
    sleep: Sleeps | None = None,
) -> ProviderModel:
    if protocol == "openai":
        text = f"openai-compatible:fake-model,base_url={server.base_url}/v1"
    else:
        text = f"anthropic:fake-model,base_url={server.base_url}"
    spec = parse_provider_spec(text + options)
    model = ProviderModel(
        spec,
        key=Secret(key) if key else None,
        cache=cache,
        sleep=sleep if sleep is not None else Sleeps(),
    )
    OPEN.append(model)
    return model


def registry_with(model: ProviderModel, price: tuple[float, float] | None = None) -> ModelRegistry:
    registry = ModelRegistry()
    registry.register(model.slug, model)
    if price:
        registry.set_price(model.slug, *price)
    return registry


# --- specs ------------------------------------------------------------------------------------


def test_provider_names_match_the_table() -> None:
    assert tuple(PROVIDERS) == PROVIDER_NAMES


def test_spec_defaults_and_options() -> None:
    spec = parse_provider_spec("openai:gpt-4.1-mini")
    assert (spec.slug, spec.base_url, spec.key_env, spec.key_required) == (
        "openai:gpt-4.1-mini",
        "https://api.openai.com/v1",
        "OPENAI_API_KEY",
        True,
    )
    assert spec.input_price is None
    assert spec.params == {}
    spec = parse_provider_spec(
        "ollama:llama3.2,as=demo-planner,temperature=0.2,seed=7,input_price=0,output_price=0"
    )
    assert (spec.slug, spec.base_url, spec.key_required) == (
        "demo-planner",
        "http://localhost:11434/v1",
        False,
    )
    assert spec.params == {"temperature": 0.2, "seed": 7}
    assert (spec.input_price, spec.output_price) == (0.0, 0.0)
    assert parse_provider_spec("anthropic:claude-sonnet-4-5").params == {"max_tokens": 1024}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openai:m,colour=red", BAD_OPTION.split("{")[0]),
        ("openai:m,input_price=1", HALF_PRICE.format(spec="openai:m,input_price=1")),
        (
            "openai-compatible:m",
            NEEDS_BASE_URL.format(spec="openai-compatible:m", provider="openai-compatible"),
        ),
        (
            "azure:m,base_url=https://x.openai.azure.com/openai/deployments/d",
            NEEDS_API_VERSION.split(": ")[1].split("{")[0],
        ),
        ("openai:m,input_price=cheap,output_price=1", "input_price='cheap' must be a number"),
        ("ollama:m,base_url=localhost:11434", "must start with http://"),
        ("ollama:m,base_url=http://me:pw@host/v1", "must not carry credentials"),
        # str.isdigit() holds for '²', which int() then refuses with a bare ValueError
        ("openai:m,max_retries=\u00b2", "max_retries='\u00b2'"),
    ],
)
def test_bad_specs_name_what_to_fix(text: str, expected: str) -> None:
    with pytest.raises(ProviderConfigError) as info:
        parse_provider_spec(text)
    assert expected in str(info.value)
    assert "pw@" not in str(info.value)


def test_unknown_provider_through_load_spec_lists_the_providers() -> None:
    with pytest.raises(BadModelSpecError) as info:
        ModelRegistry().load_spec("opnai:gpt-4.1")
    assert "openai, anthropic, azure, ollama" in str(info.value)
    with pytest.raises(ProviderConfigError) as direct:
        parse_provider_spec("opnai:gpt-4.1")
    assert str(direct.value) == UNKNOWN_PROVIDER.format(
        provider="opnai", spec="opnai:gpt-4.1", valid=", ".join(PROVIDERS)
    )


def test_a_missing_key_is_an_error_at_registration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ProviderConfigError) as info:
        ModelRegistry().load_spec("openai:gpt-4.1-mini")
    assert str(info.value) == MISSING_KEY.format(slug="openai:gpt-4.1-mini", env="OPENAI_API_KEY")
    with pytest.raises(ProviderConfigError, match="MY_KEY"):
        register_provider(ModelRegistry(), "ollama:llama3.2,key_env=MY_KEY", environ={})
    # a local server needs no key
    registry = ModelRegistry()
    assert registry.load_spec("ollama:llama3.2") == ["ollama:llama3.2"]
    assert "ollama model llama3.2" in registry.entry("ollama:llama3.2").description


# --- the OpenAI protocol ----------------------------------------------------------------------


def test_openai_answer_usage_and_request(fake: FakeProvider) -> None:
    registry = registry_with(model_for(fake, options=",seed=3"), price=(2.0, 8.0))
    with metering() as meter:
        answer = registry.complete(
            "openai-compatible:fake-model", ask("plan Rome", temperature=0.5)
        )
    assert answer.text == "answer #1: plan Rome"
    sent = fake.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["authorization"] == f"Bearer {KEY}"
    assert sent["body"] == {
        "model": "fake-model",
        "messages": [{"role": "user", "content": "plan Rome"}],
        "seed": 3,
        "temperature": 0.5,
    }
    [call] = meter.calls
    assert (call["input_tokens"], call["output_tokens"], call["tokens_estimated"]) == (2, 4, False)
    assert call["cost_usd"] == pytest.approx((2 * 2.0 + 4 * 8.0) / 1e6)
    assert call["latency_ms"] > 0
    assert call["replayed"] is False


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_a_lone_surrogate_in_the_prompt_is_sent_as_u_fffd(
    fake: FakeProvider, protocol: str
) -> None:
    """An earlier field's broken emoji rendered into a prompt: the body is UTF-8 all the same
    (it failed with UnicodeEncodeError), the same body the cache key covers."""
    model = model_for(fake, protocol)
    answer = registry_with(model).complete(model.slug, ask("plan \ud83d Rome"))
    assert answer.text == "answer #1: plan \ufffd Rome"
    content = fake.requests[0]["body"]["messages"][0]["content"]
    assert "plan \ufffd Rome" in str(content)


def test_tool_calls_map_both_ways_openai(fake: FakeProvider) -> None:
    registry = registry_with(model_for(fake))
    slug = "openai-compatible:fake-model"
    first = registry.complete(slug, ask("find Rome", tools=(SEARCH,)))
    [call] = first.tool_calls
    assert (call.name, dict(call.arguments), call.id) == (
        "search_docs",
        {"query": "find Rome"},
        "call_1",
    )
    assert fake.requests[0]["body"]["tools"][0]["function"]["parameters"]["required"] == ["query"]
    conversation = (
        Message("user", "find Rome"),
        Message("assistant", "", tool_calls=first.tool_calls),
        Message("tool", json.dumps({"hits": 2}), tool_call_id="call_1", name="search_docs"),
    )
    second = registry.complete(slug, ModelRequest(slug, "find Rome", conversation, (SEARCH,)))
    assert second.text == "answer #2: find Rome"
    messages = fake.requests[1]["body"]["messages"]
    assert messages[1]["tool_calls"][0] == {
        "id": "call_1",
        "type": "function",
        "function": {"name": "search_docs", "arguments": '{"query": "find Rome"}'},
    }
    assert messages[2] == {"role": "tool", "tool_call_id": "call_1", "content": '{"hits": 2}'}


# --- the Anthropic protocol -------------------------------------------------------------------


def test_anthropic_answer_tool_calls_and_headers(fake: FakeProvider) -> None:
    model = model_for(fake, "anthropic")
    registry = registry_with(model)
    slug = model.slug
    system = Message("system", "Be brief.")
    first = registry.complete(
        slug, ModelRequest(slug, "find Rome", (system, Message("user", "find Rome")), (SEARCH,))
    )
    [call] = first.tool_calls
    assert (call.name, call.id, dict(call.arguments)) == (
        "search_docs",
        "toolu_1",
        {"query": "find Rome"},
    )
    sent = fake.requests[0]
    assert sent["path"] == "/v1/messages"
    assert sent["headers"]["x-api-key"] == KEY
    assert "authorization" not in sent["headers"]
    assert sent["headers"]["anthropic-version"] == "2023-06-01"
    assert sent["body"]["system"] == "Be brief."
    assert sent["body"]["max_tokens"] == 1024
    assert sent["body"]["tools"][0]["input_schema"]["required"] == ["query"]
    conversation = (
        system,
        Message("user", "find Rome"),
        Message("assistant", "", tool_calls=first.tool_calls),
        Message("tool", '{"hits": 2}', tool_call_id="toolu_1", name="search_docs"),
        Message("tool", '{"hits": 0}', tool_call_id="toolu_x", name="search_docs"),
    )
    with metering() as meter:
        second = registry.complete(slug, ModelRequest(slug, "find Rome", conversation, (SEARCH,)))
    assert second.text == "answer #2: find Rome"
    messages = fake.requests[1]["body"]["messages"]
    assert messages[1] == {
        "role": "assistant",
        "content": [
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "search_docs",
                "input": {"query": "find Rome"},
            }
        ],
    }
    # consecutive tool results travel in one user message, as the protocol requires
    assert messages[2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": '{"hits": 2}'},
            {"type": "tool_result", "tool_use_id": "toolu_x", "content": '{"hits": 0}'},
        ],
    }
    assert meter.calls[0]["tokens_estimated"] is False
    assert meter.calls[0]["cost_usd"] is None


# --- errors -----------------------------------------------------------------------------------


def error_of(model: ProviderModel, prompt: str = "hi") -> ProviderError:
    with pytest.raises(ProviderError) as info:
        registry_with(model).complete(model.slug, ask(prompt))
    assert KEY not in str(info.value)
    return info.value


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_401_names_the_key_variable_and_hides_the_key(fake: FakeProvider, protocol: str) -> None:
    error = error_of(model_for(fake, protocol, key="sk-wrong-WRONGKEY-0000"))
    assert error.status == 401
    assert "refused the key (401)" in str(error)
    assert "key_env=NAME" in str(error)
    env = "OPENAI_API_KEY" if protocol == "openai" else "ANTHROPIC_API_KEY"
    assert f"${env}" in str(error)
    assert AUTH_FAILED.split("{")[0] == "model "


def test_the_key_is_scrubbed_from_provider_messages(fake: FakeProvider) -> None:
    fake.fail_next(401, {"error": {"message": f"Incorrect API key provided: {KEY}."}})
    error = error_of(model_for(fake))
    assert "Incorrect API key provided: ***." in str(error)
    assert scrub("key PROVIDERSECRET-7788 and sk-te", Secret(KEY)) == "key *** and sk-te"


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_404_model_says_check_the_name(fake: FakeProvider, protocol: str) -> None:
    spec_model = model_for(fake, protocol)
    object.__setattr__(spec_model.spec, "model", "no-such-model")
    error = error_of(spec_model)
    assert error.status == 404
    assert "model: no-such-model" in str(error)
    assert "check the model name and base_url" in str(error)
    assert MODEL_NOT_FOUND.endswith("/models)")


def test_429_honours_retry_after_then_succeeds(fake: FakeProvider) -> None:
    sleeps = Sleeps()
    fake.fail_next(429, {"error": {"message": "slow down"}}, {"Retry-After": "1.5"})
    fake.fail_next(503, {"error": {"message": "overloaded"}})
    model = model_for(fake, sleep=sleeps)
    assert registry_with(model).complete(model.slug, ask("hi")).text == "answer #3: hi"
    assert sleeps == [1.5, 1.0]  # Retry-After, then the second backoff step


def test_429_gives_up_after_max_retries(fake: FakeProvider) -> None:
    for _ in range(3):
        fake.fail_next(429, {"error": {"message": "quota exceeded"}}, {"Retry-After": "0"})
    error = error_of(model_for(fake, options=",max_retries=2"))
    assert str(error).endswith(RATE_LIMITED.split("{message}")[1])
    assert "after 3 attempt(s): quota exceeded" in str(error)
    assert len(fake.requests) == 3


def test_retry_after_beyond_the_cap_fails_at_once(fake: FakeProvider) -> None:
    fake.fail_next(429, {"error": {"message": "daily limit"}}, {"Retry-After": "3600"})
    error = error_of(model_for(fake, options=",max_retry_wait=10"))
    assert "retry after 3600 s, longer than max_retry_wait=10" in str(error)
    assert RETRY_TOO_LONG.split("{")[0] == "model "
    assert len(fake.requests) == 1


def test_5xx_after_retries(fake: FakeProvider) -> None:
    for _ in range(2):
        fake.fail_next(500, "<html>Internal Server Error</html>")
    error = error_of(model_for(fake, options=",max_retries=1"))
    assert error.status == 500
    assert "server error (500) after 2 attempt(s)" in str(error)
    assert "Internal Server Error" in str(error)
    assert SERVER_ERROR.endswith("retry later")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("not json at all", "the body is not JSON"),
        ({"choices": []}, "the body has no choices[0]"),
        ({"choices": [{"message": {"role": "assistant"}}]}, "neither content nor tool_calls"),
        (
            {
                "choices": [
                    {"message": {"tool_calls": [{"function": {"name": "f", "arguments": "{oops"}}]}}
                ]
            },
            "arguments that are not JSON",
        ),
    ],
)
def test_malformed_replies(fake: FakeProvider, body: object, problem: str) -> None:
    fake.fail_next(200, body)
    error = error_of(model_for(fake))
    assert problem in str(error)
    assert "openai-protocol server" in str(error)
    assert MALFORMED.split("{")[0] == "model "


def test_timeout(fake: FakeProvider) -> None:
    fake.latency = 1.0
    error = error_of(model_for(fake, options=",timeout=0.2,max_retries=0"))
    assert str(error).startswith("model ")
    assert "no answer within 0.2 s after 1 attempt(s)" in str(error)
    assert TIMED_OUT.split("{")[0] == "model "


def test_unreachable_base_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spec = parse_provider_spec(f"ollama:llama3.2,base_url=http://127.0.0.1:{port}/v1")
    model = ProviderModel(spec)
    OPEN.append(model)
    error = error_of(model)
    assert "could not connect (ConnectError)" in str(error)
    assert f"is the server running at http://127.0.0.1:{port}/v1?" in str(error)
    assert UNREACHABLE.endswith("in the model spec")


def test_a_judge_runs_on_a_provider(fake: FakeProvider) -> None:
    model = model_for(fake)
    registry = registry_with(model)
    with metering() as meter:
        assert registry.judge(model.slug, "Rate it from 1 to 5") == "answer #1: Rate it from 1 to 5"
    assert meter.calls[0]["purpose"] == "judge"
    assert fake.requests[0]["body"]["temperature"] == 0.0


# --- metering ---------------------------------------------------------------------------------


def test_python_models_get_estimated_tokens_and_unknown_cost() -> None:
    registry = ModelRegistry()
    registry.register("shout", lambda r: r.prompt.upper())
    registry.register("priced", lambda r: "ok")
    registry.set_price("priced", 1.0, 2.0)
    with metering() as meter:
        registry.complete("shout", ask("a" * 40, "shout"))
        registry.complete("priced", ask("b" * 8, "priced"))
    first, second = meter.calls
    assert (first["input_tokens"], first["output_tokens"], first["tokens_estimated"]) == (
        10,
        10,
        True,
    )
    assert first["cost_usd"] is None
    assert second["cost_usd"] == pytest.approx((2 * 1.0 + 1 * 2.0) / 1e6)
    total = summarize(meter.calls)
    assert total["cost_usd"] == second["cost_usd"]
    assert total["unpriced_calls"] == 1
    assert total["tokens_estimated"] is True
    assert total["calls"] == 2
    assert summarize([first])["cost_usd"] is None  # unknown, never $0


def test_a_price_for_an_unregistered_slug_is_a_typo_error() -> None:
    registry = ModelRegistry()
    registry.register("gpt", lambda r: "ok")
    with pytest.raises(LookupError, match="no model is registered for slug 'gtp'"):
        registry.set_price("gtp", 1.0, 2.0)
    with pytest.raises(ValueError, match="must be two finite numbers >= 0"):
        registry.set_price("gpt", -1.0, 2.0)


def test_failed_calls_are_metered_with_their_error(fake: FakeProvider) -> None:
    fake.fail_next(400, {"error": {"message": "bad temperature"}})
    model = model_for(fake)
    with metering() as meter, pytest.raises(ProviderError, match="rejected the request"):
        registry_with(model).complete(model.slug, ask("hi"))
    assert "bad temperature" in meter.calls[0]["error"]


# --- the cache --------------------------------------------------------------------------------


def test_cache_key_covers_parameters_and_repeat() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 0.2}
    same = cache_key("openai", dict(body), 0)
    assert same == cache_key("openai", {**body}, 0)
    assert same != cache_key("openai", {**body, "temperature": 0.3}, 0)
    assert same != cache_key("openai", {**body, "seed": 1}, 0)
    assert same != cache_key("openai", body, 1)
    assert same != cache_key("ollama", body, 0)
    assert same != cache_key("openai", {**body, "tools": [{"name": "t"}]}, 0)


def test_record_then_replay_without_network(fake: FakeProvider, tmp_path: Path) -> None:
    record = ModelCache(tmp_path, "record")
    model = model_for(fake, cache=record)
    registry = registry_with(model)
    with metering(repeat=0):
        first = registry.complete(model.slug, ask("plan Rome"))
    with metering(repeat=1):
        second = registry.complete(model.slug, ask("plan Rome"))
    assert (first.text, second.text) == ("answer #1: plan Rome", "answer #2: plan Rome")
    fake.stop()  # no network from here on
    replay = registry_with(model_for(fake, cache=ModelCache(tmp_path, "replay"), key=None))
    with metering(repeat=1) as meter:
        again = replay.complete(model.slug, ask("plan Rome"))
    assert again.text == "answer #2: plan Rome"  # repeat 1 is its own sample
    assert meter.calls[0]["replayed"] is True
    assert meter.calls[0]["input_tokens"] == 2
    with (
        metering(repeat=0, label="task 7 of job-3") as meter,
        pytest.raises(CacheMissError) as info,
    ):
        replay.complete(model.slug, ask("plan Rome", temperature=0.9))
    message = str(info.value)
    assert (
        "replay: no recorded answer for this call of model 'openai-compatible:fake-model'"
        in message
    )
    assert "repeat 0, 1 message(s), last: 'plan Rome') in task 7 of job-3" in message
    assert "--pipelines-cache=record" in message
    assert meter.calls[0]["error"] == message


def test_use_mode_reads_hits_and_writes_misses(fake: FakeProvider, tmp_path: Path) -> None:
    model = model_for(fake, cache=ModelCache(tmp_path, "use"))
    registry = registry_with(model)
    assert registry.complete(model.slug, ask("a")).text == "answer #1: a"
    assert registry.complete(model.slug, ask("a")).text == "answer #1: a"
    assert registry.complete(model.slug, ask("b")).text == "answer #2: b"
    assert len(fake.requests) == 2
    off = registry_with(model_for(fake, cache=ModelCache(tmp_path, "off")))
    assert off.complete(model.slug, ask("a")).text == "answer #3: a"


def test_cache_files_hold_no_key_and_replay_registers_recorded_models(
    fake: FakeProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEY", KEY)
    registry = ModelRegistry()
    registry.cache = ModelCache(tmp_path, "record")
    spec = (
        f"openai-compatible:fake-model,as=demo-planner,base_url={fake.base_url}/v1,key_env=FAKE_KEY"
    )
    registry.load_spec(spec)
    registry.complete("demo-planner", ask("plan Rome", "demo-planner"))
    written = [p.read_text() for p in tmp_path.rglob("*.json")]
    assert len(written) == 2  # the manifest and one call
    assert not any(KEY in text or "PROVIDERSECRET" in text for text in written)
    monkeypatch.delenv("FAKE_KEY")
    fake.stop()
    replaying = ModelRegistry()
    replaying.register("demo-planner", lambda r: "the demo program")
    replaying.cache = ModelCache(tmp_path, "replay")
    assert register_recorded(replaying) == ["demo-planner"]
    assert replaying.complete("demo-planner", ask("plan Rome", "demo-planner")).text == (
        "answer #1: plan Rome"
    )
    assert "replayed from the cache" in replaying.entry("demo-planner").description
    registry.close()
    replaying.close()


def test_bad_cache_mode() -> None:
    with pytest.raises(ValueError, match="valid modes: off, use, record, replay"):
        ModelCache(".", "sometimes")
