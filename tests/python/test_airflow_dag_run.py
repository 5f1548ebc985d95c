"""The example DAG run end to end by Airflow itself (`dag.test()`, a throwaway SQLite metadata
database) against the project's mock Zoom, with the real binary: two accounts of the accounts file,
one of whose Connection holds a wrong secret, and a master account of three sub accounts, one of
which Zoom says does not exist. The failures fail their tasks and the run, with the exit code in
the log; every other account's extract, the changes, the reclaim, the report and the load complete;
a second run of the same logical date replaces that date's partitions and warehouse rows.

Expected counts come from the mock's documented generation (`mock-zoom ACTIVE PENDING INACTIVE`;
sub account n has 10 + n active users and one pending; every generated plan is supported), not
from the tool."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATE = "2026-12-01"
ACTIVE, PENDING, INACTIVE = 40, 5, 3
ACCOUNTS = """
[[account]]
name = "emea"

[[account]]
name = "apac"

[[account]]
name = "legacy"
active = false
"""
BINARY = Path(os.environ.get("ZOOM_LICENSES_BIN", ROOT / "target/debug/zoom-licenses"))
MOCK = ROOT / "target/debug/mock-zoom"


@pytest.fixture(scope="module")
def mock():
    """mock-zoom serving a master account of three sub accounts (sub2 does not exist at Zoom),
    whose own users are the `emea` account's."""
    assert MOCK.exists() and BINARY.exists(), "build first: cargo build -p zoom-licenses -p zoom-licenses-mock-zoom"
    env = {**os.environ, "MOCK_ZOOM_TODAY": DATE, "MOCK_ZOOM_SUB_ACCOUNTS": "3",
           "MOCK_ZOOM_SUB_ACCOUNTS_FAILING": "sub2"}
    process = subprocess.Popen([MOCK, str(ACTIVE), str(PENDING), str(INACTIVE)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    exports = {}
    for line in process.stdout:
        key, _, value = line.removeprefix("export ").strip().partition("=")
        exports[key] = value
        if key == "MOCK_ZOOM_READY":
            break
    yield exports
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def airflow(mock, tmp_path_factory):
    """An Airflow home with a migrated SQLite database, the DAG folder holding the example DAG and
    its loader, and the environment a deployment sets (Connections as AIRFLOW_CONN_*)."""
    home = tmp_path_factory.mktemp("airflow")
    dags = home / "dags"
    dags.mkdir()
    for source in ("airflow/zoom_licenses_dag.py", "load_duckdb.py"):
        (dags / Path(source).name).symlink_to(ROOT / "examples" / source)
    (home / "accounts.toml").write_text(ACCOUNTS)

    def connection(secret: str) -> str:
        return json.dumps({
            "conn_type": "generic", "login": mock["ZOOM_CLIENT_ID"], "password": secret,
            "extra": {"account_id": mock["ZOOM_ACCOUNT_ID"], "api_url": mock["ZOOM_API_URL"],
                      "oauth_url": mock["ZOOM_OAUTH_URL"]},
        })

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ZOOM", "AIRFLOW"))},
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "ZOOM_LICENSES_CONFIG": str(home / "accounts.toml"),
        "ZOOM_LICENSES_OUTPUT_DIR": str(home / "data"),
        "ZOOM_LICENSES_DATABASE": str(home / "zoom.duckdb"),
        "ZOOM_LICENSES_BIN": str(BINARY),
        "ZOOM_LICENSES_SUB_ACCOUNTS_OF": "master",
        "AIRFLOW_CONN_ZOOM_LICENSES_EMEA": connection(mock["ZOOM_CLIENT_SECRET"]),
        "AIRFLOW_CONN_ZOOM_LICENSES_APAC": connection("not-the-secret"),
        "AIRFLOW_CONN_ZOOM_LICENSES_MASTER": connection(mock["ZOOM_CLIENT_SECRET"]),
    }
    airflow_bin = Path(sys.executable).parent / "airflow"
    subprocess.run([airflow_bin, "db", "migrate"], env=env, check=True, capture_output=True)
    return home, env


def run_dag(airflow) -> tuple[dict, str]:
    """One `dag.test()` of DATE; returns the run's summary and everything it logged."""
    home, env = airflow
    done = subprocess.run(
        [sys.executable, ROOT / "tests/python/airflow_dag_run.py",
         home / "dags/zoom_licenses_dag.py", DATE],
        env=env, capture_output=True, text=True, timeout=600,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-5000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), log


def states(summary: dict) -> dict:
    """Each task instance's state, by task id and map index name."""
    return {(t["task_id"], t["name"] if t["map_index"] >= 0 else None): t["state"]
            for t in summary["tasks"]}


def day_manifests(home: Path) -> dict:
    """The day's license partitions' manifests, by account."""
    day = home / "data/zoom_users" / f"dt={DATE}"
    return {p.parent.name.removeprefix("account="): json.loads(p.read_text())
            for p in sorted(day.glob("account=*/_manifest.json"))}


def warehouse_counts(home: Path) -> dict:
    """Rows of the day in the warehouse, by table and account."""
    con = duckdb.connect(str(home / "zoom.duckdb"), read_only=True)
    try:
        return {
            table: dict(con.execute(
                f"SELECT account, count(*) FROM {table} WHERE dt = DATE '{DATE}' GROUP BY 1"
            ).fetchall())
            for table in ("zoom_users", "zoom_reclaim_candidates")
        }
    finally:
        con.close()


def test_the_dag_runs_end_to_end_and_a_rerun_replaces_the_day(airflow):
    home, _ = airflow
    summary, log = run_dag(airflow)
    assert summary["state"] == "failed", summary
    assert states(summary) == {
        ("extract", "emea"): "success",
        ("extract", "apac"): "failed",
        ("sub_accounts", None): "success",
        ("extract_sub_account", "sub1"): "success",
        ("extract_sub_account", "sub2"): "failed",
        ("extract_sub_account", "sub3"): "success",
        ("changes", None): "success",
        ("reclaim", None): "success",
        ("report", None): "success",
        ("load", None): "success",
        ("all_accounts_extracted", None): "upstream_failed",
    }, summary
    # Each failure in the task log with its exit code: a wrong secret is a configuration error (2),
    # a sub account Zoom says does not exist a failed run (1).
    assert "apac: zoom-licenses exited 2" in log, log[-5000:]
    assert "sub account sub2: zoom-licenses exited 1" in log, log[-5000:]
    assert "Account does not exist: sub2" in log

    rows = {"emea": ACTIVE + PENDING, "sub1": 11 + 1, "sub3": 13 + 1}
    first = day_manifests(home)
    assert {a: m["rows_written"] for a, m in first.items()} == rows
    assert warehouse_counts(home)["zoom_users"] == rows
    reclaimed = warehouse_counts(home)["zoom_reclaim_candidates"]
    assert set(reclaimed) <= set(rows) and reclaimed, reclaimed
    assert (home / f"data/report/dt={DATE}/zoom_licenses_report.html").is_file()

    time.sleep(1.1)  # extracted_at is to the second: a re-run's must differ
    summary, _ = run_dag(airflow)
    assert states(summary)[("load", None)] == "success", summary
    second = day_manifests(home)
    assert set(second) == set(rows)
    for account, manifest in second.items():
        assert manifest["extracted_at"] > first[account]["extracted_at"], account
    # The day's rows replaced, not added to.
    assert warehouse_counts(home)["zoom_users"] == rows
    assert warehouse_counts(home)["zoom_reclaim_candidates"] == reclaimed
