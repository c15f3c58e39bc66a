#!/usr/bin/env bash
# make interop: modelctl against the real tools it claims to interoperate with, on fresh data.
#   bash scripts/interop.sh [MODELCTL]   (default .build/release/modelctl)
# Needs python3 (with venv) and PyPI; everything is installed under .build-interop/.
# Each tool has its own delimited section below; a failed check stops the script (exit 1).
set -euo pipefail
cd "$(dirname "$0")/.."
MODELCTL="$(cd "$(dirname "${1:-.build/release/modelctl}")" && pwd)/$(basename "${1:-.build/release/modelctl}")"
[ -x "$MODELCTL" ] || { echo "interop: no modelctl at $MODELCTL (make build)" >&2; exit 1; }
INTEROP="$(pwd)/.build-interop"
mkdir -p "$INTEROP"
WORK="$(mktemp -d "$INTEROP/work.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
failures=0
pass() { printf '  ok    %s\n' "$1"; }
fail() { printf '  FAIL  %s\n' "$1"; failures=$((failures + 1)); }
# expect STATUS DESCRIPTION COMMAND...: runs COMMAND, checks its exit status (any non-zero for "fail").
expect() {
  local want="$1" what="$2"; shift 2
  local got=0
  "$@" >"$WORK/last.out" 2>&1 || got=$?
  if { [ "$want" = fail ] && [ "$got" -ne 0 ]; } || [ "$want" = "$got" ]; then pass "$what"
  else fail "$what (exit $got, wanted $want)"; sed 's/^/        /' "$WORK/last.out" | head -20; fi
}

