"""Daily Zoom license extract for Airflow 3: one mapped task per active account, then what changed
since each account's previous partition, then the seats that can be reclaimed, then the day's HTML
report and, beside it, a load.

Install on the workers: `pip install zoom_licenses-<version>-…whl` (built by `make wheel`; no Rust
toolchain needed), and `duckdb` for the load. Deploy this file and ../load_duckdb.py into the DAG
folder, and set:

  ZOOM_LICENSES_CONFIG      the accounts file (TOML): its active `[[account]]` names are the tasks
  ZOOM_LICENSES_OUTPUT_DIR  where partitions go (a path every worker and the loader can reach)
  ZOOM_LICENSES_DATABASE    the DuckDB database the load step writes
  ZOOM_LICENSES_BIN         the binary, if not on PATH
  ZOOM_LICENSES_EXTRACT_TIMEOUT_MINUTES  how long one extract may run (default 120)
  ZOOM_LICENSES_PRICES      a price list for reclaim's monthly savings (optional; docs/derived-tables.md)
  ZOOM_LICENSES_KEEP        a keep list of users reclaim never lists (optional)

Each account's credentials come from the Airflow Connection `zoom_licenses_<name>`: the client id
as login, the client secret as password, and in extra `account_id` (a Server-to-Server OAuth app)
or `token_file` (an OAuth app authorized with `zoom-licenses auth` on the worker). They reach the
process in its environment, never on its command line. Each extract runs

  zoom-licenses --log-format json extract --output-dir … --partition-date {{ ds }}
    --partition-account NAME --run-id {{ run_id }}

with its log lines streamed into the task log as they come. Exit code 75 (rate limit, daily quota,
network) is retried; any other failure fails the task at once, without retries, since running it
again would not help. Then `zoom-licenses changes --output-dir … --to {{ ds }}` compares every
account's partition of the day with its previous one (an account's first day has nothing to
compare: said in the log, not failed), and `zoom-licenses reclaim --output-dir … --partition-date
{{ ds }}` reads every account's partition of the day (neither calls Zoom).

A missing or unreadable accounts file, or one with no active account, fails the DAG's import with
the path and what to do: otherwise no task would be mapped and the run would be green and empty.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
from datetime import datetime, timedelta

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 workers
    import tomli as tomllib

from airflow.sdk import DAG, Connection, task
from airflow.sdk.exceptions import AirflowException, AirflowFailException

ACCOUNTS_FILE = os.environ.get("ZOOM_LICENSES_CONFIG", "/etc/zoom-licenses/accounts.toml")
OUTPUT_DIR = os.environ.get("ZOOM_LICENSES_OUTPUT_DIR", "/data/zoom-licenses")
DATABASE = os.environ.get("ZOOM_LICENSES_DATABASE", "/data/zoom-licenses/zoom.duckdb")
BINARY = os.environ.get("ZOOM_LICENSES_BIN", "zoom-licenses")
EXTRACT_TIMEOUT = timedelta(
    minutes=int(os.environ.get("ZOOM_LICENSES_EXTRACT_TIMEOUT_MINUTES", "120"))
)
CONNECTION_PREFIX = "zoom_licenses_"
TEMPORARY = 75  # zoom-licenses: "retry later"
log = logging.getLogger("airflow.task")


class AccountsFileError(RuntimeError):
    """The accounts file cannot give the DAG its accounts."""


def active_accounts(path: str = ACCOUNTS_FILE) -> list[str]:
    """Names of the active accounts in the accounts file, read when the DAG is parsed."""
    try:
        with open(path, "rb") as handle:
            accounts = tomllib.load(handle).get("account", [])
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise AccountsFileError(
            f"zoom_licenses: cannot read the accounts file {path} ({error}); set "
            "ZOOM_LICENSES_CONFIG to a readable TOML file of [[account]] entries"
        ) from error
    names = [a["name"] for a in accounts if a.get("active", True)]
    if not names:
        raise AccountsFileError(f"zoom_licenses: the accounts file {path} has no active account")
    return names


def extract_env(account: str) -> dict[str, str]:
    """The extract's environment: the worker's, with the account's credentials from its
    Connection (and no accounts file, so they are the ones used)."""
    conn_id = f"{CONNECTION_PREFIX}{account}"
    try:
        connection = Connection.get(conn_id)
    except Exception as error:
        # A missing Connection will not appear by retrying: fail at once, saying what to add.
        raise AirflowFailException(
            f"{account}: no Airflow Connection {conn_id} ({error}); add one with the Zoom app's "
            "client id as login, its secret as password and {\"account_id\": \"…\"} as extra"
        ) from error
    extra = connection.extra_dejson
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZOOM")}
    env["ZOOM_CLIENT_ID"] = connection.login or ""
    env["ZOOM_CLIENT_SECRET"] = connection.password or ""
    for key, variable in (
        ("account_id", "ZOOM_ACCOUNT_ID"),
        ("token_file", "ZOOM_TOKEN_FILE"),
        ("api_url", "ZOOM_API_URL"),
        ("oauth_url", "ZOOM_OAUTH_URL"),
    ):
        if extra.get(key):
            env[variable] = str(extra[key])
    return env


def extract_command(account: str, ds: str, run_id: str) -> list[str]:
    """The command one mapped task runs: no credential on it."""
    return [
        BINARY, "--log-format", "json", "extract",
        "--output-dir", OUTPUT_DIR, "--partition-date", ds, "--partition-account", account,
        "--run-id", run_id,
    ]


def changes_command(ds: str) -> list[str]:
    """The command the changes task runs: every account's partition of the day against its
    previous one."""
    return [BINARY, "--log-format", "json", "changes", "--output-dir", OUTPUT_DIR, "--to", ds]


def reclaim_command(ds: str) -> list[str]:
    """The command the reclaim task runs: every account's partition of the day, with the price
    and keep lists when the deployment names them."""
    lists = []
    for flag, variable in (("--prices", "ZOOM_LICENSES_PRICES"), ("--keep", "ZOOM_LICENSES_KEEP")):
        if os.environ.get(variable):
            lists += [flag, os.environ[variable]]
    return [
        BINARY, "--log-format", "json", "reclaim", "--output-dir", OUTPUT_DIR,
        "--partition-date", ds, *lists,
    ]


def report_command(ds: str) -> list[str]:
    """The command the report task runs: the page of every account of the day, written to
    OUTPUT_DIR/report/dt=DATE/zoom_licenses_report.html."""
    return [
        BINARY, "--log-format", "json", "report", "--output-dir", OUTPUT_DIR, "--partition-date", ds,
    ]


def log_line(line: str) -> None:
    """One log line of the process (a JSON object with its `level`), into the task log at that
    level as it comes."""
    line = line.rstrip("\n")
    try:
        level = json.loads(line).get("level", "INFO")
    except (ValueError, AttributeError):
        level = "INFO"
    log.log(getattr(logging, str(level).upper(), logging.INFO), line)


def run_zoom_licenses(command: list[str], what: str, env: dict[str, str] | None = None) -> str:
    """Runs the binary, streaming its stderr into the task log; returns its last stdout line (an
    extract's manifest path, for XCom). If the task is stopped (its execution_timeout, or marked
    failed), the process is stopped too, with SIGTERM, on which it removes its partial outputs."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    stdout: list[str] = []
    reader = threading.Thread(target=lambda: stdout.extend(process.stdout), daemon=True)
    reader.start()
    try:
        for line in process.stderr:
            log_line(line)
        code = process.wait()
    except BaseException:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise
    reader.join()
    if code == TEMPORARY:
        raise AirflowException(f"{what}: temporary failure (exit 75), will retry")
    if code != 0:
        raise AirflowFailException(f"{what}: zoom-licenses exited {code}")
    lines = "".join(stdout).strip().splitlines()
    return lines[-1] if lines else ""


