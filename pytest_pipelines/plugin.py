"""The pytest11 entry point of pytest-pipelines.

pytest imports this module in every run of every suite on the machine, eval or not, so it
imports nothing heavy: options, ini keys, marker registration and hook wiring live here, and
httpx, pydantic, FastAPI and junitparser are imported only inside hooks and fixtures.
"""

from __future__ import annotations
