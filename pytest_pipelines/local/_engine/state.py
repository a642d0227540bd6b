"""The state of one running local backend: database, model registry, keys, chaos, job engine.

:class:`BackendState` is what the HTTP surface serves and the engine works on. The public
:class:`~pytest_pipelines.local.BackendState` adds the demo data (``_demo/``) on top of it.
"""

from __future__ import annotations

import os
import random
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from pytest_pipelines._secret import Secret
from pytest_pipelines.local._engine.jobs import DEFAULT_WORKERS, Engine, check_workers
from pytest_pipelines.local._engine.registry import ModelRegistry, builtin_registry
from pytest_pipelines.local._engine.seed import apply_seed
from pytest_pipelines.local._store.db import Database
from pytest_pipelines.local._store.identity import (
    ADMIN_KEY_PREFIX,
    DEFAULT_ORG_ID,
    DEFAULT_USER_ID,
    DEMO_KEY,
    FULL_SCOPES,
    PROMPTS_ONLY_KEY,
    PROMPTS_ONLY_SCOPES,
)


@dataclass
class ChaosConfig:
    """Share of ``/api/`` requests answered 429 (with Retry-After) or 503, or delayed.

    :param rate_429: probability of a 429 answer (default 0).
    :param rate_503: probability of a 503 answer (default 0).
    :param delay_rate: probability of delaying a request by ``delay_ms`` (default 0).
    :param delay_ms: the delay in milliseconds (default 0).
    :param retry_after: the ``Retry-After`` seconds sent with a 429 (default 1).
    :param seed: seed of the random choices, for reproducible chaos (default None).
    """

    rate_429: float = 0.0
    rate_503: float = 0.0
    delay_rate: float = 0.0
    delay_ms: int = 0
    retry_after: int = 1
    seed: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON."""
        return asdict(self)


CHAOS_FIELDS = tuple(ChaosConfig.__dataclass_fields__)
CHAOS_UNKNOWN = "unknown chaos setting {name!r}; valid settings: {valid}"
CHAOS_RATE = "must be a number between 0 and 1"
CHAOS_INTEGER = "must be an integer between {low} and {high}"
CHAOS_SEED = "must be an integer, or null for an unseeded random choice"
# Bounds: a delay longer than a minute or a Retry-After longer than an hour is a typo (1e12 ms
# would hold every request for 31 years), not a test of a client.
CHAOS_BOUNDS = {"delay_ms": (0, 60_000), "retry_after": (0, 3_600)}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def chaos_errors(settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(setting, problem)`` for every unknown setting or value of the wrong type or range."""
    errors = []
    for name, value in settings.items():
        if name not in CHAOS_FIELDS:
            errors.append((name, CHAOS_UNKNOWN.format(name=name, valid=", ".join(CHAOS_FIELDS))))
        elif name in CHAOS_BOUNDS:
            low, high = CHAOS_BOUNDS[name]
            if not _is_int(value) or not low <= value <= high:
                errors.append((name, CHAOS_INTEGER.format(low=low, high=high)))
        elif name == "seed":
            if value is not None and not _is_int(value):
                errors.append((name, CHAOS_SEED))
        elif not (_is_int(value) or isinstance(value, float)) or not 0 <= value <= 1:
            errors.append((name, CHAOS_RATE))
    return errors


def new_admin_key() -> str:
    """A fresh random administrator key (``pk_local_admin_`` + 32 hex digits)."""
    return ADMIN_KEY_PREFIX + secrets.token_hex(16)


