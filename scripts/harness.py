"""What every script in scripts/ does to run Marquee, written once: build it,
start `marquee serve` on a port it picks itself, wait until it serves, read
the figures it announces, and stop it.

    import harness

    work = harness.work_dir("soak")
    binary = harness.build(work)                    # release, with `generate`
    harness.generate(binary, work / "content", count=300, seed=11)
    with harness.Server(binary, "--content", work / "content",
                        "--db", work / "marquee.db", log=work / "server.log") as server:
        serving = server.wait_serving()             # {"event": "serving", ...}
        print(server.base_url, serving["changed"], serving["elapsed_ms"])

`marquee serve` prints one JSON object per event on stdout (README,
"Command line"); the harness reads those, never the log, which is written
for people. Every child process started here is stopped when the script
exits, however it exits.
"""

import atexit
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The server's own default filter, set explicitly so that a RUST_LOG in the
# caller's shell cannot change what the scripts read or count in the log.
SERVER_LOG_FILTER = "info,sqlx=warn"

# Long enough for requests in flight to finish (Marquee waits 20 s at most).
STOP_GRACE_SECONDS = 30


def find_tool(name):
    """A program on PATH, or in the sbin folders Debian puts nginx in."""
    return shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/sbin") / name) if p.exists()), None
    )


