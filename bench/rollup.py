"""Across partnerships: a system's side-by-side page with 10 places over 10 closed rounds
each, and the benchmark page among 500 partnerships that take part. `make bench-rollup`, or

    .venv/bin/python bench/rollup.py [--databases sqlite,postgresql] [--responses 20,200]

For each database and number of responses a round, a fresh process on a private database
(bench/harness.py `Database`) makes the system, its places and their rounds (random answers
through `rounds.fixtures.respond`, so the tally is kept as sending keeps it), then asks for
the system's side-by-side page through Django's test client as its observer would, 30
times, and prints the median and slowest time and the number of queries, which must not grow
with the responses. Then 500 more places take part in the benchmark, each with a closed round
of 5 responses: the time to take the snapshot, and one of them asking for its benchmark page,
30 times. docs/performance.md says what the figures mean.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from bench.harness import BASE_ENV, PYTHON, ROOT, Database

PLACES = 10
ROUNDS = 10
RUNS = 30
BENCHMARK_PARTNERSHIPS = 500


def child(responses: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixways.settings")
    django.setup()
    import datetime

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from sixways.instruments.loading import current, load_all
    from sixways.partnerships.models import Level, Membership, Organisation, Partnership, Role
    from sixways.rounds.fixtures import respond
    from sixways.rounds.models import Mode, Round, Status

    call_command("migrate", verbosity=0)
    load_all()
    instrument = current()
    rng = random.Random(responses)
    system = Partnership.objects.create(name="Bench System", level=Level.SYSTEM)
    today = timezone.localdate()
    for p in range(PLACES):
        place = Partnership.objects.create(name=f"Place {p}", level=Level.PLACE, parent=system)
        organisations = [Organisation.objects.create(name=f"P{p} partner {n}") for n in range(6)]
        for r in range(ROUNDS):
            closed = today - datetime.timedelta(days=180 * (ROUNDS - r))
            round_ = Round.objects.create(
                partnership=place,
                instrument=instrument,
                title=f"Round {r}",
                mode=Mode.INDIVIDUAL,
                status=Status.CLOSED,
                opens_on=closed - datetime.timedelta(days=28),
                closes_on=closed,
                closed_at=timezone.now() - datetime.timedelta(days=180 * (ROUNDS - r)),
            )
            round_.organisations.set(organisations)
            for _ in range(responses):
                pattern = "".join(str(rng.randint(0, 3)) for _ in range(6))
                respond(round_, rng.choice(organisations), pattern)
    user = get_user_model().objects.create_user(username="bench@example.com", password=None)
    # An observer: they read the page as a facilitator does, without a second factor to set up.
    Membership.objects.create(user=user, partnership=system, role=Role.OBSERVER)
    client = Client()
    client.force_login(user)
    url = reverse("results:rollup", args=[system.pk])
    assert client.get(url).status_code == 200  # warm: templates, instrument
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        reply = client.get(url)
        times.append(time.perf_counter() - started)
        assert reply.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    rollup = {
        "median_ms": round(statistics.median(times) * 1000, 1),
        "slowest_ms": round(max(times) * 1000, 1),
        "queries": len(queries),
    }

    from sixways.results import benchmark

    peer = None
    for n in range(BENCHMARK_PARTNERSHIPS):
        peer = Partnership.objects.create(
            name=f"Peer {n}", level=Level.PLACE, benchmark_joined_at=timezone.now()
        )
        organisation = Organisation.objects.create(name=f"Peer {n} partner")
        closed = today - datetime.timedelta(days=30)
        round_ = Round.objects.create(
            partnership=peer,
            instrument=instrument,
            title="Autumn",
            mode=Mode.INDIVIDUAL,
            status=Status.CLOSED,
            opens_on=closed - datetime.timedelta(days=28),
            closes_on=closed,
            closed_at=timezone.now() - datetime.timedelta(days=30),
        )
        round_.organisations.add(organisation)
        for _ in range(5):
            respond(round_, organisation, "".join(str(rng.randint(0, 3)) for _ in range(6)))
    started = time.perf_counter()
    taken = benchmark.take()
    snapshot_seconds = time.perf_counter() - started
    assert any(s.shown and s.partnerships == BENCHMARK_PARTNERSHIPS for s in taken)
    Membership.objects.create(user=user, partnership=peer, role=Role.OBSERVER)
    url = reverse("results:benchmark", args=[peer.pk])
    assert client.get(url).status_code == 200
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return {
        "rollup": rollup,
        "snapshot_seconds": round(snapshot_seconds, 2),
        "benchmark_median_ms": round(statistics.median(times) * 1000, 1),
        "benchmark_slowest_ms": round(max(times) * 1000, 1),
        "benchmark_queries": len(queries),
        "responses_a_round": responses,
        "responses": PLACES * ROUNDS * responses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--responses", default="20,200")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child)))
        return
    admin = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
    print(
        "database    responses  side by side: median  slowest  queries | snapshot  benchmark page: median  slowest  queries"
    )
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.databases.split(","):
            for responses in [int(n) for n in args.responses.split(",")]:
                database = (
                    Database.sqlite(Path(folder) / "rollup.sqlite3")
                    if kind == "sqlite"
                    else Database.postgresql(admin, "sixways_bench_rollup")
                )
                database.create()
                env = {
                    **os.environ,
                    **BASE_ENV,
                    **database.env(),
                    "DOWNLOADS_DIR": str(Path(folder) / "files"),
                    "ALLOWED_HOSTS": "testserver",  # Django's test client
                }
                try:
                    done = subprocess.run(  # noqa: S603 - our own arguments, no shell
                        [PYTHON, __file__, "--child", str(responses)],
                        env=env,
                        cwd=ROOT,
                        capture_output=True,
                        text=True,
                    )
                finally:
                    database.drop()
                if done.returncode:
                    sys.exit(f"{kind}, {responses} responses a round failed:\n{done.stderr}")
                r = json.loads(done.stdout.strip().splitlines()[-1])
                side = r["rollup"]
                print(
                    f"{kind:<11} {r['responses']:<10} {side['median_ms']:>8} ms {side['slowest_ms']:>8} ms "
                    f"{side['queries']:>4} | {r['snapshot_seconds']:>6} s {r['benchmark_median_ms']:>8} ms "
                    f"{r['benchmark_slowest_ms']:>8} ms {r['benchmark_queries']:>4}"
                )


if __name__ == "__main__":
    main()
