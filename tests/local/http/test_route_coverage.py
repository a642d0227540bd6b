"""Which routes of routes.tsv the local backend does not serve.

Every route the guide documents (``in_seed_doc=yes``) must be served. The others that are not
served are the explicit, documented known gaps: this list, and the "Known gaps" section of
``docs/local-backend-reference.md``, must name exactly the routes that are missing.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import httpx

from pytest_pipelines.local import LocalPipelines

ROOT = Path(__file__).resolve().parents[3]
ROUTES_TSV = ROOT / "tests" / "data" / "routes.tsv"
REFERENCE = ROOT / "docs" / "local-backend-reference.md"

KNOWN_GAPS = {
    ("POST", "/api/cli-login"),
    ("GET", "/api/cli-login/{session_id}"),
    ("GET", "/api/agents"),
    ("POST", "/api/agents"),
    ("GET", "/api/agents/{agent_id}"),
    ("PUT", "/api/agents/{agent_id}"),
    ("POST", "/api/agents/{agent_id}/publish"),
    ("GET", "/api/agents/{agent_id}/versions"),
    ("GET", "/api/agents/{agent_id}/seed-columns"),
    ("POST", "/api/agents/{agent_id}/test-runs"),
    ("GET", "/api/agents/{agent_id}/test-runs"),
    ("GET", "/api/test-runs/{test_run_id}"),
    ("GET", "/api/test-runs/{test_run_id}/tasks/{task_id}"),
}


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _contract() -> list[dict[str, str]]:
    with ROUTES_TSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _missing(local_backend: LocalPipelines) -> list[dict[str, str]]:
    spec = httpx.get(local_backend.base_url + "/_local/openapi.json", timeout=30).json()
    served = {(m.upper(), _shape(p)) for p, ops in spec["paths"].items() for m in ops}
    return [r for r in _contract() if (r["method"], _shape(r["path"])) not in served]


def test_every_documented_route_is_served(local_backend: LocalPipelines) -> None:
    documented = [
        f"{r['method']} {r['path']} ({r['sdk_method']})"
        for r in _missing(local_backend)
        if r["in_seed_doc"] == "yes"
    ]
    assert documented == []


def test_unserved_routes_are_exactly_the_known_gaps(local_backend: LocalPipelines) -> None:
    missing = {(r["method"], r["path"]) for r in _missing(local_backend)}
    assert missing == KNOWN_GAPS


def test_known_gaps_are_documented() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    section = text.split("## Known gaps", 1)[1]
    undocumented = [f"{m} {p}" for m, p in sorted(KNOWN_GAPS) if f"`{m} {p}`" not in section]
    assert undocumented == []


def test_known_gaps_are_in_the_contract() -> None:
    contract = {(r["method"], r["path"]) for r in _contract()}
    assert contract >= KNOWN_GAPS
