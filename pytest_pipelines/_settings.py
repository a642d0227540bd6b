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


def whole_number(value: object) -> int | None:
    """``value`` (an ini or option value) as a whole number written in ASCII digits, else None.

    The one parser of the plugin's integer settings: ``int()`` alone would also take '+8',
    '1_000' and other scripts' digits ('٨'), and ``str.isdigit()`` takes '²', which ``int()``
    then rejects; each caller turns None into its own usage error.
    """
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() else None


PRODUCTION_URL = "https://api.pipelines.tech"
ENV_CHOICES = ("local", "production", "<http(s) URL>")
DEFAULT_GATE_CHOICES = ("all-boolean-pass", "none")
DEFAULT_TIMEOUT = 300.0
INCONCLUSIVE_CHOICES = ("warn", "fail", "pass")
CACHE_CHOICES = ("off", "use", "record", "replay")
DEFAULT_CACHE_DIR = ".pipelines-cache"
#: the embedded backend's job pool (the local backend's ``DEFAULT_WORKERS``, not imported here)
DEFAULT_LOCAL_WORKERS = 32
MAX_LOCAL_WORKERS = 1024

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
BAD_CACHE = (
    "pytest-pipelines: {source} is {value!r}; valid values are off, use, record and replay "
    "(unset: replay when the cache directory holds a recording, else off), "
    "e.g. --pipelines-cache=record."
)
BAD_PRICE = (
    "pytest-pipelines: ini key pipelines_prices has {line!r}; each line is SLUG INPUT OUTPUT, "
    "the model's slug and its USD per million input and output tokens, "
    "e.g. `openai:gpt-4.1-mini 0.40 1.60`."
)
BAD_SESSION_COST = (
    "pytest-pipelines: {source} is {value!r}; it must be a number of US dollars greater than 0, "
    "e.g. pipelines_max_session_cost = 5."
)
BAD_LOCAL_WORKERS = (
    "pytest-pipelines: ini key pipelines_local_workers is {value!r}; it must be a whole number "
    "from 1 to 1024 (how many tasks the embedded local backend runs at once), "
    "e.g. pipelines_local_workers = 32."
)
LOCAL_ONLY_IGNORED = (
    "pytest-pipelines: {names} {are} ignored: {they} only the embedded local backend, and this "
    "session runs against {base_url} (remote mode, from {source}). Remove {them} from remote "
    "runs, or run against the local backend with --pipelines-env=local."
)
#: the grammar of :data:`LOCAL_ONLY_IGNORED` for one setting, and for several
LOCAL_ONLY_WORDS = (
    {"are": "is", "they": "it configures", "them": "it"},
    {"are": "are", "they": "they configure", "them": "them"},
)
#: the settings of the embedded local backend: the key in ``sources`` -> (flag, ini key)
LOCAL_ONLY: dict[str, tuple[str | None, str]] = {
    "models": ("--pipelines-model", "pipelines_models"),
    "seeds": ("--pipelines-seed", "pipelines_seeds"),
    "demo": ("--pipelines-demo", "pipelines_demo"),
    "cache": ("--pipelines-cache", "pipelines_cache"),
    "cache_dir": ("--pipelines-cache-dir", "pipelines_cache_dir"),
    "prices": (None, "pipelines_prices"),
    # the session's spend is asked of the local backend (GET /_local/usage): not enforced else
    "max_session_cost": (None, "pipelines_max_session_cost"),
    "local_workers": (None, "pipelines_local_workers"),
}
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
    :param cache: the model-call cache mode: ``off`` (default without a recording), ``use``,
        ``record`` or ``replay`` (default when ``cache_dir`` holds a recording).
    :param cache_dir: default ``<rootdir>/.pipelines-cache``; where the cache lives.
    :param prices: default ``{}``; slug -> USD per million (input, output) tokens.
    :param max_session_cost: default ``None``; USD after which no new run is launched.
    :param local_workers: default 32; tasks the embedded local backend runs at once.
    :param freeze_at_exit: default True; a process that made a Pipelines client freezes the
        garbage collector's heap at exit (``pytest_pipelines/_exit.py``).
    :param handle_sigterm: default True; SIGTERM stops the session as Ctrl-C does
        (``pytest_pipelines/_sigterm.py``).
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
    cache: str = "off"
    cache_dir: str = DEFAULT_CACHE_DIR
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)
    max_session_cost: float | None = None
    local_workers: int = DEFAULT_LOCAL_WORKERS
    freeze_at_exit: bool = True
    handle_sigterm: bool = True

    def describe(self, base_url: str | None = None) -> str:
        """One line for the report header: mode and base URL, never the key."""
        url = base_url or self.base_url or "(starts on first use, 127.0.0.1 port 0)"
        key = "set" if self.api_key else "not set"
        if self.mode == "local":
            key = "local"
        line = f"pipelines: mode={self.mode} env={self.env} base_url={url} api_key={key}"
        if self.mode == "local" and self.cache != "off":
            line += f" model_cache={self.cache}:{self.cache_dir}"
        return line


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


