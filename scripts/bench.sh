#!/usr/bin/env bash
# Benchmark modelctl's hashing against common SHA-256 tools.
#
# usage: scripts/bench.sh BIN        (normally via `make bench`)
#
#   BIN                path to the (release-built) modelctl binary
#
# Environment:
#   BENCH_RUNS=N       timed runs per measurement, median reported (default 5)
#   BENCH_REGISTRY=1   force the verify/lock section even if `BIN verify --help`
#                      does not exit 0
#   BENCH_NO_INSTALL=1 never try to apt-get install missing peers
#   BENCH_STRICT=1     exit 1 if any target FAILs (default: report only)
#   BENCH_MILLION=1    also hash a tree of 1,000,000 files (peak RSS < 200 MiB;
#                      generating it takes a minute or two and ~4 GiB of inodes)
#   BENCH_DATA=DIR     where data sets live (default <repo>/.build-bench/data)
#   BENCH_ONLY="a s"   run only these sections: a b c k (hash sets), reg (verify/lock of
#                      a/ and ImageWorks), r (verify --all of r/ and of four a/ entries),
#                      s (verify of b/ locked with shard digests) (default: all)
#
# Data is generated once into <repo>/.build-bench/data/ (git-ignored) and
# reused on later runs; a per-set marker file is written last, so an
# interrupted generation is redone. Delete .build-bench/ to reclaim ~2.1 GiB.
#
# Data sets:
#   a/  4 files x 256 MiB random          target: >= 1.9x openssl dgst, RSS <= 48 MiB
#   b/  1 file  x 1 GiB random            target: >= 1.0x openssl dgst, RSS <= 48 MiB
#   c/  20,000 files x 4 KiB (20 x 1000)  target: >= 1.5x rhash
#   k/  200,000 files x 1 KiB (200 x 1000)  target: >= 1.3x rhash
#   r/  a registry of 1,000 entries of ~220 KB each
#   m/  1,000,000 files x 64 B (1000 x 1000), only with BENCH_MILLION=1
# Plus verify of b/ locked with 64 MiB shard digests vs openssl dgst of it
# (>= 1.7x on two cores, RSS <= 48 MiB), and (when available) verify of a/ vs hash of a/ (<= 1.05x), lock of an
# ImageWorks registry entry (< 50 ms), verify --all of r/ vs hash of its
# models (<= 1.5x), verify --all of four 256 MiB entries vs hash of a/
# (<= 1.05x), verify --quick vs a full verify of a/ (<= 5%), and peak RSS
# of hashing m/ (< 200 MiB).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
TIMER=("python3" "$SCRIPT_DIR/bench_time.py")
GEN=("python3" "$SCRIPT_DIR/bench_gen.py")

die() { echo "bench: error: $*" >&2; exit 2; }
note() { echo "bench: $*" >&2; }

