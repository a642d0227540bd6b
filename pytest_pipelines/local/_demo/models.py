"""Deterministic demo models of ``pipelines-local serve --demo``.

They are small rule-based programs, not language models: their answers depend only on the
request (a hash of the prompt picks phrasing variations), so runs are reproducible, and they
differ by prompt, so config swaps and experiments show real differences.

- ``demo-planner``: travel itineraries for the city and number of days it finds in the prompt.
- ``demo-researcher``: calls ``search_docs`` (and ``fetch_url`` when asked to fetch) when those
  tools are offered, then summarises the results.
- ``demo-judge``: answers judge prompts with a rating, a 0..1 score or yes/no.
- ``demo-flash``: a judge for judge prompts, a researcher when tools are offered, else a planner
  with detailed days. It also answers under the guide's slug ``gemini-3.5-flash`` (see
  :data:`STAND_INS`), so the guide's examples run as written; under that slug it is registered
  as a local stand-in (``stand_in_for``), which the task detail, the models list and every report
  show, so no score looks like the real model's.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from pytest_pipelines.local._engine.registry import (
    Message,
    ModelFn,
    ModelRequest,
    ModelResponse,
    ToolCall,
)

__all__ = [
    "DEMO_MODELS",
    "DEMO_TOOL_ENDPOINT",
    "STAND_INS",
    "demo_judge",
    "demo_planner",
    "demo_researcher",
    "gemini_stand_in",
]

CITY_SIGHTS: dict[str, list[list[str]]] = {
    "Rome": [
        ["Colosseum", "Roman Forum", "Palatine Hill"],
        ["Vatican Museums", "St. Peter's Basilica", "Castel Sant'Angelo"],
        ["Trastevere", "Villa Farnesina", "Janiculum Hill"],
        ["Pantheon", "Piazza Navona", "Trevi Fountain"],
        ["Borghese Gallery", "Spanish Steps", "Via del Corso"],
        ["Appian Way", "Catacombs of San Callisto", "Baths of Caracalla"],
        ["Ostia Antica", "Tiber Island", "Jewish Ghetto"],
    ],
    "Paris": [
        ["Louvre", "Tuileries Garden", "Palais Royal"],
        ["Eiffel Tower", "Champ de Mars", "Seine cruise"],
        ["Montmartre", "Sacre-Coeur", "Place du Tertre"],
        ["Musee d'Orsay", "Saint-Germain-des-Pres", "Luxembourg Gardens"],
        ["Le Marais", "Place des Vosges", "Centre Pompidou"],
    ],
    "Florence": [
        ["Uffizi Gallery", "Piazza della Signoria", "Ponte Vecchio"],
        ["Duomo", "Baptistery", "Giotto's Campanile"],
        ["Accademia Gallery", "San Lorenzo Market", "Medici Chapels"],
        ["Pitti Palace", "Boboli Gardens", "Piazzale Michelangelo"],
    ],
    "Venice": [
        ["St. Mark's Basilica", "Doge's Palace", "Bridge of Sighs"],
        ["Rialto Bridge", "Rialto Market", "Grand Canal"],
        ["Murano", "Burano", "Torcello"],
        ["Peggy Guggenheim Collection", "Dorsoduro", "Zattere"],
    ],
    "London": [
        ["British Museum", "Covent Garden", "Trafalgar Square"],
        ["Tower of London", "Tower Bridge", "Borough Market"],
        ["Westminster Abbey", "Big Ben", "St. James's Park"],
        ["Tate Modern", "South Bank", "Shakespeare's Globe"],
    ],
}
_GENERIC_SIGHTS = [
    ["Old Town", "Main Square", "Cathedral"],
    ["City Museum", "Central Market", "Riverside Walk"],
    ["Botanical Garden", "Art Gallery", "Harbour"],
    ["Castle Hill", "Historic Library", "Food Hall"],
]
_WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_STOPWORDS_TEXT = (
    "a an and are as at be by can do does for from how i in into is it its me my of on or "
    "please the their them then this to use user using what when where which who why will "
    "with you your answer docs doc search searching find about tell give research look up "
    "fetch page best say says trip day days plan create"
)
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_INTROS = (
    "Here is a {days}-day plan for {city}.",
    "A {days}-day itinerary for {city}:",
    "{city} in {days} days:",
)
_DINNERS = ("a trattoria nearby", "a local wine bar", "a family-run restaurant")


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


# --- planner --------------------------------------------------------------------------------


def _find_city(prompt: str) -> str:
    for city in CITY_SIGHTS:
        if re.search(rf"\b{re.escape(city)}\b", prompt, re.IGNORECASE):
            return city
    match = re.search(r"\b(?:in|to|for|visit(?:ing)?)\s+([A-Z][a-z]+(?:\s[A-Z][a-z]+)?)", prompt)
    return match.group(1) if match else "the city"


def _find_days(prompt: str) -> int:
    match = re.search(r"\b(\d{1,2})[\s-]*(?:day|days|night|nights)\b", prompt, re.IGNORECASE)
    if match:
        return max(1, min(int(match.group(1)), 14))
    words = "|".join(_WORD_NUMBERS)
    match = re.search(rf"\b({words})[\s-]*(?:day|days)\b", prompt, re.IGNORECASE)
    if match:
        return _WORD_NUMBERS[match.group(1).lower()]
    return 3


def _style(prompt: str, default: str = "standard") -> str:
    lowered = prompt.lower()
    if "json" in lowered:
        return "json"
    if re.search(r"\b(concise|short|brief)\b", lowered):
        return "concise"
    if re.search(r"\b(detailed|detail|thorough)\b", lowered):
        return "detailed"
    return default


def _sights(city: str, day: int) -> list[str]:
    groups = CITY_SIGHTS.get(city, _GENERIC_SIGHTS)
    return groups[(day - 1) % len(groups)]


def plan_itinerary(prompt: str, *, default_style: str = "standard") -> str:
    """The planner's answer for ``prompt`` (deterministic)."""
    city, days = _find_city(prompt), _find_days(prompt)
    style = _style(prompt, default_style)
    variant = _digest(prompt)
    if style == "json":
        plan = [
            {
                "day": day,
                "city": city,
                "sights": _sights(city, day),
                "summary": _day_line(city, day),
            }
            for day in range(1, days + 1)
        ]
        return json.dumps({"city": city, "days": plan}, ensure_ascii=False)
    lines: list[str] = []
    if style != "concise":
        lines.append(_INTROS[variant % len(_INTROS)].format(days=days, city=city))
    for day in range(1, days + 1):
        first, second, third = _sights(city, day)
        if style == "concise":
            lines.append(f"Day {day}: {first} and {second}.")
        elif style == "detailed":
            dinner = _DINNERS[(variant + day) % len(_DINNERS)]
            lines.append(f"Day {day}:")
            lines.append(f"  Morning: arrive early at the {first} to beat the queues.")
            lines.append(f"  Afternoon: walk on to the {second}, with a lunch break on the way.")
            lines.append(f"  Evening: sunset at the {third}, then dinner at {dinner}.")
        else:
            lines.append(f"Day {day}: {_day_line(city, day)}")
    return "\n".join(lines)