# ==================== model_signing (OpenSSF model signing, PyPI model-signing) ====================
# Both directions on fresh trees, for P-256, P-384 and P-521 keys: a bundle from `modelctl sign`
# passes `model_signing verify key`, a bundle from `model_signing sign key` passes
# `modelctl verify --signature`, and one flipped byte fails both. Also: the statement modelctl
# signs equals model_signing's with its (run-to-run varying) object key order sorted.
# The certificate method too: `sign --certificate-chain` and `verify certificate`, and back;
# `sign --ignore-paths`; and model_signing's own test models of every release, by both tools.
# Shards bundles through model_signing's library API (its CLI hashes whole files only):
# `sign --shard-size` against its verifier, its shard signer against `verify --signature`.
# The sigstore method: both tools verify model_signing's keyless test model offline.
model_signing_section() {
  local version=1.1.1 venv="$INTEROP/venv"
  echo "model_signing $version"
  if [ ! -x "$venv/bin/model_signing" ] || ! "$venv/bin/model_signing" --version 2>/dev/null | grep -q "$version"; then
    python3 -m venv "$venv"
    # model_signing 1.1.1 imports OpenSSL (pyOpenSSL) without declaring it.
    "$venv/bin/pip" install -q "model-signing==$version" pyopenssl
  fi
  local ms="$venv/bin/model_signing" py="$venv/bin/python"

  # A fresh tree: flat and nested files of random bytes, a name that sorts differently by path
  # components than by bytes, an empty file, git metadata model_signing leaves out.
  fresh_tree() {
    local d="$1"
    rm -rf "$d"; mkdir -p "$d/tokenizer" "$d/shards/part" "$d/.git"
    head -c 300000 /dev/urandom > "$d/model.safetensors"
    head -c 5000 /dev/urandom > "$d/shards/part/0001.bin"
    head -c 100 /dev/urandom > "$d/shards-index.json"
    printf '{"vocab": %s}\n' "$RANDOM" > "$d/tokenizer/vocab.json"
    : > "$d/tokenizer/empty.txt"
    printf 'ref: refs/heads/main\n' > "$d/.git/HEAD"
  }
  flip_byte() {  # flips the lowest bit of byte 1000 of $1
    "$py" -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[1000]^=1; open(p,'wb').write(b)" "$1"
  }
  same_statement() {  # $1 modelctl bundle, $2 model_signing bundle: payloads equal up to key order
    "$py" - "$1" "$2" <<'PY'
import base64, json, sys
def payload(f): return base64.b64decode(json.load(open(f))["dsseEnvelope"]["payload"])
ours, theirs = payload(sys.argv[1]), payload(sys.argv[2])
s = json.loads(theirs)
p = s["predicate"]
p["resources"] = [dict(sorted(r.items())) for r in p["resources"]]
ser = p["serialization"]; ser["ignore_paths"] = sorted(ser["ignore_paths"]); p["serialization"] = dict(sorted(ser.items()))
# model_signing writes shard_size through a protobuf Struct, as a double (1048576.0); modelctl
# writes the integer model_signing configured (which model_signing's verifier needs).
if isinstance(ser.get("shard_size"), float) and ser["shard_size"].is_integer(): p["serialization"]["shard_size"] = int(ser["shard_size"])
s["predicate"] = dict(sorted(p.items()))
sys.exit(0 if json.dumps(s, indent=2).encode() == ours else 1)
PY
  }

  local curve tree="$WORK/model"
  for curve in P-256 P-384 P-521; do
    echo " $curve"
    "$py" - "$curve" "$WORK/key.pem" "$WORK/key.pub.pem" <<'PY'
import sys
from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric import ec
curve = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}[sys.argv[1]]
k = ec.generate_private_key(curve)
open(sys.argv[2], "wb").write(k.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()))
open(sys.argv[3], "wb").write(k.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo))
PY
    chmod 600 "$WORK/key.pem"
    local key="$WORK/key.pem" pub="$WORK/key.pub.pem"

    fresh_tree "$tree"
    expect 0 "modelctl sign" "$MODELCTL" sign "$tree" --key "$key"
    expect 0 "model_signing verify key accepts modelctl's bundle" "$ms" verify key --signature "$tree/model.sig" --public_key "$pub" "$tree"
    cp "$tree/model.sig" "$WORK/ours.sig"
    flip_byte "$tree/model.safetensors"
    expect fail "model_signing verify key rejects a flipped byte" "$ms" verify key --signature "$tree/model.sig" --public_key "$pub" "$tree"
    expect 2 "modelctl verify --signature rejects a flipped byte (exit 2)" "$MODELCTL" verify "$tree" --signature "$tree/model.sig" --public-key "$pub"
    flip_byte "$tree/model.safetensors"

    expect 0 "model_signing sign key" "$ms" sign key --private_key "$key" --signature "$tree/model.sig" "$tree"
    expect 0 "modelctl verify --signature accepts model_signing's bundle" "$MODELCTL" verify "$tree" --signature "$tree/model.sig" --public-key "$pub"
    expect 0 "modelctl's statement is model_signing's (key order aside)" same_statement "$WORK/ours.sig" "$tree/model.sig"
    printf 'added' > "$tree/tokenizer/added.txt"
    expect fail "model_signing verify key rejects an added file" "$ms" verify key --signature "$tree/model.sig" --public_key "$pub" "$tree"
    expect 2 "modelctl verify --signature rejects an added file (exit 2)" "$MODELCTL" verify "$tree" --signature "$tree/model.sig" --public-key "$pub"
    rm "$tree/tokenizer/added.txt"
    flip_byte "$tree/model.safetensors"
    expect fail "model_signing verify key rejects a flipped byte in its own bundle's tree" "$ms" verify key --signature "$tree/model.sig" --public_key "$pub" "$tree"
    expect 2 "modelctl verify --signature rejects the same flipped byte (exit 2)" "$MODELCTL" verify "$tree" --signature "$tree/model.sig" --public-key "$pub"
  done

  echo " single file and symlinks (with the last P-521 key)"
  local file="$WORK/single.bin"
  head -c 4000 /dev/urandom > "$file"
  expect 0 "modelctl sign FILE" "$MODELCTL" sign "$file" --key "$WORK/key.pem" --output "$WORK/single.sig"
  expect 0 "model_signing verify key accepts it" "$ms" verify key --signature "$WORK/single.sig" --public_key "$WORK/key.pub.pem" "$file"
  cp "$WORK/single.sig" "$WORK/ours-single.sig"
  expect 0 "model_signing sign key FILE" "$ms" sign key --private_key "$WORK/key.pem" --signature "$WORK/single.sig" "$file"
  expect 0 "modelctl verify --signature accepts it" "$MODELCTL" verify "$file" --signature "$WORK/single.sig" --public-key "$WORK/key.pub.pem"
  expect 0 "modelctl's single-file statement is model_signing's" same_statement "$WORK/ours-single.sig" "$WORK/single.sig"

  # A Hugging Face style snapshot: files are symlinks into blobs/ (model_signing: --allow_symlinks).
  local snap="$WORK/hub/snapshots/abc" blobs="$WORK/hub/blobs"
  mkdir -p "$snap/sub" "$blobs"
  head -c 2000 /dev/urandom > "$blobs/1"; head -c 10 /dev/urandom > "$blobs/2"
  ln -s ../../blobs/1 "$snap/weights.bin"; ln -s ../../../blobs/2 "$snap/sub/config.json"
  expect 0 "modelctl sign a symlinked snapshot" "$MODELCTL" sign "$snap" --key "$WORK/key.pem" --output "$WORK/snap.sig"
  expect 0 "model_signing verify key --allow_symlinks accepts it" "$ms" verify key --allow_symlinks --signature "$WORK/snap.sig" --public_key "$WORK/key.pub.pem" "$snap"
  cp "$WORK/snap.sig" "$WORK/ours-snap.sig"
  expect 0 "model_signing sign key --allow_symlinks" "$ms" sign key --allow_symlinks --private_key "$WORK/key.pem" --signature "$WORK/snap.sig" "$snap"
  expect 0 "modelctl verify --signature accepts it" "$MODELCTL" verify "$snap" --signature "$WORK/snap.sig" --public-key "$WORK/key.pub.pem"
  expect 0 "modelctl's snapshot statement is model_signing's (allow_symlinks true)" same_statement "$WORK/ours-snap.sig" "$WORK/snap.sig"

  # `huggingface-cli download --local-dir` keeps .cache/huggingface/ in the tree and rewrites it:
  # modelctl leaves it out and records it in ignore_paths, which model_signing's verifier honours.
  local local_dir="$WORK/local-dir"
  fresh_tree "$local_dir"
  mkdir -p "$local_dir/.cache/huggingface/download"
  printf 'etag 1\n' > "$local_dir/.cache/huggingface/download/model.safetensors.metadata"
  expect 0 "modelctl sign a --local-dir download" "$MODELCTL" sign "$local_dir" --key "$WORK/key.pem"
  printf 'etag 2\n' > "$local_dir/.cache/huggingface/download/model.safetensors.metadata"
  expect 0 "model_signing verify key accepts it after .cache/huggingface changed" "$ms" verify key --signature "$local_dir/model.sig" --public_key "$WORK/key.pub.pem" "$local_dir"

  # The certificate method, with the test CA of fixtures/model-signing/certificate.
  echo " certificate bundles (test CA)"
  local certs=fixtures/model-signing/certificate cert_tree="$WORK/cert-tree"
  fresh_tree "$cert_tree"
  expect 0 "modelctl sign --certificate-chain" "$MODELCTL" sign "$cert_tree" --key "$certs/leaf.key" --certificate-chain "$certs/leaf-chain.pem"
  expect 0 "model_signing verify certificate accepts it" "$ms" verify certificate --signature "$cert_tree/model.sig" --certificate_chain "$certs/ca.pem" "$cert_tree"
  expect fail "model_signing verify certificate refuses another CA" "$ms" verify certificate --signature "$cert_tree/model.sig" --certificate_chain "$certs/other-ca.pem" "$cert_tree"
  expect 0 "model_signing sign certificate" "$ms" sign certificate --private_key "$certs/leaf.key" --signing_certificate "$certs/leaf.pem" --certificate_chain "$certs/ca.pem" --signature "$cert_tree/model.sig" "$cert_tree"
  expect 0 "modelctl verify --certificate-chain accepts it" "$MODELCTL" verify "$cert_tree" --signature "$cert_tree/model.sig" --certificate-chain "$certs/ca.pem"
  flip_byte "$cert_tree/model.safetensors"
  expect fail "modelctl verify --certificate-chain rejects a flipped byte" "$MODELCTL" verify "$cert_tree" --signature "$cert_tree/model.sig" --certificate-chain "$certs/ca.pem"
  # sign --ignore-paths records the path in ignore_paths: model_signing's verifier leaves it out too.
  printf 'scratch 1\n' > "$cert_tree/scratch.log"
  expect 0 "modelctl sign --certificate-chain --ignore-paths" "$MODELCTL" sign "$cert_tree" --key "$certs/leaf.key" --certificate-chain "$certs/leaf-chain.pem" --ignore-paths scratch.log
  printf 'scratch 2\n' > "$cert_tree/scratch.log"
  expect 0 "model_signing verify certificate leaves the recorded ignore path out" "$ms" verify certificate --signature "$cert_tree/model.sig" --certificate_chain "$certs/ca.pem" "$cert_tree"

  # model_signing's own signed test models, each release's key and certificate bundle, checked
  # by both tools with the arguments of model_signing's CI (scripts/tests/test-verify-*.sh).
  echo " model_signing's test models (0.2.0 to 1.1.0)"
  local up=fixtures/model-signing/upstream
  upstream_case() {  # $1 directory, $2 what is verified, $3 key|certificate, $4 an ignored path or ""
    local ms_trust=(--public_key "$up/keys/certificate/signing-key-pub.pem") ours=(--public-key "$up/keys/certificate/signing-key-pub.pem") ignore=()
    if [ "$3" = certificate ]; then
      ms_trust=(--certificate_chain "$up/keys/certificate/ca-cert.pem"); ours=(--certificate-chain "$up/keys/certificate/ca-cert.pem")
    fi
    [ -z "$4" ] || ignore=(--ignore-paths "$4")
    expect 0 "model_signing verify $3 accepts $1" "$ms" verify "$3" "${ignore[@]}" --signature "$up/$1/model.sig" "${ms_trust[@]}" "$2"
    expect 0 "modelctl verify accepts $1" "$MODELCTL" verify "$2" --signature "$up/$1/model.sig" "${ours[@]}" "${ignore[@]}"
  }
  upstream_case v0.2.0-certificate "$up/v0.2.0-certificate/" certificate ""
  upstream_case v0.3.1-certificate "$up/v0.3.1-certificate/" certificate ""
  upstream_case v0.3.1-elliptic-key "$up/v0.3.1-elliptic-key/signme-1" key ""
  upstream_case v1.0.0-certificate "$up/v1.0.0-certificate/" certificate ""
  upstream_case v1.0.0-elliptic-key "$up/v1.0.0-elliptic-key/signme-1" key ""
  upstream_case v1.0.1-certificate "$up/v1.0.1-certificate/" certificate "$up/v1.0.1-certificate/ignore-me"
  upstream_case v1.0.1-elliptic-key "$up/v1.0.1-elliptic-key" key "$up/v1.0.1-elliptic-key/ignore-me"
  upstream_case v1.1.0-certificate "$up/v1.1.0-certificate/" certificate ""
  upstream_case v1.1.0-elliptic-key "$up/v1.1.0-elliptic-key" key "$up/v1.1.0-elliptic-key/ignore-me"

  # model_signing's shards serialization, shard size 1 MiB: model.safetensors in three shards.
  echo " shards bundles (model_signing's library API, with the last P-521 key)"
  local shard_tree="$WORK/shard-tree"
  fresh_tree "$shard_tree"
  head -c 2500000 /dev/urandom > "$shard_tree/model.safetensors"
  library() {  # sign|verify KEY TREE BUNDLE: model_signing's library, shard size 1 MiB to sign;
               # verify guesses the hashing config from the bundle, as its API does by default.
    "$py" - "$@" <<'PY'
import sys
import model_signing as ms
action, key, tree, bundle = sys.argv[1:]
if action == "sign":
    hashing = ms.hashing.Config().use_shard_serialization(shard_size=1 << 20)
    ms.signing.Config().use_elliptic_key_signer(private_key=key).set_hashing_config(hashing).sign(tree, bundle)
else:
    ms.verifying.Config().use_elliptic_key_verifier(public_key=key).verify(tree, bundle)
PY
  }
  expect 0 "modelctl sign --shard-size 1M" "$MODELCTL" sign "$shard_tree" --key "$WORK/key.pem" --shard-size 1M --output "$WORK/shards-ours.sig"
  expect 0 "model_signing's library verifies modelctl's shards bundle" library verify "$WORK/key.pub.pem" "$shard_tree" "$WORK/shards-ours.sig"
  expect 0 "model_signing's library signs shards" library sign "$WORK/key.pem" "$shard_tree" "$WORK/shards-theirs.sig"
  expect 0 "modelctl verify --signature accepts model_signing's shards bundle" "$MODELCTL" verify "$shard_tree" --signature "$WORK/shards-theirs.sig" --public-key "$WORK/key.pub.pem"
  expect 0 "modelctl's shards statement is model_signing's (key order and 1048576.0 aside)" same_statement "$WORK/shards-ours.sig" "$WORK/shards-theirs.sig"
  flip_byte "$shard_tree/model.safetensors"
  expect fail "model_signing's library rejects a flipped byte under modelctl's shards bundle" library verify "$WORK/key.pub.pem" "$shard_tree" "$WORK/shards-ours.sig"
  expect 2 "modelctl verify --signature rejects it in model_signing's shards bundle (exit 2)" "$MODELCTL" verify "$shard_tree" --signature "$WORK/shards-theirs.sig" --public-key "$WORK/key.pub.pem"
  cp "$WORK/last.out" "$WORK/shards.out"
  expect 0 "... naming the file and the changed shard's bytes" grep -q "model.safetensors bytes 0-1048575 changed" "$WORK/shards.out"

  # The sigstore (keyless) method: model_signing's own keyless test model, checked offline by
  # both tools against the same public-good trusted root (model_signing takes it inside a client
  # trust config, with sigstore-python's signing config; given one, it fetches nothing).
  echo " keyless bundles (model_signing's v1.1.0-sigstore test model, offline)"
  local keyless="$WORK/keyless" trust="$WORK/trust-config.json" who=(stefanb@us.ibm.com https://sigstore.verify.ibm.com/oauth2)
  cp -R fixtures/model-signing/upstream/v1.1.0-sigstore "$keyless"
  "$py" - fixtures/sigstore/trusted_root.json "$venv"/lib/python3*/site-packages/sigstore/_store/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev/signing_config.v0.2.json >"$trust" <<'PY'
import json, sys
print(json.dumps({"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                  "trustedRoot": json.load(open(sys.argv[1])), "signingConfig": json.load(open(sys.argv[2]))}))
PY
  expect 0 "model_signing verify sigstore accepts it" "$ms" verify sigstore --trust_config "$trust" --identity "${who[0]}" --identity_provider "${who[1]}" --signature "$keyless/model.sig" "$keyless"
  expect 0 "modelctl verify --identity accepts it" "$MODELCTL" verify "$keyless" --signature "$keyless/model.sig" --identity "${who[0]}" --identity-provider "${who[1]}"
  expect fail "model_signing verify sigstore refuses another identity" "$ms" verify sigstore --trust_config "$trust" --identity mallory@example.com --identity_provider "${who[1]}" --signature "$keyless/model.sig" "$keyless"
  expect 2 "modelctl verify --identity refuses another identity" "$MODELCTL" verify "$keyless" --signature "$keyless/model.sig" --identity mallory@example.com --identity-provider "${who[1]}"
  printf 'changed\n' >"$keyless/signme-1"
  expect fail "model_signing verify sigstore rejects a changed file" "$ms" verify sigstore --trust_config "$trust" --identity "${who[0]}" --identity_provider "${who[1]}" --signature "$keyless/model.sig" "$keyless"
  expect 2 "modelctl verify --identity rejects a changed file" "$MODELCTL" verify "$keyless" --signature "$keyless/model.sig" --identity "${who[0]}" --identity-provider "${who[1]}"
}
model_signing_section
# ==================== end model_signing ====================

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
) && pass "huggingface_hub and modelctl scan agree on the HF cache fixture" || fail "huggingface_hub / modelctl scan on the HF cache fixture"
# <<< stores <<<

# >>> repair: huggingface_hub still reads the cache after scan --quarantine and after --restore >>>
# A corrupt blob of a copy of fixtures/hf-cache/hub is quarantined: huggingface_hub's
# scan_cache_dir must still read the cache, see the untouched repository whole and name exactly
# the quarantined blob as missing (what `hf download` fetches again); after --restore it must
# read the cache exactly as it reads the fixture (the lock modelctl keeps in .locks/ is ignored).
repair_section() {
    local venv=.build-interop/venv tmp status blob
    echo "repair: scan --quarantine / --restore and huggingface_hub.scan_cache_dir"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -c 'import huggingface_hub' 2>/dev/null || "$venv/bin/pip" install -q --disable-pip-version-check huggingface_hub
    tmp="$WORK/repair"
    mkdir -p "$tmp"
    cp -a fixtures/hf-cache/hub "$tmp/hub"
    blob=$(ls "$tmp"/hub/models--acme--tiny-lm/blobs/ | grep -E '^[0-9a-f]{64}$' | head -1)
    printf 'X' | dd of="$tmp/hub/models--acme--tiny-lm/blobs/$blob" bs=1 seek=0 conv=notrunc status=none
    expect 2 "modelctl scan --quarantine moves the corrupt blob (exit 2: it was corrupt)" "$MODELCTL" scan "$tmp/hub" --quarantine "$tmp/quarantine"
    expect 0 "the blob left the cache, its record is in the quarantine" sh -c '[ ! -e "$0" ] && ls "$1"/*.json >/dev/null' \
        "$tmp/hub/models--acme--tiny-lm/blobs/$blob" "$tmp/quarantine"
    expect 0 "scan_cache_dir reads the cache after the quarantine: the other repo whole, the quarantined blob missing" "$venv/bin/python" -c '
import sys
from huggingface_hub import scan_cache_dir
info = scan_cache_dir(sys.argv[1])
assert sorted(r.repo_id for r in info.repos) == ["acme/shared-weights"], info.repos
assert len(info.warnings) == 1 and sys.argv[2] in str(info.warnings[0]), info.warnings' "$tmp/hub" "$blob"
    expect 0 "modelctl scan --restore puts it back" "$MODELCTL" scan --restore "$tmp/quarantine"
    expect 0 "scan_cache_dir reads the restored cache as it reads the fixture" sh -c \
        '"$0" scripts/hf_scan_fixture.py "$1" > "$2/after.txt" && diff -u fixtures/hf-cache.scan-expected.txt "$2/after.txt"' \
        "$venv/bin/python" "$tmp/hub" "$tmp"
    # The committed --local-dir fixture is what huggingface_hub writes today (up to the download time).
    "$venv/bin/python" scripts/make_local_dir_fixture.py "$tmp/local-dir"
    expect 0 "huggingface_hub writes the committed --local-dir fixture (files, commit and etag lines)" bash -c '
        cd "$0" && a=$(find . -type f | sort) && cd "$1" && [ "$a" = "$(find . -type f | sort)" ] || exit 1
        for f in $(find . -type f); do
            case "$f" in *.metadata) cmp -s <(head -2 "$f") <(head -2 "$0/$f") || exit 1 ;; *) cmp -s "$f" "$0/$f" || exit 1 ;; esac
        done' "$tmp/local-dir" "$(pwd)/fixtures/hf-local-dir/tiny"
    expect 0 "modelctl scan finds the fresh --local-dir tree intact" "$MODELCTL" scan "$tmp/local-dir"
}
repair_section
# <<< repair <<<

