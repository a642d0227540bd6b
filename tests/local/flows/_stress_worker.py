"""One client of the stress test, as a process of its own (like an xdist worker).

``python _stress_worker.py BASE_URL API_KEY PROJECT_ID WORKFLOW_ID LABEL ROUNDS`` runs
``stress_round`` ROUNDS times with our client (no retries, so any 5xx surfaces) and prints one
JSON line: ``{"jobs": [...], "experiments": [...], "failures": [...], "requested": n}``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from pytest_pipelines.client import PipelinesClient

TASKS_PER_JOB = 3
EXPERIMENT_COUNT = 2
EXPERIMENT_VARIANTS = ("a", "b")


def stress_round(
    client: PipelinesClient, project_id: int, workflow_id: int, label: str, result: dict[str, Any]
) -> None:
    """Create a job, an experiment, a prompt and a criterion; read a task's detail."""
    calls: list[tuple[str, Callable[[], Any]]] = [
        (
            "create_tasks_async",
            lambda: client.create_tasks_async(
                project_id, workflow_id, {"count": TASKS_PER_JOB, "inputs": [{"topic": label}]}
            ),
        ),
        (
            "create_experiment",
            lambda: client.create_experiment(
                project_id,
                workflow_id,
                {
                    "count": EXPERIMENT_COUNT,
                    "variants": [
                        {"name": f"{label}-{v}", "configOverrides": {}} for v in EXPERIMENT_VARIANTS
                    ],
                },
            ),
        ),
        (
            "create_prompt",
            lambda: client.create_prompt({"name": f"stress {label}", "prompt_text": "Hi {{x}}"}),
        ),
        (
            "create_criterion",
            lambda: client.create_criterion(
                {
                    "name": f"stress {label}",
                    "display_label": f"stress {label}",
                    "type": "programmatic",
                    "config": {"subtype": "contains_keywords", "keywords": ["Rome"], "mode": "any"},
                    "output_schema": {"type": "boolean"},
                    "scope_type": "org",
                    "org_id": 2,
                }
            ),
        ),
    ]
    for name, call in calls:
        try:
            answer: Any = call()
        except Exception as exc:  # every failure is reported, the test asserts there are none
            result["failures"].append(f"{label} {name}: {type(exc).__name__}: {exc}")
            continue
        if name == "create_tasks_async":
            result["jobs"].append(answer["job_id"])
            result["requested"] += TASKS_PER_JOB
            try:
                client.get_task(project_id, workflow_id, answer["task_ids"][0])
            except Exception as exc:
                result["failures"].append(f"{label} get_task: {type(exc).__name__}: {exc}")
        elif name == "create_experiment":
            result["experiments"].append(answer["experiment_id"])


def main(argv: list[str]) -> int:
    base_url, api_key, project, workflow, label, rounds = argv
    result: dict[str, Any] = {"jobs": [], "experiments": [], "failures": [], "requested": 0}
    with PipelinesClient(api_key=api_key, base_url=base_url, max_retries=0, timeout=30) as client:
        for index in range(int(rounds)):
            stress_round(client, int(project), int(workflow), f"{label}-{index}", result)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
