"""The state of one running local backend: database, model registry, keys, chaos, job engine."""

from __future__ import annotations

import os
import random
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from pytest_pipelines._secret import Secret
from pytest_pipelines.local._db import Database

if TYPE_CHECKING:
    from pytest_pipelines.local._engine import Engine
    from pytest_pipelines.local.models import ModelRegistry

DEFAULT_ORG_ID = 2
DEFAULT_USER_ID = 1
DEMO_KEY = "pk_local_demo"
PROMPTS_ONLY_KEY = "pk_local_prompts_only"


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


class LocalState:
    """Everything a running local backend holds.

    :param db_path: SQLite file; None (default) uses a temporary file removed on close.
    :param demo: seed the demo organization, project, workflow and well-known keys.
    :param api_key: the full-access key (default ``pk_local_demo`` with demo, else random).
    :param registry: the model registry (default ``default_registry(demo=demo)``).
    :param seeds: seed documents (mappings) applied when the database is new.
    :param workers: size of the job thread pool (default 8).
    """

    def __init__(
        self,
        *,
        db_path: str | os.PathLike[str] | None = None,
        demo: bool = False,
        api_key: str | None = None,
        registry: ModelRegistry | None = None,
        seeds: Iterable[Mapping[str, Any]] = (),
        workers: int = 8,
    ) -> None:
        from pytest_pipelines.local._engine import Engine
        from pytest_pipelines.local.models import default_registry

        self.demo = demo
        self.db = Database(db_path)
        self.registry: ModelRegistry = (
            registry if registry is not None else default_registry(demo=demo)
        )
        # Secrets: masked in reprs and -l tracebacks, plain in f-strings and comparisons
        api_key = Secret(api_key or (DEMO_KEY if demo else "pk_local_" + secrets.token_hex(12)))
        self.api_key: Secret = api_key
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
        """Replace the chaos settings (unknown names raise TypeError)."""
        self.chaos = ChaosConfig(**settings)
        self.chaos_random = random.Random(self.chaos.seed)
        return self.chaos

    def bootstrap(self) -> None:
        """Install the keys; on a new database also the organization, user, demo data and seeds."""
        from pytest_pipelines.local._deps import FULL_SCOPES, PROMPTS_ONLY_SCOPES
        from pytest_pipelines.local._seed import apply_seed

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
            if self.demo:
                from pytest_pipelines.local._demo import seed_demo

                seed_demo(self)
            for seed in self.seeds:
                apply_seed(self, seed)

    def reset(self) -> None:
        """Cancel pending jobs, delete everything, and bootstrap again."""
        self.engine.drain()
        self.db.reset()
        self.bootstrap()

    def close(self) -> None:
        """Stop the job engine and close (and, when temporary, remove) the database."""
        self.engine.shutdown()
        self.db.close()
