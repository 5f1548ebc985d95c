"""`make bench`: replay and live throughput, wall time and peak RSS of zoom-licenses.

Generates seeded recordings (10k, 100k, 1M users), replays each into Parquet, CSV and NDJSON, and
runs live extracts against the mock Zoom API (tests/mock-zoom) with 0 ms and 50 ms per request.
Whole-process runs are repeated; the median wall time and the highest peak RSS (ru_maxrss of the
child, read with wait4) are reported. Every run's rows are checked against what the recording or the
mock holds (a fast wrong run is not a result). Prints a Markdown table and writes it to
target/bench/results.md.

Also a live run with `--with activity,hosting` at 100k users and 30 days of the mock's sign-in and
hosts reports, and one with `--with addons` for 10,000 licensed users at the default pacing (about
17 minutes: one request per user at 10 a second).

And `reclaim` and `changes` over Parquet partitions of the largest recording (1M users; 100k with
--quick), where memory is the point.

Usage: python3 bench/run.py [--quick | --activity | --addons | --derived]   (--quick: 10k and
100k only, no add-ons run; --activity / --addons / --derived: only that run, for trying changes)
"""

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / "target/release/zoom-licenses"
MOCK = ROOT / "target/release/mock-zoom"
GEN = ROOT / "target/release/examples/generate_recording"
WORK = ROOT / "target/bench"
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
SEEDS = {"10k": 10, "100k": 100, "1m": 1000}
PAGE_SIZE = 2000
AS_OF = "2026-12-01T00:00:00+00:00"


def run_measured(cmd, env=None):
    """Runs cmd; returns (wall seconds, peak RSS in MiB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(map(str, cmd))} failed:\n{stderr}")
    return wall, usage.ru_maxrss / 1024


def repeat(cmd, runs, env=None, before=None, after=None):
    walls, rss = [], 0.0
    for _ in range(runs):
        if before:
            before()
        wall, peak = run_measured(cmd, env)
        walls.append(wall)
        rss = max(rss, peak)
        if after:
            after()
    return statistics.median(walls), rss


def build():
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--bin", "zoom-licenses",
         "--example", "generate_recording"], cwd=ROOT, check=True)
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "-p", "zoom-licenses-mock-zoom"],
        cwd=ROOT, check=True)


def recording(name, seed=None):
    """The seeded recording of `name` users (another seed: another folder)."""
    seed = SEEDS[name] if seed is None else seed
    suffix = "" if seed == SEEDS[name] else f"-seed{seed}"
    path = ROOT / "target/fixtures" / f"users-{name}{suffix}"
    if not (path / "index.json").exists():
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run(
            [GEN, "--users", str(SIZES[name]), "--seed", str(seed),
             "--page-size", str(PAGE_SIZE), "--out", path], check=True)
    return path


def expected_rows(recording):
    """License rows a recording holds (cached beside it), counted by a child process: reading a
    million users' JSON grows a process by 150 MiB, which every later child would inherit at fork
    time and report as its own peak RSS."""
    cache = recording / "expected_rows.json"
    if not cache.exists():
        subprocess.run([sys.executable, __file__, "--count-rows", str(recording)], check=True)
    return json.loads(cache.read_text())


def recorded_users(recording):
    """Each distinct user of `recording` (by key, as the tool dedups), with its status."""
    index = json.loads((recording / "index.json").read_text())
    seen = set()
    for page in index["pages"]:
        sweep = page["request"]["query"]["status"]
        for user in json.loads((recording / page["file"]).read_text())["users"]:
            key = user.get("id") or "pending:" + user["email"].lower()
            if key not in seen:
                seen.add(key)
                yield user, user.get("status", sweep)


def count_rows(recording):
    """Writes the number of license rows of `recording`, from its JSON alone: users of a sweep
    other than `inactive` whose plan type is 1, 2, 4 or 99, each key once."""
    cache = recording / "expected_rows.json"
    rows = 0
    for user, status in recorded_users(recording):
        if status != "inactive" and user["type"] in (1, 2, 4, 99):
            rows += 1
    cache.write_text(json.dumps(rows))


def check_rows(output, want):
    """Fails the benchmark unless the run's manifest, and for text formats its file, hold `want` rows."""
    manifest = json.loads(output.with_name(output.stem + "_manifest.json").read_text())
    got = [manifest["rows_written"]]
    if output.suffix == ".csv":
        got.append(sum(1 for _ in output.open("rb")) - 1)
    elif output.suffix == ".ndjson":
        got.append(sum(1 for _ in output.open("rb")))
    if any(n != want for n in got):
        sys.exit(f"bench: {output} holds {got} rows, expected {want}")


