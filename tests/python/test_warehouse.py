"""Loads a multi-account, multi-date partitioned run into DuckDB and checks types, counts and a real
question, with expectations computed from the recorded JSON, not from the tool's code."""

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import shutil

import duckdb
from decimal import Decimal
import pyarrow.parquet as pq
import pytest

from recorded import expected

ROOT = Path(__file__).resolve().parents[2]
DATES = ["2026-11-26", "2026-11-27"]
ACCOUNTS = {"emea": "sample", "us": "awkward-text"}
AS_OF = datetime(2026, 11, 27, tzinfo=timezone.utc)


def extract(binary, recording, account, date, out, *extra):
    subprocess.run(
        [binary, "-q", "extract", "--replay", str(recording), "--output-dir", str(out),
         "--partition-date", date, "--partition-account", account, "--run-id", f"{date}-{account}",
         *extra],
        check=True, stdout=subprocess.PIPE,
    )


def recorded_users(recording: Path):
    index = json.loads((recording / "index.json").read_text())
    for page in index["pages"]:
        # Only the users list: the hosts report's pages hold `users` too.
        if page["request"].get("endpoint", "users") != "users":
            continue
        body = json.loads((recording / page["file"]).read_text())
        for user in body["users"]:
            yield page["request"]["query"]["status"], user


def expected_stale_licensed(recording: Path) -> int:
    """Licensed users (type 2, not deactivated) without a login in the 90 days before AS_OF."""
    cutoff = AS_OF - timedelta(days=90)
    count = 0
    for sweep, user in recorded_users(recording):
        if user.get("status", sweep) == "inactive" or user.get("type") != 2:
            continue
        login = user.get("last_login_time")
        if not login or datetime.fromisoformat(login.replace("Z", "+00:00")) < cutoff:
            count += 1
    return count


@pytest.fixture(scope="module")
def warehouse(binary, fixtures, tmp_path_factory):
    out = tmp_path_factory.mktemp("wh")
    for date in DATES:
        for account, recording in ACCOUNTS.items():
            extract(binary, fixtures / recording, account, date, out)
    return out


def test_types_arrive_intact(warehouse):
    con = duckdb.connect()
    described = dict(
        (row[0], row[1])
        for row in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{warehouse}/zoom_users/**/*.parquet', "
            "hive_partitioning = true)"
        ).fetchall()
    )
    for column in ("user_created_at", "last_login_at", "extracted_at"):
        assert described[column] == "TIMESTAMP WITH TIME ZONE", described
    assert described["plan_type_code"] == "INTEGER"
    assert described["dt"] == "DATE"
    assert described["account"] == "VARCHAR"


def test_row_counts_equal_the_recordings(warehouse, fixtures):
    con = duckdb.connect()
    counts = dict(
        ((str(dt), account), n)
        for dt, account, n in con.execute(
            f"SELECT dt, account, count(*) FROM read_parquet('{warehouse}/zoom_users/**/*.parquet', "
            "hive_partitioning = true) GROUP BY ALL"
        ).fetchall()
    )
    assert len(counts) == len(DATES) * len(ACCOUNTS)
    for (dt, account), n in counts.items():
        want = expected(fixtures / ACCOUNTS[account])
        assert n == len(want["keys"]), (dt, account)
        rejects = con.execute(
            f"SELECT count(*) FROM read_parquet('{warehouse}/zoom_user_rejects/dt={dt}/account={account}/*.parquet')"
        ).fetchone()[0]
        assert rejects == want["rejects"], (dt, account)


def test_licensed_users_without_a_login_in_90_days_per_account(warehouse, fixtures):
    con = duckdb.connect()
    rows = con.execute(
        f"""
        SELECT account, count(*) AS stale
        FROM read_parquet('{warehouse}/zoom_users/**/*.parquet', hive_partitioning = true)
        WHERE dt = DATE '2026-11-27'
          AND plan = 'licensed'
          AND (last_login_at IS NULL
               OR last_login_at < TIMESTAMPTZ '2026-11-27 00:00:00+00' - INTERVAL 90 DAY)
        GROUP BY account ORDER BY account
        """
    ).fetchall()
    expected = {a: expected_stale_licensed(fixtures / r) for a, r in ACCOUNTS.items()}
    assert dict(rows) == {a: n for a, n in expected.items() if n}
    assert expected["emea"] > 0, "the sample should have stale licensed users to find"


