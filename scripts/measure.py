"""Runs a command several times and prints its median wall time and peak RSS.

Usage: measure.py LABEL RUNS -- COMMAND [ARGS...]
Peak RSS is the child's ru_maxrss (Linux: KiB), read with os.wait4 so each run is measured alone.
"""

import os
import statistics
import subprocess
import sys
import time


def measure(cmd):
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"measure: {' '.join(cmd)} exited with {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_maxrss


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit("usage: measure.py LABEL RUNS -- COMMAND [ARGS...]")
    label, runs, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[4:]
    results = [measure(cmd) for _ in range(runs)]
    walls = sorted(w for w, _ in results)
    rss = max(r for _, r in results)
    print(f"{label}: median {statistics.median(walls):.2f} s wall over {runs} runs "
          f"(min {walls[0]:.2f}, max {walls[-1]:.2f}), peak RSS {rss / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