class BackendState:
    """Everything a running local backend holds.

    :param db_path: SQLite file; None (default) uses a temporary file removed on close.
    :param demo: seed the demo organization, project, workflow and well-known keys.
    :param api_key: the full-access key (default ``pk_local_demo`` with demo, else random).
    :param admin_key: the server administrator's key for the control endpoints (default:
        random); it belongs to no organization and is never stored in the database.
    :param registry: the model registry (default: the built-in ``echo`` model only).
    :param seeds: seed documents (mappings) applied when the database is new.
    :param workers: size of the job thread pool (default 32: tasks wait mostly on models).
    :raises ValueError: when ``workers`` is not a whole number from 1 to 1024.
    """

    def __init__(
        self,
        *,
        db_path: str | os.PathLike[str] | None = None,
        demo: bool = False,
        api_key: str | None = None,
        admin_key: str | None = None,
        registry: ModelRegistry | None = None,
        seeds: Iterable[Mapping[str, Any]] = (),
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        workers = check_workers(workers)  # before the database file exists
        self.demo = demo
        self.db = Database(db_path)
        self.registry: ModelRegistry = registry if registry is not None else self.default_registry()
        # Secrets: masked in reprs and -l tracebacks, plain in f-strings and comparisons
        api_key = Secret(api_key or (DEMO_KEY if demo else "pk_local_" + secrets.token_hex(12)))
        self.api_key: Secret = api_key
        self.admin_key: Secret = Secret(admin_key or new_admin_key())
        self.api_keys: dict[str, str] = {"full": self.api_key}
        if demo:
            self.api_keys["prompts_only"] = Secret(PROMPTS_ONLY_KEY)
        self.seeds = [dict(s) for s in seeds]
        self.chaos = ChaosConfig()
        self.chaos_random = random.Random()
        self.idempotency_lock = threading.RLock()
        self.engine: Engine = Engine(self, workers=workers)
        self.bootstrap()
        self.engine.recover()

    def set_chaos(self, **settings: Any) -> ChaosConfig:
        """Replace the chaos settings.

        :raises ValueError: naming each unknown setting or value out of type or range.
        """
        errors = chaos_errors(settings)
        if errors:
            raise ValueError("; ".join(f"chaos {name}: {problem}" for name, problem in errors))
        self.chaos = ChaosConfig(**settings)
        self.chaos_random = random.Random(self.chaos.seed)
        return self.chaos

    def bootstrap(self) -> None:
        """Install the keys; on a new database also the organization, user, demo data and seeds."""
        new = self.db.is_empty()
        if new:
            self.db.insert(
                "organization",
                {
                    "name": "Demo organization" if self.demo else "Local organization",
                    "slug": "local",
                },
                id=DEFAULT_ORG_ID,
                org_id=DEFAULT_ORG_ID,
            )
            email = "demo@pipelines.local" if self.demo else "local@pipelines.local"
            self.db.insert(
                "user",
                {
                    "email": email,
                    "name": "Demo User" if self.demo else "Local User",
                    "org_id": DEFAULT_ORG_ID,
                    "role": "admin",
                },
                id=DEFAULT_USER_ID,
            )
        self.db.put_key(
            self.api_key,
            name="full",
            org_id=DEFAULT_ORG_ID,
            user_id=DEFAULT_USER_ID,
            scopes=FULL_SCOPES,
        )
        if self.demo:
            self.db.put_key(
                PROMPTS_ONLY_KEY,
                name="prompts_only",
                org_id=DEFAULT_ORG_ID,
                user_id=DEFAULT_USER_ID,
                scopes=PROMPTS_ONLY_SCOPES,
            )
        if new:
            self.seed_new_database()
            for seed in self.seeds:
                apply_seed(self, seed)

    def default_registry(self) -> ModelRegistry:
        """The registry used when none is given: the built-in ``echo`` model only."""
        return builtin_registry()

    def seed_new_database(self) -> None:
        """Fill a new database before the seed documents are applied (nothing here)."""

    def reset(self) -> None:
        """Cancel pending jobs, delete everything, and bootstrap again."""
        self.engine.drain()
        self.db.reset()
        self.bootstrap()

    def close(self) -> None:
        """Stop the job engine and close (and, when temporary, remove) the database."""
        self.engine.shutdown()
        self.db.close()
