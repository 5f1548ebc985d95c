"""Imports the Airflow example DAG with the real apache-airflow package and checks its shape, and
that extract tasks retry on exit 75 only."""

import importlib.util
import os
import stat
import sys
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


@pytest.fixture()
def dag_module(tmp_path, monkeypatch):
    config = tmp_path / "accounts.toml"
    config.write_text(ACCOUNTS)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    monkeypatch.setenv("ZOOM_LICENSES_CONFIG", str(config))
    monkeypatch.setenv("ZOOM_LICENSES_OUTPUT_DIR", str(tmp_path / "wh"))
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    path = ROOT / "examples/airflow/zoom_licenses_dag.py"
    spec = importlib.util.spec_from_file_location("zoom_licenses_dag", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_mapped_extract_per_active_account_then_reclaim_then_a_load(dag_module):
    dag = dag_module.dag
    assert dag.dag_id == "zoom_licenses"
    assert set(dag.task_dict) == {"extract", "reclaim", "load"}
    extract, reclaim, load = (dag.task_dict[t] for t in ("extract", "reclaim", "load"))
    assert reclaim.upstream_task_ids == {"extract"}
    assert load.upstream_task_ids == {"reclaim"}
    assert extract.downstream_task_ids == {"reclaim"}
    assert extract.op_kwargs_expand_input.value["account"] == ["emea", "us"]
    assert extract.partial_kwargs["retries"] == 4
    assert reclaim.retries == 0 and load.retries == 0


def test_the_command_carries_the_date_run_id_and_account(dag_module):
    cmd = dag_module.extract_command("emea", "2026-11-27", "scheduled__2026-11-27")
    assert cmd[cmd.index("--partition-date") + 1] == "2026-11-27"
    assert cmd[cmd.index("--run-id") + 1] == "scheduled__2026-11-27"
    assert cmd[cmd.index("--account") + 1] == "emea"
    assert "--output-dir" in cmd and "--config" in cmd
    assert "--changes" in cmd


def test_reclaim_reads_every_account_of_the_day(dag_module):
    cmd = dag_module.reclaim_command("2026-11-27")
    assert cmd[cmd.index("reclaim") + 1:] == [
        "--output-dir", os.environ["ZOOM_LICENSES_OUTPUT_DIR"], "--partition-date", "2026-11-27",
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
