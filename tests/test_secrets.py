"""End-to-end audit: an API key never appears in output, reports, logs, reprs or exceptions.

Every check uses a distinctive key (``KEY``) and looks for it, and for each recognisable
fragment of it longer than 6 characters, in what a user could see: the terminal output of inner
pytest runs (passing, failing a gate, failing in the body, broken; with ``-vv``, ``-l``,
``--tb=long``, ``--full-trace``, ``--setup-show``, ``-rA``, debug logging and ``-n 2``), the
JUnit files, reprs of the public objects, every error the client raises, the local backend's
logs and ``pipelines-local serve`` output. Where a run must print the object that holds the key
(``-l`` locals, assertion explanations), the test also checks that the masked form is there, so
it cannot pass by printing nothing.
"""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from pytest_pipelines._secret import Secret, mask
from pytest_pipelines.client import (
    AsyncPipelinesClient,
    AuthenticationError,
    ForbiddenError,
    NotFoundError,
    PipelinesAPIError,
    PipelinesClient,
    PipelinesConfigError,
    PipelinesConnectionError,
    PipelinesError,
    RateLimitError,
    ServerError,
    ValidationError,
)

if TYPE_CHECKING:
    from pytest_pipelines.local import LocalPipelines

pytest_plugins = ["pytester"]

KEY = "pk_live_TOPSECRET_4242"
LIMITED_KEY = "pk_live_LIMITEDSECRET_9999"
MASKED = "pk_live_***"


def fragments(key: str) -> list[str]:
    """The key and every run of 7 or more of its characters, except the public ``pk_live_``."""
    runs = {key[i:j] for i in range(len(key)) for j in range(i + 7, len(key) + 1)}
    return sorted(r for r in runs if r not in "pk_live_")


FRAGMENTS = fragments(KEY) + fragments(LIMITED_KEY)


def assert_no_key(text: str, where: str) -> None:
    """Fail naming where a key fragment leaked (the fragment, not the text around it)."""
    leaked = [f for f in FRAGMENTS if f in text]
    assert not leaked, f"API key fragments {leaked[:3]} leaked in {where}"


def test_fragments_cover_the_secret_part() -> None:
    assert "TOPSECRET" in FRAGMENTS
    assert KEY in FRAGMENTS
    assert "ET_4242" in FRAGMENTS
    assert "pk_live" not in FRAGMENTS
    assert_no_key(f"client api_key={MASKED!r} ****4242", "the masked forms")
    with pytest.raises(AssertionError):
        assert_no_key(f"x {KEY} y", "a leak")


# ---------------------------------------------------------------------------------------------
# A backend whose full-access key is KEY, plus a limited key
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secret_backend() -> Iterator[LocalPipelines]:
    """A demo backend whose full key is KEY; LIMITED_KEY has no models/evaluations scope."""
    from pytest_pipelines.local import LocalPipelines

    seed = {
        "api_keys": [
            {"key": LIMITED_KEY, "org_id": 2, "user_id": 1, "scopes": ["prompts"], "name": "ltd"}
        ]
    }
    with LocalPipelines(demo=True, api_key=KEY, seeds=[seed]) as local:
        # A real request from this process first: httpx imports httpcore on first use, and an
        # inner pytester run drops the modules it imported, so httpcore first imported inside
        # one would come back as a second copy that httpx's exception mapping does not know.
        with local.client() as client:
            assert client.whoami()["org_id"] == 2
        yield local


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No outer PIPELINES_DEBUG; the debug handler a test installs does not outlive it.

    (``PIPELINES_DEBUG=1`` adds a handler to the ``pytest_pipelines`` logger while a client is
    open; a client a test leaves unclosed would keep it until the garbage collector takes it.)
    """
    for name in ("PIPELINES_DEBUG", "PYTEST_ADDOPTS", "PYTEST_XDIST_AUTO_NUM_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    logger = logging.getLogger("pytest_pipelines")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


def args_for(backend: LocalPipelines, key: str = KEY) -> list[str]:
    return [
        f"--pipelines-env={backend.base_url}",
        f"--pipelines-api-key={key}",
        "-p",
        "no:cacheprovider",
    ]


INNER = """
import os

import pytest

from pytest_pipelines import PipelinesClient

pytestmark = pytest.mark.pipelines_workflow(22, 10, count=1)


def test_pass(pipelines_run, pipelines_client, pipelines_settings):
    print("REPRS", repr(pipelines_run), repr(pipelines_client), repr(pipelines_settings))
    print("SETTINGS", pipelines_settings, pipelines_settings.describe())
    assert pipelines_run.criterion("Has Day Number").pass_rate == 1.0


