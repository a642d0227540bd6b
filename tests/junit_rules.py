"""The rules of Jenkins' junit-10.xsd (the xunit2 schema) that our JUnit files depend on.

Written from the schema's text as checks of our own (the schema itself is not vendored): which
attributes each element may carry, which children it may hold, required attributes, and the
``SUREFIRE_TIME`` pattern of ``time``. The schema names the error element ``errors`` where every
JUnit consumer (and pytest's own xunit2 writer) uses ``error``; both are accepted here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

#: (allowed attributes, required attributes, allowed children)
RULES: dict[str, tuple[set[str], set[str], set[str]]] = {
    "testsuites": ({"name", "time", "tests", "failures", "errors"}, set(), {"testsuite"}),
    "testsuite": (
        {
            "name",
            "tests",
            "failures",
            "errors",
            "group",
            "time",
            "skipped",
            "timestamp",
            "hostname",
            "id",
            "package",
            "file",
            "log",
            "url",
            "version",
        },
        {"name", "tests", "failures", "errors"},
        {"testsuite", "properties", "testcase", "system-out", "system-err"},
    ),
    "testcase": (
        {"name", "time", "classname", "group"},
        {"name"},
        {
            "skipped",
            "error",
            "errors",
            "failure",
            "rerunFailure",
            "rerunError",
            "flakyFailure",
            "flakyError",
            "system-out",
            "system-err",
        },
    ),
    "properties": (set(), set(), {"property"}),
    "property": ({"name", "value"}, {"name", "value"}, set()),
    "failure": ({"type", "message"}, set(), set()),
    "error": ({"type", "message"}, set(), set()),
    "errors": ({"type", "message"}, set(), set()),
    "skipped": ({"type", "message"}, set(), set()),
    "system-out": (set(), set(), set()),
    "system-err": (set(), set(), set()),
}
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?")
#: attributes of this type must match SUREFIRE_TIME (testcase time is a plain string there)
TIMED = {"testsuites", "testsuite"}


def violations(root: ET.Element) -> list[str]:
    """Every place ``root`` breaks a rule above, as readable lines (empty: it complies)."""
    found: list[str] = []

    def walk(el: ET.Element, path: str) -> None:
        here = f"{path}/{el.tag}[{el.get('name', '')}]"
        rule = RULES.get(el.tag)
        if rule is None:
            found.append(f"{here}: element <{el.tag}> is not in the schema")
            return
        allowed, required, children = rule
        for attr in el.attrib:
            if attr not in allowed:
                found.append(f"{here}: attribute {attr!r} is not allowed on <{el.tag}>")
        for attr in required - set(el.attrib):
            found.append(f"{here}: required attribute {attr!r} is missing")
        if (
            el.tag in TIMED
            and "time" in el.attrib
            and not SUREFIRE_TIME.fullmatch(el.get("time", ""))
        ):
            found.append(f"{here}: time {el.get('time')!r} does not match SUREFIRE_TIME")
        for child in el:
            if child.tag not in children:
                found.append(f"{here}: <{child.tag}> may not be a child of <{el.tag}>")
            else:
                walk(child, here)

    walk(root, "")
    return found