def ensure_tools(*tools):
    """Installs from Debian whichever of `tools` is missing."""
    missing = [tool for tool in tools if not find_tool(tool)]
    if not missing:
        return
    print(f"installing {' '.join(missing)} from Debian", file=sys.stderr, flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    apt = sudo + ["apt-get", "install", "-y", "--no-install-recommends"] + missing
    if subprocess.run(apt, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(sudo + ["apt-get", "update"], stdout=subprocess.DEVNULL, check=True)
        subprocess.run(apt, stdout=subprocess.DEVNULL, check=True)


def work_dir(name):
    """A fresh temporary folder for one run; the script removes it."""
    return Path(tempfile.mkdtemp(prefix=f"marquee-{name}-"))


# ----- building -----


def cargo_build(*args, release=True):
    """Runs `cargo build ARGS` at the repository's root, compiler messages
    shown as usual, and returns each executable built, by target name."""
    command = ["cargo", "build", "--quiet", "--message-format=json-render-diagnostics", *args]
    if release:
        command.append("--release")
    output = subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True)
    executables = {}
    for line in output.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable"):
            executables[message["target"]["name"]] = Path(message["executable"])
    return executables


def build(work, release=True, cargo=True):
    """Builds `marquee` with the generator (`--features generate`) and links
    it into `work`, so that a build of another branch into a shared target
    folder cannot swap the program under a run. With `cargo=False`, takes
    the binary the last build left."""
    if cargo:
        binary = cargo_build("--bin", "marquee", "--features", "generate", release=release)["marquee"]
    else:
        binary = target_dir() / ("release" if release else "debug") / "marquee"
        if not binary.exists():
            sys.exit(f"no binary at {binary}: build it first")
    own = work / "marquee"
    try:
        os.link(binary, own)
    except OSError:  # another file system
        shutil.copy2(binary, own)
    return own


def target_dir():
    metadata = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    return Path(json.loads(metadata)["target_directory"])


def generate(binary, out, count, seed):
    """`marquee generate`: `count` reviews and a site.toml into `out`."""
    subprocess.run(
        [str(binary), "generate", "--out", str(out), "--count", str(count), "--seed", str(seed)],
        check=True, stdout=subprocess.DEVNULL,
    )


# ----- child processes -----

_RUNNING = set()


class Child:
    """A child process that is stopped when the script exits, whatever the
    reason (an error, Ctrl-C, SIGTERM)."""

    def __init__(self, command, **popen):
        self.started = time.perf_counter()
        self.process = subprocess.Popen([str(part) for part in command],
                                        stdin=subprocess.DEVNULL, **popen)
        _RUNNING.add(self)

    @property
    def pid(self):
        return self.process.pid

    def running(self):
        return self.process.poll() is None

    def stop(self, grace=STOP_GRACE_SECONDS):
        """SIGTERM, then SIGKILL if it is still running after `grace`
        seconds. Returns the exit code (negative: the signal that ended it)."""
        if self.running():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self._ended()

    def kill(self):
        """SIGKILL: no handler runs, nothing is flushed or checkpointed."""
        if self.running():
            self.process.kill()
        self.process.wait()
        return self._ended()

    def _ended(self):
        _RUNNING.discard(self)
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.stop()


def stop_all():
    """Stops every child still running (also done at exit)."""
    for child in list(_RUNNING):
        child.stop(grace=5)


def _exit_on_signal(signum, _frame):
    sys.exit(128 + signum)  # unwinds: `finally`, `with` and atexit run


atexit.register(stop_all)
signal.signal(signal.SIGTERM, _exit_on_signal)


class Server(Child):
    """`marquee serve ARGS --addr 127.0.0.1:0`, its log (stderr) appended
    to `log`, its announcements (stdout) collected as they come."""

    def __init__(self, binary, *args, log, env=None):
        self.log_path = Path(log)
        self._log_file = open(self.log_path, "ab")
        self.announcements = []
        self._stdout_closed = False
        self._news = threading.Condition()
        self.addr = self.base_url = self.port = None
        self.ready_after = None
        super().__init__(
            [binary, "serve", *args, "--addr", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=self._log_file, env=server_env(env),
        )
        threading.Thread(target=self._read_announcements, daemon=True).start()

    def _read_announcements(self):
        for line in self.process.stdout:
            try:
                announcement = json.loads(line)
            except ValueError:
                continue  # the sentence for people
            if isinstance(announcement, dict) and "event" in announcement:
                with self._news:
                    self.announcements.append(announcement)
                    self._news.notify_all()
        with self._news:
            self._stdout_closed = True
            self._news.notify_all()

    def event(self, name, timeout):
        """The first announcement of `name` (`serving`, `search_indexed`),
        waiting up to `timeout` seconds for it; None if it has not come by
        then or the server has exited."""
        deadline = time.monotonic() + timeout
        with self._news:
            while True:
                found = next((a for a in self.announcements if a["event"] == name), None)
                remaining = deadline - time.monotonic()
                if found or self._stdout_closed or remaining <= 0:
                    return found
                self._news.wait(remaining)

    def wait_serving(self, timeout=120):
        """Waits for the `serving` announcement, then for /healthz to answer
        200, and returns the announcement. Sets `addr`, `port`, `base_url`
        and `ready_after` (seconds from start to that first 200). Exits the
        script, showing the log, if the server stops or misses the
        deadline."""
        deadline = time.monotonic() + timeout
        serving = self.event("serving", timeout)
        if serving is None:
            try:  # its stdout closed: it is exiting
                code = self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self.fail(f"marquee did not announce that it serves within {timeout} s")
            self.fail(f"marquee exited with code {code} before it served")
        self.addr = serving["addr"]
        self.port = int(self.addr.rsplit(":", 1)[1])
        self.base_url = f"http://{self.addr}"
        while time.monotonic() < deadline:
            if not self.running():
                self.fail("marquee exited before /healthz answered")
            try:
                if http_get(self.port, "/healthz", timeout=1)[0] == 200:
                    self.ready_after = time.perf_counter() - self.started
                    return serving
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.002)
        self.fail(f"/healthz did not answer 200 within {timeout} s")

    def fail(self, why):
        self.kill()
        raise SystemExit(f"{why}; the end of its log ({self.log_path}):\n{self.log_tail()}")

    def log(self):
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines=20):
        return "\n".join(self.log().splitlines()[-lines:])

    def memory(self):
        """Resident memory now and at its peak (VmRSS, VmHWM), in MB."""
        fields = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
        return fields["VmRSS"], fields["VmHWM"]

    def _ended(self):
        code = super()._ended()
        self._log_file.close()
        return code


def server_env(extra):
    """The caller's environment without its MARQUEE_* settings (a run says
    what it means on the command line or in `extra`)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MARQUEE_")}
    env["RUST_LOG"] = SERVER_LOG_FILTER
    env.update(extra or {})
    return env


def http_get(port, path, timeout=10, headers=None):
    """A GET to 127.0.0.1:`port`: the status, the headers (a list of pairs)
    and the body. Raises OSError when nothing answers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()