# ==================== report formats (prometheus_client, junitparser, lxml, jsonschema) ====================
# verify --prometheus / --junit / --json on a fresh registry with an ok, a violated and a missing
# entry, read by the reference parsers: prometheus_client's text parser, junitparser, lxml's XSD
# check against the JUnit schema of the tests, and jsonschema against docs/modelctl-output.schema.json.
# The venv is .build-test/venv, which the Swift tests use too when it exists.
formats_section() {
  local venv py d xsd
  venv="$(pwd)/.build-test/venv"
  echo "report formats"
  if ! "$venv/bin/python" -c "import prometheus_client, junitparser, lxml, jsonschema" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q prometheus_client junitparser lxml jsonschema pyyaml
  fi
  py="$venv/bin/python"
  d="$WORK/formats"
  mkdir -p "$d/models/ok" "$d/models/bad" "$d/registry" "$d/out"
  head -c 70000 /dev/urandom > "$d/models/ok/w.bin"
  printf 'one' > "$d/models/bad/a.txt"
  cat > "$d/registry/model_registry.curated.json" <<EOF
[
  {"name": "ok", "backend": "vllm", "backend_config": {"model_path": "$d/models/ok"}},
  {"name": "bad \"quoted\\\\", "backend": "vllm", "backend_config": {"model_path": "$d/models/bad"}},
  {"name": "gone", "backend": "vllm", "backend_config": {"model_path": "$d/models/none"}}
]
EOF
  expect 0 "lock and baseline an entry" sh -c '"$0" --registry-dir "$1" lock "$2" && "$0" --registry-dir "$1" verify "$2"' \
    "$MODELCTL" "$d/registry" 'bad "quoted\'
  printf 'two' > "$d/models/bad/a.txt"
  expect 2 "verify --all with a violation exits 2 and writes both reports" \
    "$MODELCTL" --registry-dir "$d/registry" verify --all --prometheus "$d/out/modelctl.prom" --junit "$d/out/junit.xml"
  expect 0 "prometheus_client parses the textfile (HELP, TYPE, escaped labels, 0/1/2)" "$py" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
status = {}
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    assert family.documentation and family.type == "gauge", family
    if family.name == "modelctl_verify_status":
        status = {s.labels["model"]: s.value for s in family.samples}
assert status == {"ok": 0.0, "bad \"quoted\\": 2.0, "gone": 1.0}, status' "$d/out/modelctl.prom"
  expect 0 "junitparser reads one case per entry (passed, failure naming the file, error)" "$py" -c '
import sys
from junitparser import JUnitXml, Failure
cases = [c for suite in JUnitXml.fromfile(sys.argv[1]) for c in suite]
kinds = {c.name: [type(r).__name__ for r in c.result] for c in cases}
assert kinds == {"ok": [], "bad \"quoted\\": ["Failure"], "gone": ["Error"]}, kinds
failure = [r for c in cases for r in c.result if isinstance(r, Failure)][0]
assert "changed a.txt" in failure.text, failure.text' "$d/out/junit.xml"
  xsd="$WORK/junit.xsd"
  sed -n '/static let junitXSD = """/,/^        """/p' Tests/EndToEndTests/FormatCheckers.swift | sed '1d;$d' | sed 's/^        //' > "$xsd"
  expect 0 "lxml validates the JUnit file against the JUnit XSD" "$py" -c '
import sys
from lxml import etree
schema = etree.XMLSchema(etree.parse(sys.argv[1]))
if not schema.validate(etree.parse(sys.argv[2])): raise SystemExit(str(schema.error_log))' "$xsd" "$d/out/junit.xml"
  "$MODELCTL" --registry-dir "$d/registry" verify --all --json > "$d/out/verify.json" 2>/dev/null || true
  "$MODELCTL" --registry-dir "$d/registry" list --json > "$d/out/list.json"
  "$MODELCTL" --registry-dir "$d/registry" metrics nope --json > "$d/out/error.json" 2>/dev/null || true
  expect 0 "jsonschema accepts verify, list and error JSON (docs/modelctl-output.schema.json)" "$py" -c '
import sys, json, jsonschema
schema = json.load(open(sys.argv[1]))
def check(file, name, array):
    ref = {"$ref": "#/$defs/" + name}
    sub = {"type": "array", "items": ref} if array else ref
    sub["$defs"] = schema["$defs"]
    jsonschema.validate(json.load(open(sys.argv[2] + "/" + file)), sub, cls=jsonschema.Draft202012Validator)
check("verify.json", "verify_entry", True)
check("list.json", "list_entry", True)
check("error.json", "error", False)' docs/modelctl-output.schema.json "$d/out"
}
formats_section
# ==================== end report formats ====================

