"""Who exists in a new database: the default organization and user, the well-known keys, scopes.

A key's scopes are API areas (or ``"*"`` for all); the HTTP surface checks them per route.
"""

from __future__ import annotations

DEFAULT_ORG_ID = 2
DEFAULT_USER_ID = 1
DEMO_KEY = "pk_local_demo"
PROMPTS_ONLY_KEY = "pk_local_prompts_only"
# The server administrator's key (control endpoints) starts with this; the rest is random.
ADMIN_KEY_PREFIX = "pk_local_admin_"

FULL_SCOPES = ("*",)
AREAS = (
    "identity",
    "prompts",
    "criteria",
    "evaluations",
    "models",
    "projects",
    "workflows",
    "tasks",
    "experiments",
    "tools",
    "datasets",
    "files",
    "notebooks",
    "notifications",
    "organizations",
)
# Everything but models and evaluations (the guide's "prompt-only" key).
PROMPTS_ONLY_SCOPES = tuple(a for a in AREAS if a not in ("models", "evaluations"))
