"""Options, ini keys and environment variables: precedence, invalid values, the report header."""

from __future__ import annotations

import json

import pytest

from pytest_pipelines._settings import (
    BAD_BASE_URL,
    BAD_DEFAULT_GATE,
    BAD_ENV,
    BAD_TIMEOUT,
    LOCAL_ONLY_IGNORED,
    LOCAL_ONLY_WORDS,
    LOCAL_WITH_BASE_URL,
    PRODUCTION_URL,
)

DUMP = """
import json

def test_dump(pipelines_settings):
    s = pipelines_settings
    print("SETTINGS=" + json.dumps({
        "env": s.env, "mode": s.mode, "base_url": s.base_url, "key": s.api_key,
        "timeout": s.timeout, "junitxml": s.junitxml, "models": list(s.models),
        "seeds": list(s.seeds), "demo": s.demo, "default_gate": s.default_gate,
        "sources": s.sources,
    }))
"""


def settings_of(pytester: pytest.Pytester, *args: str) -> dict[str, object]:
    pytester.makepyfile(test_dump=DUMP)
    result = pytester.runpytest("-s", "-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=1)
    line = next(x for x in result.outlines if "SETTINGS=" in x)
    data: dict[str, object] = json.loads(line.split("SETTINGS=", 1)[1].rstrip("."))
    return data


def test_defaults(pytester: pytest.Pytester) -> None:
    s = settings_of(pytester)
    assert s["env"] == "production"
    assert s["mode"] == "remote"
    assert s["base_url"] == PRODUCTION_URL
    assert s["key"] is None
    assert s["timeout"] == 300.0
    assert s["junitxml"] is None
    assert (s["models"], s["seeds"], s["demo"], s["default_gate"]) == (
        [],
        [],
        False,
        "all-boolean-pass",
    )


def test_env_precedence_cli_over_ini_over_env(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINES_ENV", "https://env.example.com")
    assert settings_of(pytester)["base_url"] == "https://env.example.com"
    pytester.makeini("[pytest]\npipelines_env = https://ini.example.com/\n")
    s = settings_of(pytester)
    assert (s["base_url"], s["sources"]["env"]) == ("https://ini.example.com", "ini")  # type: ignore[index]
    s = settings_of(pytester, "--pipelines-env=https://cli.example.com")
    assert (s["base_url"], s["sources"]["env"]) == ("https://cli.example.com", "cli")  # type: ignore[index]
    assert settings_of(pytester, "--pipelines-env=LOCAL")["mode"] == "local"


def test_url_scheme_is_case_insensitive(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINES_ENV", "HTTP://env.example.com:8700/")
    s = settings_of(pytester)
    assert (s["env"], s["base_url"], s["mode"]) == (
        "http://env.example.com:8700/",
        "http://env.example.com:8700",
        "remote",
    )
    monkeypatch.delenv("PIPELINES_ENV")
    assert settings_of(pytester, "--pipelines-base-url=HTTPS://b.example")["base_url"] == (
        "https://b.example"
    )


def test_base_url_precedence(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINES_BASE_URL", "http://env-base:1")
    assert settings_of(pytester)["base_url"] == "http://env-base:1"
    pytester.makeini("[pytest]\npipelines_base_url = http://ini-base:2\n")
    assert settings_of(pytester)["base_url"] == "http://ini-base:2"
    assert (
        settings_of(pytester, "--pipelines-base-url=http://cli-base:3/")["base_url"]
        == "http://cli-base:3"
    )


def test_api_key_cli_over_env_and_never_from_ini(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINES_API_KEY", "pk_env")
    assert settings_of(pytester)["key"] == "pk_env"
    assert settings_of(pytester, "--pipelines-api-key=pk_cli")["key"] == "pk_cli"
    pytester.makeini("[pytest]\npipelines_api_key = pk_ini\n")
    monkeypatch.delenv("PIPELINES_API_KEY")
    pytester.makepyfile(test_dump=DUMP)
    result = pytester.runpytest("-s", "-p", "no:cacheprovider", "--strict-config")
    result.stderr.fnmatch_lines(["*Unknown config option: pipelines_api_key*"])


def test_timeout_junit_models_seeds_demo_gate(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\npipelines_timeout = 12.5\npipelines_junitxml = ini.xml\n"
        "pipelines_models =\n    a.b:model\n    c:d\npipelines_seeds = seed.json\n"
        "pipelines_demo = true\npipelines_default_gate = none\n"
    )
    s = settings_of(pytester)
    assert (s["timeout"], s["junitxml"], s["models"], s["seeds"], s["demo"], s["default_gate"]) == (
        12.5,
        "ini.xml",
        ["a.b:model", "c:d"],
        ["seed.json"],
        True,
        "none",
    )
    s = settings_of(
        pytester,
        "--pipelines-timeout=3",
        "--pipelines-junitxml=cli.xml",
        "--pipelines-model=x:y",
        "--pipelines-model=z:w",
        "--pipelines-seed=s2.json",
        "--pipelines-demo",
    )
    assert (s["timeout"], s["junitxml"], s["models"], s["seeds"], s["demo"]) == (
        3.0,
        "cli.xml",
        ["a.b:model", "c:d", "x:y", "z:w"],  # models add up: ini, then command line
        ["s2.json"],
        True,
    )


@pytest.mark.parametrize(
    ("args", "ini", "env", "expected"),
    [
        (
            ["--pipelines-env=staging"],
            "",
            {},
            BAD_ENV.format(source="--pipelines-env", value="staging"),
        ),
        (
            [],
            "pipelines_env = ftp://x",
            {},
            BAD_ENV.format(source="ini key pipelines_env", value="ftp://x"),
        ),
        (
            [],
            "",
            {"PIPELINES_ENV": "dev"},
            BAD_ENV.format(source="environment variable PIPELINES_ENV", value="dev"),
        ),
        (
            ["--pipelines-timeout=soon"],
            "",
            {},
            BAD_TIMEOUT.format(source="--pipelines-timeout", value="soon"),
        ),
        (
            [],
            "pipelines_timeout = 0",
            {},
            BAD_TIMEOUT.format(source="ini key pipelines_timeout", value="0"),
        ),
        (
            ["--pipelines-base-url=example.com"],
            "",
            {},
            BAD_BASE_URL.format(source="--pipelines-base-url", value="example.com"),
        ),
        ([], "pipelines_default_gate = strict", {}, BAD_DEFAULT_GATE.format(value="strict")),
        (
            ["--pipelines-env=local", "--pipelines-base-url=http://x:1"],
            "",
            {},
            LOCAL_WITH_BASE_URL.format(source="--pipelines-base-url", value="http://x:1"),
        ),
        (
            [],
            "pipelines_demo = maybe",
            {},
            "pytest-pipelines: ini key pipelines_demo is 'maybe'; valid values are true or false.",
        ),
    ],
)
def test_invalid_values_are_usage_errors(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    ini: str,
    env: dict[str, str],
    expected: str,
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_dump=DUMP)
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"ERROR: {expected}" in result.stderr.str()


def test_report_header_shows_mode_and_url_never_the_key(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_dump=DUMP)
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "--pipelines-env=https://x.example.com",
        "--pipelines-api-key=pk_live_SECRET",
    )
    result.stdout.fnmatch_lines(
        [
            "pipelines: mode=remote env=https://x.example.com base_url=https://x.example.com api_key=set"
        ]
    )
    assert "pk_live_SECRET" not in result.stdout.str() + result.stderr.str()
    result = pytester.runpytest("-p", "no:cacheprovider", "--pipelines-env=local")
    result.stdout.fnmatch_lines(
        [
            "pipelines: mode=local env=local base_url=(starts on first use, 127.0.0.1 port 0) api_key=local"
        ]
    )


def test_settings_repr_hides_key(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_r(pipelines_settings):
            assert pipelines_settings.api_key == "pk_live_SECRET"
            assert "SECRET" not in repr(pipelines_settings)
        """
    )
    pytester.runpytest(
        "-p", "no:cacheprovider", "--pipelines-api-key=pk_live_SECRET"
    ).assert_outcomes(passed=1)


def test_missing_key_errors_with_both_ways_out(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pipelines_workflow(22, 10)
        def test_eval(pipelines_run):
            pass

        def test_client(pipelines_client):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    text = result.stdout.str()
    # in each test's error, and under the eval results table for the eval test
    assert text.count("pytest-pipelines: no API key for https://api.pipelines.tech.") == 3
    assert "set PIPELINES_API_KEY (or pass --pipelines-api-key=...)" in text
    assert "--pipelines-env=local" in text
    assert "mode=local" not in text  # never a silent fallback to local


def test_entry_module_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        check="""
        import sys
        import pytest_pipelines.plugin
        import pytest_pipelines.hookspecs
        heavy = sorted(m for m in ("httpx", "pydantic", "fastapi", "junitparser", "uvicorn") if m in sys.modules)
        print("HEAVY=" + ",".join(heavy))
        """
    )
    result = pytester.run(__import__("sys").executable, "check.py")
    assert "HEAVY=" in result.stdout.str()
    assert result.outlines[-1] == "HEAVY="


def test_plain_pytest_run_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_light():
            heavy = [m for m in ("httpx", "pydantic", "fastapi", "junitparser", "uvicorn") if m in sys.modules]
            assert heavy == []
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:anyio")
    result.assert_outcomes(passed=1)


def test_fixtures_have_one_line_docs(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines_random(
        [
            "pipelines_settings [[]session scope[]] -- *",
            "    The effective pytest-pipelines settings of this session (the key is never shown).",
            "pipelines_client [[]session scope[]] -- *",
            "pipelines_async_client -- *",
            "pipelines_local [[]session scope[]] -- *",
            "pipelines_prompt -- *",
            "    Factory of prompts with run-unique names, deleted at teardown.",
            "pipelines_criterion -- *",
            "pipelines_evaluation -- *",
            "pipelines_tool_endpoint -- *",
            "pipelines_tool_binding -- *",
            "pipelines_tool_ground_truth -- *",
            "pipelines_run -- *",
            "    The RunResult of this test's pipelines_* markers (a broken run is a test error).",
        ]
    )
    assert "_pipelines_janitor" not in result.stdout.str()


def test_plugin_uses_only_the_clients_public_api() -> None:
    import ast
    from pathlib import Path

    import pytest_pipelines

    root = Path(pytest_pipelines.__file__).parent
    offenders = []
    for path in sorted([root / "plugin.py", root / "hookspecs.py", *root.glob("_*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "pytest_pipelines.client._"
            ):
                offenders.append(f"{path.name}: from {node.module} import ...")
    assert offenders == []


def test_env_given_with_more_precedence_ignores_a_lower_base_url(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ini or environment base URL does not override (or block) --pipelines-env on the CLI."""
    pytester.makeini("[pytest]\npipelines_base_url = https://staging.example.com\n")
    local = settings_of(pytester, "--pipelines-env=local")
    assert (local["mode"], local["base_url"]) == ("local", None)
    url = settings_of(pytester, "--pipelines-env=http://127.0.0.1:9000")
    assert url["base_url"] == "http://127.0.0.1:9000"
    prod = settings_of(pytester, "--pipelines-env=production")
    assert prod["base_url"] == PRODUCTION_URL
    # the same source: the base URL overrides the env's URL, as documented
    assert settings_of(pytester)["base_url"] == "https://staging.example.com"
    pytester.makeini(
        "[pytest]\npipelines_env = https://a.example.com\npipelines_base_url = https://b.example.com\n"
    )
    assert settings_of(pytester)["base_url"] == "https://b.example.com"
    # an environment base URL under an ini env
    monkeypatch.setenv("PIPELINES_BASE_URL", "https://env.example.com")
    pytester.makeini("[pytest]\npipelines_env = local\n")
    assert settings_of(pytester)["mode"] == "local"


REMOTE = "https://pipelines.example.com"


def _ignored(names: str, source: str) -> str:
    words = LOCAL_ONLY_WORDS[", " in names]
    return LOCAL_ONLY_IGNORED.format(names=names, base_url=REMOTE, source=source, **words)


def test_local_workers_against_a_deployment_is_a_config_warning(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\npipelines_local_workers = 8\n")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", f"--pipelines-env={REMOTE}")
    result.assert_outcomes(passed=1)
    message = _ignored("ini key pipelines_local_workers", "--pipelines-env")
    result.stdout.fnmatch_lines([f"*PipelinesConfigWarning: {message}"])
    assert result.stdout.str().count("PipelinesConfigWarning: ") == 1


def test_every_local_setting_given_is_named_once_under_xdist(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINES_BASE_URL", REMOTE)
    pytester.makeini(
        "[pytest]\npipelines_demo = true\npipelines_prices = echo 0 0\n"
        "pipelines_local_workers = 8\npipelines_max_session_cost = 5\n"
    )
    pytester.makepyfile("def test_x():\n    pass\n\ndef test_y():\n    pass\n")
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-n", "2", "--pipelines-model=m:attr", "--pipelines-cache=off"
    )
    result.assert_outcomes(passed=2)
    names = (
        "--pipelines-model, ini key pipelines_demo, --pipelines-cache, ini key pipelines_prices, "
        "ini key pipelines_max_session_cost, ini key pipelines_local_workers"
    )
    message = _ignored(names, "environment variable PIPELINES_BASE_URL")
    result.stdout.fnmatch_lines([f"*PipelinesConfigWarning: {message}"])
    assert result.stdout.str().count("PipelinesConfigWarning: ") == 1  # the controller's only


@pytest.mark.parametrize("env", ["local", REMOTE])
def test_nothing_is_said_when_nothing_is_ignored(pytester: pytest.Pytester, env: str) -> None:
    ini = "pipelines_local_workers = 8\n" if env == "local" else "pipelines_timeout = 5\n"
    pytester.makeini(f"[pytest]\n{ini}")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", f"--pipelines-env={env}")
    result.assert_outcomes(passed=1)
    assert "PipelinesConfigWarning" not in result.stdout.str()


def test_the_warning_can_be_an_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\npipelines_local_workers = 8\n")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        f"--pipelines-env={REMOTE}",
        "-W",
        "error::pytest_pipelines.PipelinesConfigWarning",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    message = _ignored("ini key pipelines_local_workers", "--pipelines-env")
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "Traceback" not in result.stderr.str()


@pytest.mark.parametrize(
    ("dest", "flag"),
    [
        ("pipelines_seeds", "--pipelines-seed"),
        ("pipelines_models", "--pipelines-model"),
        ("pipelines_confidence", "--pipelines-confidence"),
        ("pipelines_cache_dir", "--pipelines-cache-dir"),
    ],
)
def test_a_value_from_the_command_line_is_named_by_its_flag(dest: str, flag: str) -> None:
    from pytest_pipelines._settings import _label

    # the repeatable options' dests are plural, their flags singular
    assert _label("cli", dest, dest, None) == flag