def test_the_make_example_loads_a_day_idempotently(binary, tmp_path):
    args = [
        "make", "--no-print-directory", "-f", str(ROOT / "examples/make/Makefile"),
        "DATE=2026-11-27", f"ZOOM_LICENSES={binary}", f"PYTHON={sys.executable}",
        f"WAREHOUSE={tmp_path / 'wh'}",
        f"EXTRACT_ARGS=--replay {ROOT / 'fixtures/sample'} --partition-account emea",
    ]
    licenses = tmp_path / "wh/zoom_users/dt=2026-11-27/account=emea/_manifest.json"
    for _ in range(2):
        done = subprocess.run(args, check=True, capture_output=True, text=True)
        # Counted to the run's own extracted_at (the example has no --as-of).
        extracted_at = json.loads(licenses.read_text())["extracted_at"]
        as_of = datetime.fromisoformat(extracted_at.replace("Z", "+00:00"))
        candidates = sum(expected_reclaim(ROOT / "fixtures/sample", as_of).values())
        # One date only: no earlier partition, so no changes; the changes step says so and goes on.
        want = (f"loaded 842 users and 158 rejects for 2026-11-27, with {candidates} reclaim "
                "candidates and 0 changes")
        assert want in done.stdout, done.stdout
        assert "No earlier partition of this account to compare with" in done.stderr, done.stderr
        assert not (tmp_path / "wh/zoom_user_changes").exists()
    con = duckdb.connect(str(tmp_path / "wh" / "zoom.duckdb"))
    assert con.execute("SELECT count(*) FROM zoom_users").fetchone()[0] == 842
    assert con.execute("SELECT count(*) FROM zoom_reclaim_candidates").fetchone()[0] == candidates
    con.close()  # the load of the next day takes the database's lock
    # The next day's changes step compares it with the day before, whose extract it names.
    done = subprocess.run([a.replace("DATE=2026-11-27", "DATE=2026-11-28") for a in args],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    changes = json.loads(
        (tmp_path / "wh/zoom_user_changes/dt=2026-11-28/account=emea/_manifest.json").read_text())
    assert changes["inputs"]["from"]["run_id"] == "daily-2026-11-27"
    assert changes["inputs"]["to"]["run_id"] == "daily-2026-11-28"


def test_the_make_example_says_in_one_line_what_is_missing(binary, tmp_path):
    """Without DuckDB for its Python, without zoom-licenses on PATH, or without a readable accounts
    file, the Make example stops before extracting, with one line that says what to do."""
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    base = ["make", "--no-print-directory", "-f", str(ROOT / "examples/make/Makefile"),
            "DATE=2026-11-27", f"WAREHOUSE={tmp_path / 'wh'}",
            f"EXTRACT_ARGS=--replay {ROOT / 'fixtures/sample'} --partition-account emea"]
    done = subprocess.run(base + [f"ZOOM_LICENSES={binary}", f"PYTHON={bare / 'bin/python'}"],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[0] == (
        f"examples/make: the load step needs DuckDB for {bare / 'bin/python'}: "
        f"{bare / 'bin/python'} -m pip install duckdb"), done.stderr
    done = subprocess.run(base + ["ZOOM_LICENSES=no-such-zoom-licenses", f"PYTHON={sys.executable}"],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert done.stderr.startswith("examples/make: no-such-zoom-licenses is not on PATH"), done.stderr
    done = subprocess.run(base + [f"ZOOM_LICENSES={binary}", f"PYTHON={sys.executable}",
                                  f"CONFIG={tmp_path / 'missing.toml'}",
                                  "EXTRACT_ARGS=--all-accounts --config $(CONFIG)"],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert done.stderr.startswith(
        f"examples/make: the accounts file {tmp_path / 'missing.toml'} is not readable"), done.stderr
    assert not (tmp_path / "wh").exists()


def test_a_table_of_version_1_and_version_2_partitions_reads_by_name(binary, fixtures, tmp_path):
    """A warehouse folder with a partition written by schema version 1 (a file kept from a v1
    release, tests/python/data/schema-v1) and one by version 2 reads as one table by name: the
    added columns are null in version 1 rows."""
    v1_file = ROOT / "tests/python/data/schema-v1/zoom_users.parquet"
    assert pq.read_metadata(v1_file).metadata[b"schema_version"] == b"1"
    v1 = tmp_path / "zoom_users" / "dt=2026-11-26" / "account=emea"
    v1.mkdir(parents=True)
    shutil.copy(v1_file, v1 / "part-0.parquet")
    extract(binary, fixtures / "real-shapes", "emea", "2026-11-27", tmp_path)
    con = duckdb.connect()
    source = (f"read_parquet('{tmp_path}/zoom_users/**/*.parquet', hive_partitioning = true, "
              "union_by_name = true)")
    described = dict(row[:2] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall())
    assert described["group_ids"] == "VARCHAR[]", described
    assert described["verified"] == "BOOLEAN", described
    rows = con.execute(
        f"SELECT CAST(dt AS VARCHAR), user_key, group_ids, verified FROM {source} ORDER BY ALL"
    ).fetchall()
    old = [r for r in rows if r[0] == "2026-11-26"]
    new = [r for r in rows if r[0] == "2026-11-27"]
    assert [r[1] for r in old] == sorted(expected(fixtures / "statuses")["keys"])
    assert all(r[2] is None and r[3] is None for r in old)
    assert [r[1] for r in new] == sorted(expected(fixtures / "real-shapes")["keys"])
    groups = {r[1]: r[2] for r in new}
    assert groups["_Qm3rTn8VbX1yZ2aB3cD4e"] == ["-gOps9Zx3", "_gSales2Lm"]
    assert groups["-Kx8aPq2TzWnB4cVd1eF0g"] == ["-gOps9Zx3"]


def expected_idle_licensed(recording: Path) -> int:
    """Active users of plan type 2 with no `Sign in` event (email in any case) in the recording."""
    index = json.loads((recording / "index.json").read_text())
    licensed, signed_in = set(), set()
    for page in index["pages"]:
        body = json.loads((recording / page["file"]).read_text())
        if page["request"]["endpoint"] == "report/activities":
            signed_in |= {e["email"].lower() for e in body["activity_logs"] if e["type"] == "Sign in"}
        elif page["request"]["endpoint"] == "users" and page["request"]["query"]["status"] == "active":
            licensed |= {u["email"].lower() for u in body["users"] if u.get("type") == 2}
    return len(licensed - signed_in)


def test_licensed_users_without_a_sign_in_per_account(binary, fixtures, tmp_path):
    """The documented query (docs/more-tables.md) on zoom_user_activity, against a count made from the recorded JSON."""
    for account in ["emea", "us"]:
        extract(binary, fixtures / "activity", account, "2026-12-01", tmp_path)
    table = f"read_parquet('{tmp_path}/zoom_user_activity/**/*.parquet', hive_partitioning = true)"
    rows = duckdb.connect().execute(
        f"""
        SELECT account, count(*) AS idle_licenses
        FROM {table}
        WHERE dt = (SELECT max(dt) FROM {table})
          AND plan = 'licensed' AND status = 'active' AND sign_ins = 0
        GROUP BY account ORDER BY idle_licenses DESC
        """
    ).fetchall()
    expected = expected_idle_licensed(fixtures / "activity")
    assert 0 < expected < 40, "the fixture should have some idle licensed users, not all"
    assert sorted(rows) == [("emea", expected), ("us", expected)]


def expected_licensed_per_group(recording: Path) -> dict:
    """Users of plan type 2 (not deactivated) per group name, from the recorded JSON."""
    index = json.loads((recording / "index.json").read_text())
    names, counts = {}, {}
    users = []
    for page in index["pages"]:
        body = json.loads((recording / page["file"]).read_text())
        endpoint = page["request"]["endpoint"]
        if endpoint == "groups":
            names.update({g["id"]: g["name"] for g in body["groups"]})
        elif endpoint == "users" and page["request"]["query"]["status"] != "inactive":
            users += [u for u in body["users"] if u.get("type") == 2]
    for user in users:
        for group in user.get("group_ids") or []:
            counts[names[group]] = counts.get(names[group], 0) + 1
    return counts


def test_licensed_users_per_group_name(binary, fixtures, tmp_path):
    """The documented groups query (docs/more-tables.md), against a count made from the recorded JSON."""
    extract(binary, fixtures / "activity", "emea", "2026-12-01", tmp_path)
    users = f"read_parquet('{tmp_path}/zoom_users/**/*.parquet', hive_partitioning = true)"
    groups = f"read_parquet('{tmp_path}/zoom_groups/**/*.parquet', hive_partitioning = true)"
    rows = duckdb.connect().execute(
        f"""
        SELECT g.name AS "group", count(*) AS licensed
        FROM {users} u, unnest(u.group_ids) AS t(group_id)
        JOIN {groups} g ON g.group_id = t.group_id AND g.dt = u.dt AND g.account = u.account
        WHERE u.plan = 'licensed' AND u.dt = (SELECT max(dt) FROM {users})
        GROUP BY g.name ORDER BY licensed DESC
        """
    ).fetchall()
    expected = expected_licensed_per_group(fixtures / "activity")
    assert len(expected) == 2, "the fixture should have licensed users in both groups"
    assert dict(rows) == expected


def expected_addons_per_group(recording: Path) -> dict:
    """(group name, add-on) -> licensed users holding it, from the recorded JSON: add-ons on are
    `true` members of a user's `feature`, or text other than "" and "None"."""
    index = json.loads((recording / "index.json").read_text())
    names, groups_of, addons_of = {}, {}, {}
    for page in index["pages"]:
        body = json.loads((recording / page["file"]).read_text())
        request = page["request"]
        if request["endpoint"] == "groups":
            names.update({g["id"]: g["name"] for g in body["groups"]})
        elif request["endpoint"] == "users" and request["query"]["status"] != "inactive":
            for u in body["users"]:
                if u.get("type") == 2 and u.get("id"):
                    groups_of[u["id"]] = u.get("group_ids") or []
        elif request["endpoint"] == "users/{userId}/settings":
            feature = body["feature"]
            addons_of[request["query"]["userId"]] = [
                k for k, v in feature.items() if v is True or (isinstance(v, str) and v not in ("", "None"))
            ]
    counts = {}
    for user, groups in groups_of.items():
        for group in groups:
            for addon in addons_of.get(user, []):
                key = (names[group], addon)
                counts[key] = counts.get(key, 0) + 1
    return counts


def test_licensed_users_and_their_addons_by_group_name(binary, fixtures, tmp_path):
    """The documented add-ons query (docs/more-tables.md), against a count made from the recorded JSON."""
    extract(binary, fixtures / "activity", "emea", "2026-12-01", tmp_path)
    table = lambda name: f"read_parquet('{tmp_path}/{name}/**/*.parquet', hive_partitioning = true)"
    rows = duckdb.connect().execute(
        f"""
        SELECT g.name AS "group", a.addon, count(DISTINCT u.user_key) AS users
        FROM {table('zoom_users')} u, unnest(u.group_ids) AS t(group_id)
        JOIN {table('zoom_groups')} g
          ON g.group_id = t.group_id AND g.dt = u.dt AND g.account = u.account
        JOIN {table('zoom_user_addons')} a
          ON a.user_key = u.user_key AND a.dt = u.dt AND a.account = u.account
        WHERE u.plan = 'licensed' AND u.dt = (SELECT max(dt) FROM {table('zoom_users')})
        GROUP BY g.name, a.addon ORDER BY g.name, a.addon
        """
    ).fetchall()
    expected = expected_addons_per_group(fixtures / "activity")
    assert len(expected) >= 2, "the fixture should have licensed users with add-ons in groups"
    assert {(g, a): n for g, a, n in rows} == expected


def expected_reclaim(recording: Path, as_of: datetime = AS_OF) -> dict:
    """Reclaim candidates per reason at `as_of` with the default thresholds, from the JSON: licensed
    active users last logged in, or (never) created, 90+ whole days before; licensed pending
    users created 30+ days before (their `created_at` is the time of the call: never used)."""
    days = lambda t: (as_of - datetime.fromisoformat(t.replace("Z", "+00:00"))).days
    found = {}
    seen = set()
    for sweep, user in recorded_users(recording):
        key = user.get("id") or "pending:" + user["email"].lower()
        status = user.get("status", sweep)
        if key in seen or user.get("type") != 2 or status not in ("active", "pending"):
            continue
        seen.add(key)
        if status == "pending":
            created = user.get("user_created_at")
            reason = "pending_invitation" if created and days(created) >= 30 else None
        elif user.get("last_login_time"):
            reason = "idle" if days(user["last_login_time"]) >= 90 else None
        else:
            created = user.get("user_created_at") or user.get("created_at")
            reason = "never_logged_in" if created and days(created) >= 90 else None
        if reason:
            found[reason] = found.get(reason, 0) + 1
    return found


def test_the_readme_query_of_reclaimable_seats_per_account(binary, fixtures, tmp_path):
    """The README's question, answered from zoom_reclaim_candidates of two accounts."""
    out = tmp_path / "wh"
    for account, recording in ACCOUNTS.items():
        extract(binary, fixtures / recording, account, "2026-11-27", out,
                "--as-of", "2026-11-27T00:00:00Z")
    subprocess.run([binary, "-q", "reclaim", "--output-dir", str(out), "--partition-date",
                    "2026-11-27"], check=True)
    rows = duckdb.connect().execute(
        f"""
        SELECT account, reason, count(*) AS seats
        FROM read_parquet('{out}/zoom_reclaim_candidates/**/*.parquet', hive_partitioning = true)
        WHERE dt = DATE '2026-11-27'
        GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    want = sorted(
        (account, reason, n)
        for account, recording in ACCOUNTS.items()
        for reason, n in expected_reclaim(fixtures / recording).items()
    )
    assert rows == want
    assert {r[1] for r in rows} == {"idle", "never_logged_in", "pending_invitation"}


def documented_sql(doc: str, after: str) -> str:
    """The first ```sql block of docs/`doc` after the text `after`, as a reader copies it."""
    text = (ROOT / "docs" / doc).read_text()
    rest = text[text.index(after):]
    return rest.split("```sql\n", 1)[1].split("```", 1)[0]


def expected_hosting_by_department(recording: Path, prices: dict) -> list:
    """From the recorded JSON: licensed active users no report page lists as a host, by department,
    with the number reclaim lists (all of them: created long before the window) and their monthly
    saving: the seat, plus the priced add-ons their settings hold when their login is 90+ days old
    (idle: removed); the seat alone otherwise (not hosting: downgraded)."""
    index = json.loads((recording / "index.json").read_text())
    hosts, features = set(), {}
    for page in index["pages"]:
        body = json.loads((recording / page["file"]).read_text())
        endpoint = page["request"]["endpoint"]
        if endpoint == "report/users":
            hosts |= {u["id"] for u in body["users"] if u["meetings"] > 0}
        elif endpoint == "users/{userId}/settings":
            features[page["request"]["query"]["userId"]] = body["feature"]
    as_of = datetime(2026, 12, 1, 18, tzinfo=timezone.utc)
    found = {}
    for sweep, user in recorded_users(recording):
        if user.get("type") != 2 or user.get("status", sweep) != "active" or user["id"] in hosts:
            continue
        login = datetime.fromisoformat(user["last_login_time"].replace("Z", "+00:00"))
        cents = prices["licensed"]
        if (as_of - login).days >= 90:
            feature = features.get(user["id"], {})
            cents += sum(c for name, c in prices.items() if feature.get(name) is True)
        dept = user.get("dept") or "(none)"
        n, listed, total = found.get(dept, (0, 0, 0))
        found[dept] = (n + 1, listed + 1, total + cents)
    return sorted((d, n, listed, Decimal(total) / 100) for d, (n, listed, total) in found.items())


def test_the_documented_query_of_licensed_users_who_host_nothing(binary, fixtures, tmp_path):
    """docs/more-tables.md's hosting query over a replayed day, against the recorded JSON."""
    out = tmp_path / "warehouse"
    extract(binary, fixtures / "hosting", "acme", "2026-12-01", out,
            "--as-of", "2026-12-01T18:00:00Z")
    prices = tmp_path / "prices.toml"
    prices.write_text('currency = "USD"\n[per_month]\nlicensed = 15.99\nwebinar = 79.0\n'
                      'large_meeting = 50\nzoom_phone = 10\n')
    subprocess.run([binary, "-q", "reclaim", "--output-dir", str(out), "--partition-date",
                    "2026-12-01", "--prices", str(prices)], check=True)
    sql = documented_sql("more-tables.md", "Licensed users who hosted nothing in the window")
    rows = duckdb.connect().execute(sql.replace("out/warehouse", str(out))).fetchall()
    cents = {"licensed": 1599, "webinar": 7900, "large_meeting": 5000, "zoom_phone": 1000}
    want = expected_hosting_by_department(fixtures / "hosting", cents)
    assert len(want) >= 2 and all(n > 0 for _, n, _, _ in want)
    assert [tuple(r) for r in rows] == want
