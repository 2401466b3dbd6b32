"""The workshop benchmark: many rooms of phones polling, a room voting at once, and memory over
a long workshop. `make bench-workshops`, or

    .venv/bin/python bench/workshops.py [--databases sqlite,postgresql] [--minutes 10]

For each database a private one is made and filled with `--workshops` running workshops of
`--seats` phones each (bench/control.py `workshops`), served by gunicorn as production serves
it (two sync workers, DEBUG off). Then:

1. Polls: wrk asks every phone's live address in turn with the ETag it holds, as app.js does
   every 2 to 3 seconds; nothing changes, so every answer should be 304. Requests a second,
   p99, and the workers' CPU time per poll (from /proc, so the client's share is left out).
2. A vote in the same second: `--voters` phones of one more workshop vote at once from threads;
   then the database is counted (every vote stored once, none doubled), with no errors.
3. Memory: polls for `--minutes`, the workers' resident memory read each minute.

docs/performance.md says what the figures mean.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from bench import load
from bench.harness import Client, Controller, Database, Server

POLL_SCRIPT = (
    """
local phones = %(phones)s
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
  local p = phones[(counter %% #phones) + 1]
  return wrk.format("GET", p.path, {["Cookie"] = p.cookie, ["If-None-Match"] = p.etag})
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

"""
    + load.WRK_DONE
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cpu_seconds(server: Server) -> float:
    """User and system CPU time of the server's workers so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in server.worker_pids():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def rss_kib(server: Server) -> list[int]:
    found = []
    for pid in server.worker_pids():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                found.append(int(line.split()[1]))
    return found


def lua(phones: list[dict]) -> str:
    def s(value: str) -> str:
        return json.dumps(value)

    return (
        "{"
        + ", ".join(
            f"{{path = {s('/w/' + p['code'] + '/live/')}, cookie = {s(p['cookie'])}, "
            f"etag = {s(p['etag'])}}}"
            for p in phones
        )
        + "}"
    )


def polls(server: Server, phones: list[dict], connections: int, duration: float) -> dict:
    before = cpu_seconds(server)
    data = load._run_wrk(
        server.base + "/w/", POLL_SCRIPT % {"phones": lua(phones)}, connections, duration
    )
    spent = cpu_seconds(server) - before
    statuses = load._statuses(data)
    return {
        "connections": connections,
        "requests": data["requests"],
        "per_second": round(data["requests"] / (data["duration_us"] / 1e6)),
        "p50_ms": round(data["p50_us"] / 1000, 2),
        "p99_ms": round(data["p99_us"] / 1000, 2),
        "statuses": dict(statuses),
        "errors": data["errors"],
        "cpu_ms_per_poll": round(spent * 1000 / max(1, data["requests"]), 3),
    }


def vote_at_once(server: Server, phones: list[dict], field: str) -> dict:
    """Each phone votes from its own thread, all released together."""
    clients = []
    for phone in phones:
        name, _, value = phone["cookie"].partition("=")
        client = Client(server.base, cookies={name: value})
        client.get(f"/w/{phone['code']}/room/")  # a page with a form: the CSRF cookie
        clients.append((client, phone))
    gate = threading.Barrier(len(clients))
    statuses = []

    def cast(pair):
        client, phone = pair
        gate.wait()
        try:
            statuses.append(client.post(f"/w/{phone['code']}/vote/", {field: "yes"}).status)
        except OSError as error:
            statuses.append(type(error).__name__)

    threads = [threading.Thread(target=cast, args=(pair,)) for pair in clients]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return {
        "voters": len(clients),
        "seconds": round(time.monotonic() - started, 2),
        "statuses": statuses,
    }


def run(kind: str, args, directory: Path) -> dict:
    if kind == "sqlite":
        database = Database.sqlite(directory / "workshops.sqlite3")
    else:
        database = Database.postgresql(args.postgres_url, "sixways_bench_workshops")
    database.create()
    try:
        with Controller(database, log=directory / f"controller-{kind}.log") as control:
            control("migrate")
            log(f"{kind}: {args.workshops} workshops of {args.seats} phones")
            made = control("workshops", count=args.workshops, seats=args.seats)
            phones = made["phones"]
            with Server(
                database, directory, workers=args.workers, gunicorn_args=["--preload"]
            ) as server:
                polls(server, phones, 10, 2)  # warm up
                figures = {"database": kind}
                for connections in (10, 50):
                    log(f"{kind}: polls at {connections} connections")
                    figures[f"polls_{connections}"] = polls(
                        server, phones, connections, args.duration
                    )
                log(f"{kind}: {args.voters} phones vote at once")
                room = control("workshops", count=1, seats=args.voters)
                figures["vote"] = vote_at_once(server, room["phones"], room["field"])
                figures["vote"]["held"] = control("votes", rounds=room["rounds"])
                memory = [rss_kib(server)]
                for minute in range(args.minutes):
                    log(f"{kind}: memory, minute {minute + 1} of {args.minutes}")
                    polls(server, phones, 50, 60)
                    memory.append(rss_kib(server))
                figures["rss_kib_by_minute"] = memory
                return figures
    finally:
        database.drop()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--workshops", type=int, default=100)
    parser.add_argument("--seats", type=int, default=30)
    parser.add_argument("--voters", type=int, default=40)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--minutes", type=int, default=10, help="of polling, to watch memory")
    args = parser.parse_args(argv)
    if not load.wrk_available():
        sys.exit("wrk is needed: `make bench-workshops` installs it")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.databases.split(","):
            results.append(run(kind, args, Path(folder)))
    out = Path(__file__).parent / "results" / f"workshops-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    log(f"written to {out}")


if __name__ == "__main__":
    main()