@pytest.mark.pipelines_model_swap("plan", "echo")
@pytest.mark.pipelines_gate("Mentions Rome Highlights", min_pass_rate=0.8)
def test_gate_miss(pipelines_run):
    pass


def test_body_failure(pipelines_run, pipelines_client):
    assert pipelines_client is None


@pytest.mark.pipelines_model_swap("plan", "no-such-model")
def test_unknown_model(pipelines_run):
    pass


@pytest.mark.pipelines_workflow(22, 99999, count=1)
def test_unknown_workflow(pipelines_run):
    pass


def test_client_404(pipelines_client):
    pipelines_client.get_workflow(22, 99999)


def test_bad_client_config():
    PipelinesClient(api_key=os.environ["KEY_UNDER_TEST"], base_url="ftp://nowhere")


def test_bad_local_client_config():
    from pytest_pipelines.local import LocalPipelines

    LocalPipelines().client(api_key=os.environ["KEY_UNDER_TEST"], max_retries=-1)


def test_key_in_assertion(pipelines_settings, pipelines_client):
    assert pipelines_client.api_key is None or pipelines_settings.api_key is None


def test_key_compared(pipelines_client):
    assert pipelines_client.api_key == "pk_live_other_key_1234"
"""

# passed, failed, errors of INNER
OUTCOMES = {"passed": 1, "failed": 7, "errors": 2}

OPTION_SETS: dict[str, list[str]] = {
    "default": [],
    "vv": ["-vv"],
    "showlocals": ["-l"],
    "tb-long-showlocals": ["--tb=long", "-l"],
    "full-trace": ["--full-trace"],
    "full-trace-showlocals": ["--full-trace", "-l", "-vv"],
    "setup-show": ["--setup-show"],
    "rA-capture-off": ["-rA", "-s"],
}


def run_inner(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    backend: LocalPipelines,
    *extra: str,
    key: str = KEY,
    source: str = INNER,
) -> pytest.RunResult:
    monkeypatch.setenv("KEY_UNDER_TEST", KEY)
    pytester.makepyfile(test_secret_inner=source)
    return pytester.runpytest(*args_for(backend, key), *extra)


def output_of(result: pytest.RunResult) -> str:
    return result.stdout.str() + "\n" + result.stderr.str()


@pytest.mark.parametrize("options", list(OPTION_SETS.values()), ids=list(OPTION_SETS))
def test_inner_runs_never_print_the_key(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    secret_backend: LocalPipelines,
    options: list[str],
) -> None:
    result = run_inner(pytester, monkeypatch, secret_backend, *options)
    result.assert_outcomes(**OUTCOMES)
    text = output_of(result)
    assert_no_key(text, f"pytest {' '.join(options)} output")
    # the objects holding the key were printed, masked: the check above saw them
    assert MASKED in text
    if "-l" in options:
        # locals of the client frames (request building) and the plugin settings are shown
        assert "api_key = " in text or "api_key=" in text
    assert "'pk_live_***' (22 characters) == 'pk_live_***' (22 characters)" in text
    assert "an API key is compared: its value is not shown" in text
    if "-s" in options:
        assert "REPRS" in text
        assert "PipelinesClient(base_url=" in text


def test_debug_logging_and_log_capture(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, secret_backend: LocalPipelines
) -> None:
    monkeypatch.setenv("PIPELINES_DEBUG", "1")
    result = run_inner(
        pytester,
        monkeypatch,
        secret_backend,
        "-o",
        "log_cli=true",
        "--log-cli-level=DEBUG",
        "--log-level=DEBUG",
        "-rA",
        "-l",
    )
    result.assert_outcomes(**OUTCOMES)
    text = output_of(result)
    assert " -> 200 (" in text  # the client's debug log of requests was shown
    assert_no_key(text, "debug log output")


def test_junit_files(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, secret_backend: LocalPipelines
) -> None:
    result = run_inner(
        pytester,
        monkeypatch,
        secret_backend,
        "--junitxml=plain.xml",
        "--pipelines-junitxml=detailed.xml",
        "--pipelines-summary-md=summary.md",
        "--pipelines-html=report.html",
        "-o",
        "junit_logging=all",
        "-o",
        "junit_family=xunit1",  # the plugin's scalar properties too
        "-l",
    )
    result.assert_outcomes(**OUTCOMES)
    assert_no_key(output_of(result), "junit run output")
    plain = (pytester.path / "plain.xml").read_text(encoding="utf-8")
    detailed = (pytester.path / "detailed.xml").read_text(encoding="utf-8")
    for name in ("summary.md", "report.html"):
        text = (pytester.path / name).read_text(encoding="utf-8")
        assert "Mentions Rome Highlights" in text
        assert_no_key(text, name)
    assert "test_gate_miss" in plain
    assert "Mentions Rome Highlights" in detailed
    assert MASKED in plain  # the failure texts with locals are in the file
    assert_no_key(plain, "--junitxml file")
    assert_no_key(detailed, "--pipelines-junitxml file")


def test_distributed_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, secret_backend: LocalPipelines
) -> None:
    result = run_inner(pytester, monkeypatch, secret_backend, "-n", "2", "-l", "-rA")
    result.assert_outcomes(**OUTCOMES)
    text = output_of(result)
    assert MASKED in text
    assert_no_key(text, "-n 2 output")


def test_key_from_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, secret_backend: LocalPipelines
) -> None:
    """The usual setup: PIPELINES_API_KEY in the environment (frames holding os.environ)."""
    monkeypatch.setenv("PIPELINES_API_KEY", KEY)
    monkeypatch.setenv("KEY_UNDER_TEST", KEY)
    pytester.makepyfile(test_secret_inner=INNER)
    result = pytester.runpytest(
        f"--pipelines-env={secret_backend.base_url}", "-p", "no:cacheprovider", "-l", "--full-trace"
    )
    result.assert_outcomes(**OUTCOMES)
    text = output_of(result)
    assert "<environment of " in text  # the client's env lookup frame was shown, values hidden
    assert_no_key(text, "output of a run with PIPELINES_API_KEY set")


LOCAL_MODE = """
from pathlib import Path

