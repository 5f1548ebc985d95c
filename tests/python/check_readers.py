"""Reads a run's Parquet output back with pyarrow and DuckDB and checks the types survive.

Usage: check_readers.py OUT_DIR RECORDING   (OUT_DIR written by `zoom-licenses extract --replay RECORDING`)
Rows, plans and rejects are compared with what the recording's JSON holds (recorded.py), not with
the run's own manifest. Exits non-zero with a message naming the first mismatch.
"""

import json
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from recorded import expected

UTC_US = pa.timestamp("us", tz="UTC")
EXPECTED = [
    ("source", pa.string()), ("account_id", pa.string()), ("user_key", pa.string()),
    ("user_id", pa.string()), ("email", pa.string()), ("display_name", pa.string()),
    ("first_name", pa.string()), ("last_name", pa.string()), ("status", pa.string()),
    ("plan", pa.string()), ("plan_type_code", pa.int32()), ("plan_united_type", pa.string()),
    ("licenses", pa.string()), ("department", pa.string()), ("role_id", pa.string()),
    ("timezone", pa.string()), ("user_created_at", UTC_US), ("last_login_at", UTC_US),
    ("last_client_version", pa.string()), ("extracted_at", UTC_US), ("run_id", pa.string()),
    ("group_ids", pa.list_(pa.string())), ("employee_unique_id", pa.string()),
    ("verified", pa.bool_()), ("language", pa.string()), ("custom_attributes", pa.string()),
]
DUCKDB_TYPES = {
    "plan_type_code": "INTEGER",
    "user_created_at": "TIMESTAMP WITH TIME ZONE",
    "last_login_at": "TIMESTAMP WITH TIME ZONE",
    "extracted_at": "TIMESTAMP WITH TIME ZONE",
    "email": "VARCHAR",
    "group_ids": "VARCHAR[]",
    "verified": "BOOLEAN",
}
# Written without min/max statistics (transform::schema::NO_STATISTICS_COLUMNS): no people's names
# or email addresses in the footer. Every other column keeps them.
NO_STATISTICS = {"user_key", "user_id", "email", "display_name", "first_name", "last_name",
                 "licenses", "group_ids", "employee_unique_id", "custom_attributes"}


def fail(message):
    print(f"check_readers: {message}", file=sys.stderr)
    sys.exit(1)


def main(out_dir, recording):
    manifest = json.loads((out_dir / "zoom_users_manifest.json").read_text())
    held = expected(recording)
    path = out_dir / "zoom_users.parquet"

    table = pq.read_table(path)
    got = [(f.name, f.type) for f in table.schema]
    if got != EXPECTED:
        fail(f"pyarrow schema differs:\n got {got}\nwant {EXPECTED}")
    if table.column("user_key").to_pylist() != held["keys"]:
        fail(f"pyarrow reads {table.num_rows} rows; the recording holds {len(held['keys'])} "
             "(or they differ, or come in another order)")
    meta = pq.read_metadata(path).metadata
    if meta.get(b"schema_version") != b"2" or meta.get(b"run_id") != manifest["run_id"].encode():
        fail(f"key-value metadata wrong: {meta}")
    codec = pq.ParquetFile(path).metadata.row_group(0).column(0).compression
    if codec != "ZSTD":
        fail(f"compression is {codec}, expected ZSTD")
    group = pq.ParquetFile(path).metadata.row_group(0)
    with_statistics = {
        group.column(i).path_in_schema
        for i in range(group.num_columns)
        if group.column(i).statistics is not None and group.column(i).statistics.has_min_max
    }
    if with_statistics != {name for name, _ in EXPECTED} - NO_STATISTICS:
        fail(f"columns with min/max statistics: {sorted(with_statistics)}; expected all but "
             f"{sorted(NO_STATISTICS)}")

    con = duckdb.connect()
    described = {
        row[0]: row[1]
        for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
    }
    for column, want in DUCKDB_TYPES.items():
        if described.get(column) != want:
            fail(f"DuckDB reads {column} as {described.get(column)}, expected {want}")
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
    if rows != len(held["keys"]):
        fail(f"DuckDB reads {rows} rows, the recording holds {len(held['keys'])}")
    plans = dict(
        con.execute(
            f"SELECT plan, count(*) FROM read_parquet('{path}') GROUP BY plan"
        ).fetchall()
    )
    if plans != held["by_plan"]:
        fail(f"DuckDB plan counts {plans} differ from the recording's {held['by_plan']}")
    rejects = con.execute(
        f"SELECT count(*) FROM read_parquet('{out_dir / 'zoom_users_rejects.parquet'}')"
    ).fetchone()[0]
    if rejects != held["rejects"]:
        fail(f"DuckDB reads {rejects} rejects, the recording holds {held['rejects']}")
    print(f"check_readers: pyarrow {pa.__version__} and DuckDB {duckdb.__version__} read "
          f"{rows} rows and {rejects} rejects with the expected types")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail("usage: check_readers.py OUT_DIR RECORDING")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
