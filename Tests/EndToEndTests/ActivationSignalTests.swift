import Foundation
import Testing
import TestSupport

/// A termination signal while `activate-model` waits for the launched backend to turn healthy
/// stops that backend and removes its record: it is never left running unsupervised.
struct ActivationSignalTests {
    @Test("SIGTERM, SIGINT or SIGHUP during the wait for health stop the launched backend and clear its record",
          arguments: ["TERM", "INT", "HUP"])
    func signalDuringActivation(signal: String) throws {
        let dir = TemporaryDirectory("e2e-activate-signal")
        try dir.write("models/w/weights.bin", "w")
        try dir.write("registry/model_registry.curated.json", """
            [{"name": "m", "backend": "vllm", "backend_config": {"model_path": "\(dir.file("models/w"))"}}]
            """)
        // A backend that never answers /health; the shell `exec`s sleep, so the pid is sleep's.
        // Python restores default signal dispositions in the child (a background job of a
        // non-interactive shell would start with SIGINT ignored).
        let script = #"""
            import json, os, signal, subprocess, sys, time
            state = os.path.join(sys.argv[2], "active_model.json")
            env = dict(os.environ, MODELCTL_ORCHESTRATOR="1", MODELCTL_STATE_DIR=sys.argv[2],
                       MODELCTL_LAUNCH_COMMAND='["/bin/sh", "-c", "exec sleep 60", "backend"]',
                       MODELCTL_START_TIMEOUT="60", MODELCTL_VLLM_PORT=sys.argv[5])
            def defaults():
                for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                    signal.signal(s, signal.SIG_DFL)
            p = subprocess.Popen([sys.argv[1], "activate-model", "m", "--registry-dir", sys.argv[3]], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=defaults)
            pid = None
            for _ in range(200):
                try:
                    pid = json.load(open(state))["pid"]
                    break
                except Exception:
                    time.sleep(0.05)
            time.sleep(0.3)
            p.send_signal(getattr(signal, "SIG" + sys.argv[4]))
            out, err = p.communicate(timeout=30)
            time.sleep(0.2)
            alive = False
            if pid:
                try:
                    os.kill(pid, 0)
                    alive = open("/proc/%d/stat" % pid).read().split()[2] != "Z"
                except (ProcessLookupError, FileNotFoundError):
                    alive = False
                if alive:
                    os.kill(pid, signal.SIGKILL)
            print(json.dumps({"status": p.returncode, "pid": pid, "alive": alive,
                              "state_left": os.path.exists(state), "stderr": err.decode(errors="replace")}))
            """#
        try dir.write("run.py", script)
        let port = String(Int.random(in: 30000...39999))
        let result = try runProcess("/usr/bin/python3", [dir.file("run.py"), modelctlBinary, dir.file("state"), dir.file("registry"), signal, port])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(report?["pid"] is Int, "\(result.stdout)")
        #expect(report?["alive"] as? Bool == false, "the backend was left running: \(result.stdout)")
        #expect(report?["state_left"] as? Bool == false, "\(result.stdout)")
        #expect(report?["status"] as? Int == 1, "\(result.stdout)")
        #expect((report?["stderr"] as? String)?.contains("interrupted by SIG\(signal)") == true, "\(result.stdout)")
    }
}