import pytest


def test_body_failure(pipelines_client, worker_id):
    Path(f"key-{worker_id}.txt").write_text(str(pipelines_client.api_key))
    assert pipelines_client is None


def test_client_404(pipelines_client):
    pipelines_client.get_workflow(22, 99999)


def test_key_compared(pipelines_client):
    assert pipelines_client.api_key == "pk_local_wrong"
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_local_mode_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: list[str]
) -> None:
    """The embedded backend's generated key is masked too, on workers as well."""
    pytester.makepyfile(test_local_inner=LOCAL_MODE)
    result = pytester.runpytest(
        "--pipelines-env=local", "-p", "no:cacheprovider", "-l", "-rA", *workers
    )
    result.assert_outcomes(failed=3)
    text = output_of(result)
    keys = {f.read_text() for f in pytester.path.glob("key-*.txt")}
    assert len(keys) == 1
    key = keys.pop()
    assert key.startswith("pk_local_")
    assert f"api_key='{mask(key)}'" in text
    assert "an API key is compared: its value is not shown" in text
    assert key[len("pk_local_") :] not in text


LIMITED = """
import pytest

@pytest.mark.pipelines_workflow(22, 10, count=1)
def test_limited(pipelines_run):
    pass

def test_limited_client(pipelines_client):
    pipelines_client.list_evaluations()
"""


def test_forbidden_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, secret_backend: LocalPipelines
) -> None:
    result = run_inner(
        pytester,
        monkeypatch,
        secret_backend,
        "-l",
        "--tb=long",
        "-rA",
        key=LIMITED_KEY,
        source=LIMITED,
    )
    text = output_of(result)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) + outcomes.get("errors", outcomes.get("error", 0)) == 2
    assert "ForbiddenError" in text or "403" in text
    assert_no_key(text, "output of a run with a limited key")


def test_unknown_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, secret_backend: LocalPipelines
) -> None:
    wrong = "pk_live_TOPSECRET_0000"
    pytester.makepyfile(test_secret_inner=LIMITED)
    result = pytester.runpytest(*args_for(secret_backend, wrong), "-l", "--tb=long", "-rA")
    text = output_of(result)
    assert "401" in text or "AuthenticationError" in text or "unknown API key" in text
    assert "TOPSECRET" not in text
    assert "pk_live_***" in text or "unknown API key" in text


# ---------------------------------------------------------------------------------------------
# Reprs
# ---------------------------------------------------------------------------------------------


def test_secret_behaves_as_its_value_but_masks_repr() -> None:
    s = Secret(KEY)
    assert s == KEY
    assert hash(s) == hash(KEY)
    assert f"{s}" == KEY
    assert str(s) == KEY
    assert type(str(s)) is str
    assert s.encode() == KEY.encode()
    assert repr(s) == repr(MASKED)
    assert (
        repr({"k": s, "h": Secret(f"Bearer {s}")})
        == "{'k': 'pk_live_***', 'h': 'Bearer pk_live_***'}"
    )
    assert repr(pickle.loads(pickle.dumps(s))) == repr(MASKED)
    assert mask("opaque-token") == "***"


