#!/usr/bin/env python3
"""Generate many small random files for scripts/bench.sh (data set c).

usage: bench_gen.py small DIR NDIRS FILES_PER_DIR FILE_SIZE
       bench_gen.py registry MODELS_DIR REGISTRY_DIR ENTRIES

small writes DIR/dNN/fNNNNN.bin. One os.urandom() call per directory keeps
this fast (no process per file). registry writes ENTRIES small models of
about 220 KB each (config.json, tokenizer.json, model.safetensors) under
MODELS_DIR/mNNNN and a curated registry naming them in REGISTRY_DIR. The
caller owns completeness markers.
"""
import json
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


def gen_registry(models, registry, count):
    os.makedirs(registry, exist_ok=True)
    entries = []
    for n in range(count):
        root = os.path.join(models, "m%04d" % n)
        os.makedirs(root, exist_ok=True)
        blob = os.urandom(220 * 1024)
        for name, part in (("config.json", blob[:1024]), ("tokenizer.json", blob[1024:20 * 1024]),
                           ("model.safetensors", blob[20 * 1024:])):
            with open(os.path.join(root, name), "wb") as f:
                f.write(part)
        entries.append({"name": "bench-%04d" % n, "backend": "vllm",
                        "backend_config": {"port": 24001, "model_path": root}})
    with open(os.path.join(registry, "model_registry.curated.json"), "w") as f:
        json.dump(entries, f, indent=2)
        f.write("\n")


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "small":
        gen_small(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
        return 0
    if len(sys.argv) == 5 and sys.argv[1] == "registry":
        gen_registry(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