def _day_line(city: str, day: int) -> str:
    first, second, third = _sights(city, day)
    return f"Visit the {first}, then the {second}; end the day at the {third}."


def demo_planner(request: ModelRequest) -> str:
    """Itineraries for the city and days in the prompt (concise, detailed or JSON on request)."""
    return plan_itinerary(request.prompt)


# --- researcher -----------------------------------------------------------------------------


def research_query(prompt: str) -> str:
    """The search query the researcher derives from ``prompt``: quoted text or key words."""
    quoted = re.search(r"[\"\u201c']([^\"\u201d']{3,})[\"\u201d']", prompt)
    if quoted:
        return quoted.group(1).strip()
    words = [w for w in re.findall(r"[A-Za-z]+", prompt) if w.lower() not in _STOPWORDS]
    return " ".join(words[:6]) or prompt.strip()[:60]


def _parse_content(message: Message) -> Any:
    try:
        return json.loads(message.content)
    except (json.JSONDecodeError, TypeError):
        return message.content


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _citations(results: list[Message]) -> list[str]:
    cited: list[str] = []
    for message in results:
        content = _parse_content(message)
        if isinstance(content, dict) and set(content) == {"error"}:
            cited.append(f"{message.name or 'tool'} failed: {_clip(str(content['error']), 120)}")
            continue
        items: list[Any]
        if isinstance(content, dict) and isinstance(content.get("results"), list):
            items = content["results"]
        elif isinstance(content, list):
            items = content
        else:
            items = [content]
        for item in items:
            if isinstance(item, dict):
                label = item.get("title") or item.get("url") or item.get("text") or item
                cited.append(str(label) if not isinstance(label, dict) else json.dumps(label))
            elif item not in (None, ""):
                cited.append(_clip(str(item)))
    return cited


