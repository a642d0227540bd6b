"""``pipelines-local``: serve the local Pipelines backend from the command line.

    pipelines-local serve [--host 127.0.0.1] [--port 0] [--db PATH] [--seed FILE ...] [--demo]
                          [--api-key KEY] [--admin-key KEY] [--models module:attr ...]
                          [--workers N]
                          [--chaos-429 RATE] [--chaos-503 RATE] [--chaos-delay-ms MS]
                          [--chaos-delay-rate RATE]

On start it prints the base URL, the API key(s) and the administrator key of the control
endpoints (``PIPELINES_ADMIN_KEY``), one ``NAME=value`` line each, then serves until interrupted
(Ctrl-C / SIGTERM). A key given with ``--api-key`` (or ``$PIPELINES_LOCAL_API_KEY``) or
``--admin-key`` (or ``$PIPELINES_LOCAL_ADMIN_KEY``) is the user's own secret: it is printed masked but for its last 4
characters (``****4242``); generated and demo keys are printed in full (the caller needs them,
and the demo keys are well known).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType

BANNER = "pipelines-local {version} serving on {url}"
ADMIN_KEY_ENV = "PIPELINES_LOCAL_ADMIN_KEY"
# The server's key from the environment: on the command line, ``ps`` shows it to every user of
# the machine. Not PIPELINES_API_KEY: that is the hosted platform's key of the plugin and client.
API_KEY_ENV = "PIPELINES_LOCAL_API_KEY"
MASKED_PREFIX = "****"


def shown_key(key: str, supplied: str | None) -> str:
    """``key`` as printed on start: masked but for its last 4 characters when it is ``supplied``
    (the ``--api-key`` value, which the user already has); else, or when it is one of the
    well-known demo keys, in full."""
    from pytest_pipelines.local._store.identity import DEMO_KEY, PROMPTS_ONLY_KEY

    if not supplied or key != supplied or key in (DEMO_KEY, PROMPTS_ONLY_KEY):
        return str(key)
    return MASKED_PREFIX + (str(key)[-4:] if len(key) >= 8 else "")


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a share between 0 and 1")
    return value


def _bounded(name: str) -> Callable[[str], int]:
    """An argparse type: an integer within the chaos bounds of ``name``."""
    from pytest_pipelines.local._engine.state import CHAOS_BOUNDS

    low, high = CHAOS_BOUNDS[name]

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not an integer between {low} and {high}")
        return value

    return parse


def _workers(text: str) -> int:
    """An argparse type: the job pool's size (1 to 1024)."""
    from pytest_pipelines.local._engine.jobs import check_workers

    try:
        return check_workers(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``pipelines-local``."""
    from pytest_pipelines.local._engine.jobs import DEFAULT_WORKERS, MAX_WORKERS

    parser = argparse.ArgumentParser(
        prog="pipelines-local", description="The local Pipelines backend."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the backend over HTTP until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port to bind (default 0: a free port)")
    serve.add_argument(
        "--db",
        default=None,
        metavar="PATH",
        help="SQLite file that keeps state across restarts (default: a temporary file)",
    )
    serve.add_argument(
        "--seed",
        action="append",
        default=[],
        metavar="FILE",
        help="JSON seed document applied to a new database (repeatable)",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="seed org 2, project 22, workflow 10 and the keys pk_local_demo / pk_local_prompts_only",
    )
    serve.add_argument(
        "--api-key",
        default=None,
        metavar="KEY",
        help=f"the full-access API key (default: ${API_KEY_ENV}, else pk_local_demo with --demo, "
        "else random; prefer the variable: a command line is visible to every user of the machine)",
    )
    serve.add_argument(
        "--admin-key",
        default=None,
        metavar="KEY",
        help=f"the administrator key of /_local/reset, /_local/seed and /_local/chaos "
        f"(default: ${ADMIN_KEY_ENV}, else random; printed on start)",
    )
    serve.add_argument(
        "--models",
        action="append",
        default=[],
        metavar="module:attr",
        help="register models from a Python object (repeatable)",
    )
    serve.add_argument(
        "--cache",
        choices=("off", "use", "record", "replay"),
        default="off",
        help="the model-call cache of provider models (default off)",
    )
    serve.add_argument(
        "--cache-dir",
        default=".pipelines-cache",
        metavar="PATH",
        help="the model-call cache directory (default .pipelines-cache)",
    )
    serve.add_argument(
        "--workers",
        type=_workers,
        default=DEFAULT_WORKERS,
        metavar="N",
        help=f"tasks run at once, 1 to {MAX_WORKERS} (default {DEFAULT_WORKERS}: tasks wait "
        "mostly on models)",
    )
    serve.add_argument(
        "--chaos-429",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="share of requests answered 429",
    )
    serve.add_argument(
        "--chaos-503",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="share of requests answered 503",
    )
    serve.add_argument(
        "--chaos-delay-rate",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="share of requests delayed",
    )
    serve.add_argument(
        "--chaos-delay-ms",
        type=_bounded("delay_ms"),
        default=0,
        metavar="MS",
        help="delay in milliseconds (0 to 60000)",
    )
    serve.add_argument(
        "--chaos-retry-after",
        type=_bounded("retry_after"),
        default=1,
        metavar="S",
        help="Retry-After of a 429 (default 1)",
    )
    serve.add_argument(
        "--chaos-seed", type=int, default=None, metavar="N", help="seed of the chaos random choices"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``pipelines-local``."""
    from pytest_pipelines._version import __version__
    from pytest_pipelines.local._server import LocalPipelines

    args = build_parser().parse_args(argv)
    admin_key = args.admin_key or os.environ.get(ADMIN_KEY_ENV) or None
    api_key = args.api_key or os.environ.get(API_KEY_ENV) or None
    try:
        local = LocalPipelines(
            db_path=args.db,
            demo=args.demo,
            api_key=api_key,
            admin_key=admin_key,
            models=args.models,
            seeds=args.seed,
            host=args.host,
            port=args.port,
            workers=args.workers,
            cache_mode=args.cache,
            cache_dir=args.cache_dir,
        )
    except (ValueError, OSError) as exc:
        print(f"pipelines-local: error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with local:
        local.set_chaos(
            rate_429=args.chaos_429,
            rate_503=args.chaos_503,
            delay_rate=args.chaos_delay_rate,
            delay_ms=args.chaos_delay_ms,
            retry_after=args.chaos_retry_after,
            seed=args.chaos_seed,
        )
        print(BANNER.format(version=__version__, url=local.base_url), flush=True)
        print(f"PIPELINES_BASE_URL={local.base_url}", flush=True)
        supplied = api_key
        for name, key in local.api_keys.items():
            print(f"PIPELINES_API_KEY_{name.upper()}={shown_key(key, supplied)}", flush=True)
        print(f"PIPELINES_API_KEY={shown_key(local.api_key, supplied)}", flush=True)
        print(f"PIPELINES_ADMIN_KEY={shown_key(local.admin_key, admin_key)}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
