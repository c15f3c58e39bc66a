#!/usr/bin/env bash
# modelctl interop checks: real third-party tools run against modelctl's fixtures and output.
# Usage: scripts/interop.sh [MODELCTL]   (`make interop`; needs PyPI for the Python tools)
# Each block below is self-contained, delimited by `# >>> name` and `# <<< name`.
set -uo pipefail
cd "$(dirname "$0")/.."
MODELCTL=${1:-${MODELCTL:-.build/release/modelctl}}
INTEROP_FAILED=0

# >>> stores: huggingface_hub accepts the HF cache fixture, and modelctl scan agrees >>>
(
    set -e
    venv=.build-interop/venv
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check huggingface_hub
    echo "stores: huggingface_hub $("$venv/bin/python" -c 'import huggingface_hub as h; print(h.__version__)') scan_cache_dir on fixtures/hf-cache/hub"
    actual=$("$venv/bin/python" scripts/hf_scan_fixture.py fixtures/hf-cache/hub)
    if ! diff -u fixtures/hf-cache.scan-expected.txt <(printf '%s\n' "$actual"); then
        echo "stores: huggingface_hub sees the fixture differently (diff above)" >&2
        exit 1
    fi
    "$MODELCTL" scan fixtures/hf-cache/hub
    # A tampered copy: huggingface_hub's scan still accepts it (it checks layout, not bytes),
    # modelctl scan must exit 2.
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    cp -a fixtures/hf-cache/hub "$tmp/hub"
    blob=$(ls "$tmp"/hub/models--acme--tiny-lm/blobs/ | grep -E '^[0-9a-f]{64}$' | head -1)
    printf 'X' | dd of="$tmp/hub/models--acme--tiny-lm/blobs/$blob" bs=1 seek=0 conv=notrunc status=none
    "$venv/bin/python" scripts/hf_scan_fixture.py "$tmp/hub" >/dev/null
    status=0
    "$MODELCTL" scan "$tmp/hub" || status=$?
    if [ "$status" != 2 ]; then
        echo "stores: modelctl scan exited $status on a tampered blob, expected 2" >&2
        exit 1
    fi
    echo "stores: ok"
) || INTEROP_FAILED=1
# <<< stores <<<

exit "$INTEROP_FAILED"
