"""Daily Zoom license extract for Airflow 3: one mapped task per active account (and, for a master
account, one per sub account), then what changed since each account's previous partition, then the
seats that can be reclaimed, then the day's HTML report and, beside it, a load.

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
  ZOOM_LICENSES_SUB_ACCOUNTS_OF  a master account's name (optional): its Connection's app lists
                            the sub accounts each run (`zoom-licenses accounts --sub-accounts`) and
                            one extract task is mapped per sub account, partition account=ID; the
                            accounts file may then be left out
  ZOOM_LICENSES_SUB_ACCOUNTS_SKIP  sub account ids never mapped, comma-separated (optional: one
                            known to be unreadable would otherwise fail every run)
  ZOOM_LICENSES_SUB_ACCOUNT_TASKS  how many sub accounts' extracts one run reads at once (default 4;
                            docs/more-tables.md, "Rate limits when many run at once")

Each account's credentials come from the Airflow Connection `zoom_licenses_<name>`: the client id
as login, the client secret as password, and in extra `account_id` (a Server-to-Server OAuth app)
or `token_file` (an OAuth app authorized with `zoom-licenses auth` on the worker). They reach the
process in its environment, never on its command line. Each extract runs

  zoom-licenses --log-format json extract --output-dir … --partition-date {{ ds }}
    --partition-account NAME --run-id {{ run_id }}

with its log lines streamed into the task log as they come (a sub account's extract runs
`extract --sub-account ID` with the master's Connection). Exit code 75 (rate limit, daily quota,
network) is retried; any other failure fails the task at once, without retries, since running it
again would not help. Once every extract has finished and at least one succeeded, `zoom-licenses
changes --output-dir … --to {{ ds }}` compares every account's partition of the day with its
previous one (an account's first day has nothing to compare: said in the log, not failed), and
`zoom-licenses reclaim --output-dir … --partition-date {{ ds }}` reads every account's partition
of the day (neither calls Zoom): one failing account holds back nobody else's tables. The run
still fails when any extract failed: its last task, `all_accounts_extracted`, is then
`upstream_failed`.

A missing or unreadable accounts file, or one with no active account (and no master account named),
fails the DAG's import with the path and what to do: otherwise no task would be mapped and the run
would be green and empty.
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

from airflow.sdk import DAG, Connection, TriggerRule, task
from airflow.sdk.exceptions import AirflowException, AirflowFailException

MASTER = os.environ.get("ZOOM_LICENSES_SUB_ACCOUNTS_OF", "")
# With a master account named, the accounts file is read only when one is given.
ACCOUNTS_FILE = os.environ.get(
    "ZOOM_LICENSES_CONFIG", "" if MASTER else "/etc/zoom-licenses/accounts.toml"
)
SUB_ACCOUNT_TASKS = int(os.environ.get("ZOOM_LICENSES_SUB_ACCOUNT_TASKS", "4"))
SKIPPED_SUB_ACCOUNTS = {
    s.strip() for s in os.environ.get("ZOOM_LICENSES_SUB_ACCOUNTS_SKIP", "").split(",") if s.strip()
}
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


def active_accounts(path: str = ACCOUNTS_FILE, master: str = MASTER) -> list[str]:
    """Names of the active accounts in the accounts file, read when the DAG is parsed (none when
    no file is given beside a master account)."""
    if not path and master:
        return []
    try:
        with open(path, "rb") as handle:
            accounts = tomllib.load(handle).get("account", [])
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise AccountsFileError(
            f"zoom_licenses: cannot read the accounts file {path} ({error}); set "
            "ZOOM_LICENSES_CONFIG to a readable TOML file of [[account]] entries"
        ) from error
    names = [a["name"] for a in accounts if a.get("active", True)]
    if not names and not master:
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


def sub_account_extract_command(sub_account: str, ds: str, run_id: str) -> list[str]:
    """The command one sub account's mapped task runs: partition account=ID, no credential on it."""
    return [
        BINARY, "--log-format", "json", "extract", "--sub-account", sub_account,
        "--output-dir", OUTPUT_DIR, "--partition-date", ds, "--run-id", run_id,
    ]


