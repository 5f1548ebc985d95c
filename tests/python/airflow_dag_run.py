"""Runs the example DAG once with Airflow's own `dag.test()` for one logical date, in the metadata
database AIRFLOW_HOME names (migrated by the caller), and prints every task instance of the run as
one JSON line last on stdout: the run's state, and each task's id, map index name and state.

Usage: python airflow_dag_run.py DAG_FILE YYYY-MM-DD
"""

import importlib.util
import json
import sys
from datetime import datetime, timezone


def main(dag_file: str, date: str) -> None:
    spec = importlib.util.spec_from_file_location("zoom_licenses_dag", dag_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    logical_date = datetime.fromisoformat(date).replace(tzinfo=timezone.utc)
    run = module.dag.test(logical_date=logical_date)
    tasks = [
        {"task_id": ti.task_id, "map_index": ti.map_index,
         "name": ti.rendered_map_index, "state": str(ti.state)}
        for ti in run.get_task_instances()
    ]
    print(json.dumps({"state": str(run.state), "run_id": run.run_id, "tasks": tasks}))


if __name__ == "__main__":
    main(*sys.argv[1:])
