"""Profile single requests in-process: CPU time, wall time, database queries, hot functions.

    SQLITE_PATH=/path/to/bench.sqlite3 python bench/cpu.py participant
    SQLITE_PATH=... python bench/cpu.py results --round 123 [--profile]

CPU time (time.process_time) counts only this process: with SQLite that includes the database's
work, with PostgreSQL it does not (the wall time does). It is far steadier than wall time on a
shared machine, which is why docs/performance.md quotes it when comparing a change.

`participant` makes a fresh link in a new open round and times the question page, saving a
page, the check page and the start page; `results` times a round's results pages and
downloads as a facilitator of its partnership. Run it on a database from
`bench/run.py --keep`, or any migrated one.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixways.settings")
for name, value in (
    ("DEBUG", "0"),
    ("HTTPS", "0"),
    ("SECRET_KEY", "bench-profile-only"),
    ("STATIC_MANIFEST", "0"),
):
    os.environ.setdefault(name, value)
os.environ["ALLOWED_HOSTS"] = "testserver"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402

from bench import control  # noqa: E402


def measure(label: str, call, repeats: int, profile: bool) -> None:
    call()  # warm: templates compiled, connections open
    queries: list[float] = []

    def timed(run, sql, *rest):
        began = time.perf_counter()
        try:
            return run(sql, *rest)
        finally:
            queries.append(time.perf_counter() - began)

    # A wrapper sees every statement, even when a request closes and reopens the connection.
    with connection.execute_wrapper(timed):
        response = call()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(repeats):
        call()
    cpu = (time.process_time() - cpu) / repeats * 1000
    wall = (time.perf_counter() - wall) / repeats * 1000
    print(
        f"{label:<40} {response.status_code}  cpu {cpu:7.1f} ms  wall {wall:7.1f} ms  "
        f"{len(queries):3d} queries ({sum(queries) * 1000:6.1f} ms)  "
        f"{len(response.content):8,d} bytes"
    )
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(call)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def cache_radios() -> None:
    """An experiment, not a change to the app: remember each rendered NHS radios group.

    A question's radios depend only on their parameters (the question, the answer chosen and
    any error), so a cache keyed on them returns the same HTML. This measures what a real
    cache in sixways/design would save.
    """
    from django.template import engines

    module = engines["jinja2"].env.get_template("nhsuk/components/radios/macro.jinja").module
    render = module.radios
    rendered: dict = {}

    def radios(params):
        key = repr(params)
        if key not in rendered:
            rendered[key] = render(params)  # already Markup: the macro escaped it
        return rendered[key]

    module.radios = radios


def participant(args) -> None:
    if args.cache_radios:
        cache_radios()
    prepared = control.prepare(invitations=1, title="Profile")
    token, fields = prepared["tokens"][0], prepared["fields"]
    client = Client()
    client.get(f"/p/{token}/")
    client.post(f"/p/{token}/")
    for number, names in fields.items():
        client.post(f"/respond/{number}/", {**dict.fromkeys(names, "yes"), "action": "continue"})
    page = {**dict.fromkeys(fields["1"], "sometimes"), "action": "continue"}
    measure(
        "GET question page /respond/1/", lambda: client.get("/respond/1/"), args.n, args.profile
    )
    measure(
        "POST save a page /respond/1/",
        lambda: client.post("/respond/1/", page),
        args.n,
        args.profile,
    )
    measure(
        "GET check answers /respond/check/", lambda: client.get("/respond/check/"), args.n, False
    )
    measure("GET start page /p/<token>/", lambda: client.get(f"/p/{token}/"), args.n, False)
    measure("GET privacy (fixed text)", lambda: client.get("/privacy/"), args.n, False)


def results(args) -> None:
    session = control.session(rounds=[args.round])
    client = Client()
    client.cookies[session["cookie"]] = session["value"]
    paths = [f"/rounds/{args.round}/results/"]
    for found in control.urls():
        route = found["route"]
        if any(word in route for word in ("csv", "xlsx", "pdf", "pptx")):
            paths.append("/" + route.replace("<int:round_id>", str(args.round)))

    def get(path):
        response = client.get(path)
        if response.streaming:  # a streamed download (the CSV): read it all, as a browser does
            response = HttpResponse(b"".join(response.streaming_content), response.status_code)
        return response

    for path in args.paths or paths:
        measure(f"GET {path}", lambda path=path: get(path), args.n, args.profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["participant", "results"])
    parser.add_argument("--round", type=int, help="the round, for results")
    parser.add_argument("--path", dest="paths", action="append", help="only these paths")
    parser.add_argument("-n", type=int, default=10, help="repeats per request")
    parser.add_argument("--profile", action="store_true", help="print the hot functions")
    parser.add_argument(
        "--cache-radios",
        action="store_true",
        help="experiment: cache rendered radios groups, to measure that fix",
    )
    args = parser.parse_args()
    if args.what == "results" and not args.round:
        parser.error("results needs --round")
    {"participant": participant, "results": results}[args.what](args)


if __name__ == "__main__":
    main()
