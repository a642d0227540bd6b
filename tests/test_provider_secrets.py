"""A provider's API key never appears in output, reports, the model-call cache or reprs.

In the style of ``test_secrets.py``: a distinctive key (``KEY``), looked for with every fragment
of it longer than 7 characters, in what a user could see of inner pytest runs that record from,
then fail against, a fake provider that demands the key and echoes it in its 401 message.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_pipelines._secret import Secret
from pytest_pipelines.local._demo.fake_provider import FakeProvider
from pytest_pipelines.local._engine.providers import (
    ModelCache,
    ProviderError,
    ProviderModel,
    parse_provider_spec,
)
from pytest_pipelines.local.models import Message, ModelRegistry, ModelRequest

pytest_plugins = ["pytester"]

KEY = "sk-proj-ZQXKEYVAL-8642"
FRAGMENTS = sorted(
    {KEY[i:j] for i in range(len(KEY)) for j in range(i + 8, len(KEY) + 1)} - {"sk-proj-"}
)


def assert_no_key(text: str, where: str) -> None:
    leaked = [f for f in FRAGMENTS if f in text]
    assert not leaked, f"provider key fragments {leaked[:3]} leaked in {where}"


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider(models=("fake-model",), key=KEY) as server:
        yield server


SUITE = """
import pytest

@pytest.mark.pipelines_workflow(22, 10, count=1)
def test_plan(pipelines_run):
    assert pipelines_run.tasks[0].output("plan", "itinerary").startswith("answer #")
"""


def test_inner_runs_reports_and_cache_never_show_the_key(
    pytester: pytest.Pytester,
    fake: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # The inner runs are in-process (about half the time of two subprocesses); whatever they
    # wrote past pytester's capture, to the file descriptors themselves, is read with capfd.
    monkeypatch.setenv("FAKE_PROVIDER_KEY", KEY)
    pytester.makeini(
        "[pytest]\npipelines_env = local\npipelines_demo = true\npipelines_default_gate = none\n"
    )
    pytester.makepyfile(test_suite=SUITE)
    spec = (
        f"openai-compatible:fake-model,as=demo-planner,base_url={fake.base_url}/v1,"
        "key_env=FAKE_PROVIDER_KEY"
    )
    flags = ["-vv", "-l", "--tb=long", "-rA", "--log-level=DEBUG", f"--pipelines-model={spec}"]
    recorded = pytester.runpytest(
        *flags, "--pipelines-cache=record", "--junitxml=rec.xml", "--pipelines-junitxml=prec.xml"
    )
    recorded.assert_outcomes(passed=1)
    assert fake.requests[0]["headers"]["authorization"] == f"Bearer {KEY}"  # it was sent
    fake.fail_next(401, {"error": {"message": f"Incorrect API key provided: {KEY}."}})
    refused = pytester.runpytest(
        *flags, "--pipelines-cache=off", "--junitxml=ref.xml", "--pipelines-junitxml=pref.xml"
    )
    refused.assert_outcomes(errors=1)
    refused.stdout.fnmatch_lines(["*Incorrect API key provided: ***.*$FAKE_PROVIDER_KEY*"])
    for name, run in (("record", recorded), ("refused", refused)):
        assert_no_key(run.stdout.str() + run.stderr.str(), f"the {name} run's output")
    beside = capfd.readouterr()
    assert_no_key(beside.out + beside.err, "what the inner runs wrote past pytester's capture")
    written = list(pytester.path.glob("*.xml")) + list(
        (pytester.path / ".pipelines-cache").rglob("*.json")
    )
    assert len(written) >= 6  # four reports, the manifest and at least one call
    for path in written:
        assert_no_key(path.read_text(encoding="utf-8"), str(path.name))


def test_reprs_and_errors_hide_the_key(fake: FakeProvider, tmp_path: Path) -> None:
    spec = parse_provider_spec(f"openai-compatible:fake-model,base_url={fake.base_url}/v1")
    model = ProviderModel(spec, key=Secret(KEY), cache=ModelCache(tmp_path, "use"))
    registry = ModelRegistry()
    registry.register(model.slug, model)
    seen = [repr(model), repr(spec), repr(registry), str(spec.describe()), repr(model.cache)]
    fake.fail_next(401, {"error": {"message": f"bad key {KEY}"}})
    request = ModelRequest(model.slug, "hi", (Message("user", "hi"),))
    with pytest.raises(ProviderError) as info:
        registry.complete(model.slug, request)
    seen += [str(info.value), repr(info.value)]
    model.close()
    for text in seen:
        assert_no_key(text, text[:60])
    assert "bad key ***" in str(info.value)
