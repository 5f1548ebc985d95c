"""Imports the Airflow example DAG with the real apache-airflow package and checks its shape, its
timeouts, that credentials come from Airflow Connections into the process's environment (never its
command line), that logs stream into the task log while the process runs, that a missing accounts
file fails the import, and that extract tasks retry on exit 75 only."""

import importlib.util
import json
import logging
import os
import stat
import sys
from datetime import timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = """
[[account]]
name = "emea"
account_id = "a1"
client_id = "c1"
client_secret_env = "EMEA_SECRET"

[[account]]
name = "legacy"
active = false
account_id = "a2"
client_id = "c2"
client_secret_env = "LEGACY_SECRET"

[[account]]
name = "us"
client_id = "c3"
redirect_uri = "http://localhost:4199"
client_secret_env = "US_SECRET"
"""


SECRET = "emea-client-secret-9f8e7d"


def import_dag(path: Path):
    spec = importlib.util.spec_from_file_location("zoom_licenses_dag", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def dag_module(tmp_path, monkeypatch):
    config = tmp_path / "accounts.toml"
    config.write_text(ACCOUNTS)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    monkeypatch.setenv("ZOOM_LICENSES_CONFIG", str(config))
    monkeypatch.setenv("ZOOM_LICENSES_OUTPUT_DIR", str(tmp_path / "wh"))
    # The account's Connection, as Airflow reads one from the environment.
    monkeypatch.setenv("AIRFLOW_CONN_ZOOM_LICENSES_EMEA", json.dumps({
        "conn_type": "generic", "login": "emea-client-id", "password": SECRET,
        "extra": {"account_id": "a1"},
    }))
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    return import_dag(ROOT / "examples/airflow/zoom_licenses_dag.py")


def test_one_mapped_extract_per_active_account_then_changes_reclaim_then_report_and_load(dag_module):
    dag = dag_module.dag
    assert dag.dag_id == "zoom_licenses"
    assert set(dag.task_dict) == {
        "extract", "changes", "reclaim", "report", "load", "all_accounts_extracted"}
    extract, changes, reclaim, report, load, every = (
        dag.task_dict[t]
        for t in ("extract", "changes", "reclaim", "report", "load", "all_accounts_extracted")
    )
    assert changes.upstream_task_ids == {"extract"}
    assert reclaim.upstream_task_ids == {"changes"}
    assert report.upstream_task_ids == {"reclaim"}
    assert load.upstream_task_ids == {"reclaim"}
    assert reclaim.downstream_task_ids == {"report", "load"}
    assert extract.downstream_task_ids == {"changes", "all_accounts_extracted"}
    # One failed account holds back no other's tables; the run still fails through the last task.
    assert changes.trigger_rule == "all_done_min_one_success"
    assert every.trigger_rule == "all_success" and not every.downstream_task_ids
    assert extract.op_kwargs_expand_input.value["account"] == ["emea", "us"]
    assert extract.partial_kwargs["retries"] == 4
    assert changes.retries == 0 and reclaim.retries == 0 and report.retries == 0
    assert load.retries == 0


def test_a_master_account_maps_one_extract_per_sub_account(tmp_path, monkeypatch):
    """With ZOOM_LICENSES_SUB_ACCOUNTS_OF and no accounts file, the DAG lists the sub accounts at
    run time and maps one extract over them, at most ZOOM_LICENSES_SUB_ACCOUNT_TASKS at once."""
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    monkeypatch.delenv("ZOOM_LICENSES_CONFIG", raising=False)
    monkeypatch.setenv("ZOOM_LICENSES_SUB_ACCOUNTS_OF", "master")
    monkeypatch.setenv("ZOOM_LICENSES_SUB_ACCOUNT_TASKS", "3")
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    dag = import_dag(ROOT / "examples/airflow/zoom_licenses_dag.py").dag
    assert set(dag.task_dict) == {
        "sub_accounts", "extract_sub_account", "changes", "reclaim", "report", "load",
        "all_accounts_extracted"}
    mapped = dag.task_dict["extract_sub_account"]
    assert mapped.upstream_task_ids == {"sub_accounts"}
    assert mapped.downstream_task_ids == {"changes", "all_accounts_extracted"}
    assert mapped.partial_kwargs["max_active_tis_per_dagrun"] == 3
    assert mapped.partial_kwargs["retries"] == 4


LISTING = [{"id": "s1", "name": "One", "users_readable": True},
           {"id": "s2", "name": "Two", "users_readable": False, "why_not": "gone"}]


def listing_binary(tmp_path) -> str:
    """A stand-in for `zoom-licenses accounts --sub-accounts` printing LISTING."""
    script = tmp_path / "fake-accounts"
    script.write_text(f"#!/bin/sh\necho '{json.dumps(LISTING)}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_the_sub_accounts_listing_maps_every_one_and_warns_of_the_unreadable(
    dag_module, tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(dag_module, "BINARY", listing_binary(tmp_path))
    caplog.set_level(logging.WARNING, logger="airflow.task")
    assert dag_module.list_sub_accounts("emea") == ["s1", "s2"]
    assert any("s2" in r.getMessage() and "gone" in r.getMessage() for r in caplog.records)


def test_skipped_sub_accounts_are_not_mapped_and_none_left_fails(dag_module, tmp_path, monkeypatch):
    """ZOOM_LICENSES_SUB_ACCOUNTS_SKIP leaves sub accounts out; with none left and no account of a
    file, the listing fails instead of a green, empty run."""
    from airflow.sdk.exceptions import AirflowFailException

    monkeypatch.setattr(dag_module, "BINARY", listing_binary(tmp_path))
    monkeypatch.setattr(dag_module, "SKIPPED_SUB_ACCOUNTS", {"s2"})
    assert dag_module.list_sub_accounts("emea") == ["s1"]
    monkeypatch.setattr(dag_module, "SKIPPED_SUB_ACCOUNTS", {"s1", "s2"})
    assert dag_module.list_sub_accounts("emea", with_file_accounts=True) == []
    with pytest.raises(AirflowFailException, match="no sub account to extract \\(2 listed, 2 skipped\\)"):
        dag_module.list_sub_accounts("emea", with_file_accounts=False)


def test_a_sub_account_extract_uses_the_master_connection(dag_module, tmp_path, monkeypatch):
    binary, dump = recording_binary(tmp_path)
    monkeypatch.setattr(dag_module, "BINARY", binary)
    monkeypatch.setattr(dag_module, "MASTER", "emea")
    dag_module.run_sub_account_extract("s1", "2026-11-27", "r")
    seen = json.loads(dump.read_text())
    argv = seen["argv"]
    assert argv[argv.index("extract") + 1:] == [
        "--sub-account", "s1", "--output-dir", os.environ["ZOOM_LICENSES_OUTPUT_DIR"],
        "--partition-date", "2026-11-27", "--run-id", "r",
    ]
    assert seen["env"]["ZOOM_CLIENT_SECRET"] == SECRET
    assert not any(SECRET in arg for arg in argv)


def test_the_report_covers_every_account_of_the_day(dag_module):
    cmd = dag_module.report_command("2026-11-27")
    assert cmd[cmd.index("report") + 1:] == [
        "--output-dir", os.environ["ZOOM_LICENSES_OUTPUT_DIR"], "--partition-date", "2026-11-27",
    ]


def test_every_task_has_an_execution_timeout(dag_module):
    tasks = dag_module.dag.task_dict
    assert tasks["extract"].partial_kwargs["execution_timeout"] == timedelta(hours=2)
    assert tasks["changes"].execution_timeout == timedelta(minutes=30)
    assert tasks["reclaim"].execution_timeout == timedelta(minutes=30)
    assert tasks["report"].execution_timeout == timedelta(minutes=30)
    assert tasks["load"].execution_timeout == timedelta(minutes=30)


def test_a_missing_or_empty_accounts_file_fails_the_import(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    missing = tmp_path / "nowhere.toml"
    monkeypatch.setenv("ZOOM_LICENSES_CONFIG", str(missing))
    with pytest.raises(RuntimeError, match=f"cannot read the accounts file {missing}"):
        import_dag(ROOT / "examples/airflow/zoom_licenses_dag.py")
    broken = tmp_path / "broken.toml"
    broken.write_text("[[account]\nname = ")
    monkeypatch.setenv("ZOOM_LICENSES_CONFIG", str(broken))
    with pytest.raises(RuntimeError, match=f"cannot read the accounts file {broken}"):
        import_dag(ROOT / "examples/airflow/zoom_licenses_dag.py")
    inactive = tmp_path / "inactive.toml"
    inactive.write_text('[[account]]\nname = "old"\nactive = false\n')
    monkeypatch.setenv("ZOOM_LICENSES_CONFIG", str(inactive))
    with pytest.raises(RuntimeError, match="has no active account"):
        import_dag(ROOT / "examples/airflow/zoom_licenses_dag.py")


def recording_binary(tmp_path) -> tuple[str, Path]:
    """A stand-in for zoom-licenses that records its argv and environment."""
    dump = tmp_path / "seen.json"
    script = tmp_path / "fake-recorder"
    script.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        f"json.dump({{'argv': sys.argv, 'env': dict(os.environ)}}, open({str(dump)!r}, 'w'))\n"
        "print('/wh/zoom_users/dt=x/account=emea/_manifest.json')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script), dump


def test_credentials_come_from_the_connection_into_the_environment_not_argv(
    dag_module, tmp_path, monkeypatch
):
    binary, dump = recording_binary(tmp_path)
    monkeypatch.setattr(dag_module, "BINARY", binary)
    manifest = dag_module.run_extract("emea", "2026-11-27", "r")
    assert manifest == "/wh/zoom_users/dt=x/account=emea/_manifest.json"
    seen = json.loads(dump.read_text())
    assert seen["env"]["ZOOM_CLIENT_SECRET"] == SECRET
    assert seen["env"]["ZOOM_CLIENT_ID"] == "emea-client-id"
    assert seen["env"]["ZOOM_ACCOUNT_ID"] == "a1"
    # No accounts file reaches the process: its credentials would win over the Connection's.
    assert "ZOOM_LICENSES_CONFIG" not in seen["env"]
    assert not any(SECRET in arg for arg in seen["argv"])
    argv = seen["argv"]
    assert argv[argv.index("--partition-account") + 1] == "emea"
    assert "--config" not in argv


def test_logs_reach_the_task_log_while_the_process_runs(dag_module, tmp_path, monkeypatch):
    """The stand-in logs a line, then waits until that line has been logged (a file the test's
    log hook creates) before it exits: it ends only if lines are passed on as they come."""
    seen_first = tmp_path / "first-was-logged"
    script = tmp_path / "fake-slow"
    script.write_text(
        "#!/bin/sh\necho first >&2\n"
        f"for i in $(seq 100); do [ -e {seen_first} ] && break; sleep 0.1; done\n"
        f"[ -e {seen_first} ] || {{ echo 'not streamed' >&2; exit 1; }}\n"
        "echo last >&2\necho /wh/m.json\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    logged = []

    def hook(line):
        logged.append(line.strip())
        if line.strip() == "first":
            seen_first.touch()

    monkeypatch.setattr(dag_module, "log_line", hook)
    assert dag_module.run_zoom_licenses([str(script)], "emea") == "/wh/m.json"
    assert logged == ["first", "last"]


def test_the_command_carries_the_date_run_id_and_account(dag_module):
    cmd = dag_module.extract_command("emea", "2026-11-27", "scheduled__2026-11-27")
    assert cmd[cmd.index("extract") + 1:] == [
        "--output-dir", os.environ["ZOOM_LICENSES_OUTPUT_DIR"], "--partition-date", "2026-11-27",
        "--partition-account", "emea", "--run-id", "scheduled__2026-11-27",
    ]


def test_changes_compares_every_account_of_the_day_with_its_previous_partition(dag_module):
    cmd = dag_module.changes_command("2026-11-27")
    assert cmd[cmd.index("changes") + 1:] == [
        "--output-dir", os.environ["ZOOM_LICENSES_OUTPUT_DIR"], "--to", "2026-11-27",
    ]


def test_reclaim_reads_every_account_of_the_day(dag_module):
    cmd = dag_module.reclaim_command("2026-11-27")
    assert cmd[cmd.index("reclaim") + 1:] == [
        "--output-dir", os.environ["ZOOM_LICENSES_OUTPUT_DIR"], "--partition-date", "2026-11-27",
    ]


def test_reclaim_takes_the_price_and_keep_lists_the_deployment_names(dag_module, monkeypatch):
    monkeypatch.setenv("ZOOM_LICENSES_PRICES", "/etc/zoom-licenses/prices.toml")
    monkeypatch.setenv("ZOOM_LICENSES_KEEP", "/etc/zoom-licenses/keep.txt")
    cmd = dag_module.reclaim_command("2026-11-27")
    assert cmd[cmd.index("--partition-date") + 2:] == [
        "--prices", "/etc/zoom-licenses/prices.toml", "--keep", "/etc/zoom-licenses/keep.txt",
    ]


def fake_binary(tmp_path, code: int) -> str:
    script = tmp_path / f"fake-{code}"
    script.write_text(
        f"#!/bin/sh\necho progress >&2\necho /wh/zoom_users/dt=x/account=y/_manifest.json\nexit {code}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_exit_75_is_retried_and_other_failures_are_not(dag_module, tmp_path, monkeypatch):
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    monkeypatch.setattr(dag_module, "BINARY", fake_binary(tmp_path, 0))
    assert dag_module.run_extract("emea", "2026-11-27", "r") == "/wh/zoom_users/dt=x/account=y/_manifest.json"

    monkeypatch.setattr(dag_module, "BINARY", fake_binary(tmp_path, 75))
    with pytest.raises(AirflowException) as retried:
        dag_module.run_extract("emea", "2026-11-27", "r")
    assert not isinstance(retried.value, AirflowFailException)

    for code in (1, 2):
        monkeypatch.setattr(dag_module, "BINARY", fake_binary(tmp_path, code))
        with pytest.raises(AirflowFailException):
            dag_module.run_extract("emea", "2026-11-27", "r")


def test_an_account_without_a_connection_fails_at_once(dag_module, tmp_path, monkeypatch):
    """A missing Connection does not appear by retrying: no retry, and the message says what to
    add."""
    from airflow.sdk.exceptions import AirflowFailException

    binary, dump = recording_binary(tmp_path)
    monkeypatch.setattr(dag_module, "BINARY", binary)
    with pytest.raises(AirflowFailException, match="no Airflow Connection zoom_licenses_us"):
        dag_module.run_extract("us", "2026-11-27", "r")
    assert not dump.exists(), "the process was not started"


def test_a_stopped_task_stops_its_process(dag_module, tmp_path):
    """When the task is stopped (its execution_timeout raises inside it), the process gets
    SIGTERM instead of writing on unseen."""
    pid_file = tmp_path / "pid"
    script = tmp_path / "fake-long"
    script.write_text(
        f"#!{sys.executable}\nimport os, sys, time\n"
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "print('started', file=sys.stderr, flush=True)\ntime.sleep(120)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)

    def timed_out(line):
        raise TimeoutError("execution_timeout")

    dag_module.log_line = timed_out
    with pytest.raises(TimeoutError):
        dag_module.run_zoom_licenses([str(script)], "emea")
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_log_lines_keep_their_level_in_the_task_log(dag_module, caplog):
    caplog.set_level(logging.DEBUG, logger="airflow.task")
    for line in ('{"level":"WARN","message":"Retrying request."}',
                 '{"level":"INFO","message":"Extract finished."}', "not json"):
        dag_module.log_line(line + "\n")
    levels = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "airflow.task"]
    assert levels == [
        ("WARNING", '{"level":"WARN","message":"Retrying request."}'),
        ("INFO", '{"level":"INFO","message":"Extract finished."}'),
        ("INFO", "not json"),
    ]


def test_a_run_without_a_logical_date_fails_at_once(dag_module, tmp_path, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    binary, dump = recording_binary(tmp_path)
    monkeypatch.setattr(dag_module, "BINARY", binary)
    with pytest.raises(AirflowFailException, match="has no logical date"):
        dag_module.run_extract("emea", None, "manual__x")
    assert not dump.exists()