def test_client_reprs(secret_backend: LocalPipelines) -> None:
    with PipelinesClient(api_key=KEY, base_url=secret_backend.base_url) as client:
        seen = [repr(client), str(client), repr(client.api_key), repr(vars(client))]
        seen.append(repr(client._settings))
        request = client._build_request("GET", "/api/users/me")
        seen += [repr(request), repr(request.headers), str(request.headers)]
        seen.append(repr(client._headers()))
        assert client.whoami()["org_id"] == 2
    aclient = AsyncPipelinesClient(api_key=KEY, base_url=secret_backend.base_url)
    seen += [repr(aclient), str(aclient), repr(vars(aclient))]
    text = "\n".join(seen)
    assert MASKED in text
    assert "Bearer pk_live_***" in text
    assert_no_key(text, "client reprs")


def test_settings_state_and_local_reprs(
    pytester: pytest.Pytester, secret_backend: LocalPipelines
) -> None:
    from pytest_pipelines._session import STATE_KEY
    from pytest_pipelines._settings import resolve_settings

    config = pytester.parseconfigure(*args_for(secret_backend))
    settings = resolve_settings(config)
    state = config.stash[STATE_KEY]  # the plugin's own (a second make_state would leak a ledger)
    assert settings.api_key == KEY
    assert state.api_key == KEY
    seen = [repr(settings), str(settings), settings.describe(), repr(state), repr(vars(state))]
    seen += [repr(settings.api_key), repr(vars(settings))]
    seen += [
        repr(secret_backend),
        str(secret_backend),
        repr(secret_backend.api_key),
        repr(secret_backend.api_keys),
        repr(vars(secret_backend)),
        repr(vars(secret_backend.state)),
    ]
    text = "\n".join(seen)
    assert MASKED in text
    assert_no_key(text, "settings, state and LocalPipelines reprs")


# ---------------------------------------------------------------------------------------------
# Every error the client raises
# ---------------------------------------------------------------------------------------------


def echoing(status: int, headers: dict[str, str] | None = None) -> Callable[[httpx.Request], Any]:
    """A server that answers ``status`` and echoes the Authorization header it got."""

    def handler(request: httpx.Request) -> httpx.Response:
        auth = request.headers["authorization"]
        return httpx.Response(
            status,
            json={"detail": f"rejected credentials {auth}", "echo": [{"auth": auth}]},
            headers=headers or {},
        )

    return handler


def raising(exc_type: type[httpx.TransportError]) -> Callable[[httpx.Request], Any]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type(f"boom for {request.url}", request=request)

    return handler


def error_text(exc: BaseException) -> str:
    """Everything printing the error shows: str, repr, args, attributes, chained causes."""
    parts = ["".join(traceback.format_exception(type(exc), exc, exc.__traceback__))]
    for e in (exc, exc.__cause__, exc.__context__):
        if e is None:
            continue
        parts += [str(e), repr(e), repr(e.args), repr(vars(e))]
        request = getattr(e, "_request", None) or vars(e).get("request")
        if isinstance(request, httpx.Request):
            parts += [repr(request), repr(request.headers)]
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthenticationError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (422, ValidationError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_api_errors_never_carry_the_key(status: int, error: type[PipelinesAPIError]) -> None:
    transport = httpx.MockTransport(echoing(status, {"Retry-After": "0"}))
    with (
        httpx.Client(transport=transport) as http,
        PipelinesClient(
            api_key=KEY, base_url="http://api.test", http_client=http, sleep=lambda s: None
        ) as client,
        pytest.raises(error) as info,
    ):
        client.get_workflow(22, 10)
    assert info.value.status_code == status
    assert "rejected credentials" in str(info.value)  # the server's message is kept
    assert_no_key(error_text(info.value), f"a {status} error")
    assert_no_key(repr(info.value.body), f"the body of a {status} error")


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (httpx.ConnectError, PipelinesConnectionError),
        (httpx.ReadTimeout, PipelinesError),
        (httpx.ConnectTimeout, PipelinesError),
    ],
)
def test_transport_errors_never_carry_the_key(
    failure: type[httpx.TransportError], error: type[PipelinesError]
) -> None:
    with (
        httpx.Client(transport=httpx.MockTransport(raising(failure))) as http,
        PipelinesClient(
            api_key=KEY, base_url="http://api.test", http_client=http, sleep=lambda s: None
        ) as client,
        pytest.raises(error) as info,
    ):
        client.whoami()
    cause = info.value.__cause__
    assert isinstance(cause, failure)
    assert cause.request.headers["authorization"] == f"Bearer {KEY}"  # it is there, hidden
    assert_no_key(error_text(info.value), f"a {failure.__name__} error")


