"""The ``--demo`` seed: organization 2, project 22, workflow 10 "Italy" (a Rome itinerary).

Workflow 10 has three nodes:

- ``plan``: input fields ``city`` and ``days``, LLM field ``itinerary`` (``demo-planner``);
- ``research``: LLM field ``notes`` (``demo-researcher``), bound to the mock tool endpoint
  "Demo docs tools" (``search_docs``, ``fetch_url``, ``delete_record``; max_tool_rounds 3), with a
  ground truth expecting ``search_docs`` and excluding ``delete_record``;
- ``review``: evaluation field ``quality`` scoring ``plan.itinerary`` with the demo evaluation
  (contains_keywords, regex_match and an llm_judge through ``demo-judge``).

Seed rows on the workflow provide task inputs (Rome, 5 days; Rome, 3 days).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_pipelines.local._store.identity import DEFAULT_ORG_ID

if TYPE_CHECKING:
    from pytest_pipelines.local._engine.state import BackendState

DEMO_PROJECT_ID = 22
DEMO_WORKFLOW_ID = 10

DEMO_TOOLS: list[dict[str, Any]] = [
    {
        "name": "search_docs",
        "description": "Search the travel docs for a query and return the best matching pages.",
        "input_schema": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        },
        "response": "Top results for '{{query}}': Colosseum (ancient amphitheatre, book ahead), "
        "Vatican Museums (closed Sundays), Trastevere (evening food walk).",
    },
    {
        "name": "fetch_url",
        "description": "Fetch a web page by URL and return its text.",
        "input_schema": {
            "type": "object",
            "properties": {"url": {"type": "string"}},
            "required": ["url"],
        },
        "response": "Contents of {{url}}: opening hours 9:00-19:00, tickets from 18 EUR.",
    },
    {
        "name": "delete_record",
        "description": "Delete a record from the booking database (destructive).",
        "input_schema": {
            "type": "object",
            "properties": {"record_id": {"type": "string"}},
            "required": ["record_id"],
        },
        "response": "deleted record {{record_id}}",
    },
]


def seed_demo(state: BackendState) -> dict[str, Any]:
    """Store the demo objects; return their ids by name."""
    from pytest_pipelines.local._engine.library import create_versioned

    db = state.db
    org = DEFAULT_ORG_ID
    common = {"scope_type": "org", "org_id": org}
    with db.tx():
        db.insert(
            "project",
            {
                "name": "Rome trips",
                "description": "Demo project of the local backend",
                "org_id": org,
                "archived": False,
            },
            id=DEMO_PROJECT_ID,
        )
        workflow_placeholder = db.insert(
            "workflow",
            {
                "name": "Italy",
                "org_id": org,
                "project_id": DEMO_PROJECT_ID,
                "definition": {"nodes": []},
                "seed_rows": [],
                "status": "active",
            },
            id=DEMO_WORKFLOW_ID,
            parent_id=DEMO_PROJECT_ID,
        )
        itinerary_prompt = create_versioned(
            state,
            "prompt",
            {
                **common,
                "name": "Rome itinerary prompt",
                "role": "user",
                "description": "Baseline itinerary prompt of the demo workflow",
                "prompt_text": "Plan a {{days}} day itinerary for {{city}}.",
            },
        )
        create_versioned(
            state,
            "prompt",
            {
                **common,
                "name": "Concise Rome prompt",
                "role": "user",
                "description": "Short itinerary prompt for SDK experiments",
                "prompt_text": "Create a concise {{days}} day {{city}} itinerary.",
            },
        )
        create_versioned(
            state,
            "prompt",
            {
                **common,
                "name": "Detailed Rome prompt",
                "role": "user",
                "description": "Detailed itinerary prompt for SDK experiments",
                "prompt_text": "Create a detailed {{days}} day {{city}} itinerary with morning, afternoon, and evening plans.",
            },
        )
        keywords = create_versioned(
            state,
            "criterion",
            {
                **common,
                "name": "Mentions Rome Highlights",
                "display_label": "Mentions Rome Highlights",
                "type": "programmatic",
                "config": {
                    "subtype": "contains_keywords",
                    "keywords": ["Colosseum", "Vatican", "Trastevere"],
                    "mode": "any",
                    "case_sensitive": False,
                },
                "output_schema": {"type": "boolean"},
            },
        )
        day_number = create_versioned(
            state,
            "criterion",
            {
                **common,
                "name": "Has Day Number",
                "display_label": "Has Day Number",
                "type": "programmatic",
                "config": {
                    "subtype": "regex_match",
                    "pattern": r"Day\s+[1-5]",
                    "flags": ["IGNORECASE"],
                },
                "output_schema": {"type": "boolean"},
            },
        )
        judge = create_versioned(
            state,
            "criterion",
            {
                **common,
                "name": "Itinerary Quality Judge",
                "display_label": "Itinerary Quality",
                "type": "llm_judge",
                "config": {
                    "model": "demo-judge",
                    "temperature": 0,
                    "threshold": 3,
                    "prompt_template": "Score the itinerary from 1 to 5 for specificity, feasibility, "
                    "and usefulness. Return only the number.",
                },
                "output_schema": {"type": "rating", "range": [1, 5]},
            },
        )
        evaluation = create_versioned(
            state,
            "evaluation",
            {
                **common,
                "name": "Itinerary quality (demo)",
                "description": "Scores itinerary quality",
                "criteria": [
                    {"criterion_id": c["id"], "criterion_version": 1}
                    for c in (keywords, day_number, judge)
                ],
            },
        )
        endpoint = create_versioned(
            state,
            "tool_endpoint",
            {
                "org_id": org,
                "name": "Demo docs tools",
                "description": "Mock travel-docs tools",
                "endpoint_type": "mock",
                "url": None,
                "auth_type": "none",
                "auth_config": {},
                "config": {"tools": DEMO_TOOLS},
                "tools": [
                    {k: t[k] for k in ("name", "description", "input_schema")} for t in DEMO_TOOLS
                ],
                "status": "active",
            },
        )
        definition = {
            "nodes": [
                {
                    "id": "plan",
                    "title": "Plan the trip",
                    "fields": [
                        {"id": "city", "type": "input", "title": "City", "default": "Rome"},
                        {"id": "days", "type": "input", "title": "Days", "default": 5},
                        {
                            "id": "itinerary",
                            "type": "llm",
                            "title": "Itinerary",
                            "prompt_id": itinerary_prompt["id"],
                            "prompt_version": None,
                            "model": "demo-planner",
                            "temperature": 0,
                        },
                    ],
                },
                {
                    "id": "research",
                    "title": "Research",
                    "fields": [
                        {
                            "id": "notes",
                            "type": "llm",
                            "title": "Research notes",
                            "prompt_text": "Research {{city}} for a {{days}} day trip: search the docs for the top sights.",
                            "model": "demo-researcher",
                            "temperature": 0,
                        },
                    ],
                },
                {
                    "id": "review",
                    "title": "Review",
                    "fields": [
                        {
                            "id": "quality",
                            "type": "evaluation",
                            "title": "Quality",
                            "target": {"node_id": "plan", "field_id": "itinerary"},
                            "evaluation_id": evaluation["id"],
                            "evaluation_version": None,
                        },
                    ],
                },
            ]
        }
        db.patch(
            "workflow",
            workflow_placeholder["id"],
            {
                "description": "Plan a Rome itinerary, research it with tools, review its quality",
                "definition": definition,
                "seed_rows": [{"city": "Rome", "days": 5}, {"city": "Rome", "days": 3}],
            },
        )
        binding = db.insert(
            "tool_binding",
            {
                "org_id": org,
                "workflow_id": DEMO_WORKFLOW_ID,
                "node_id": "research",
                "field_id": "notes",
                "endpoint_id": endpoint["id"],
                "selected_tools": ["search_docs", "fetch_url", "delete_record"],
                "max_tool_rounds": 3,
                "enabled": True,
            },
            parent_id=DEMO_WORKFLOW_ID,
        )
        truth = db.insert(
            "tool_ground_truth",
            {
                "org_id": org,
                "workflow_id": DEMO_WORKFLOW_ID,
                "node_id": "research",
                "field_id": "notes",
                "expected_tools": [{"name": "search_docs"}],
                "excluded_tools": [{"name": "delete_record"}],
                "ordering_matters": False,
                "source": "manual",
                "confidence": 1.0,
            },
            parent_id=DEMO_WORKFLOW_ID,
        )
    return {
        "project_id": DEMO_PROJECT_ID,
        "workflow_id": DEMO_WORKFLOW_ID,
        "prompt_id": itinerary_prompt["id"],
        "evaluation_id": evaluation["id"],
        "endpoint_id": endpoint["id"],
        "binding_id": binding["id"],
        "ground_truth_id": truth["id"],
    }
