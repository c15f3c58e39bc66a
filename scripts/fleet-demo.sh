#!/usr/bin/env bash
# make fleet-demo: a fleet of three simulated inference hosts watched by the real stack, on
# loopback only, with the alert rules modelctl ships.
#   bash scripts/fleet-demo.sh [MODELCTL]   (default .build/release/modelctl)
#
# Each host has a registry, two locked models, a Hugging Face cache and a textfile directory; a
# loop stands in for its systemd timer (`verify --all --prometheus`, `scan --prometheus`, every
# PERIOD seconds) and one node_exporter serves the directory with only the textfile collector.
# One Prometheus scrapes the three and evaluates configs/examples/prometheus-rules.yml; one
# Alertmanager routes critical and warning alerts to two paths of a small webhook receiver.
# Then: a model is tampered with on host-a and the registry broken on host-b; the script waits
# until Prometheus fires exactly those two alerts and the webhook got them, repairs both
# (`lock --update --reason`, the registry restored), waits until both resolve, and prints a
# timeline. Every wait is bounded (WAIT seconds); everything started is stopped on exit.
# Needs prometheus, prometheus-node-exporter, prometheus-alertmanager (make fleet-deps) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
MODELCTL="$(cd "$(dirname "${1:-.build/release/modelctl}")" && pwd)/$(basename "${1:-.build/release/modelctl}")"
[ -x "$MODELCTL" ] || { echo "fleet-demo: no modelctl at $MODELCTL (make build)" >&2; exit 1; }
for tool in prometheus prometheus-node-exporter prometheus-alertmanager python3; do
  command -v "$tool" >/dev/null || { echo "fleet-demo: $tool is missing (make fleet-deps installs the stack)" >&2; exit 1; }
done
PERIOD="${PERIOD:-2}" WAIT="${WAIT:-90}"
RULES="$(pwd)/configs/examples/prometheus-rules.yml"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/modelctl-fleet.XXXXXX")"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do pkill -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "fleet-demo: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback ports: 3 node_exporters, Prometheus, Alertmanager, the webhook.
read -r P_A P_B P_C P_PROM P_AM P_HOOK < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
HOSTS=(host-a host-b host-c)
declare -A PORT=([host-a]=$P_A [host-b]=$P_B [host-c]=$P_C)
START=$(date +%s.%N)
TIMELINE=()
stamp() { python3 -c "import sys,time; print(f'{time.time()-float(sys.argv[1]):7.1f}s')" "$START"; }
event() { local line; line="$(stamp)  $*"; TIMELINE+=("$line"); echo "  $line"; }
# The shell words of one argument: what a person pastes (tiny-llm_(FP16) needs quotes).
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# ---- the hosts ----
for host in "${HOSTS[@]}"; do
  h="$WORK/$host"
  mkdir -p "$h/registry" "$h/models/tiny" "$h/models/embed" "$h/textfile"
  head -c 200000 /dev/urandom > "$h/models/tiny/model.safetensors"
  printf '{"architectures": ["LlamaForCausalLM"]}\n' > "$h/models/tiny/config.json"
  head -c 50000 /dev/urandom > "$h/models/embed/model.safetensors"
  cat > "$h/registry/model_registry.curated.json" <<'EOF'
[
  {"name": "tiny-llm_(FP16)", "backend": "vllm", "backend_config": {"model_path": "../models/tiny", "port": 24001}},
  {"name": "embed-small", "backend": "vllm", "backend_config": {"model_path": "../models/embed", "port": 24002}}
]
EOF
  cp -a fixtures/hf-cache/hub "$h/hub"
  "$MODELCTL" --registry-dir "$h/registry" lock --all --set-expected >/dev/null 2>&1
  # The host's timer: verify and scan into the textfile directory, as the systemd unit does.
  (
    while :; do
      "$MODELCTL" --registry-dir "$h/registry" verify --all --prometheus "$h/textfile/modelctl.prom" >/dev/null 2>>"$h/verify.log" || true
      "$MODELCTL" scan "$h/hub" --prometheus "$h/textfile/modelctl-scan.prom" >/dev/null 2>>"$h/scan.log" || true
      sleep "$PERIOD"
    done
  ) 2>/dev/null &
  PIDS+=($!)
  prometheus-node-exporter --web.listen-address="127.0.0.1:${PORT[$host]}" --collector.disable-defaults \
    --collector.textfile --collector.textfile.directory="$h/textfile" >"$h/node_exporter.log" 2>&1 &
  PIDS+=($!)
done

