"""What the benchmark (bench/run.py) and the resilience tests (tests/test_resilience.py) share.

- `Database`: a private database for one run, a SQLite file or a PostgreSQL database of its own
  on the shared cluster (never the cluster itself), which can be made unavailable and back.
- `Server`: the app served the way production serves it, by gunicorn in its own process group,
  so it can be stopped, or killed with SIGKILL like a crashed machine.
- `Controller`: one long-lived Django process on the same database that prepares rounds and
  links and audits what was stored, talking JSON lines (see bench/control.py). The test process
  never touches the server's database through its own Django connection.
- `Client`: a small HTTP client that keeps cookies and posts forms with the CSRF token, the
  way a browser without JavaScript does.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
PYTHON = sys.executable

# The settings every process of a run shares: production-like (DEBUG off), over plain HTTP on
# loopback. The secret only signs this run's throwaway sessions.
BASE_ENV = {
    "DEBUG": "0",
    "HTTPS": "0",
    "SECRET_KEY": "bench-and-resilience-only-not-a-real-secret",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SITE_URL": "http://127.0.0.1:8000",
    "LOG_LEVEL": "WARNING",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "TASKS_BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
    "PYTHONUNBUFFERED": "1",
    # Hashed static names need collectstatic first; bench/run.py does that and turns this on.
    "STATIC_MANIFEST": "0",
}


def process_env(database: Database, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(BASE_ENV)
    env.update(database.env())
    env.update(extra)
    env["PYTHONPATH"] = str(ROOT)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Databases ----------------------------------------------------------------------------------


@dataclass
class Database:
    kind: str  # "sqlite" or "postgresql"
    name: str  # a file path for SQLite, a database name for PostgreSQL
    admin_url: str = ""  # PostgreSQL: a database on the same cluster to run CREATE/DROP from

    @classmethod
    def sqlite(cls, path: Path) -> Database:
        return cls("sqlite", str(path))

    @classmethod
    def postgresql(cls, admin_url: str, name: str) -> Database:
        return cls("postgresql", name, admin_url)

    @classmethod
    def like(cls, database_url: str, directory: Path, name: str) -> Database:
        """A private database of the same kind as DATABASE_URL (SQLite when it is empty)."""
        if database_url.startswith(("postgres://", "postgresql://")):
            return cls.postgresql(database_url, name)
        return cls.sqlite(directory / f"{name}.sqlite3")

    @property
    def url(self) -> str:
        if self.kind == "sqlite":
            return ""
        parts = urllib.parse.urlsplit(self.admin_url)
        return urllib.parse.urlunsplit(parts._replace(path="/" + self.name))

    def env(self) -> dict[str, str]:
        if self.kind == "sqlite":
            # The default SQLite set-up (WAL, IMMEDIATE, busy timeout), as a laptop runs it.
            return {"DATABASE_URL": "", "SQLITE_PATH": self.name}
        return {"DATABASE_URL": self.url}

    def _admin(self):
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True)

    def create(self) -> None:
        self.drop()
        if self.kind == "postgresql":
            with self._admin() as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(self.name + suffix).unlink(missing_ok=True)
            return
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def allow_connections(self, allowed: bool) -> None:
        """PostgreSQL only: refuse new connections and end the open ones, or allow them again.

        Only this run's own database is touched; the cluster and everyone else's databases
        carry on.
        """
        assert self.kind == "postgresql"
        with self._admin() as conn:
            conn.execute(
                f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS {"true" if allowed else "false"}'
            )
            if not allowed:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    [self.name],
                )

    def size_bytes(self) -> int:
        if self.kind == "sqlite":
            return sum(
                Path(self.name + s).stat().st_size
                for s in ("", "-wal")
                if Path(self.name + s).exists()
            )
        with self._admin() as conn:
            return conn.execute("SELECT pg_database_size(%s)", [self.name]).fetchone()[0]


# --- The controller: a Django process on the run's database ------------------------------------


class ControllerError(RuntimeError):
    pass


class Controller:
    """Runs bench/control.py and sends it one JSON command per line."""

    def __init__(self, database: Database, log: Path | None = None):
        self.database = database
        self.process = subprocess.Popen(  # noqa: S603 - our own arguments, no shell
            [PYTHON, "-m", "bench.control"],
            cwd=ROOT,
            env=process_env(database),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(log, "ab") if log else None,  # noqa: SIM115 - lives as long as the process
            text=True,
        )

    def __call__(self, command: str, **arguments):
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"command": command, **arguments}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise ControllerError(f"the controller stopped during {command!r}")
        reply = json.loads(line)
        if "error" in reply:
            raise ControllerError(f"{command}: {reply['error']}")
        return reply["result"]

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(BrokenPipeError, OSError):
                self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Controller:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- The server --------------------------------------------------------------------------------


class Server:
    """gunicorn serving sixways.wsgi on a free loopback port, in its own process group."""

    def __init__(
        self,
        database: Database,
        directory: Path,
        *,
        workers: int = 3,
        threads: int = 1,
        port: int | None = None,
        extra_env: dict[str, str] | None = None,
        gunicorn_args: list[str] | None = None,
    ):
        self.database = database
        self.workers = workers
        self.threads = threads
        self.port = port or free_port()
        self.env = process_env(database, **(extra_env or {}))
        self.gunicorn_args = gunicorn_args or []
        self.access_log = directory / f"access-{self.port}.log"
        self.error_log = directory / f"error-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> Server:
        command = [
            PYTHON,
            "-m",
            "gunicorn",
            "sixways.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--timeout",
            "120",
            # Stopping waits at most this long for open keep-alive connections to finish.
            "--graceful-timeout",
            "5",
            "--access-logfile",
            str(self.access_log),
            # status, method, path and time in microseconds: enough to count 5xx afterwards.
            "--access-logformat",
            "%(s)s %(m)s %(U)s %(D)s",
            "--error-logfile",
            str(self.error_log),
            *self.gunicorn_args,
        ]
        self.process = subprocess.Popen(  # noqa: S603 - our own arguments, no shell
            command, cwd=ROOT, env=self.env, start_new_session=True, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.log_tail()}")
            try:
                status = Client(self.base, timeout=2).get("/privacy/").status
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        if not self.process:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def peak_memory_kib(self) -> int:
        """The highest peak resident memory (VmHWM) of any worker, in KiB."""
        peak = 0
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        return peak

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def kill(self) -> None:
        """SIGKILL the master and every worker at once, as a crash or the OOM killer would."""
        if self.process:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def statuses(self) -> dict[int, int]:
        """How many responses of each status the access log holds."""
        counts: dict[int, int] = {}
        if self.access_log.exists():
            for line in self.access_log.read_text(errors="replace").splitlines():
                code = line.split(" ", 1)[0]
                if code.isdigit():
                    counts[int(code)] = counts.get(int(code), 0) + 1
        return counts

    def server_errors(self) -> int:
        return sum(n for code, n in self.statuses().items() if code >= 500)

    def log_tail(self, lines: int = 40) -> str:
        text = ""
        if self.error_log.exists():
            text = self.error_log.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def error_log_text(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- The client --------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    wire_bytes: int = 0  # status line, headers and body as they crossed the connection

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Client:
    """A cookie-keeping HTTP/1.1 client for one person (one browser)."""

    base: str
    timeout: float = 30
    cookies: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        parts = urllib.parse.urlsplit(self.base)
        self.host, self.port = parts.hostname, parts.port
        self._conn: http.client.HTTPConnection | None = None
        self._last_used = 0.0

    def _connection(self) -> http.client.HTTPConnection:
        # gunicorn closes a kept-alive connection after 2 idle seconds; a browser would open a
        # new one rather than send on a connection the server may be closing.
        if self._conn is not None and time.monotonic() - self._last_used > 1.0:
            self.close()
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self,
        method: str,
        path: str,
        fields: dict | list | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        body = (
            urllib.parse.urlencode(fields or {}, doseq=True).encode() if method == "POST" else None
        )
        send = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if self.cookies:
            send["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            send["Content-Type"] = "application/x-www-form-urlencoded"
        conn = self._connection()
        try:
            conn.request(method, path, body=body, headers=send)
            response = conn.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError):
            self.close()
            raise
        raw_headers = response.msg
        for header in raw_headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        self._last_used = time.monotonic()
        head = f"HTTP/1.1 {response.status} {response.reason}\r\n{raw_headers}"
        if response.will_close:
            self.close()
        return Reply(
            response.status,
            {k.lower(): v for k, v in raw_headers.items()},
            data,
            len(head.encode("latin-1", "replace")) + len(data),
        )

    def get(self, path: str, **kwargs) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, fields: dict | None = None, **kwargs) -> Reply:
        fields = dict(fields or {})
        fields.setdefault("csrfmiddlewaretoken", self.csrf_token())
        return self.request("POST", path, fields, **kwargs)

    def csrf_token(self) -> str:
        for name, value in self.cookies.items():
            if name.endswith("csrftoken"):
                return value
        return ""


# --- The participant journey -------------------------------------------------------------------

SENT = "/respond/sent/"


def section_fields(names: list[str], value: str = "yes", action: str = "continue", **extra):
    data = dict.fromkeys(names, value)
    data["action"] = action
    data.update(extra)
    return data


def start(client: Client, token: str) -> Reply:
    """Open the link (which sets the CSRF cookie) and press Start (which sets the session)."""
    page = client.get(f"/p/{token}/")
    if page.status != 200 or "csrfmiddlewaretoken" not in page.text:
        return page  # not found, or already sent: nothing to press
    return client.post(f"/p/{token}/")


def journey(client: Client, token: str, fields: dict[str, list[str]], value: str = "yes") -> bool:
    """The whole journey as a person makes it: every page read, then answered. True if sent."""
    reply = start(client, token)
    if reply.status != 302:
        return False
    for number in sorted(fields, key=int):
        path = f"/respond/{number}/"
        if client.get(path).status != 200:
            return False
        if client.post(path, section_fields(fields[number], value)).status != 302:
            return False
    if client.get("/respond/check/").status != 200:
        return False
    reply = client.post("/respond/check/")
    return reply.status == 302 and reply.location.endswith(SENT)


def no_stack_trace(text: str) -> bool:
    return not re.search(r"Traceback|File \".*\", line \d+|OperationalError|psycopg", text)