[[ $# -eq 1 ]] || die "usage: $0 BIN   (BIN = path to the modelctl binary)"
BIN=$1
if [[ $BIN != */* ]]; then
    BIN=$(command -v -- "$BIN") || die "modelctl binary not found: $1"
fi
[[ -f $BIN && -x $BIN ]] || die "modelctl binary not found or not executable: $BIN (build it first, e.g. swift build -c release)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

RUNS=${BENCH_RUNS:-5}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer (got '$RUNS')"

command -v python3 >/dev/null || die "python3 is required"
command -v openssl >/dev/null || die "openssl is required"

BENCH_ROOT=$REPO/.build-bench
DATA=${BENCH_DATA:-$BENCH_ROOT/data}
MIB=1048576

TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/modelctl-bench.XXXXXX")
trap 'rm -rf "$TMPROOT"' EXIT

# ---------------------------------------------------------------- helpers --

# fcmp A OP B: float comparison via awk, e.g. `fcmp "$x" '>=' 1.9`
fcmp() { awk -v a="$1" -v b="$3" "BEGIN { exit !(a $2 b) }"; }
# first_line FILE: first non-blank line, trimmed (for short error messages)
first_line() { grep -m1 -v '^[[:space:]]*$' "$1" 2>/dev/null | sed 's/^[[:space:]]*//' | cut -c1-100 || true; }
# fdiv A B [FMT]
fdiv() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b == 0) print "inf"; else printf f, a / b }'; }

# ------------------------------------------------------------------ peers --

ensure_peers() {
    local -a missing=()
    command -v rhash >/dev/null || missing+=(rhash)
    command -v sha256deep >/dev/null || missing+=(hashdeep)
    [[ -x /usr/bin/time ]] || missing+=(time)
    ((${#missing[@]})) || return 0
    if [[ ${BENCH_NO_INSTALL:-0} == 1 || $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
        note "missing optional tools (${missing[*]}); not installing (need root + apt-get); they will be skipped"
        return 0
    fi
    note "installing missing peers: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
        { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; } ||
            note "apt-get install ${missing[*]} failed; those peers will be skipped"
    fi
}

# ------------------------------------------------------------------- data --

# gen_random FILE BYTES: fast pseudo-random bytes (AES-128-CTR keystream under a
# fresh random key; ~0.5 GB/s here vs ~0.13 GB/s for /dev/urandom).
gen_random() {
    local key iv
    key=$(openssl rand -hex 16)
    iv=$(openssl rand -hex 16)
    head -c "$2" /dev/zero | openssl enc -aes-128-ctr -nosalt -K "$key" -iv "$iv" >"$1"
}

gen_a() {
    local -a pids=()
    local i pid rc=0
    for i in 0 1 2 3; do
        gen_random "$1/shard-0000$i.safetensors" $((256 * MIB)) &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
    return $rc
}
gen_b() { gen_random "$1/model.bin" $((1024 * MIB)); }
gen_c() { "${GEN[@]}" small "$1" 20 1000 4096; }
gen_k() { "${GEN[@]}" small "$1" 200 1000 1024; }
gen_m() { "${GEN[@]}" small "$1" 1000 1000 64; }
gen_r() { "${GEN[@]}" registry "$1" "$TMPROOT/r-registry" 1000; }

# set_stats DIR -> "FILES BYTES"
set_stats() { find "$1" -type f -printf '%s\n' | awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }'; }

# ensure_set NAME FILES BYTES: reuse DATA/NAME if its marker is present and the
# file count / total size match, otherwise (re)generate it.
ensure_set() {
    local name=$1 files=$2 bytes=$3
    local dir=$DATA/$name marker=$DATA/.$name.complete spec="v1 $2 $3"
    if [[ -f $marker && $(<"$marker") == "$spec" && -d $dir ]] &&
        [[ $(set_stats "$dir") == "$files $bytes" ]]; then
        return 0
    fi
    note "generating data set $name ($files files, $bytes bytes) in $dir ..."
    local t0=$SECONDS
    rm -rf -- "$dir" "$marker"
    mkdir -p -- "$dir"
    "gen_$name" "$dir"
    [[ $(set_stats "$dir") == "$files $bytes" ]] || die "generated data set $name is incomplete"
    sync
    echo "$spec" >"$marker.tmp"
    mv -f -- "$marker.tmp" "$marker"
    note "  done in $((SECONDS - t0))s"
}

# -------------------------------------------------------------- measuring --

declare -A MED=() MIN=()   # key "set:tool" -> seconds
declare -A STATUS=()       # key "set:tool" -> ok | "not installed" | "FAILED ..."
declare -a SUMMARY=()      # lines "PASS|FAIL|N/A  text"
ANY_FAIL=0

# measure KEY CMD...  -> fills MED/MIN/STATUS
measure() {
    local key=$1; shift
    local out med min err=$TMPROOT/err
    if out=$("${TIMER[@]}" time "$RUNS" "$@" 2>"$err"); then
        read -r med min _ <<<"$out"
        MED[$key]=$med
        MIN[$key]=$min
        STATUS[$key]=ok
    else
        STATUS[$key]="FAILED ($(tail -n 1 "$err" | cut -c1-100))"
    fi
}

# measure_pair BASE OTHER CMD_BASE... -- CMD_OTHER...: both commands, alternately, RUNS
# times each; MED/MIN of both keys, and PAIRED[OTHER/BASE] = median of the per-round
# ratios OTHER/BASE. Ratio targets use it when it is there: on a noisy host a burst of load
# then lands on both sides of a round instead of on one side's runs only.
declare -A PAIRED=()
measure_pair() {
    local base=$1 other=$2; shift 2
    local out mb nb mo no r err=$TMPROOT/err
    if out=$("${TIMER[@]}" pair "$RUNS" "$@" 2>"$err"); then
        read -r mb nb mo no r <<<"$out"
        MED[$base]=$mb MIN[$base]=$nb MED[$other]=$mo MIN[$other]=$no
        STATUS[$base]=ok STATUS[$other]=ok
        PAIRED[$other/$base]=$r
    else
        STATUS[$base]="FAILED ($(tail -n 1 "$err" | cut -c1-100))"
        STATUS[$other]=${STATUS[$base]}
    fi
}

# paired_peer SET PEER: modelctl and PEER alternately on SET's data, for its ratio target.
paired_peer() {
    local set=$1 peer=$2 path=${SET_PATH[$1]}
    local -a mine theirs
    tool_cmd modelctl "$path" || return 0
    mine=("${CMD[@]}")
    tool_cmd "$peer" "$path" || return 0
    theirs=("${CMD[@]}")
    [[ ${STATUS[$set:modelctl]:-} == ok && ${STATUS[$set:$peer]:-} == ok ]] || return 0
    measure_pair "$set:modelctl" "$set:$peer" "${mine[@]}" -- "${theirs[@]}"
    if [[ ${STATUS[$set:modelctl]} == ok ]]; then
        printf '  alternating runs: modelctl median %.4f s, %s median %.4f s, median ratio %.3fx\n' \
            "${MED[$set:modelctl]}" "$peer" "${MED[$set:$peer]}" "${PAIRED[$set:$peer/$set:modelctl]}"
    fi
}
declare -A SET_PATH=()

# peak_rss_kib CMD... -> prints KiB or nothing on failure
peak_rss_kib() {
    local f=$TMPROOT/rss
    if [[ -x /usr/bin/time ]] && /usr/bin/time -f %M -o "$f" true 2>/dev/null; then
        if /usr/bin/time -f %M -o "$f" "$@" >/dev/null 2>&1; then
            tail -n 1 "$f"
        fi
    else
        "${TIMER[@]}" rss "$@" 2>/dev/null || true
    fi
}

target() { # target PASS|FAIL|N/A TEXT
    SUMMARY+=("$(printf '%-4s  %s' "$1" "$2")")
    [[ $1 != FAIL ]] || ANY_FAIL=1
    printf '  target: %-70s %s\n' "$2" "$1"
}

# ratio_target SET PEER MIN_RATIO LABEL
ratio_target() {
    local set=$1 peer=$2 want=$3 label=$4 r
    local mk=$set:modelctl pk=$set:$peer
    if [[ ${STATUS[$mk]} != ok ]]; then
        target FAIL "($set) $label: modelctl >= ${want}x $peer  [modelctl failed]"
    elif [[ ${STATUS[$pk]} != ok ]]; then
        target N/A "($set) $label: modelctl >= ${want}x $peer  [$peer ${STATUS[$pk]}]"
    else
        r=${PAIRED[$pk/$mk]:-$(fdiv "${MED[$pk]}" "${MED[$mk]}")}
        r=$(awk -v r="$r" 'BEGIN{printf "%.2f", r}')
        if fcmp "$r" '>=' "$want"; then
            target PASS "($set) $label: modelctl >= ${want}x $peer  [${r}x]"
        else
            target FAIL "($set) $label: modelctl >= ${want}x $peer  [${r}x]"
        fi
    fi
}

TOOLS=(modelctl "openssl dgst" sha256sum rhash sha256deep)

tool_cmd() { # tool_cmd TOOL PATH -> sets CMD array; returns 1 if not installed
    local tool=$1 path=$2
    case $tool in
        modelctl) CMD=("$BIN" hash "$path" --aggregate-only) ;;
        "openssl dgst")
            CMD=(bash -c 'set -o pipefail; find "$1" -type f -print0 | xargs -0 openssl dgst -sha256 >/dev/null' _ "$path") ;;
        sha256sum)
            command -v sha256sum >/dev/null || return 1
            CMD=(bash -c 'set -o pipefail; find "$1" -type f -print0 | xargs -0 sha256sum >/dev/null' _ "$path") ;;
        rhash)
            command -v rhash >/dev/null || return 1
            CMD=(rhash --sha256 -r "$path") ;;
        sha256deep)
            command -v sha256deep >/dev/null || return 1
            CMD=(sha256deep -r "$path") ;;
    esac
}

# bench_set SET PATH DESCRIPTION
bench_set() {
    local set=$1 path=$2 desc=$3 files bytes tool key
    SET_PATH[$set]=$path
    read -r files bytes < <(set_stats "$path")
    echo
    echo "== ($set) $desc -- $files files, $(awk -v b="$bytes" 'BEGIN{printf "%.3f", b/1e9}') GB"
    echo "   $path"
    printf '  %-4s %-13s %10s %10s %8s %15s\n' set tool median_s min_s GB/s peer/modelctl
    for tool in "${TOOLS[@]}"; do
        key=$set:$tool
        if tool_cmd "$tool" "$path"; then
            measure "$key" "${CMD[@]}"
        else
            STATUS[$key]="not installed"
        fi
        if [[ ${STATUS[$key]} == ok ]]; then
            local gbs ratio=-
            gbs=$(fdiv "$bytes" "$(awk -v m="${MED[$key]}" 'BEGIN{print m*1e9}')")
            if [[ $tool != modelctl ]]; then
                if [[ ${STATUS[$set:modelctl]} == ok ]]; then
                    ratio=$(fdiv "${MED[$key]}" "${MED[$set:modelctl]}")x
                else
                    ratio=n/a
                fi
            fi
            printf '  %-4s %-13s %10.4f %10.4f %8s %15s\n' "$set" "$tool" "${MED[$key]}" "${MIN[$key]}" "$gbs" "$ratio"
        else
            printf '  %-4s %-13s %s\n' "$set" "$tool" "${STATUS[$key]}"
        fi
    done

    # Peak RSS of one more modelctl run.
    local kib
    kib=$(peak_rss_kib "$BIN" hash "$path" --aggregate-only)
    if [[ -n $kib ]]; then
        RSS_MIB[$set]=$(awk -v k="$kib" 'BEGIN{printf "%.1f", k/1024}')
        echo "  modelctl peak RSS: ${RSS_MIB[$set]} MiB"
    else
        RSS_MIB[$set]=
        echo "  modelctl peak RSS: unavailable (run failed)"
    fi
}
declare -A RSS_MIB=()

rss_target() { # rss_target SET
    local set=$1
    if [[ -z ${RSS_MIB[$set]} ]]; then
        target FAIL "($set) modelctl peak RSS <= 48 MiB  [unavailable]"
    elif fcmp "${RSS_MIB[$set]}" '<=' 48; then
        target PASS "($set) modelctl peak RSS <= 48 MiB  [${RSS_MIB[$set]} MiB]"
    else
        target FAIL "($set) modelctl peak RSS <= 48 MiB  [${RSS_MIB[$set]} MiB]"
    fi
}

# ------------------------------------------------------ registry commands --

bench_registry() {
    echo
    echo "== registry commands (verify / lock)"
    local reg=$TMPROOT/registry err=$TMPROOT/err
    mkdir -p "$reg"
    python3 - "$reg/model_registry.curated.json" "$DATA/a" <<'EOF'
import json, sys
entry = {"name": "bench-a", "backend": "vllm",
         "backend_config": {"port": 24001, "model_path": sys.argv[2]}}
with open(sys.argv[1], "w") as f:
    json.dump([entry], f, indent=2)
    f.write("\n")
EOF
    local vcmd=("$BIN" verify bench-a --registry-dir "$reg")
    local verify_ok=0
    if "${vcmd[@]}" >/dev/null 2>"$err"; then
        verify_ok=1
    elif "$BIN" lock bench-a --registry-dir "$reg" --set-expected >/dev/null 2>&1 &&
        "${vcmd[@]}" >/dev/null 2>"$err"; then
        # verify needed a recorded expected hash; lock --set-expected provided it.
        echo "  (verify needed an expected hash: recorded one with 'lock bench-a --set-expected')"
        verify_ok=1
    fi
    if ((verify_ok)); then
        measure_pair "reg:hash-a" "reg:verify-a" "$BIN" hash "$DATA/a" --aggregate-only -- "${vcmd[@]}"
        local k
        for k in hash-a verify-a; do
            if [[ ${STATUS[reg:$k]} == ok ]]; then
                printf '  %-28s median %8.4f s  min %8.4f s\n' "$k" "${MED[reg:$k]}" "${MIN[reg:$k]}"
            else
                printf '  %-28s %s\n' "$k" "${STATUS[reg:$k]}"
            fi
        done
        ratio_max reg:verify-a reg:hash-a 1.05 "(a) verify time / hash time"
    else
        echo "  skipped: verify not available ($(first_line "$err"))"
        target N/A "(a) verify time <= 1.05x hash time  [verify not available]"
    fi

    local src=$REPO/../shared/interop/imageworks entry='florence-2-large_(FP16)'
    if [[ ! -d $src ]]; then
        echo "  skipped: lock (no ImageWorks registry at $src)"
        target N/A "lock '$entry' median < 50 ms  [no registry]"
        return 0
    fi
    local reg2=$TMPROOT/imageworks
    cp -r -- "$src" "$reg2"
    local lcmd=("$BIN" lock "$entry" --registry-dir "$reg2")
    if "${lcmd[@]}" >/dev/null 2>"$err"; then
        measure "reg:lock" "${lcmd[@]}"
        if [[ ${STATUS[reg:lock]} == ok ]]; then
            local ms
            ms=$(awk -v s="${MED[reg:lock]}" 'BEGIN{printf "%.1f", s*1000}')
            printf '  %-28s median %8.1f ms min %8.1f ms\n' "lock $entry" "$ms" \
                "$(awk -v s="${MIN[reg:lock]}" 'BEGIN{printf "%.1f", s*1000}')"
            if fcmp "$ms" '<' 50; then
                target PASS "lock '$entry' median < 50 ms  [$ms ms]"
            else
                target FAIL "lock '$entry' median < 50 ms  [$ms ms]"
            fi
        else
            echo "  lock: ${STATUS[reg:lock]}"
            target FAIL "lock '$entry' median < 50 ms  [run failed]"
        fi
    else
        echo "  skipped: lock not available ($(first_line "$err"))"
        target N/A "lock '$entry' median < 50 ms  [lock not available]"
    fi
}

# ---------------------------------------------------------- scale (issue 11) --

# ratio_max KEY_A KEY_B MAX LABEL: target A/B <= MAX (medians)
ratio_max() {
    local a=$1 b=$2 want=$3 label=$4 r
    if [[ ${STATUS[$a]:-} != ok || ${STATUS[$b]:-} != ok ]]; then
        target FAIL "$label <= ${want}x  [a run failed: ${STATUS[$a]:-} / ${STATUS[$b]:-}]"
        return
    fi
    r=$(awk -v r="${PAIRED[$a/$b]:-$(fdiv "${MED[$a]}" "${MED[$b]}" %.6f)}" 'BEGIN{printf "%.3f", r}')
    if fcmp "$r" '<=' "$want"; then target PASS "$label <= ${want}x  [${r}x]"; else target FAIL "$label <= ${want}x  [${r}x]"; fi
}

# show KEY LABEL: one timing line
show() {
    if [[ ${STATUS[$1]:-} == ok ]]; then
        printf '  %-44s median %8.4f s  min %8.4f s\n' "$2" "${MED[$1]}" "${MIN[$1]}"
    else
        printf '  %-44s %s\n' "$2" "${STATUS[$1]:-not run}"
    fi
}

bench_scale() {
    local state=$TMPROOT/state err=$TMPROOT/err
    # These commands take a fraction of a second each: three times the rounds (at least 15)
    # cost seconds and steady the medians their ratios are judged by.
    local RUNS=$(( RUNS * 3 < 15 ? 15 : RUNS * 3 ))
    export MODELCTL_STATE_DIR=$state

    echo
    echo "== (r) verify --all of 1,000 entries (~220 KB each) vs hash of the same directory"
    local reg=$TMPROOT/reg-r
    mkdir -p "$reg"
    python3 - "$reg/model_registry.curated.json" "$DATA/r" <<'PYEOF'
import json, os, sys
root = sys.argv[2]
entries = [{"name": "bench-" + name, "backend": "vllm", "backend_config": {"port": 24001, "model_path": os.path.join(root, name)}}
           for name in sorted(os.listdir(root))]
with open(sys.argv[1], "w") as f:
    json.dump(entries, f, indent=2)
PYEOF
    if "$BIN" lock --all --set-expected --registry-dir "$reg" >/dev/null 2>"$err"; then
        measure_pair "r:hash" "r:verify" "$BIN" hash "$DATA/r" --aggregate-only -- "$BIN" verify --all --registry-dir "$reg"
        measure "r:verify-quick" "$BIN" verify --all --quick --registry-dir "$reg"
        show r:hash "hash models/ (1,000 x 3 files)"
        show r:verify "verify --all (1,000 locked entries)"
        show r:verify-quick "verify --all --quick"
        ratio_max r:verify r:hash 1.5 "(r) verify --all / hash"
    else
        echo "  lock --all failed: $(first_line "$err")"
        target FAIL "(r) verify --all / hash <= 1.5x  [lock failed]"
    fi

    echo
    echo "== (a) verify --all of four 256 MiB entries vs hash; quick vs full verify of a locked 4 x 256 MiB model"
    local reg4=$TMPROOT/reg-a4
    mkdir -p "$reg4"
    python3 - "$reg4/model_registry.curated.json" "$DATA/a" <<'PYEOF'
import json, os, sys
root = sys.argv[2]
entries = [{"name": "shard-%d" % i, "backend": "vllm",
            "backend_config": {"port": 24001, "model_path": os.path.join(root, "shard-0000%d.safetensors" % i)}}
           for i in range(4)]
entries.append({"name": "bench-a", "backend": "vllm", "backend_config": {"port": 24001, "model_path": root}})
with open(sys.argv[1], "w") as f:
    json.dump(entries, f, indent=2)
PYEOF
    if "$BIN" lock --all --set-expected --registry-dir "$reg4" >/dev/null 2>"$err" &&
        "$BIN" verify bench-a --registry-dir "$reg4" >/dev/null 2>"$err"; then
        # Four entries only: bench-a would double the bytes.
        python3 - "$reg4" <<'PYEOF'
import json, sys
for name in ("model_registry.curated.json",):
    path = sys.argv[1] + "/" + name
    entries = json.load(open(path))
    json.dump([e for e in entries if e["name"] != "bench-a"], open(sys.argv[1] + "/shards.json", "w"))
PYEOF
        local reg4s=$TMPROOT/reg-a4s
        mkdir -p "$reg4s"
        cp -- "$reg4/shards.json" "$reg4s/model_registry.curated.json"
        "$BIN" lock --all --set-expected --registry-dir "$reg4s" >/dev/null 2>&1 || true
        measure_pair "a4:hash" "a4:verify" "$BIN" hash "$DATA/a" --aggregate-only -- "$BIN" verify --all --registry-dir "$reg4s"
        measure_pair "a4:full" "a4:quick" "$BIN" verify bench-a --registry-dir "$reg4" -- "$BIN" verify bench-a --quick --registry-dir "$reg4"
        show a4:hash "hash a/ (4 x 256 MiB)"
        show a4:verify "verify --all (4 entries x 256 MiB)"
        show a4:full "verify bench-a (full)"
        show a4:quick "verify bench-a --quick"
        ratio_max a4:verify a4:hash 1.05 "(a) verify --all of 4 entries / hash"
        ratio_max a4:quick a4:full 0.05 "(a) verify --quick / full verify"
    else
        echo "  lock/verify failed: $(first_line "$err")"
        target FAIL "(a) verify --all of 4 entries / hash <= 1.05x  [lock failed]"
        target FAIL "(a) verify --quick / full verify <= 0.05x  [lock failed]"
    fi

    if [[ ${BENCH_MILLION:-0} == 1 ]]; then
        ensure_set m 1000000 $((1000000 * 64))
        echo
        echo "== (m) 1,000,000 files x 64 B: hash time and peak RSS"
        local kib t0 t1
        t0=$(date +%s.%N)
        kib=$(peak_rss_kib "$BIN" hash "$DATA/m" --aggregate-only)
        t1=$(date +%s.%N)
        if [[ -n $kib ]]; then
            local mib
            mib=$(awk -v k="$kib" 'BEGIN{printf "%.1f", k/1024}')
            printf '  modelctl hash: %.1f s, peak RSS %s MiB (%s bytes/file)\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$mib" \
                "$(awk -v k="$kib" 'BEGIN{printf "%.0f", k*1024/1000000}')"
            if fcmp "$mib" '<' 200; then target PASS "(m) peak RSS < 200 MiB  [$mib MiB]"; else target FAIL "(m) peak RSS < 200 MiB  [$mib MiB]"; fi
        else
            target FAIL "(m) peak RSS < 200 MiB  [run failed]"
        fi
    else
        echo
        echo "== (m) 1,000,000 files: skipped (set BENCH_MILLION=1)"
        target N/A "(m) peak RSS < 200 MiB  [BENCH_MILLION=1 not set]"
    fi
    unset MODELCTL_STATE_DIR
}

# ------------------------------------------------------- sharded (issue 26) --

# bench_sharded: a single 1 GiB file locked with 64 MiB shard digests, verified (its shards
# read in parallel) against `openssl dgst -sha256` of the same file, alternately.
bench_sharded() {
    local reg=$TMPROOT/reg-s err=$TMPROOT/err file=$DATA/b/model.bin
    echo
    echo "== (s) verify of a single 1 GiB file locked with 64 MiB shard digests vs openssl dgst"
    mkdir -p "$reg"
    python3 - "$reg/model_registry.curated.json" "$DATA/b" <<'PYEOF'
import json, sys
json.dump([{"name": "bench-s", "backend": "vllm", "backend_config": {"port": 24001, "model_path": sys.argv[2]}}],
          open(sys.argv[1], "w"), indent=2)
PYEOF
    if ! "$BIN" lock bench-s --set-expected --shard-size 64M --registry-dir "$reg" >/dev/null 2>"$err" ||
        ! grep -q '"shards"' "$reg/model_registry.discovered.json"; then
        echo "  lock --shard-size failed: $(first_line "$err")"
        target FAIL "(s) sharded verify: modelctl >= 1.7x openssl dgst  [lock failed]"
        return 0
    fi
    measure_pair "s:modelctl" "s:openssl dgst" "$BIN" verify bench-s --registry-dir "$reg" -- openssl dgst -sha256 "$file"
    show "s:modelctl" "verify bench-s (16 shards of 64 MiB)"
    show "s:openssl dgst" "openssl dgst -sha256 model.bin"
    ratio_target s "openssl dgst" 1.7 "sharded verify"
    local kib
    kib=$(peak_rss_kib "$BIN" verify bench-s --registry-dir "$reg")
    RSS_MIB[s]=${kib:+$(awk -v k="$kib" 'BEGIN{printf "%.1f", k/1024}')}
    echo "  modelctl peak RSS: ${RSS_MIB[s]:-unavailable} MiB"
    rss_target s
}

# ------------------------------------------------------------------- main --

# wanted SECTION: whether BENCH_ONLY (empty: every section) names it.
wanted() { [[ -z ${BENCH_ONLY:-} || " $BENCH_ONLY " == *" $1 "* ]]; }

ensure_peers
mkdir -p "$DATA"
# The registry sections use a/, the sharded one b/.
sets=()
for set in a b c k r; do
    if wanted "$set" || { [[ $set == a ]] && { wanted reg || wanted r; }; } || { [[ $set == b ]] && wanted s; }; then sets+=("$set"); fi
done
for set in "${sets[@]}"; do
    case $set in
    a) ensure_set a 4 $((4 * 256 * MIB)) ;;
    b) ensure_set b 1 $((1024 * MIB)) ;;
    c) ensure_set c 20000 $((20000 * 4096)) ;;
    k) ensure_set k 200000 $((200000 * 1024)) ;;
    r) ensure_set r 3000 $((1000 * 220 * 1024)) ;;
    esac