# ==================== Prometheus, Alertmanager, node_exporter (the fleet) ====================
# The shipped alert rules pass promtool's check and their unit tests, and the fleet demo sees
# them fire and resolve on the real stack (scripts/fleet-demo.sh; make fleet-deps installs it).
fleet_section() {
  echo "prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}'), alertmanager, node_exporter"
  expect 0 "promtool check rules configs/examples/prometheus-rules.yml" promtool check rules configs/examples/prometheus-rules.yml
  expect 0 "promtool test rules: every alert fires on modelctl's series, none on a clean, rebooted or shrunk host" \
    promtool test rules configs/examples/prometheus-rules.test.yml
  if bash scripts/fleet-demo.sh "$MODELCTL" > "$WORK/fleet-demo.out" 2>&1; then
    pass "fleet demo: a tampered model and a broken registry fire exactly their alerts, reach the webhook and resolve"
    sed -n '/^fleet-demo: timeline/,$p' "$WORK/fleet-demo.out" | sed 's/^/        /'
  else
    fail "fleet demo"; sed 's/^/        /' "$WORK/fleet-demo.out" | tail -30
  fi
}
fleet_section
# ==================== end the fleet ====================

if [ "$failures" -gt 0 ]; then echo "interop: $failures checks failed"; exit 1; fi
echo "interop: all checks passed"