def run_extract(account: str, ds: str | None, run_id: str) -> str:
    """Runs one account's extract; returns its manifest path."""
    return run_zoom_licenses(
        extract_command(account, needs_date(ds), run_id), account, extract_env(account)
    )


def needs_date(ds: str | None) -> str:
    """The run's date: a partition is named after it, so a run without one fails at once."""
    if not ds:
        raise AirflowFailException(
            "zoom_licenses: this run has no logical date; trigger it with one (a scheduled run, "
            "or a manual run given a date)"
        )
    return ds


with DAG(
    dag_id="zoom_licenses",
    description="Who holds which Zoom license, daily, per account",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["zoom", "licenses"],
) as dag:

    @task(
        retries=4,
        retry_delay=timedelta(minutes=15),
        retry_exponential_backoff=True,
        execution_timeout=EXTRACT_TIMEOUT,
    )
    def extract(account: str, ds: str | None = None, run_id: str | None = None) -> str:
        """One account's extract into its partition for {{ ds }}."""
        return run_extract(account, ds, run_id)

    @task(retries=0, execution_timeout=timedelta(minutes=30))
    def changes(manifests: list[str], ds: str | None = None) -> list[str]:
        """What changed since each account's previous partition, from the day's partitions."""
        run_zoom_licenses(changes_command(needs_date(ds)), f"changes {ds}")
        return list(manifests)

    @task(retries=0, execution_timeout=timedelta(minutes=30))
    def reclaim(manifests: list[str], ds: str | None = None) -> list[str]:
        """The seats that can be reclaimed, per account, from the day's partitions."""
        run_zoom_licenses(reclaim_command(needs_date(ds)), f"reclaim {ds}")
        return list(manifests)

    @task(retries=0, execution_timeout=timedelta(minutes=30))
    def report(manifests: list[str], ds: str | None = None) -> list[str]:
        """The day's license report, one HTML page for every account, beside the partitions."""
        run_zoom_licenses(report_command(needs_date(ds)), f"report {ds}")
        return list(manifests)

    @task(retries=0, execution_timeout=timedelta(minutes=30))
    def load(manifests: list[str], ds: str | None = None) -> dict:
        """Loads the day's partitions into DuckDB, replacing that day."""
        from load_duckdb import load_day

        print(f"loading {len(list(manifests))} account partitions for {ds}")
        return load_day(OUTPUT_DIR, ds, DATABASE)

    # The page and the load both follow the reclaim; a failed page does not hold back the load.
    reclaimed = reclaim(changes(extract.expand(account=active_accounts())))
    report(reclaimed)
    load(reclaimed)