def list_sub_accounts(master: str, with_file_accounts: bool = True) -> list[str]:
    """The master account's sub accounts' ids, every one Zoom lists but those skipped (one whose
    users cannot be read is still mapped, so that its failed task says so, and is warned about
    here). None to extract, and no account of the file either, fails: the run would be green and
    empty."""
    line = run_zoom_licenses(
        [BINARY, "--log-format", "json", "accounts", "--sub-accounts"],
        f"{master}: listing sub accounts",
        extract_env(master),
    )
    try:
        listed = json.loads(line)
    except ValueError as error:
        raise AirflowFailException(f"{master}: the sub accounts listing is not JSON: {line[:200]}") from error
    ids = []
    for sub in listed:
        if sub["id"] in SKIPPED_SUB_ACCOUNTS:
            log.info("sub account %s (%s): skipped (ZOOM_LICENSES_SUB_ACCOUNTS_SKIP)",
                     sub["id"], sub.get("name"))
            continue
        if not sub["users_readable"]:
            log.warning("sub account %s (%s): users cannot be read: %s",
                        sub["id"], sub.get("name"), sub.get("why_not"))
        ids.append(sub["id"])
    log.info("%s: %d sub accounts listed, %d to extract", master, len(listed), len(ids))
    if not ids and not with_file_accounts:
        raise AirflowFailException(
            f"{master}: no sub account to extract ({len(listed)} listed, "
            f"{len(listed) - len(ids)} skipped), and no account of an accounts file"
        )
    return ids


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


def run_sub_account_extract(sub_account: str, ds: str | None, run_id: str) -> str:
    """Runs one sub account's extract with the master account's app; returns its manifest path."""
    return run_zoom_licenses(
        sub_account_extract_command(sub_account, needs_date(ds), run_id),
        f"sub account {sub_account}",
        extract_env(MASTER),
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

    accounts = active_accounts()
    extract_retries = dict(
        retries=4,
        retry_delay=timedelta(minutes=15),
        retry_exponential_backoff=True,
        execution_timeout=EXTRACT_TIMEOUT,
    )

    @task(map_index_template="{{ task.op_kwargs['account'] }}", **extract_retries)
    def extract(account: str, ds: str | None = None, run_id: str | None = None) -> str:
        """One account's extract into its partition for {{ ds }}."""
        return run_extract(account, ds, run_id)

    @task(retries=2, retry_delay=timedelta(minutes=5), execution_timeout=timedelta(minutes=30))
    def sub_accounts() -> list[str]:
        """The master account's sub accounts, listed at the start of every run."""
        return list_sub_accounts(MASTER, with_file_accounts=bool(accounts))

    @task(
        map_index_template="{{ task.op_kwargs['sub_account'] }}",
        max_active_tis_per_dagrun=SUB_ACCOUNT_TASKS,
        **extract_retries,
    )
    def extract_sub_account(
        sub_account: str, ds: str | None = None, run_id: str | None = None
    ) -> str:
        """One sub account's extract into its partition account=ID for {{ ds }}."""
        return run_sub_account_extract(sub_account, ds, run_id)

    # Once every extract is done and one succeeded: a failed account holds back no other's tables.
    @task(
        retries=0,
        execution_timeout=timedelta(minutes=30),
        trigger_rule=TriggerRule.ALL_DONE_MIN_ONE_SUCCESS,
    )
    def changes(ds: str | None = None) -> None:
        """What changed since each account's previous partition, from the day's partitions."""
        run_zoom_licenses(changes_command(needs_date(ds)), f"changes {ds}")

    @task(retries=0, execution_timeout=timedelta(minutes=30))
    def reclaim(ds: str | None = None) -> None:
        """The seats that can be reclaimed, per account, from the day's partitions."""
        run_zoom_licenses(reclaim_command(needs_date(ds)), f"reclaim {ds}")

    @task(retries=0, execution_timeout=timedelta(minutes=30))
    def report(ds: str | None = None) -> None:
        """The day's license report, one HTML page for every account, beside the partitions."""
        run_zoom_licenses(report_command(needs_date(ds)), f"report {ds}")

    @task(retries=0, execution_timeout=timedelta(minutes=30))
    def load(ds: str | None = None) -> dict:
        """Loads the day's partitions into DuckDB, replacing that day."""
        from load_duckdb import load_day

        loaded = load_day(OUTPUT_DIR, needs_date(ds), DATABASE)
        print(f"loaded for {ds}: {loaded}")
        return loaded

    @task(retries=0)
    def all_accounts_extracted() -> None:
        """Runs only when every extract succeeded: otherwise it is upstream_failed, and so is the
        run, though the tables of the accounts that were read are written and loaded."""

    extracts = []
    if accounts:
        extracts.append(extract.expand(account=accounts))
    if MASTER:
        extracts.append(extract_sub_account.expand(sub_account=sub_accounts()))
    # The page and the load both follow the reclaim; a failed page does not hold back the load.
    reclaimed = reclaim()
    extracts >> changes() >> reclaimed >> [report(), load()]
    extracts >> all_accounts_extracted()
