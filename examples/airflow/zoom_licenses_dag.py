"""Daily Zoom license extract for Airflow 3: one mapped task per active account (each also writing
what changed since the account's previous partition), then the seats that can be reclaimed, then a
load.

Deploy this file and ../load_duckdb.py into the DAG folder, install `zoom-licenses` on the workers,
and set (in the environment or as Airflow Variables exported to it):

  ZOOM_LICENSES_CONFIG      the accounts file (TOML); its secrets come from the variables it names
  ZOOM_LICENSES_OUTPUT_DIR  where partitions go (a path every worker and the loader can reach)
  ZOOM_LICENSES_DATABASE    the DuckDB database the load step writes
  ZOOM_LICENSES_BIN         the binary, if not on PATH

Each extract runs `zoom-licenses extract --account NAME --changes --output-dir …
--partition-date {{ ds }} --run-id {{ run_id }}`; then `zoom-licenses reclaim --output-dir …
--partition-date {{ ds }}` reads every account's partition of the day (no Zoom call). Exit code
75 (rate limit, daily quota, network) is retried; any other failure fails the task at once,
without retries, since running it again would not help.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from datetime import datetime, timedelta

from airflow.sdk import DAG, task
from airflow.sdk.exceptions import AirflowException, AirflowFailException

ACCOUNTS_FILE = os.environ.get("ZOOM_LICENSES_CONFIG", "/etc/zoom-licenses/accounts.toml")
OUTPUT_DIR = os.environ.get("ZOOM_LICENSES_OUTPUT_DIR", "/data/zoom-licenses")
DATABASE = os.environ.get("ZOOM_LICENSES_DATABASE", "/data/zoom-licenses/zoom.duckdb")
BINARY = os.environ.get("ZOOM_LICENSES_BIN", "zoom-licenses")
TEMPORARY = 75  # zoom-licenses: "retry later"


def active_accounts(path: str = ACCOUNTS_FILE) -> list[str]:
    """Names of the active accounts in the accounts file (parsed when the DAG is parsed)."""
    try:
        with open(path, "rb") as handle:
            accounts = tomllib.load(handle).get("account", [])
    except FileNotFoundError:
        return []
    return [a["name"] for a in accounts if a.get("active", True)]


def extract_command(account: str, ds: str, run_id: str) -> list[str]:
    """The command one mapped task runs."""
    return [
        BINARY, "--log-format", "json", "extract",
        "--config", ACCOUNTS_FILE, "--account", account, "--changes",
        "--output-dir", OUTPUT_DIR, "--partition-date", ds, "--run-id", run_id,
    ]


def reclaim_command(ds: str) -> list[str]:
    """The command the reclaim task runs: every account's partition of the day."""
    return [
        BINARY, "--log-format", "json", "reclaim", "--output-dir", OUTPUT_DIR,
        "--partition-date", ds,
    ]


def run_zoom_licenses(command: list[str], what: str) -> str:
    """Runs the binary; returns its last stdout line (an extract's manifest path, for XCom)."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    sys.stderr.write(result.stderr)
    if result.returncode == TEMPORARY:
        raise AirflowException(f"{what}: temporary failure (exit 75), will retry")
    if result.returncode != 0:
        raise AirflowFailException(f"{what}: zoom-licenses exited {result.returncode}")
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def run_extract(account: str, ds: str, run_id: str) -> str:
    """Runs one extract; returns its manifest path."""
    return run_zoom_licenses(extract_command(account, ds, run_id), account)


with DAG(
    dag_id="zoom_licenses",
    description="Who holds which Zoom license, daily, per account",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["zoom", "licenses"],
) as dag:

    @task(retries=4, retry_delay=timedelta(minutes=15), retry_exponential_backoff=True)
    def extract(account: str, ds: str | None = None, run_id: str | None = None) -> str:
        """One account's extract into its partition for {{ ds }}."""
        return run_extract(account, ds, run_id)

    @task(retries=0)
    def reclaim(manifests: list[str], ds: str | None = None) -> list[str]:
        """The seats that can be reclaimed, per account, from the day's partitions."""
        run_zoom_licenses(reclaim_command(ds), f"reclaim {ds}")
        return list(manifests)

    @task(retries=0)
    def load(manifests: list[str], ds: str | None = None) -> dict:
        """Loads the day's partitions into DuckDB, replacing that day."""
        from load_duckdb import load_day

        print(f"loading {len(list(manifests))} account partitions for {ds}")
        return load_day(OUTPUT_DIR, ds, DATABASE)

    load(reclaim(extract.expand(account=active_accounts())))
