"""What a well-formed recording should yield, worked out from its JSON alone (not from the tool's
code or its manifest): the model the Rust tests' `expected_keys` follows, with plan and reject counts.
"""

import json
from pathlib import Path

PLANS = {1: "basic", 2: "licensed", 4: "unassigned", 99: "none"}


def expected(recording: Path) -> dict:
    """Keys of the license rows in page order, rows per plan, and the number of rejects."""
    index = json.loads((recording / "index.json").read_text())
    seen, keys, by_plan, rejects = set(), [], {}, 0
    for page in index["pages"]:
        if page["http_status"] != 200:
            continue
        sweep = page["request"]["query"].get("status", "active")
        for user in json.loads((recording / page["file"]).read_text())["users"]:
            key = user.get("id") or "pending:" + user["email"].lower()
            if key in seen:
                continue
            seen.add(key)
            plan = PLANS.get(user["type"]) if isinstance(user["type"], int) else None
            if user.get("status", sweep) == "inactive" or plan is None:
                rejects += 1
                continue
            keys.append(key)
            by_plan[plan] = by_plan.get(plan, 0) + 1
    return {"keys": keys, "by_plan": by_plan, "rejects": rejects}