# ---- the webhook receiver: one JSON line per alert notification ----
cat > "$WORK/webhook.py" <<'EOF'
import http.server, json, sys, time
log = open(sys.argv[2], "a", buffering=1)
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        if not 0 < length <= 1 << 20:
            self.send_response(413); self.end_headers(); return
        body = json.loads(self.rfile.read(length))
        for alert in body.get("alerts", [])[:100]:
            labels = alert.get("labels", {})
            log.write(json.dumps({"t": time.time(), "path": self.path, "status": alert.get("status"),
                                  "alertname": labels.get("alertname"), "instance": labels.get("instance", ""),
                                  "model": labels.get("model", ""), "severity": labels.get("severity", ""),
                                  "summary": alert.get("annotations", {}).get("summary", "")}) + "\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *args): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
EOF
: > "$WORK/webhook.jsonl"
python3 "$WORK/webhook.py" "$P_HOOK" "$WORK/webhook.jsonl" 2>"$WORK/webhook.log" &
PIDS+=($!)

# ---- Alertmanager: critical pages, warnings go to a ticket queue (two webhook paths) ----
cat > "$WORK/alertmanager.yml" <<EOF
route:
  receiver: ticket
  group_by: [alertname, instance, model]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - matchers: ['severity="critical"']
      receiver: page
receivers:
  - name: page
    webhook_configs: [{url: 'http://127.0.0.1:$P_HOOK/page', send_resolved: true}]
  - name: ticket
    webhook_configs: [{url: 'http://127.0.0.1:$P_HOOK/ticket', send_resolved: true}]
EOF
prometheus-alertmanager --config.file="$WORK/alertmanager.yml" --storage.path="$WORK/alertmanager" \
  --web.listen-address="127.0.0.1:$P_AM" --cluster.listen-address= >"$WORK/alertmanager.log" 2>&1 &
PIDS+=($!)

# ---- Prometheus: the shipped rules, one-second scrapes and evaluations for the demo ----
{
  echo "global: {scrape_interval: 1s, evaluation_interval: 1s}"
  echo "rule_files: ['$RULES']"
  echo "alerting: {alertmanagers: [{static_configs: [{targets: ['127.0.0.1:$P_AM']}]}]}"
  echo "scrape_configs:"
  echo "  - job_name: node"
  echo "    static_configs:"
  for host in "${HOSTS[@]}"; do echo "      - {targets: ['127.0.0.1:${PORT[$host]}'], labels: {instance: $host}}"; done
} > "$WORK/prometheus.yml"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prometheus" \
  --web.listen-address="127.0.0.1:$P_PROM" >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)

# ---- what the stack says ----
# firing: "alertname instance model" per firing alert, sorted; fails when Prometheus does not answer.
firing() {
  python3 - "$P_PROM" <<'EOF'
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/alerts", timeout=5) as r:
    alerts = json.load(r)["data"]["alerts"]
print("\n".join(sorted(f'{a["labels"]["alertname"]} {a["labels"].get("instance", "")} {a["labels"].get("model", "")}'.strip()
                       for a in alerts if a["state"] == "firing")))
EOF
}
# received STATUS: "path alertname instance model" per webhook notification with that status.
received() {
  python3 - "$WORK/webhook.jsonl" "$1" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("\n".join(sorted({f'{x["path"]} {x["alertname"]} {x["instance"]} {x["model"]}'.strip() for x in lines if x["status"] == sys.argv[2]})))
EOF
}
# scalar QUERY: the first value of an instant query, or nothing.
scalar() {
  python3 - "$P_PROM" "$1" <<'EOF'
import json, sys, urllib.parse, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/api/v1/query?" + urllib.parse.urlencode({"query": sys.argv[2]})
with urllib.request.urlopen(url, timeout=5) as r:
    result = json.load(r)["data"]["result"]
print(result[0]["value"][1] if result else "")
EOF
}
# wait_until DESCRIPTION COMMAND...: polls COMMAND every half second, at most WAIT seconds.
wait_until() {
  local what="$1" deadline=$((SECONDS + WAIT)); shift
  until "$@" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "fleet-demo: FAILED: $what (not within ${WAIT}s)" >&2
      echo "  firing now: $(firing 2>/dev/null | tr '\n' ';')" >&2
      for log in prometheus alertmanager; do echo "  --- $log.log"; tail -5 "$WORK/$log.log"; done >&2
      for host in "${HOSTS[@]}"; do echo "  --- $host verify.log"; tail -3 "$WORK/$host/verify.log"; done >&2
      exit 1
    fi
    sleep 0.5
  done
}
is() { [ "$("${@:2}")" = "$1" ]; }
printf -v NONE ''
EXPECTED_FIRING="ModelLockViolation host-a tiny-llm_(FP16)
ModelVerifyRunFailed host-b"
EXPECTED_SENT="/page ModelLockViolation host-a tiny-llm_(FP16)
/ticket ModelVerifyRunFailed host-b"

echo "fleet-demo: 3 hosts (node_exporter on 127.0.0.1:$P_A, :$P_B, :$P_C), Prometheus :$P_PROM, Alertmanager :$P_AM, webhook :$P_HOOK"
wait_until "Prometheus loads the shipped rules" python3 -c "
import json, sys, urllib.request
groups = json.load(urllib.request.urlopen('http://127.0.0.1:$P_PROM/api/v1/rules', timeout=5))['data']['groups']
sys.exit(0 if sum(len(g['rules']) for g in groups) == 7 else 1)"
event "stack up: the 7 rules of configs/examples/prometheus-rules.yml loaded"
wait_until "all three hosts report a verify run and a scan" is 3 scalar 'count(modelctl_verify_run_timestamp_seconds and on(instance) modelctl_scan_run_timestamp_seconds)'
wait_until "every model of every host verifies ok" is 6 scalar 'count(modelctl_verify_status == 0)'
wait_until "no alert fires on the clean fleet" is "$NONE" firing
event "baseline: 3 hosts x 2 models ok, both stores ok, no alert firing"
sleep 3
is "$NONE" firing || { echo "fleet-demo: FAILED: an alert fires on the clean fleet: $(firing)" >&2; exit 1; }

# ---- the incidents ----
printf 'tampered' >> "$WORK/host-a/models/tiny/model.safetensors"
cp "$WORK/host-b/registry/model_registry.curated.json" "$WORK/curated.host-b.json"
printf '[{"name": "tiny-llm_(FP16)", ' > "$WORK/host-b/registry/model_registry.curated.json"
event "host-a: a byte appended to tiny-llm_(FP16)/model.safetensors; host-b: model_registry.curated.json cut short"
wait_until "Prometheus fires exactly the two alerts" is "$EXPECTED_FIRING" firing
event "Prometheus firing: $(firing | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
wait_until "the webhook receives both (violation paged, failed run ticketed)" is "$EXPECTED_SENT" received firing
event "webhook received: $(received firing | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
summary="$(python3 -c "import json,sys; print([json.loads(l)['summary'] for l in open(sys.argv[1]) if 'ModelLockViolation' in l][0])" "$WORK/webhook.jsonl")"
event "page says: $summary"
# The command in the page runs as pasted.
command="$(sed -n "s/.*run \(modelctl verify '[^']*'\) there.*/\1/p" <<<"$summary")"
[ -n "$command" ] || { echo "fleet-demo: FAILED: no command in the page: $summary" >&2; exit 1; }
status=0; (cd "$WORK/host-a" && eval "\"$MODELCTL\" --registry-dir registry ${command#modelctl }" >"$WORK/page-command.out" 2>&1) || status=$?
[ "$status" = 2 ] && grep -q "changed  *model.safetensors" "$WORK/page-command.out" \
  || { echo "fleet-demo: FAILED: the page's command did not name the changed file (exit $status)" >&2; cat "$WORK/page-command.out" >&2; exit 1; }
event "the page's command, pasted on host-a: exit 2, changed model.safetensors"
sleep 3
is "$EXPECTED_FIRING" firing || { echo "fleet-demo: FAILED: other alerts fire: $(firing)" >&2; exit 1; }

# ---- the repairs ----
"$MODELCTL" --registry-dir "$WORK/host-a/registry" lock "tiny-llm_(FP16)" --update --reason "fleet demo: reviewed re-quantisation" >/dev/null 2>&1
cp "$WORK/curated.host-b.json" "$WORK/host-b/registry/model_registry.curated.json"
event "host-a: modelctl lock $(quote 'tiny-llm_(FP16)') --update --reason ...; host-b: registry restored"
wait_until "both alerts resolve in Prometheus" is "$NONE" firing
event "Prometheus: no alert firing"
wait_until "the webhook receives both resolutions" is "$EXPECTED_SENT" received resolved
event "webhook received resolved: $(received resolved | tr '\n' ';' | sed 's/;$//; s/;/; /g')"

echo
echo "fleet-demo: timeline (seconds since start)"
printf '  %s\n' "${TIMELINE[@]}"
python3 - "$START" "${TIMELINE[@]}" <<'EOF'
import re, sys
t = {}
for line in sys.argv[2:]:
    secs = float(line.split("s", 1)[0])
    for key, marker in (("break", "cut short"), ("fired", "Prometheus firing"), ("sent", "webhook received:"),
                        ("repair", "registry restored"), ("resolved", "no alert firing"), ("resolved_sent", "received resolved")):
        if marker in line: t[key] = secs
print(f"fleet-demo: alerts fired {t['fired'] - t['break']:.1f}s after the incidents (webhook after {t['sent'] - t['break']:.1f}s), "
      f"resolved {t['resolved'] - t['repair']:.1f}s after the repairs (webhook after {t['resolved_sent'] - t['repair']:.1f}s); "
      "a host's runs here are a few seconds apart, a real timer's a day")
EOF
echo "fleet-demo: ok"
