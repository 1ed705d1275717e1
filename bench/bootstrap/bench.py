#!/usr/bin/env python3
"""bench/bootstrap: start-to-ready of the four runtime services under `whim start`, AOT vs JIT, and their RSS."""
import json, os, random, re, shutil, signal, statistics, subprocess, sys, tempfile, time

repo, aot_dir, starts = sys.argv[1], sys.argv[2], int(sys.argv[3])
# Bootstrap itself as it ships (AOT) when published, so its readiness polling is not JIT-compiled inside the window.
native = os.path.join(aot_dir, "bootstrap", "Whim.Bootstrap")
bootstrap = [native] if os.access(native, os.X_OK) else [shutil.which("dotnet"), os.path.join(repo, "bootstrap/bin/Release/net10.0/Whim.Bootstrap.dll")]
GOAL_MS, GOAL_MB = 300, 120
READY = re.compile(r"(\d+) services up and ready after (\d+) ms")


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_task(scratch):
    bare, seed = os.path.join(scratch, "origin.git"), os.path.join(scratch, "seed")
    git(scratch, "init", "-q", "--bare", "-b", "main", bare)
    git(scratch, "init", "-q", "-b", "main", seed)
    open(os.path.join(seed, "README.md"), "w").write("bench\n")
    git(seed, "add", "README.md")
    git(seed, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "first")
    git(seed, "push", "-q", bare, "main")
    spec = os.path.join(scratch, "spec.json")
    json.dump({"taskId": "bench-1", "displayId": "BENCH-1", "workspaceId": "ws-bench", "repoUrl": bare, "sourceBranch": "main",
               "provider": "claude", "workspace": {"instructions": "bench", "initScript": "true"}}, open(spec, "w"))
    return spec


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def one_start(spec, root, bin_args):
    """Runs `start` until the services are ready; returns (services ready ms, wall ms to running, total RSS MB)."""
    offset = 10000 + random.randint(0, 10000)  # ports 13001-23082: below the ephemeral range
    env = dict(os.environ, WHIM_AGENT_KEY="whim-bench-placeholder", WHIM_PROVIDERS__ANTHROPIC__APIKEY="sk-bench-not-used")
    cmd = [*bootstrap, "start", "--spec", spec, "--root", root, "--no-agent", "--port-offset", str(offset), "--repo-root", repo, *bin_args]
    began = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    ready_ms, lines = None, []
    try:
        for line in proc.stdout:
            lines.append(line)
            if m := READY.search(line):
                ready_ms = int(m.group(2))
            if "everything is running" in line:
                break
            if time.monotonic() - began > 120:
                break
        wall_ms = (time.monotonic() - began) * 1000
        if ready_ms is None:
            raise SystemExit("bootstrap did not get the services ready:\n" + "".join(lines))
        status = json.load(open(os.path.join(root, "whim/run/bootstrap-status.json")))
        rss = sum(rss_kb(s["pid"]) for s in status["services"]) / 1024
        return ready_ms, wall_ms, rss
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def measure(label, spec, root, bin_args):
    one_start(spec, root, bin_args)  # warm-up: clone, init.sh (runs once), page cache
    runs = [one_start(spec, root, bin_args) for _ in range(starts)]
    ready = statistics.median(r[0] for r in runs)
    wall = statistics.median(r[1] for r in runs)
    rss = statistics.median(r[2] for r in runs)
    print(f"{label:4} services start→ready median {ready:6.0f} ms (min {min(r[0] for r in runs)}, max {max(r[0] for r in runs)}) | "
          f"whole `start` to running {wall:6.0f} ms | RSS of the four {rss:6.1f} MB")
    return ready, rss


scratch = tempfile.mkdtemp(prefix="whim-bench-bootstrap-")
try:
    spec = make_task(scratch)
    print(f"bench/bootstrap: {starts} starts each (after one warm-up start), AOT binaries from {aot_dir}, bootstrap: {bootstrap[-1]}")
    aot_ready, aot_rss = measure("AOT", spec, os.path.join(scratch, "root-aot"), ["--bin-dir", aot_dir])
    jit_ready, jit_rss = measure("JIT", spec, os.path.join(scratch, "root-jit"), ["--bin-dir", os.path.join(scratch, "empty")])
    print(f"AOT start→ready {aot_ready:.0f} ms vs goal ≤ {GOAL_MS} ms: {'MET' if aot_ready <= GOAL_MS else 'MISSED'} "
          f"({aot_ready / GOAL_MS:.2f}× goal; JIT {jit_ready:.0f} ms, {jit_ready / aot_ready:.1f}× slower)")
    print(f"AOT RSS {aot_rss:.1f} MB vs goal ≤ {GOAL_MB} MB: {'MET' if aot_rss <= GOAL_MB else 'MISSED'} (JIT {jit_rss:.1f} MB)")
finally:
    shutil.rmtree(scratch, ignore_errors=True)
