#!/usr/bin/env python3
"""Generate many small random files for scripts/bench.sh (data set c).

usage: bench_gen.py small DIR NDIRS FILES_PER_DIR FILE_SIZE

Writes DIR/dNN/fNNNNN.bin. One os.urandom() call per directory keeps this
fast (no process per file). The caller owns completeness markers.
"""
import os
import sys


def gen_small(root, ndirs, per_dir, size):
    os.makedirs(root, exist_ok=True)
    n = 0
    for d in range(ndirs):
        sub = os.path.join(root, "d%02d" % d)
        os.makedirs(sub, exist_ok=True)
        blob = os.urandom(per_dir * size)
        for i in range(per_dir):
            with open(os.path.join(sub, "f%05d.bin" % n), "wb") as f:
                f.write(blob[i * size:(i + 1) * size])
            n += 1


def main():
    if len(sys.argv) != 6 or sys.argv[1] != "small":
        sys.exit(__doc__)
    gen_small(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
