"""The typed responses type-check under ``mypy --strict`` (mypy runs in a subprocess).

One snippet uses both clients the way the docs show. Lines marked ``# E: <text>`` must be
flagged with an error containing ``<text>`` (typo'd TypedDict keys); every other line must be
clean, and ``reveal_type`` must name the documented TypedDict. Without the precise return
types (``Any``) the marked typos pass and the revealed types are ``Any``, so this test fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SNIPPET = """
from __future__ import annotations

from typing import Any

from pytest_pipelines.client import (
    AsyncPipelinesClient,
    CriterionDefinition,
    PipelinesClient,
    poll_delays,
)
from pytest_pipelines.types import ExperimentStatus, JobStatus


def sync_use(client: PipelinesClient, model: CriterionDefinition) -> None:
    prompt = client.create_prompt({"name": "p", "prompt_text": "Hi {{city}}", "role": "user"})
    reveal_type(prompt)  # R: pytest_pipelines.types.Prompt
    prompt_id: int = prompt["id"]
    for p in client.iter_prompts(scope_type="org"):
        reveal_type(p)  # R: pytest_pipelines.types.Prompt
        name: str = p["name"]
    criterion = client.create_criterion(model)  # a pydantic model is still accepted
    reveal_type(criterion)  # R: pytest_pipelines.types.Criterion
    print(prompt_id, name, criterion["config"], client.get_evaluation(1)["criteria"])
    fields = client.get_configurable_fields(22, 10)["fields"]
    supports: list[str] = fields[0]["supports"]
    csv: bool = client.get_creation_mode(22, 10)["requires_csv"]
    job = client.create_tasks_async(22, 10, {"count": 1}, idempotency_key="k")
    seen: list[str] = []
    status = client.wait_for_create_tasks(
        22, 10, job["job_id"], on_status=lambda s: seen.append(s["status"])
    )
    reveal_type(status)  # R: pytest_pipelines.types.JobStatus
    task = client.get_task(22, 10, status["task_ids"][0])
    value: Any = task["nodes"][0]["evaluation_results"][0]["value"]
    score: float = client.evaluate_tool_correctness(10, 44, {"field_id": "f"})["score"]
    for binding in client.iter_tool_bindings(10):
        reveal_type(binding)  # R: pytest_pipelines.types.ToolBinding
    summary = client.push_artifact_bundle({"artifact_type": "x"})
    print(supports, csv, value, score, summary["created"], next(poll_delays()))
    print(prompt["nmae"])  # E: TypedDict "Prompt" has no key "nmae"
    print(status["stauts"])  # E: TypedDict "JobStatus" has no key "stauts"
    print(task["nodes"][0]["evaluation_results"][0]["pased"])  # E: has no key "pased"
    client.wait_for_create_tasks(1, 2, "j", on_status=lambda s: s["progres"])  # E: has no key "progres"


async def async_use(client: AsyncPipelinesClient) -> None:
    prompt = await client.create_prompt({"name": "p", "prompt_text": "Hi", "role": "user"})
    reveal_type(prompt)  # R: pytest_pipelines.types.Prompt
    async for p in client.iter_prompts():
        print(p["name"], p["version"])
    created = await client.create_experiment(22, 10, {"count": 1, "variants": []})

    def show(status: ExperimentStatus) -> None:
        print(status["status"], [v["task_ids"] for v in status.get("variants", [])])

    final = await client.wait_for_experiment(22, 10, created["experiment_id"], on_status=show)
    reveal_type(final)  # R: pytest_pipelines.types.ExperimentStatus
    job: JobStatus = await client.get_create_tasks_status(22, 10, "job-1")
    print(job["completed"], final["variants"][0]["workflow_id"])
    print((await client.get_project(22))["nmae"])  # E: TypedDict "Project" has no key "nmae"
"""

ERROR = re.compile(r"^[^:]+:(\d+): error: (.*)$")
REVEALED = re.compile(r"^[^:]+:(\d+): note: Revealed type is \"(.*)\"$")


def test_typed_responses_under_mypy_strict(tmp_path: Path) -> None:
    source = tmp_path / "typed_usage.py"
    source.write_text(SNIPPET, encoding="utf-8")
    lines = SNIPPET.splitlines()
    want_errors = {
        n: line.split("# E: ", 1)[1] for n, line in enumerate(lines, 1) if "# E: " in line
    }
    want_reveals = {
        n: line.split("# R: ", 1)[1] for n, line in enumerate(lines, 1) if "# R: " in line
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--strict",
            "--no-error-summary",
            "--show-error-codes",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            str(source),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    output = result.stdout + result.stderr
    errors: dict[int, list[str]] = {}
    reveals: dict[int, str] = {}
    for line in output.splitlines():
        if match := ERROR.match(line):
            errors.setdefault(int(match[1]), []).append(match[2])
        elif match := REVEALED.match(line):
            reveals[int(match[1])] = match[2]
    assert set(errors) == set(want_errors), output
    for number, text in want_errors.items():
        assert any(text in message for message in errors[number]), (number, errors[number])
    assert set(reveals) == set(want_reveals), output
    for number, name in want_reveals.items():
        assert re.match(rf"TypedDict\('?{re.escape(name)}'?, ", reveals[number]), reveals[number]
