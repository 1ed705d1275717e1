"""PortMonitor + LocalProxy latency and scan-cost bench (see README). Everything on loopback; bounded in time."""
import http.client
import os
import socket
import statistics
import shutil
import subprocess
import sys
import tempfile
import time

BIN, STARTS = sys.argv[1], int(sys.argv[2])
INTERVAL_MS = 50
SETTLE_S = 3
IDLE_S = 5

# A dev server stand-in: listen, print the monotonic time right after listen(), answer HTTP until killed.
SERVER = r"""
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0)); s.listen(64)
print(s.getsockname()[1], time.monotonic(), flush=True)
while True:
    c, _ = s.accept()
    try:
        c.recv(4096); c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')
    finally:
        c.close()
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, host=None, path="/healthz", deadline=30):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if status(port, host, path) == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"service on {port} did not come up")


def status(port, host=None, path="/"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host} if host else {})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def thread_runtimes(pid):
    """Nanoseconds each thread of pid has run (/proc/<pid>/task/<tid>/schedstat, first field)."""
    runtimes = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            runtimes[tid] = int(open(f"/proc/{pid}/task/{tid}/schedstat").read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # the thread ended between the listing and the read
    return runtimes


def cpu_over(pid, seconds):
    """
    CPU seconds pid used over a window, measured two ways. utime+stime from /proc/<pid>/stat count 10 ms clock
    ticks (at ~1 % of a core that is a handful of ticks a second, and tick sampling misses short wake-ups);
    schedstat counts nanoseconds per thread, polled every second so a thread that ends inside the window loses at
    most its last second.
    """
    first = thread_runtimes(pid)
    last = dict(first)
    t0, ticks0 = time.monotonic(), cpu_ticks(pid)
    end = t0 + seconds
    while time.monotonic() < end:
        time.sleep(min(1.0, max(0.0, end - time.monotonic())))  # sampling a fixed window, not synchronising
        last.update(thread_runtimes(pid))
    t1, ticks1 = time.monotonic(), cpu_ticks(pid)
    ns = sum(last[tid] - first.get(tid, 0) for tid in last)
    return ns / 1e9, (ticks1 - ticks0) / os.sysconf("SC_CLK_TCK"), t1 - t0


def scan_metrics(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    total = count = read = 0.0
    for line in text.splitlines():
        if line.startswith("whim_portmonitor_scan_seconds_sum"):
            total = float(line.split()[-1])
        elif line.startswith("whim_portmonitor_scan_seconds_count"):
            count = float(line.split()[-1])
        elif line.startswith("whim_portmonitor_owner_processes_read_total"):
            read = float(line.split()[-1])
    return total, count, read


def socket_lines():
    return sum(max(0, len(open(f"/proc/net/{t}").readlines()) - 1) for t in ("tcp", "tcp6"))


def open_pairs(n, monitor_port):
    """
    Opens n connection pairs on a new listener of the bench's own. The monitor looks once for that listener's owner
    (reading every process's fd table, the bench's own with all its connections included) and then holds steady,
    which is what the windows measure; the scans of the settling seconds are printed on their own.
    """
    s0, c0, _ = scan_metrics(monitor_port)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    held = [listener]
    for _ in range(n):
        c = socket.create_connection(listener.getsockname())
        a, _ = listener.accept()
        held += [c, a]
    time.sleep(SETTLE_S)  # a fixed settling time before a steady-state window, not synchronisation
    s1, c1, _ = scan_metrics(monitor_port)
    print(f"after opening {n} pairs: {int(c1 - c0)} scans in {SETTLE_S} s took {(s1 - s0) * 1000:.1f} ms in all (one owner walk among them)")
    return held


def measure_scans(label, monitor, monitor_port, seconds):
    s0, c0, r0 = scan_metrics(monitor_port)
    cpu_s, tick_s, elapsed = cpu_over(monitor.pid, seconds)
    s1, c1, r1 = scan_metrics(monitor_port)
    cpu = cpu_s / elapsed * 100
    scan_ms = (s1 - s0) / max(1, c1 - c0) * 1000
    print(f"{label}: {socket_lines()} sockets in /proc/net/tcp{{,6}}; PortMonitor CPU {cpu:.2f} % of a core at {INTERVAL_MS} ms "
          f"over {elapsed:.0f} s (schedstat ns; clock ticks say {tick_s / elapsed * 100:.2f} %); "
          f"mean scan {scan_ms:.3f} ms over {int(c1 - c0)} scans; {int(r1 - r0)} process fd tables read for owners")
    return cpu, scan_ms


def main():
    root = tempfile.mkdtemp(prefix="whim-bench-ports-")
    env = dict(os.environ, WHIM_ROOT=root, WHIM_PORTMONITOR__OWNERPIDROOT=str(os.getpid()),
               WHIM_PORTMONITOR__INTERVAL=f"00:00:00.{INTERVAL_MS:03d}", WHIM_LOG_DIR=os.path.join(root, "logs"))
    monitor_port, proxy_port = free_port(), free_port()
    monitor = subprocess.Popen([f"{BIN}/portmonitor/Whim.PortMonitor", "--urls", f"http://127.0.0.1:{monitor_port}"], env=env, stdout=subprocess.DEVNULL)
    proxy = subprocess.Popen([f"{BIN}/localproxy/Whim.LocalProxy", "--urls", f"http://127.0.0.1:{proxy_port}"], env=env, stdout=subprocess.DEVNULL)
    try:
        wait_http(monitor_port)
        wait_http(proxy_port)
        up, down = [], []

        def start_and_stop():
            server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
            port_text, listened = server.stdout.readline().split()
            host = f"{port_text}.localhost"
            while status(proxy_port, host) != 200:
                time.sleep(0.002)
            reachable = (time.monotonic() - float(listened)) * 1000
            server.kill()
            server.wait()
            closed = time.monotonic()
            while status(proxy_port, host) != 503:
                time.sleep(0.002)
            return reachable, (time.monotonic() - closed) * 1000

        for _ in range(STARTS):
            reachable, removed = start_and_stop()
            up.append(reachable)
            down.append(removed)

        # A dev server usually starts after a quiet while, not right after another one: the same once more after
        # IDLE_S seconds without any change (LocalProxy's own refresh ticks run meanwhile).
        time.sleep(IDLE_S)  # a fixed quiet period being measured, not synchronisation
        after_idle, _ = start_and_stop()

        def p95(xs):
            return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)]

        print(f"listen() -> reachable through LocalProxy over {STARTS} starts: median {statistics.median(up):.1f} ms, p95 {p95(up):.1f} ms "
              f"(goal: median <= 100 ms, p95 <= 250 ms)")
        print(f"close -> removed (proxy answers 503): median {statistics.median(down):.1f} ms, p95 {p95(down):.1f} ms")
        print(f"listen() -> reachable after {IDLE_S} s without changes: {after_idle:.1f} ms")

        held = open_pairs(1000, monitor_port)
        cpu2k, _ = measure_scans("2,000 open sockets", monitor, monitor_port, seconds=30)
        held += open_pairs(4000, monitor_port)
        _, scan10k = measure_scans("10,000 open sockets", monitor, monitor_port, seconds=5)
        for s in held:
            s.close()
        print(f"goals: CPU with 2,000 sockets <= 1 % -> {'met' if cpu2k <= 1 else 'NOT met'}; "
              f"one scan of 10,000 sockets <= 5 ms -> {'met' if scan10k <= 5 else 'NOT met'}")
    finally:
        for p in (proxy, monitor):
            p.terminate()
            p.wait(timeout=15)
        shutil.rmtree(root, ignore_errors=True)


main()