def _first_url(results: list[Message], prompt: str) -> str:
    for message in results:
        content = _parse_content(message)
        items = content.get("results") if isinstance(content, dict) else content
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("url"), str):
                    return str(item["url"])
    found = re.search(r"https?://\S+", prompt)
    if found:
        return found.group(0).rstrip(".,)")
    slug = "-".join(research_query(prompt).lower().split()[:3]) or "index"
    return f"https://docs.example.com/{slug}"


def demo_researcher(request: ModelRequest) -> ModelResponse:
    """Searches the docs (and fetches a page when asked to fetch), then summarises."""
    prompt = request.prompt
    query = research_query(prompt)
    made = {call.name for call in request.tool_calls_made()}
    results = list(request.tool_results())
    if "search_docs" not in made and request.offers("search_docs"):
        return ModelResponse(tool_calls=(ToolCall("search_docs", {"query": query}),))
    wants_fetch = re.search(r"\bfetch", prompt, re.IGNORECASE) is not None
    if wants_fetch and "fetch_url" not in made and request.offers("fetch_url"):
        url = _first_url(results, prompt)
        return ModelResponse(tool_calls=(ToolCall("fetch_url", {"url": url}),))
    if not results:
        return ModelResponse(
            text=f"Summary for {query!r}: no tools were available, so this answer is not "
            "grounded in any document."
        )
    cited = _citations(results)
    sources = "; ".join(f"[{i}] {label.rstrip('. ')}" for i, label in enumerate(cited, start=1))
    return ModelResponse(
        text=f"Summary for {query!r} based on {len(results)} tool result(s): {sources or 'none'}."
    )


# --- judge ----------------------------------------------------------------------------------

_OUTPUT_HEADINGS = ("## Output to evaluate", "## Output")
_NOT_PLACES = frozenset(
    [
        "Day",
        "Morning",
        "Afternoon",
        "Evening",
        "Here",
        "The",
        "A",
        "An",
        "Visit",
        "Summary",
        "Answer",
        "Score",
        "Return",
        "Rate",
        "Output",
        "Input",
        "It",
        "This",
        "Then",
        "End",
        "Walk",
        "Arrive",
        "Sunset",
    ]
)


def _judged_text(prompt: str) -> tuple[str, str]:
    """Split a judge prompt into (output being judged, the rest)."""
    for heading in _OUTPUT_HEADINGS:
        index = prompt.rfind(heading)
        if index >= 0:
            tail = prompt[index + len(heading) :]
            body, _, _ = tail.partition("\n\nAnswer with")
            return body.strip(), prompt[:index]
    return prompt, prompt


def specificity(text: str) -> float:
    """A 0..1 specificity heuristic: day markers, named places and length."""
    day_markers = len(set(re.findall(r"\bDay\s*(\d+)", text, re.IGNORECASE)))
    names = {
        w for w in re.findall(r"\b[A-Z][a-z']+(?:\s[A-Z][a-z']+)*", text) if w not in _NOT_PLACES
    }
    score = (
        0.35 * min(day_markers / 5, 1.0)
        + 0.4 * min(len(names) / 15, 1.0)
        + 0.25 * min(len(text) / 900, 1.0)
    )
    return round(score, 4)


def _overlap(question: str, answer: str) -> float:
    wanted = {w.lower() for w in re.findall(r"[A-Za-z]{3,}", question)} - _STOPWORDS
    if not wanted:
        return 0.5
    got = {w.lower() for w in re.findall(r"[A-Za-z]{3,}", answer)}
    return len(wanted & got) / len(wanted)


def _find_range(prompt: str) -> tuple[float, float] | None:
    number = r"(-?\d+(?:\.\d+)?)"
    for pattern in (
        rf"\bfrom\s+{number}\s+to\s+{number}",
        rf"\bbetween\s+{number}\s+and\s+{number}",
        rf"\b{number}\s*-\s*{number}\s+scale",
    ):
        found = re.search(pattern, prompt, re.IGNORECASE)
        if found:
            low, high = float(found.group(1)), float(found.group(2))
            if low < high:
                return low, high
    return None


