"""Fixtures of the local backend's tests (the shared ones live in tests/conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest


@pytest.fixture
def unique_key(unique: Callable[[str], str]) -> Callable[[str], str]:
    """Like ``unique``, but a valid Idempotency-Key (visible ASCII letters, digits, ``-_.:``)."""

    def make(prefix: str) -> str:
        return re.sub(r"[^A-Za-z0-9_.:-]+", "-", unique(prefix)).strip("-")

    return make