def bench_replay(names):
    rows = []
    out = WORK / "replay"
    for name in names:
        rec = recording(name)
        runs = 3 if name == "1m" else 5
        for fmt in ("parquet", "csv", "ndjson"):
            target = out / f"{name}.{fmt}"
            wall, rss = repeat(
                [BIN, "-q", "extract", "--replay", rec, "--format", fmt, "--output", target],
                runs, before=lambda: shutil.rmtree(out, ignore_errors=True),
                after=lambda: check_rows(target, expected_rows(rec)))
            rows.append((name, fmt, SIZES[name] / wall, wall, rss, runs))
            print(f"replay {name:>4} -> {fmt:<7} {SIZES[name] / wall:>10,.0f} users/s "
                  f"{wall:6.2f} s  {rss:6.1f} MiB", flush=True)
    return rows


def start_mock(total, latency_ms, activity_days=None, scopes=None, hosting=False):
    active, pending = total * 85 // 100, total * 7 // 100
    inactive = total - active - pending
    # Pages are rendered ahead so that serving one costs the mock only the write.
    mock_env = {**os.environ, "MOCK_ZOOM_PRERENDER_PAGE_SIZE": str(PAGE_SIZE)}
    if activity_days:
        mock_env["MOCK_ZOOM_ACTIVITY_DAYS"] = str(activity_days)
    if scopes:
        mock_env["MOCK_ZOOM_SCOPES"] = scopes
    if hosting:
        mock_env["MOCK_ZOOM_HOSTING"] = "1"
    proc = subprocess.Popen(
        [MOCK, str(active), str(pending), str(inactive), str(latency_ms)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=mock_env)
    env = dict(os.environ)
    for line in proc.stdout:
        key, _, value = line.strip().removeprefix("export ").partition("=")
        if key == "MOCK_ZOOM_READY":
            break
        env[key] = value
    env.pop("RUST_LOG", None)
    return proc, env, active, pending


def bench_live(names):
    rows = []
    out = WORK / "live"
    for name in names:
        for latency in (0, 50):
            proc, env, active, pending = start_mock(SIZES[name], latency)
            try:
                runs = 3
                target = out / f"{name}.parquet"
                # The mock's users all have supported plans: every active and pending one is a row.
                wall, rss = repeat(
                    [BIN, "-q", "extract", "--max-rps", "1000", "--page-size", str(PAGE_SIZE),
                     "--output", target],
                    runs, env=env, before=lambda: shutil.rmtree(out, ignore_errors=True),
                    after=lambda: check_rows(target, active + pending))
            finally:
                proc.terminate()
                proc.wait()
            users = active + pending
            pages = -(-active // PAGE_SIZE)
            floor = pages * latency / 1000
            rows.append((name, latency, users, users / wall, wall, floor, rss, runs))
            versus = f"{(wall / floor - 1) * 100:+5.1f}% vs floor {floor:5.2f} s" if floor else ""
            print(f"live   {name:>4} @ {latency:>2} ms {users / wall:>10,.0f} users/s "
                  f"{wall:6.2f} s  {rss:6.1f} MiB  {versus}", flush=True)
    return rows


def bench_activity():
    """100k users, 30 days of the sign-in report and of the hosts report, at Business+ rates."""
    out = WORK / "activity"
    proc, env, active, pending = start_mock(SIZES["100k"], 0, activity_days=30, hosting=True)
    # The mock's generator: active user n signs in n % 4 times, each with a sign-out; 3 strangers.
    events = sum(n % 4 * 2 for n in range(active)) + 3
    target = out / "100k.parquet"
    command = [BIN, "-q", "extract", "--with", "activity,hosting", "--activity-days", "30",
               "--max-rps", "1000", "--activity-max-rps", "40", "--page-size", str(PAGE_SIZE),
               "--output", target]

    def check():
        check_rows(target, active + pending)
        manifest = json.loads((out / "100k_manifest.json").read_text())
        got = (manifest["activity"]["events_written"], manifest["outputs"]["user_activity"]["rows"],
               manifest["outputs"]["host_usage"]["rows"])
        if got != (events, active + pending, active + pending):
            want = (events, active + pending, active + pending)
            sys.exit(f"bench: activity run wrote {got} (events, activity rows, host rows), expected {want}")

    try:
        # One recorded run first, not timed: its index counts the Heavy requests the floor paces.
        shutil.rmtree(out, ignore_errors=True)
        recorded = WORK / "activity-recording"
        shutil.rmtree(recorded, ignore_errors=True)
        subprocess.run(command + ["--record", recorded], env=env, check=True)
        index = json.loads((recorded / "index.json").read_text())
        heavy = [p for p in index["pages"] if p["request"]["endpoint"].startswith("report/")]
        shutil.rmtree(recorded)
        runs = 3
        wall, rss = repeat(command, runs, env=env,
                           before=lambda: shutil.rmtree(out, ignore_errors=True), after=check)
    finally:
        proc.terminate()
        proc.wait()
    # Both reports share the Heavy pace: every report request but the first waits 1/40 s.
    pages = len(heavy)
    floor = (pages - 1) / 40
    print(f"activity+hosting 100k users, {events:,} events: {wall:6.2f} s ({pages} report pages; "
          f"floor {floor:.2f} s at 40/s, {(wall / floor - 1) * 100:+.1f}%)  {rss:6.1f} MiB",
          flush=True)
    return [("100k", active + pending, events, pages, wall, floor, rss, runs)]


def bench_addons():
    """Add-ons of 10,000 licensed users at the default --max-rps (10): one settings request each."""
    out = WORK / "addons"
    # The mock's plan types cycle 1, 2, 2, 4, 99: two active users in five are licensed.
    total = 10_000 * 5 // 2 * 100 // 85
    proc, env, active, pending = start_mock(
        total, 0, scopes="user:read:list_users:admin user:read:settings:admin")
    licensed = sum(1 for n in range(active) if n % 5 in (1, 2))
    target = out / "addons.parquet"

    def check():
        manifest = json.loads((out / "addons_manifest.json").read_text())
        if manifest["addons"]["users_read"] != licensed:
            sys.exit(f"bench: add-ons run read {manifest['addons']['users_read']} users' settings, "
                     f"expected {licensed}")

    try:
        wall, rss = repeat(
            [BIN, "-q", "extract", "--with", "addons", "--page-size", str(PAGE_SIZE),
             "--output", target],
            1, env=env, before=lambda: shutil.rmtree(out, ignore_errors=True), after=check)
    finally:
        proc.terminate()
        proc.wait()
    pages = -(-active // PAGE_SIZE) + -(-pending // PAGE_SIZE)
    floor = (licensed + pages - 1) / 10
    print(f"addons {licensed:,} licensed users: {wall:7.1f} s (floor {floor:.1f} s at 10/s)  "
          f"{rss:6.1f} MiB", flush=True)
    return [(licensed, licensed + pages, wall, floor, rss, 1)]


def expected_candidates(recording):
    """Reclaim candidates of `recording` at AS_OF with the default thresholds (idle 90 days,
    pending 30), counted from its JSON alone (cached beside it, by a child process as above)."""
    cache = recording / "expected_candidates.json"
    if not cache.exists():
        subprocess.run([sys.executable, __file__, "--count-candidates", str(recording)], check=True)
    return json.loads(cache.read_text())


def count_candidates(recording):
    """Licensed (type 2) active users last seen, or never seen and created, 90+ whole days before
    AS_OF, and licensed pending users created 30+ days before it (a pending user's created_at is
    the time of the call, never its creation)."""
    from datetime import datetime
    as_of = datetime.fromisoformat(AS_OF)
    days = lambda t: (as_of - datetime.fromisoformat(t.replace("Z", "+00:00"))).days
    found = 0
    for user, status in recorded_users(recording):
        if user["type"] != 2 or status not in ("active", "pending"):
            continue
        if status == "pending":
            created = user.get("user_created_at")
            found += bool(created) and days(created) >= 30
        elif user.get("last_login_time"):
            found += days(user["last_login_time"]) >= 90
        else:
            created = user.get("user_created_at") or user.get("created_at")
            found += bool(created) and days(created) >= 90
    (recording / "expected_candidates.json").write_text(json.dumps(found))


def bench_derived(name):
    """reclaim and changes over partitions of the `name` recording: memory is the point."""
    root = WORK / "derived"
    shutil.rmtree(root, ignore_errors=True)
    rec = recording(name)
    for date in ("2026-11-30", "2026-12-01"):
        subprocess.run([BIN, "-q", "extract", "--replay", rec, "--as-of", AS_OF, "--output-dir",
                        root, "--partition-date", date, "--partition-account", "bench"],
                       check=True, stdout=subprocess.DEVNULL)
    rows = []
    runs = 3
    want = expected_candidates(rec)
    part = lambda table: root / table / "dt=2026-12-01/account=bench/_manifest.json"

    def check_reclaim():
        got = json.loads(part("zoom_reclaim_candidates").read_text())
        if got["summary"]["candidates"] != want or got["outputs"]["reclaim_candidates"]["rows"] != want:
            sys.exit(f"bench: reclaim found {got['summary']['candidates']}, expected {want}")

    wall, rss = repeat([BIN, "-q", "reclaim", "--output-dir", root, "--partition-date",
                        "2026-12-01"], runs, after=check_reclaim)
    rows.append((name, "reclaim", want, wall, rss, runs))
    print(f"reclaim {name}: {want:,} candidates {wall:6.2f} s  {rss:6.1f} MiB", flush=True)

    def check_changes():
        got = json.loads(part("zoom_user_changes").read_text())
        if any(got["summary"]["by_kind"].values()) or got["outputs"]["user_changes"]["rows"]:
            sys.exit(f"bench: two runs of one recording differ: {got['summary']}")

    wall, rss = repeat([BIN, "-q", "changes", "--to", "2026-12-01", "--output-dir", root], runs,
                       after=check_changes)
    rows.append((name, "changes (same users twice)", 0, wall, rss, runs))
    print(f"changes {name}: no change {wall:6.2f} s  {rss:6.1f} MiB", flush=True)

    # The most output: day 2 is another account's users (the next seed), so nearly every user
    # left or joined. Checked for consistency: every user of both runs is counted once.
    other = recording(name, SEEDS[name] + 1)
    subprocess.run([BIN, "-q", "extract", "--replay", other, "--as-of", AS_OF, "--output-dir",
                    root, "--partition-date", "2026-12-02", "--partition-account", "bench"],
                   check=True, stdout=subprocess.DEVNULL)
    part2 = root / "zoom_user_changes/dt=2026-12-02/account=bench/_manifest.json"
    counts = {}

    def check_turnover():
        got = json.loads(part2.read_text())["summary"]
        kinds = got["by_kind"]
        written = json.loads(part2.read_text())["outputs"]["user_changes"]["rows"]
        matched = got["to_users"] - kinds["joined"]
        if (written != sum(kinds.values()) or got["from_users"] != expected_rows(rec)
                or got["to_users"] != expected_rows(other)
                or got["from_users"] - kinds["left"] != matched):
            sys.exit(f"bench: changes between two seeds do not add up: {got}, {written} rows")
        counts["rows"] = written

    wall, rss = repeat([BIN, "-q", "changes", "--to", "2026-12-02", "--output-dir", root], runs,
                       after=check_turnover)
    rows.append((name, "changes (another account's users)", counts["rows"], wall, rss, runs))
    print(f"changes {name}: {counts['rows']:,} changes {wall:6.2f} s  {rss:6.1f} MiB", flush=True)
    return rows


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}"


def table(replay, live, activity, addons, derived):
    lines = [f"Machine: {machine()}", "",
             "| replay | format | users/s | wall (median) | peak RSS | runs |",
             "|---|---|---:|---:|---:|---:|"]
    for name, fmt, rate, wall, rss, runs in replay:
        lines.append(f"| {name} | {fmt} | {rate:,.0f} | {wall:.2f} s | {rss:.1f} MiB | {runs} |")
    lines += ["", "| live (mock) | latency | users | users/s | wall (median) | floor | vs floor | peak RSS | runs |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, latency, users, rate, wall, floor, rss, runs in live:
        versus = f"{(wall / floor - 1) * 100:+.1f}%" if floor else "n/a"
        lines.append(f"| {name} | {latency} ms | {users:,} | {rate:,.0f} | {wall:.2f} s | "
                     f"{floor:.2f} s | {versus} | {rss:.1f} MiB | {runs} |")
    lines += ["", "| live with activity and hosting (mock, 0 ms) | users | events | report pages | "
              "wall (median) | pacing floor (40/s) | vs floor | peak RSS | runs |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, users, events, pages, wall, floor, rss, runs in activity:
        lines.append(f"| {name} | {users:,} | {events:,} | {pages} | {wall:.2f} s | {floor:.2f} s | "
                     f"{(wall / floor - 1) * 100:+.1f}% | {rss:.1f} MiB | {runs} |")
    lines += ["", "| add-ons (mock, 0 ms, --max-rps 10) | licensed users | requests | wall | "
              "pacing floor | vs floor | peak RSS | runs |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for users, requests, wall, floor, rss, runs in addons:
        lines.append(f"| 10k licensed | {users:,} | {requests:,} | {wall:.1f} s | {floor:.1f} s | "
                     f"{(wall / floor - 1) * 100:+.1f}% | {rss:.1f} MiB | {runs} |")
    lines += ["", "| from outputs (Parquet partitions) | users | command | rows out | wall (median) | "
              "peak RSS | runs |", "|---|---:|---|---:|---:|---:|---:|"]
    for name, what, out, wall, rss, runs in derived:
        lines.append(f"| {name} | {SIZES[name]:,} | {what} | {out:,} | {wall:.2f} s | "
                     f"{rss:.1f} MiB | {runs} |")
    return "\n".join(lines) + "\n"


def main():
    if sys.argv[1:2] == ["--count-rows"]:
        count_rows(Path(sys.argv[2]))
        return
    if sys.argv[1:2] == ["--count-candidates"]:
        count_candidates(Path(sys.argv[2]))
        return
    quick = "--quick" in sys.argv
    names = ["10k", "100k"] if quick else ["10k", "100k", "1m"]
    started = time.perf_counter()
    build()
    only = {"--activity", "--addons", "--derived"} & set(sys.argv)
    replay = [] if only else bench_replay(names)
    live = [] if only else bench_live(names)
    activity = [] if only - {"--activity"} else bench_activity()
    addons = [] if quick or (only - {"--addons"}) else bench_addons()
    derived = [] if only - {"--derived"} else bench_derived(names[-1])
    text = table(replay, live, activity, addons, derived)
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "results.md").write_text(text)
    print()
    print(text)
    print(f"bench: done in {time.perf_counter() - started:.0f} s; table in {WORK / 'results.md'}")


if __name__ == "__main__":
    main()
