"""The Pipelines client (sync and async). Filled in as the client lands."""

from __future__ import annotations
