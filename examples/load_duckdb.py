"""Loads one day of zoom-licenses partitions into a DuckDB database, replacing that day.

Usage: python load_duckdb.py OUTPUT_DIR DATE DATABASE

OUTPUT_DIR is the --output-dir of `zoom-licenses extract`; DATE the --partition-date. Only published
partitions are visible there (each is swapped in whole, with its _manifest.json), so loading never
sees half an account. Re-running a day replaces that day's rows and nothing else.
"""

import glob
import sys

import duckdb

# The extract's tables, and those `zoom-licenses reclaim` and `zoom-licenses changes` derive from them
# (a first day has no changes: nothing to load).
TABLES = ("zoom_users", "zoom_user_rejects", "zoom_reclaim_candidates", "zoom_user_changes")


def load_day(output_dir: str, date: str, database: str) -> dict:
    """Replaces `date` in every table; returns the rows loaded per table."""
    con = duckdb.connect(database)
    loaded = {}
    try:
        con.execute("BEGIN TRANSACTION")
        for table in TABLES:
            pattern = f"{output_dir}/{table}/dt={date}/*/*.parquet"
            files = sorted(glob.glob(pattern))
            if not files:
                # Nothing for the day (a first day has no changes): its old rows, if any, go.
                exists = con.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
                ).fetchone()[0]
                if exists:
                    con.execute(f"DELETE FROM {table} WHERE dt = CAST(? AS DATE)", [date])
                loaded[table] = 0
                continue
            source = (
                f"read_parquet({files!r}, hive_partitioning = true, "
                "hive_types = {'dt': DATE, 'account': VARCHAR})"
            )
            con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM {source} LIMIT 0")
            con.execute(f"DELETE FROM {table} WHERE dt = CAST(? AS DATE)", [date])
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {source}")
            loaded[table] = con.execute(
                f"SELECT count(*) FROM {table} WHERE dt = CAST(? AS DATE)", [date]
            ).fetchone()[0]
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return loaded


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: load_duckdb.py OUTPUT_DIR DATE DATABASE")
    counts = load_day(*sys.argv[1:])
    print(
        f"loaded {counts['zoom_users']} users and {counts['zoom_user_rejects']} rejects for "
        f"{sys.argv[2]}, with {counts['zoom_reclaim_candidates']} reclaim candidates and "
        f"{counts['zoom_user_changes']} changes"
    )
