"""Requests of the end-of-session sweep: an organization scan against the session's ledger.

Two local backends with the demo data: one as it is, one with 20 more projects of 10 workflows
each. On each, a session's six ephemeral objects (prompt, criterion, evaluation, tool endpoint,
tool binding, tool ground truth) are created and left, as a crashed xdist worker leaves them,
with their ledger lines. Then they are swept twice (recreated in between): with the former scan
of the organization for the run's prefix (``_session.sweep``) and with the ledger
(``_ledger.sweep_ledger``). A third case is a session whose teardown deleted everything: its
ledger has nothing pending, so the sweep sends nothing.

Prints the requests of each sweep on each backend. Counts, not timings: no repetition needed.

    python benchmarks/bench_sweep.py [--projects 20] [--workflows 10]
"""

from __future__ import annotations

import argparse
import tempfile
from typing import Any

import httpx

from pytest_pipelines import PipelinesClient
from pytest_pipelines._ledger import Ledger, pending, sweep_ledger
from pytest_pipelines._session import sweep
from pytest_pipelines.local import LocalPipelines

PREFIX = "pytest-0123456789ab-"
WORKFLOW = {
    "nodes": [
        {"id": "a", "fields": [{"id": "x", "type": "llm", "prompt_text": "hi", "model": "echo"}]}
    ]
}


class Requests:
    """Counts the requests an httpx client sends."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, request: httpx.Request) -> None:
        self.n += 1


def grow(client: PipelinesClient, projects: int, workflows: int) -> None:
    """Add ``projects`` projects of ``workflows`` workflows each."""
    for p in range(projects):
        project = client.create_project({"name": f"bench project {p}"})
        for w in range(workflows):
            client.create_workflow(
                project["id"], {"name": f"bench workflow {p}.{w}", "definition": WORKFLOW}
            )


def leave(client: PipelinesClient, ledger: Ledger, n: int) -> None:
    """Create a session's six objects and leave them (recorded as the factories record them)."""

    def made(kind: str, obj: Any, **where: Any) -> None:
        ledger.created(ledger.intend(kind, **where), obj["id"])

    name = f"{PREFIX}gw0-{n}-"
    common = {"scope_type": "org", "org_id": 2}
    made(
        "prompt",
        p := client.create_prompt({"name": name + "p", "prompt_text": "x", **common}),
        name=p["name"],
    )
    crit = client.create_criterion(
        {
            "name": name + "c",
            "display_label": "C",
            "type": "programmatic",
            "config": {"subtype": "contains_keywords", "keywords": ["Rome"]},
            "output_schema": {"type": "boolean"},
            **common,
        }
    )
    made("criterion", crit, name=crit["name"])
    ev = client.create_evaluation(
        {"name": name + "e", "criteria": [{"criterion_id": crit["id"]}], **common}
    )
    made("evaluation", ev, name=ev["name"])
    ep = client.create_tool_endpoint(
        2,
        {
            "name": name + "ep",
            "endpoint_type": "mock",
            "config": {"tools": [{"name": "lookup", "response": "ok"}]},
        },
    )
    made("tool_endpoint", ep, org=2, name=ep["name"])
    slot = {"endpoint_id": ep["id"], "node_id": "plan", "field_id": "itinerary"}
    binding = client.create_tool_binding(
        10, {**slot, "selected_tools": ["lookup"], "max_tool_rounds": 3}
    )
    made("tool_binding", binding, workflow_id=10, match=slot)
    truth = client.create_tool_ground_truth(
        10,
        {
            "node_id": "plan",
            "field_id": "itinerary",
            "expected_tools": [{"name": "lookup"}],
            "source": name + "gt",
        },
    )
    made("tool_ground_truth", truth, workflow_id=10, match={"source": truth["source"]})


def measure(local: LocalPipelines) -> dict[str, int]:
    """Requests of each sweep on ``local``."""
    counter = Requests()
    http = httpx.Client(timeout=60.0, event_hooks={"request": [counter]})
    out: dict[str, int] = {}
    with PipelinesClient(api_key=local.api_key, base_url=local.base_url, http_client=http) as c:
        with tempfile.TemporaryDirectory() as scan_dir:
            leave(c, Ledger(scan_dir, "gw0"), 1)
        before = counter.n
        swept = sweep(c, PREFIX, 2, workflows=True)
        out["organization scan"] = counter.n - before
        assert len(swept) == 6, swept  # both sweeps must delete the same six objects
        with tempfile.TemporaryDirectory() as ledger_dir:
            leave(c, Ledger(ledger_dir, "gw0"), 2)
            before = counter.n
            swept = sweep_ledger(c, pending(ledger_dir))
            out["ledger"] = counter.n - before
            assert len(swept) == 6, swept
        with tempfile.TemporaryDirectory() as clean_dir:
            ledger = Ledger(clean_dir, "main")
            key = ledger.intend("prompt", name=PREFIX + "main-1-p")
            ledger.created(key, 1)
            ledger.deleted(key)  # teardown deleted it
            before = counter.n
            entries = pending(clean_dir)
            if entries:  # as session_sweep: nothing pending, no client call at all
                sweep_ledger(c, entries)
            out["ledger, all cleaned"] = counter.n - before
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=20, help="extra projects")
    parser.add_argument("--workflows", type=int, default=10, help="workflows per extra project")
    args = parser.parse_args()
    rows: dict[str, dict[str, int]] = {}
    with LocalPipelines(demo=True) as local:
        rows["demo only"] = measure(local)
    with LocalPipelines(demo=True) as local:
        with local.client() as client:
            grow(client, args.projects, args.workflows)
        rows[f"+{args.projects}x{args.workflows} workflows"] = measure(local)
    names = list(next(iter(rows.values())))
    print("requests of the end-of-session sweep (six objects left by a crashed worker)")
    print(f"{'organization':<22}" + "".join(f"  {n:>20}" for n in names))
    for org, counts in rows.items():
        print(f"{org:<22}" + "".join(f"  {counts[n]:>20}" for n in names))


if __name__ == "__main__":
    main()
