#!/usr/bin/env bash
# make demo: modelctl's main job on the bundled registry, run on a temporary copy of configs/
# and fixtures/ so the working tree is left exactly as it was.
set -uo pipefail
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/modelctl-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp -R "$ROOT/configs" "$ROOT/fixtures" "$WORK/"
export MODELCTL_REGISTRY_DIR="$WORK/configs"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { step "modelctl $*"; "$BIN" "$@"; rc=$?; echo "(exit $rc)"; return $rc; }

echo "modelctl demo: registry $ROOT/configs (working on a copy in $WORK)"

run list
run verify --all || exit 1
run lock 'tiny-vision_(FP16)' --set-expected || exit 1
run metrics
run verify 'tiny-vision_(FP16)' 'tiny-llm_(FP16)' || exit 1

step "tamper with the locked tiny-llm artifacts: edit one shard, delete the tokenizer, rename the config, add a file"
M="$WORK/fixtures/models/tiny-llm"
printf 'corrupted' >> "$M/model-00002-of-00002.safetensors"
rm "$M/tokenizer.json"
mv "$M/generation_config.json" "$M/generation_config.json.bak"
echo '{"stray": true}' > "$M/extra.json"

run verify 'tiny-llm_(FP16)'
rc=$?
if [ "$rc" -ne 2 ]; then echo "demo: expected exit 2 for the lock violation, got $rc" >&2; exit 1; fi

step "modelctl hash $M | sha256sum -c   (the output is sha256sum's format)"
(cd "$M" && "$BIN" hash . | sha256sum -c) || exit 1

echo
echo "demo finished: verify passed on the bundled registry, caught the tampering with exit 2, and the working tree is unchanged."