#: repeatable options whose flag is singular while their ``dest`` is plural
_FLAGS = {"pipelines_models": "--pipelines-model", "pipelines_seeds": "--pipelines-seed"}


def _label(source: str, option: str, ini: str | None, env: str | None) -> str:
    if source == "cli":
        return _FLAGS.get(option, f"--{option.replace('_', '-')}")
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
        retries = whole_number(raw_retries)
        if retries is None:
            raise pytest.UsageError(
                BAD_MAX_RETRIES.format(
                    source=_label(r_src, "pipelines_max_retries", "pipelines_max_retries", None),
                    value=raw_retries,
                )
            )
        max_retries = retries

    raw_junit, j_src = _pick(config, "pipelines_junitxml", "pipelines_junitxml", None)
    sources["junitxml"] = j_src
    junitxml = str(raw_junit) if raw_junit is not None else None

    # models add up: the ini file's, then the command line's (a later slug replaces an earlier
    # one), so `--pipelines-model=ollama:llama3.2,as=demo-planner` swaps one model in a suite
    # that registers its own in the ini file
    ini_models = _lines(config.getini("pipelines_models"))
    cli_models = _lines(config.getoption("pipelines_models", default=None))
    raw_models = ini_models + cli_models
    m_src = "cli" if cli_models else "ini" if ini_models else "default"
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

    cache, cache_dir = _cache_settings(config, sources)
    prices = _prices(config.getini("pipelines_prices"))
    sources["prices"] = "ini" if prices else "default"
    raw_cost, cost_src = _pick(
        config, "pipelines_max_session_cost", "pipelines_max_session_cost", None
    )
    sources["max_session_cost"] = cost_src
    max_session_cost = None
    if raw_cost is not None:
        try:
            max_session_cost = float(str(raw_cost))
        except ValueError:
            max_session_cost = -1.0
        if not max_session_cost > 0 or max_session_cost == float("inf"):
            raise pytest.UsageError(
                BAD_SESSION_COST.format(
                    source=_label(
                        cost_src, "pipelines_max_session_cost", "pipelines_max_session_cost", None
                    ),
                    value=raw_cost,
                )
            )

    raw_workers = config.getini("pipelines_local_workers")
    sources["local_workers"] = "ini" if raw_workers else "default"
    local_workers = _local_workers(raw_workers)

    raw_freeze = config.getini("pipelines_freeze_at_exit")
    sources["freeze_at_exit"] = "ini" if raw_freeze else "default"
    freeze_at_exit = _as_bool(raw_freeze, "pipelines_freeze_at_exit") if raw_freeze else True
    raw_sigterm = config.getini("pipelines_handle_sigterm")
    sources["handle_sigterm"] = "ini" if raw_sigterm else "default"
    handle_sigterm = _as_bool(raw_sigterm, "pipelines_handle_sigterm") if raw_sigterm else True

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
        cache=cache,
        cache_dir=cache_dir,
        prices=prices,
        max_session_cost=max_session_cost,
        local_workers=local_workers,
        freeze_at_exit=freeze_at_exit,
        handle_sigterm=handle_sigterm,
    )


