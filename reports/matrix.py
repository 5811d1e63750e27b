"""Fig. 6 matrix: which scenario results name which Fig. 6 row, and the row verdict.

A scenario names row N by its path (scenarios/fig6/rowN<anything not a digit>.yaml,
e.g. scenarios/fig6/row4-reset-preboot.yaml) or by a name starting with fig6-rowN
(again not followed by another digit).  See docs/users/report.md.
"""

import re

PASS, FAIL, NOT_TESTED = "PASS", "FAIL", "NOT-TESTED"

_PATH_RE = re.compile(r"(?:^|/)fig6/row(\d+)(?!\d)[^/]*$")
_NAME_RE = re.compile(r"^fig6-row(\d+)(?!\d)")


def row_of(scenario_path, name):
    """The Fig. 6 row a scenario names, or None."""
    m = _PATH_RE.search(scenario_path or "")
    if m:
        return int(m.group(1))
    m = _NAME_RE.match(name or "")
    if m:
        return int(m.group(1))
    return None


def row_verdict(verdicts):
    """PASS if every scenario naming the row passed, FAIL if any did not,
    NOT-TESTED if none names it."""
    if not verdicts:
        return NOT_TESTED
    return PASS if all(v == PASS for v in verdicts) else FAIL


def build(fig6_rows, scenarios):
    """fig6_rows: the list from `rmcpsec fig6 --json` (may be empty);
    scenarios: summary entries (dicts with scenario, name, verdict).

    Returns one dict per row (Fig. 6 rows in their order, then rows named by a
    scenario but absent from the table, flagged unknown) with keys
    row, spec (the table entry or None), scenarios, verdict."""
    named = {}
    for s in scenarios:
        r = row_of(s.get("scenario"), s.get("name"))
        if r is not None:
            named.setdefault(r, []).append(s)
    out = []
    known = set()
    for spec in fig6_rows:
        r = spec.get("row")
        known.add(r)
        ss = named.get(r, [])
        out.append({"row": r, "spec": spec, "scenarios": ss,
                    "verdict": row_verdict([s.get("verdict") for s in ss])})
    for r in sorted(set(named) - known):
        ss = named[r]
        out.append({"row": r, "spec": None, "scenarios": ss,
                    "verdict": row_verdict([s.get("verdict") for s in ss])})
    return out