def _format(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def judge_answer(prompt: str) -> str:
    """The judge's answer to ``prompt``: yes/no, a rating in the prompt's range, or 0..1."""
    judged, rest = _judged_text(prompt)
    quality = specificity(judged)
    bounds = _find_range(prompt)
    if bounds is None and re.search(
        r"\byes or no\b|\bpass or fail\b|\btrue or false\b", prompt, re.I
    ):
        return "yes" if quality >= 0.5 else "no"
    if bounds is None:
        bounds = (1.0, 5.0)
    low, high = bounds
    if (low, high) == (0.0, 1.0):
        input_part = rest.partition("## Input")[2]
        relevance = _overlap(input_part, judged) if input_part else quality
        return _format(round(0.5 * quality + 0.5 * relevance, 2))
    return _format(low + round(quality * (high - low)))


def demo_judge(request: ModelRequest) -> str:
    """Rates the output in a judge prompt by specificity, on the range the prompt names."""
    return judge_answer(request.prompt)


# --- the gemini-3.5-flash stand-in ----------------------------------------------------------


def _is_judge_prompt(prompt: str) -> bool:
    lowered = prompt.lower()
    asks = re.search(r"\b(score|rate|rating|judge|evaluat\w*|grade)\b", lowered) is not None
    return asks and (_find_range(prompt) is not None or "yes or no" in lowered)


def gemini_stand_in(request: ModelRequest) -> ModelResponse | str:
    """Demo stand-in for 'gemini-3.5-flash' (not the real model): judge, researcher or planner."""
    if _is_judge_prompt(request.prompt):
        return judge_answer(request.prompt)
    if request.tools:
        return demo_researcher(request)
    return plan_itinerary(request.prompt, default_style="detailed")


DEMO_MODELS: dict[str, tuple[ModelFn, str]] = {
    "demo-planner": (
        demo_planner,
        "Deterministic demo: itineraries for the city/days in the prompt "
        "(concise, detailed or JSON on request)",
    ),
    "demo-researcher": (
        demo_researcher,
        "Deterministic demo: calls search_docs (and fetch_url when asked to fetch), then "
        "summarises",
    ),
    "demo-judge": (
        demo_judge,
        "Deterministic demo judge: rates specificity on the range the prompt names",
    ),
    "demo-flash": (
        gemini_stand_in,
        "Deterministic demo: a judge for judge prompts, a researcher with tools, else a planner",
    ),
}

#: Hosted model slugs the guide's examples use, served locally by a demo model: slug -> the demo
#: model that answers. Registered with ``stand_in_for`` set to the slug.
STAND_INS: dict[str, str] = {"gemini-3.5-flash": "demo-flash"}
STAND_IN_DESCRIPTION = (
    "Local stand-in for {slug} (answers as {demo}, deterministic): NOT the real model; its "
    "scores say nothing about {slug}"
)

DEMO_TOOL_ENDPOINT: dict[str, Any] = {
    "name": "Demo docs tools",
    "description": "Mock tool set of the demo: search the docs, fetch a page, delete a record",
    "endpoint_type": "mock",
    "url": "",
    "auth_type": "none",
    "auth_config": {},
    "config": {
        "tools": [
            {
                "name": "search_docs",
                "description": "Search the internal docs and return matching pages",
                "input_schema": {
                    "type": "object",
                    "properties": {"query": {"type": "string"}},
                    "required": ["query"],
                },
                "response": {
                    "results": [
                        {
                            "title": "Guide: {{query}}",
                            "url": "https://docs.example.com/guide",
                            "snippet": "How to plan {{query}} step by step.",
                        },
                        {
                            "title": "FAQ: {{query}}",
                            "url": "https://docs.example.com/faq",
                            "snippet": "Common questions about {{query}}.",
                        },
                    ]
                },
            },
            {
                "name": "fetch_url",
                "description": "Fetch a web page by URL and return its text",
                "input_schema": {
                    "type": "object",
                    "properties": {"url": {"type": "string"}},
                    "required": ["url"],
                },
                "response": {"url": "{{url}}", "status": 200, "text": "Contents of {{url}}"},
            },
            {
                "name": "delete_record",
                "description": "Delete a record by id (destructive; should not be called)",
                "input_schema": {
                    "type": "object",
                    "properties": {"record_id": {"type": "string"}},
                    "required": ["record_id"],
                },
                "response": {"deleted": "{{record_id}}"},
            },
        ]
    },
}