def local_only_ignored(settings: PipelinesSettings) -> str | None:
    """The warning for local-mode settings given to a remote session (None: nothing ignored).

    Only settings the user gave count (command line or ini file): a shared ini file used for
    local runs and remote ones is the case this names, so the user can tell what did not apply.
    """
    if settings.mode != "remote":
        return None
    given = []
    for key, (flag, ini) in LOCAL_ONLY.items():
        source = settings.sources.get(key)
        if source == "cli" and flag is not None:
            given.append(flag)
        elif source in ("cli", "ini"):
            given.append(f"ini key {ini}")
    if not given:
        return None
    url_source = settings.sources.get("base_url", "default")
    env_source = settings.sources.get("env", "default")
    if url_source != "default":
        source = _label(
            url_source, "pipelines_base_url", "pipelines_base_url", "PIPELINES_BASE_URL"
        )
    elif env_source != "default":
        source = _label(env_source, "pipelines_env", "pipelines_env", "PIPELINES_ENV")
    else:
        source = "the default environment, production"
    return LOCAL_ONLY_IGNORED.format(
        names=", ".join(given),
        base_url=settings.base_url,
        source=source,
        **LOCAL_ONLY_WORDS[len(given) > 1],
    )


def _local_workers(value: object) -> int:
    """The ini value as a pool size from 1 to 1024 (unset: :data:`DEFAULT_LOCAL_WORKERS`)."""
    if value in (None, ""):
        return DEFAULT_LOCAL_WORKERS
    number = whole_number(value)
    if number is None or not 1 <= number <= MAX_LOCAL_WORKERS:
        raise pytest.UsageError(BAD_LOCAL_WORKERS.format(value=value))
    return number


def _cache_settings(config: pytest.Config, sources: dict[str, str]) -> tuple[str, str]:
    """The cache mode and directory; unset mode: replay when a recording exists, else off."""
    raw_dir, dir_src = _pick(config, "pipelines_cache_dir", "pipelines_cache_dir", None)
    sources["cache_dir"] = dir_src
    if raw_dir is None:
        directory = config.rootpath / DEFAULT_CACHE_DIR
    elif dir_src == "cli":
        directory = config.invocation_params.dir / str(raw_dir)
    else:  # an ini path is relative to the ini file
        base = config.inipath.parent if config.inipath else config.rootpath
        directory = base / str(raw_dir)
    raw_mode, mode_src = _pick(config, "pipelines_cache", "pipelines_cache", None)
    sources["cache"] = mode_src
    if raw_mode is None:
        mode = "replay" if (directory / "models.json").is_file() else "off"
    else:
        mode = str(raw_mode).strip().lower()
        if mode not in CACHE_CHOICES:
            raise pytest.UsageError(
                BAD_CACHE.format(
                    source=_label(mode_src, "pipelines_cache", "pipelines_cache", None),
                    value=raw_mode,
                )
            )
    return mode, str(directory)


def _prices(lines: object) -> dict[str, tuple[float, float]]:
    """``SLUG INPUT OUTPUT`` lines -> slug -> (input, output) USD per million tokens."""
    prices: dict[str, tuple[float, float]] = {}
    for line in _lines(lines):
        parts = line.split()
        try:
            numbers = (float(parts[1]), float(parts[2]))
        except (IndexError, ValueError):
            numbers = (-1.0, -1.0)
        if len(parts) != 3 or not all(0 <= n < float("inf") for n in numbers):
            raise pytest.UsageError(BAD_PRICE.format(line=line))
        prices[parts[0]] = numbers
    return prices
