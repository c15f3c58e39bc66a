#!/usr/bin/env python3
"""Timing / memory helper for scripts/bench.sh.

Subcommands:
  time RUNS CMD [ARG...]  Run CMD RUNS times (stdout discarded), print
                          "MEDIAN MIN MAX" in seconds on one line.
                          If any run exits non-zero, print the tail of its
                          stderr to stderr and exit 1.
  pair RUNS CMD_A... -- CMD_B...
                          Run A and B alternately RUNS times each and print
                          "MEDIAN_A MIN_A MEDIAN_B MIN_B RATIO": RATIO is the
                          median of the per-round ratios B/A. Alternating
                          keeps a burst of load on a noisy host from landing
                          on one side only, so ratios are steadier than a
                          ratio of two separately measured medians.
  rss CMD [ARG...]        Run CMD once (stdout discarded) and print its peak
                          resident set size in KiB (getrusage RUSAGE_CHILDREN,
                          which covers only this one child). Exits with the
                          command's exit status on failure.

Pipelines are timed by passing e.g. `bash -c '...'` as CMD.
"""
import resource
import statistics
import subprocess
import sys
import time


def run_once(cmd):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    return proc.returncode, elapsed, proc.stderr


def fail(rc, err):
    tail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
    sys.stderr.write("exit %d%s\n" % (rc, (": " + " | ".join(tail)) if tail else ""))


def cmd_time(argv):
    runs = int(argv[0])
    cmd = argv[1:]
    if runs < 1 or not cmd:
        sys.exit("usage: bench_time.py time RUNS CMD [ARG...]")
    times = []
    for _ in range(runs):
        rc, elapsed, err = run_once(cmd)
        if rc != 0:
            fail(rc, err)
            return 1
        times.append(elapsed)
    print("%.6f %.6f %.6f" % (statistics.median(times), min(times), max(times)))
    return 0


def cmd_pair(argv):
    runs = int(argv[0])
    rest = argv[1:]
    if runs < 1 or "--" not in rest:
        sys.exit("usage: bench_time.py pair RUNS CMD_A... -- CMD_B...")
    cut = rest.index("--")
    cmd_a, cmd_b = rest[:cut], rest[cut + 1:]
    if not cmd_a or not cmd_b:
        sys.exit("usage: bench_time.py pair RUNS CMD_A... -- CMD_B...")
    times_a, times_b, ratios = [], [], []
    for _ in range(runs):
        pair = []
        for cmd in (cmd_a, cmd_b):
            rc, elapsed, err = run_once(cmd)
            if rc != 0:
                fail(rc, err)
                return 1
            pair.append(elapsed)
        times_a.append(pair[0])
        times_b.append(pair[1])
        ratios.append(pair[1] / pair[0])
    print("%.6f %.6f %.6f %.6f %.6f" % (statistics.median(times_a), min(times_a),
                                        statistics.median(times_b), min(times_b),
                                        statistics.median(ratios)))
    return 0


def cmd_rss(argv):
    if not argv:
        sys.exit("usage: bench_time.py rss CMD [ARG...]")
    rc, _elapsed, err = run_once(argv)
    if rc != 0:
        fail(rc, err)
        return rc if 0 < rc < 256 else 1
    # ru_maxrss is in KiB on Linux.
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("time", "pair", "rss"):
        sys.exit(__doc__)
    if sys.argv[1] == "time":
        return cmd_time(sys.argv[2:])
    if sys.argv[1] == "pair":
        return cmd_pair(sys.argv[2:])
    return cmd_rss(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
