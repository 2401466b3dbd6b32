"""Load generators: wrk when it is installed, and a small Python one that needs nothing else.

Every loop is bounded twice, by a number of requests (or journeys) and by a time limit,
whichever comes first, so a slow or hung server can never keep a run going.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .harness import Client, journey


@dataclass
class Result:
    tool: str
    connections: int
    seconds: float
    requests: int
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0  # connection failures, timeouts
    completed: int = 0  # journeys that ended on the "sent" page
    failed: int = 0  # journeys that did not
    journey_ms: list[float] = field(default_factory=list)
    p50_ms: float | None = None
    p99_ms: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def completed_per_second(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if int(status) >= 500)

    def percentiles(self) -> None:
        if self.latencies_ms and self.p50_ms is None:
            ordered = sorted(self.latencies_ms)
            self.p50_ms = percentile(ordered, 50)
            self.p99_ms = percentile(ordered, 99)

    def summary(self) -> dict:
        self.percentiles()
        return {
            "tool": self.tool,
            "connections": self.connections,
            "seconds": round(self.seconds, 2),
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50_ms": None if self.p50_ms is None else round(self.p50_ms, 1),
            "p99_ms": None if self.p99_ms is None else round(self.p99_ms, 1),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors,
            "completed": self.completed,
            "failed": self.failed,
            "completed_per_second": round(self.completed_per_second, 1),
        }


def percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# --- Python: one thread per connection --------------------------------------------------------


def python_load(
    base: str,
    sessions: list[dict[str, str]],
    method: str,
    path: str,
    fields: dict | None,
    *,
    connections: int,
    duration: float,
    max_requests: int,
) -> Result:
    """Each thread is one person repeating one request with their own cookies."""
    result = Result("python", connections, 0, 0)
    lock = threading.Lock()
    deadline = time.monotonic() + duration
    sent = 0

    def worker(index: int) -> None:
        nonlocal sent
        client = Client(base, timeout=30, cookies=dict(sessions[index % len(sessions)]))
        latencies, statuses, errors = [], Counter(), 0
        while time.monotonic() < deadline:
            with lock:
                if sent >= max_requests:
                    break
                sent += 1
            began = time.perf_counter()
            try:
                if method == "POST":
                    status = client.post(path, fields).status
                else:
                    status = client.get(path).status
            except OSError:
                errors += 1
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            statuses[status] += 1
        with lock:
            result.latencies_ms.extend(latencies)
            result.statuses.update(statuses)
            result.errors += errors

    began = time.monotonic()
    _run_threads(worker, connections)
    result.seconds = time.monotonic() - began
    result.requests = sum(result.statuses.values())
    return result


def journeys(
    base: str,
    tokens: list[str],
    fields: dict[str, list[str]],
    *,
    connections: int,
    duration: float,
) -> Result:
    """People answering from start to sent, one after another on each connection.

    Bounded by the tokens given (each link is used once) and by `duration`.
    """
    result = Result("python", connections, 0, 0)
    lock = threading.Lock()
    deadline = time.monotonic() + duration
    queue = iter(tokens)

    def worker(_: int) -> None:
        while time.monotonic() < deadline:
            with lock:
                token = next(queue, None)
            if token is None:
                return
            client = _CountingClient(base, timeout=30)
            began = time.perf_counter()
            try:
                ok = journey(client, token, fields)
            except OSError:
                ok = False
                client.errors += 1
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                result.statuses.update(client.statuses)
                result.latencies_ms.extend(client.latencies)
                result.errors += client.errors
                if ok:
                    result.completed += 1
                else:
                    result.failed += 1
                result.journey_ms.append(elapsed)

    began = time.monotonic()
    _run_threads(worker, connections)
    result.seconds = time.monotonic() - began
    result.requests = sum(result.statuses.values())
    return result


class _CountingClient(Client):
    def __post_init__(self):
        super().__post_init__()
        self.statuses: Counter = Counter()
        self.latencies: list[float] = []
        self.errors = 0

    def request(self, *args, **kwargs):
        began = time.perf_counter()
        reply = super().request(*args, **kwargs)
        self.latencies.append((time.perf_counter() - began) * 1000)
        self.statuses[reply.status] += 1
        return reply


def _run_threads(target, count: int) -> None:
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- wrk ----------------------------------------------------------------------------------------

# Both scripts end the same way: every thread's statuses (a list, as threads share
# statuses), sent and failed journeys (none for pages and saves), and wrk's own figures.
WRK_DONE = """
function done(summary, latency, requests)
  local counts, sent, lost = {}, 0, 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[#counts + 1] = string.format('{"%%d": %%d}', status, n)
    end
    sent = sent + (thread:get("completed") or 0)
    lost = lost + (thread:get("failed") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, '
    .. '"errors": %%d, "completed": %%d, "failed": %%d, "statuses": [%%s]}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, sent, lost, table.concat(counts, ", ")))
end
"""


WRK_SCRIPT = (
    """
local sessions = %(sessions)s
local method, path, fields = %(method)s, %(path)s, %(fields)s
local counter = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function request()
  counter = counter + 1
  local s = sessions[(counter %% #sessions) + 1]
  local headers = {["Cookie"] = s.cookie}
  local body = nil
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    body = fields .. "&csrfmiddlewaretoken=" .. s.csrf
  end
  return wrk.format(method, path, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

"""
    + WRK_DONE
)


# Whole journeys, start to sent. wrk runs one connection per thread, and each thread has its
# own Lua state, so a thread can walk one person through the pages in order: request() builds
# the next step, response() checks the status and keeps the cookies. A step that answers
# anything unexpected abandons that person, counted as failed.
WRK_JOURNEY_SCRIPT = (
    """
local tokens = %(tokens)s
local bodies = %(bodies)s
local sections = #bodies
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  thread:set("nthreads", %(connections)d)
  table.insert(threads, thread)
end

function init(args)
  statuses, completed, failed = {}, 0, 0
  turn, cookies, step, token = 0, {}, 0, nil
end

local function cookie_header()
  local parts = {}
  for name, value in pairs(cookies) do parts[#parts + 1] = name .. "=" .. value end
  return table.concat(parts, "; ")
end

local function csrf()
  for name, value in pairs(cookies) do
    if name:match("csrftoken$") then return value end
  end
  return ""
end

local function begin()
  -- This thread's links are id, id + nthreads, id + 2 * nthreads, ...
  local index = id + turn * nthreads
  turn = turn + 1
  token, cookies, step = tokens[index], {}, 1
end

-- Steps: 1 open the link, 2 press Start, then a GET and a POST for each section, then the
-- check page and the send button.
local function target()
  if step == 1 then return "GET", "/p/" .. token .. "/", nil end
  if step == 2 then return "POST", "/p/" .. token .. "/", "" end
  local k = step - 2
  if k <= 2 * sections then
    local n = math.floor((k + 1) / 2)
    local path = "/respond/" .. n .. "/"
    if k %% 2 == 1 then return "GET", path, nil end
    return "POST", path, bodies[n]
  end
  if k == 2 * sections + 1 then return "GET", "/respond/check/", nil end
  return "POST", "/respond/check/", ""
end

local function expected()
  local method = target()
  if method == "GET" then return 200 end
  return 302
end

function request()
  if token == nil then begin() end
  if token == nil then
    -- Out of links: ask for a page that changes nothing and count nothing.
    return wrk.format("GET", "/privacy/")
  end
  local method, path, body = target()
  local headers = {["Cookie"] = cookie_header()}
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    if body ~= "" then body = body .. "&" end
    body = body .. "csrfmiddlewaretoken=" .. csrf()
  end
  return wrk.format(method, path, headers, body)
end

function response(status, headers, body)
  if token == nil then return end
  statuses[status] = (statuses[status] or 0) + 1
  local set = headers["Set-Cookie"]
  if set then
    local name, value = set:match("^%%s*([^=;]+)=([^;]*)")
    if name then cookies[name] = value end
  end
  if status ~= expected() then
    failed = failed + 1
    begin()
    return
  end
  if step == 2 * sections + 4 then
    completed = completed + 1
    begin()
  else
    step = step + 1
  end
end

"""
    + WRK_DONE
)


def wrk_journeys(
    base: str,
    tokens: list[str],
    fields: dict[str, list[str]],
    *,
    connections: int,
    duration: float,
    value: str = "yes",
) -> Result:
    """People answering from start to sent, driven by wrk: one connection (and thread) each.

    Bounded by the tokens given (each link is used once) and by `duration`. Far lighter on the
    two cores than the Python client, which took much of the CPU the server needed."""
    import urllib.parse

    from .harness import section_fields

    bodies = [
        urllib.parse.urlencode(section_fields(fields[n], value), doseq=True)
        for n in sorted(fields, key=int)
    ]
    script = WRK_JOURNEY_SCRIPT % {
        "tokens": "{" + ", ".join(_lua_string(t) for t in tokens) + "}",
        "bodies": "{" + ", ".join(_lua_string(b) for b in bodies) + "}",
        "connections": connections,
    }
    data = _run_wrk(base + "/privacy/", script, connections, duration, threads=connections)
    statuses = _statuses(data)
    result = Result(
        "wrk",
        connections,
        data["duration_us"] / 1e6,
        sum(statuses.values()),
        statuses=statuses,
        errors=data["errors"],
        completed=data["completed"],
        failed=data["failed"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
    return result


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _cookie_header(session: dict[str, str]) -> str:
    return _lua_string("; ".join(f"{k}={v}" for k, v in session.items()))


def _csrf(session: dict[str, str]) -> str:
    return _lua_string(next((v for k, v in session.items() if k.endswith("csrftoken")), ""))


def wrk_load(
    base: str,
    sessions: list[dict[str, str]],
    method: str,
    path: str,
    fields: dict | None,
    *,
    connections: int,
    duration: float,
) -> Result:
    """wrk on one thread (so the client takes as little of the two cores as it can)."""
    import urllib.parse

    lua_sessions = (
        "{"
        + ", ".join(f"{{cookie = {_cookie_header(s)}, csrf = {_csrf(s)}}}" for s in sessions)
        + "}"
    )
    script = WRK_SCRIPT % {
        "sessions": lua_sessions,
        "method": _lua_string(method),
        "path": _lua_string(path),
        "fields": _lua_string(urllib.parse.urlencode(fields or {}, doseq=True)),
    }
    data = _run_wrk(base + path, script, connections, duration)
    result = Result(
        "wrk",
        connections,
        data["duration_us"] / 1e6,
        data["requests"],
        statuses=_statuses(data),
        errors=data["errors"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
    return result


def _statuses(data: dict) -> Counter:
    """wrk's statuses come a thread at a time: add them up."""
    statuses: Counter = Counter()
    for part in data["statuses"]:
        statuses.update({int(k): v for k, v in part.items()})
    return statuses


def _run_wrk(url: str, script: str, connections: int, duration: float, threads: int = 1) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        completed = subprocess.run(  # noqa: S603 - our own arguments, no shell
            [
                shutil.which("wrk") or "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(duration))}s",
                "--timeout",
                "10s",
                "-s",
                handle.name,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=duration + 60,
            check=False,
        )
    finally:
        Path(handle.name).unlink(missing_ok=True)
    line = next(
        (line for line in completed.stdout.splitlines() if line.startswith("WRK-JSON ")), None
    )
    if line is None:
        raise RuntimeError(f"wrk failed: {completed.stdout}\n{completed.stderr}")
    return json.loads(line.removeprefix("WRK-JSON "))