done

note "warming page cache ..."
for set in "${sets[@]}"; do find "$DATA/$set" -type f -print0; done | xargs -0 cat >/dev/null

echo "modelctl benchmark  ($(date -u '+%Y-%m-%d %H:%M:%SZ'))"
echo "  machine : $(nproc) CPUs, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'),"\
     "$(awk '/^MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
echo "  openssl : $(openssl version)"
echo "  peers   : $(for t in sha256sum rhash sha256deep; do
                      if command -v $t >/dev/null; then printf '%s ' "$t"; else printf '%s(not installed) ' "$t"; fi
                    done)"
echo "  binary  : $BIN"
echo "  runs    : $RUNS per measurement (median reported; GB/s = bytes / median / 1e9);"
echo "            ratio targets use the median of per-round ratios of alternating runs"
echo "  data    : $DATA"

if wanted a; then
    bench_set a "$DATA/a" "4 x 256 MiB"
    paired_peer a "openssl dgst"
    ratio_target a "openssl dgst" 1.9 "throughput"
    rss_target a
fi

if wanted b; then
    bench_set b "$DATA/b/model.bin" "1 x 1 GiB (single file)"
    ratio_target b "openssl dgst" 1.0 "throughput"
    rss_target b
fi

if wanted s; then bench_sharded; fi

if wanted c; then
    bench_set c "$DATA/c" "20,000 x 4 KiB"
    paired_peer c "rhash"
    ratio_target c rhash 1.5 "throughput"
fi

if wanted k; then
    bench_set k "$DATA/k" "200,000 x 1 KiB"
    paired_peer k "rhash"
    ratio_target k rhash 1.3 "throughput"
fi

if ! wanted reg; then
    :
elif [[ ${BENCH_REGISTRY:-0} == 1 ]] || timeout 30 "$BIN" verify --help >/dev/null 2>&1; then
    bench_registry
else
    echo
    echo "== registry commands (verify / lock)"
    echo "  skipped: verify not available ('$BIN verify --help' failed; set BENCH_REGISTRY=1 to force)"
    target N/A "(a) verify time <= 1.05x hash time  [verify not available]"
    target N/A "lock 'florence-2-large_(FP16)' median < 50 ms  [verify not available]"
fi

if wanted r; then bench_scale; fi

echo
echo "== summary"
printf '  %s\n' "${SUMMARY[@]}"

if [[ ${BENCH_STRICT:-0} == 1 && $ANY_FAIL == 1 ]]; then
    exit 1
fi
exit 0