def test_malformed_body_and_config_errors() -> None:
    def garbage(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=f"<html>{request.headers['authorization']}</html>")

    with (
        httpx.Client(transport=httpx.MockTransport(garbage)) as http,
        PipelinesClient(api_key=KEY, base_url="http://api.test", http_client=http) as client,
        pytest.raises(PipelinesAPIError) as info,
    ):
        client.whoami()
    assert_no_key(error_text(info.value), "a malformed-body error")
    for kwargs in ({"base_url": "ftp://nowhere"}, {"max_retries": -1}):
        with pytest.raises(PipelinesConfigError) as config_info:
            PipelinesClient(api_key=KEY, **kwargs)
        assert_no_key(error_text(config_info.value), f"a config error {kwargs}")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_client_errors() -> None:
    transport = httpx.MockTransport(echoing(403))
    async with (
        httpx.AsyncClient(transport=transport) as http,
        AsyncPipelinesClient(api_key=KEY, base_url="http://api.test", http_client=http) as client,
    ):
        assert_no_key(repr(client), "async client repr")
        with pytest.raises(ForbiddenError) as info:
            await client.whoami()
    assert_no_key(error_text(info.value), "an async 403")


# ---------------------------------------------------------------------------------------------
# The local backend: its logs and the CLI
# ---------------------------------------------------------------------------------------------


def test_local_backend_logs(
    secret_backend: LocalPipelines,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PIPELINES_DEBUG", "1")
    caplog.set_level(logging.DEBUG)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "pytest_pipelines", "httpx"):
        caplog.set_level(logging.DEBUG, logger=name)
    with secret_backend.client(max_retries=0) as client:
        assert client.whoami()["org_id"] == 2
        with pytest.raises(NotFoundError):
            client.get_workflow(22, 99999)
    limited = secret_backend.client(api_key=LIMITED_KEY, max_retries=0)
    with limited, pytest.raises(ForbiddenError):
        limited.list_evaluations()
    response = httpx.get(
        secret_backend.base_url + "/api/users/me",
        headers={"Authorization": "Bearer pk_live_TOPSECRET_0000"},
    )
    assert response.status_code == 401
    assert_no_key(response.text, "a 401 body")
    assert " -> 200 (" in caplog.text
    assert_no_key(caplog.text, "the local backend's and the client's logs")


def serve(*args: str) -> tuple[list[str], str]:
    command = [sys.executable, "-m", "pytest_pipelines.local.cli", "serve", *args]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        try:
            lines = [proc.stdout.readline().strip() for _ in range(4 + ("--demo" in args))]
        finally:
            proc.terminate()
        _, err = proc.communicate(timeout=20)
    return lines, err


def test_cli_masks_a_supplied_key_but_prints_demo_and_generated_keys(tmp_path: Path) -> None:
    lines, err = serve("--demo", "--api-key", KEY, "--db", str(tmp_path / "a.sqlite3"))
    values = dict(line.split("=", 1) for line in lines[1:])
    assert values["PIPELINES_API_KEY"] == "****4242"
    assert values["PIPELINES_API_KEY_FULL"] == "****4242"
    assert values["PIPELINES_API_KEY_PROMPTS_ONLY"] == "pk_local_prompts_only"
    assert_no_key("\n".join(lines) + err, "pipelines-local serve --api-key output")
    generated, _ = serve("--db", str(tmp_path / "b.sqlite3"))
    values = dict(line.split("=", 1) for line in generated[1:])
    assert values["PIPELINES_API_KEY"].startswith("pk_local_")
    assert len(values["PIPELINES_API_KEY"]) == len("pk_local_") + 24


def test_shown_key_masks_only_a_supplied_secret() -> None:
    from pytest_pipelines.local.cli import shown_key

    assert shown_key(KEY, KEY) == "****4242"
    assert shown_key("short", "short") == "****"
    assert shown_key("pk_local_demo", "pk_local_demo") == "pk_local_demo"
    assert shown_key("pk_local_prompts_only", KEY) == "pk_local_prompts_only"
    assert shown_key("pk_local_0123456789abcdef01234567", None) == (
        "pk_local_0123456789abcdef01234567"
    )
