"""Effective plugin settings: command line > ini > environment variable > default.

Nothing here imports httpx, pydantic or FastAPI: settings are resolved in ``pytest_configure``
of every run, eval or not.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

import pytest

from pytest_pipelines._retry import DEFAULT_MAX_RETRIES
from pytest_pipelines._secret import Secret

PRODUCTION_URL = "https://api.pipelines.tech"
ENV_CHOICES = ("local", "production", "<http(s) URL>")
DEFAULT_GATE_CHOICES = ("all-boolean-pass", "none")
DEFAULT_TIMEOUT = 300.0
INCONCLUSIVE_CHOICES = ("warn", "fail", "pass")

BAD_ENV = (
    "pytest-pipelines: {source} is {value!r}; valid values are 'local', 'production' or an "
    "http(s):// URL of a Pipelines deployment. Fix the value, e.g. --pipelines-env=local."
)
BAD_TIMEOUT = (
    "pytest-pipelines: {source} is {value!r}; it must be a number of seconds greater than 0, "
    "e.g. --pipelines-timeout=300."
)
BAD_MAX_RETRIES = (
    "pytest-pipelines: {source} is {value!r}; it must be a whole number of retries >= 0, "
    "e.g. --pipelines-max-retries=5 (0 turns retries off)."
)
BAD_DEFAULT_GATE = (
    "pytest-pipelines: ini key pipelines_default_gate is {value!r}; valid values are "
    "'all-boolean-pass' (a test fails when any boolean criterion fails on any task) and 'none'."
)
BAD_CONFIDENCE = (
    "pytest-pipelines: {source} is {value!r}; it must be a confidence level strictly between 0 "
    "and 1, e.g. --pipelines-confidence=0.95 (omit it for the point rule)."
)
BAD_INCONCLUSIVE = (
    "pytest-pipelines: ini key pipelines_inconclusive is {value!r}; valid values are 'warn' "
    "(pass with a warning; the default), 'fail' and 'pass'."
)
BAD_BASE_URL = (
    "pytest-pipelines: {source} is {value!r}; it must be an http(s):// URL, "
    "e.g. --pipelines-base-url=https://pipelines.example.com."
)
LOCAL_WITH_BASE_URL = (
    "pytest-pipelines: {source} ({value!r}) cannot be combined with local mode: the embedded "
    "backend picks its own address. Drop the base URL, or choose a remote --pipelines-env."
)
MISSING_KEY = (
    "pytest-pipelines: no API key for {base_url}. Eval tests need one of: "
    "set PIPELINES_API_KEY (or pass --pipelines-api-key=...), "
    "or run against the embedded local backend with --pipelines-env=local "
    "(or `pipelines_env = local` in your ini file)."
)


@dataclass(frozen=True)
class PipelinesSettings:
    """The effective configuration of the plugin for this session (never shows the API key).

    :param env: ``"local"``, ``"production"`` or the URL given as environment.
    :param mode: ``"local"`` (embedded backend) or ``"remote"``.
    :param base_url: the API base URL; ``None`` in local mode until the backend starts.
    :param api_key: the API key (``None`` when not given); excluded from ``repr``.
    :param timeout: seconds a run may take before it is a test error (default 300).
    :param max_retries: retries of a request that failed transiently (default 5).
    :param exit_codes: whether a session with only broken runs exits 7 (default False).
    :param junitxml: path of the detailed JUnit report, or ``None``.
    :param models: ``module:attr`` model registrations for local mode.
    :param seeds: seed references for local mode.
    :param demo: whether local mode loads the demo data.
    :param default_gate: ``"all-boolean-pass"`` or ``"none"``.
    :param confidence: the confidence level of gates that set none (default None: the point
        rule).
    :param on_inconclusive: what an inconclusive gate does when it does not say: ``"warn"``
        (default), ``"fail"`` or ``"pass"``.
    :param sources: where each value came from (``"cli"``, ``"ini"``, ``"env"``, ``"default"``).
    """

    env: str
    mode: Literal["local", "remote"]
    base_url: str | None
    api_key: str | None = field(repr=False)
    timeout: float
    junitxml: str | None
    max_retries: int = field(default=DEFAULT_MAX_RETRIES, kw_only=True)
    exit_codes: bool = field(default=False, kw_only=True)
    models: tuple[str, ...]
    seeds: tuple[str, ...]
    demo: bool
    default_gate: str
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    confidence: float | None = None
    on_inconclusive: str = "warn"

    def describe(self, base_url: str | None = None) -> str:
        """One line for the report header: mode and base URL, never the key."""
        url = base_url or self.base_url or "(starts on first use, 127.0.0.1 port 0)"
        key = "set" if self.api_key else "not set"
        if self.mode == "local":
            key = "local"
        return f"pipelines: mode={self.mode} env={self.env} base_url={url} api_key={key}"


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://")) and len(value) > len("https://")


def _lower_scheme(value: str) -> str:
    """``HTTP://host`` -> ``http://host``: a URL scheme is case-insensitive (RFC 3986)."""
    scheme, sep, rest = value.partition("://")
    return scheme.lower() + sep + rest if sep else value


def _pick(
    config: pytest.Config, option: str, ini: str | None, env: str | None
) -> tuple[object, str]:
    value = config.getoption(option, default=None)
    if value is not None and value != []:
        return value, "cli"
    if ini is not None:
        ini_value = config.getini(ini)
        if ini_value not in (None, "", []):
            return ini_value, "ini"
    if env is not None:
        env_value = os.environ.get(env)
        if env_value:
            return env_value, "env"
    return None, "default"


def _label(source: str, option: str, ini: str | None, env: str | None) -> str:
    if source == "cli":
        return f"--{option.replace('_', '-')}"
    if source == "ini":
        return f"ini key {ini}"
    return f"environment variable {env}"


def _as_bool(value: object, key: str = "pipelines_demo") -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise pytest.UsageError(
        f"pytest-pipelines: ini key {key} is {value!r}; valid values are true or false."
    )


def _lines(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[str] = value.replace(",", "\n").splitlines()
    else:
        items = [str(v) for v in value]  # type: ignore[attr-defined]
    return tuple(i.strip() for i in items if i.strip())


def resolve_settings(config: pytest.Config) -> PipelinesSettings:
    """Resolve the settings from the command line, ini file and environment.

    :raises pytest.UsageError: on an invalid value, naming its source and the valid values.
    """
    sources: dict[str, str] = {}

    raw_env, src = _pick(config, "pipelines_env", "pipelines_env", "PIPELINES_ENV")
    sources["env"] = src
    env = str(raw_env).strip() if raw_env is not None else "production"
    if env.lower() in ("local", "production"):
        env = env.lower()
    elif _is_url(_lower_scheme(env)):
        env = _lower_scheme(env)
    else:
        raise pytest.UsageError(
            BAD_ENV.format(
                source=_label(src, "pipelines_env", "pipelines_env", "PIPELINES_ENV"),
                value=env,
            )
        )

    raw_url, url_src = _pick(
        config, "pipelines_base_url", "pipelines_base_url", "PIPELINES_BASE_URL"
    )
    rank = {"default": 0, "env": 1, "ini": 2, "cli": 3}
    if raw_url is not None and rank[url_src] < rank[src]:
        # `--pipelines-env=local` (or a URL) on the command line beats a base URL from the ini
        # file or the environment: the more specific source chooses where tests run
        raw_url, url_src = None, "default"
    sources["base_url"] = url_src
    base_url: str | None = None
    if raw_url is not None:
        label = _label(url_src, "pipelines_base_url", "pipelines_base_url", "PIPELINES_BASE_URL")
        text = _lower_scheme(str(raw_url).strip())
        if not _is_url(text):
            raise pytest.UsageError(BAD_BASE_URL.format(source=label, value=text))
        if env == "local":
            raise pytest.UsageError(LOCAL_WITH_BASE_URL.format(source=label, value=text))
        base_url = text.rstrip("/")
    elif env == "production":
        base_url = PRODUCTION_URL
    elif env != "local":
        base_url = env.rstrip("/")
    mode: Literal["local", "remote"] = "local" if env == "local" else "remote"

    raw_key, key_src = _pick(config, "pipelines_api_key", None, "PIPELINES_API_KEY")
    sources["api_key"] = key_src
    # a Secret (masked repr), and the raw value rebound, so -l tracebacks never show the key
    api_key = Secret(str(raw_key).strip()) if raw_key is not None else None
    raw_key = api_key

    raw_timeout, t_src = _pick(config, "pipelines_timeout", "pipelines_timeout", None)
    sources["timeout"] = t_src
    timeout = DEFAULT_TIMEOUT
    if raw_timeout is not None:
        try:
            timeout = float(str(raw_timeout))
        except ValueError:
            timeout = -1.0
        if not timeout > 0 or timeout != timeout:
            raise pytest.UsageError(
                BAD_TIMEOUT.format(
                    source=_label(t_src, "pipelines_timeout", "pipelines_timeout", None),
                    value=raw_timeout,
                )
            )

    raw_retries, r_src = _pick(config, "pipelines_max_retries", "pipelines_max_retries", None)
    sources["max_retries"] = r_src
    max_retries = DEFAULT_MAX_RETRIES
    if raw_retries is not None:
        text = str(raw_retries).strip()
        if not text.isdigit():
            raise pytest.UsageError(
                BAD_MAX_RETRIES.format(
                    source=_label(r_src, "pipelines_max_retries", "pipelines_max_retries", None),
                    value=raw_retries,
                )
            )
        max_retries = int(text)

    raw_junit, j_src = _pick(config, "pipelines_junitxml", "pipelines_junitxml", None)
    sources["junitxml"] = j_src
    junitxml = str(raw_junit) if raw_junit is not None else None

    raw_models, m_src = _pick(config, "pipelines_models", "pipelines_models", None)
    sources["models"] = m_src
    raw_seeds, s_src = _pick(config, "pipelines_seeds", "pipelines_seeds", None)
    sources["seeds"] = s_src

    raw_demo, d_src = _pick(config, "pipelines_demo", "pipelines_demo", None)
    sources["demo"] = d_src
    demo = _as_bool(raw_demo) if raw_demo is not None else False

    raw_codes, c_src = _pick(config, "pipelines_exit_codes", "pipelines_exit_codes", None)
    sources["exit_codes"] = c_src
    exit_codes = _as_bool(raw_codes, "pipelines_exit_codes") if raw_codes is not None else False

    gate_value = str(config.getini("pipelines_default_gate") or "all-boolean-pass").strip()
    sources["default_gate"] = "ini" if config.getini("pipelines_default_gate") else "default"
    if gate_value not in DEFAULT_GATE_CHOICES:
        raise pytest.UsageError(BAD_DEFAULT_GATE.format(value=gate_value))

    raw_conf, c_src = _pick(config, "pipelines_confidence", "pipelines_confidence", None)
    sources["confidence"] = c_src
    confidence: float | None = None
    if raw_conf is not None:
        try:
            confidence = float(str(raw_conf))
        except ValueError:
            confidence = -1.0
        if not 0 < confidence < 1:  # NaN fails too
            raise pytest.UsageError(
                BAD_CONFIDENCE.format(
                    source=_label(c_src, "pipelines_confidence", "pipelines_confidence", None),
                    value=raw_conf,
                )
            )

    raw_policy = config.getini("pipelines_inconclusive")
    sources["on_inconclusive"] = "ini" if raw_policy else "default"
    on_inconclusive = str(raw_policy or "warn").strip()
    if on_inconclusive not in INCONCLUSIVE_CHOICES:
        raise pytest.UsageError(BAD_INCONCLUSIVE.format(value=on_inconclusive))

    return PipelinesSettings(
        env=env,
        mode=mode,
        base_url=base_url,
        api_key=api_key,
        timeout=timeout,
        junitxml=junitxml,
        max_retries=max_retries,
        exit_codes=exit_codes,
        models=_lines(raw_models),
        seeds=_lines(raw_seeds),
        demo=demo,
        default_gate=gate_value,
        sources=sources,
        confidence=confidence,
        on_inconclusive=on_inconclusive,
    )
