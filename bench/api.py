"""The API's tables on a round of 100,000 responses. `make bench-api`, or

    .venv/bin/python bench/api.py [--databases sqlite,postgresql] [--responses 100000]

For each database, a fresh process on a private database (bench/harness.py `Database`) makes
a partnership whose latest round, closed, holds that many sent responses (bench/generate.py
`large`, with a previous round a tenth of the size), and an API token for it. Through Django's
test client, as Power BI would ask, it times:

- the question-results table (CSV and JSON): the first request, which works the round's
  results out (after one request to the index, so the process itself is warm), then the
  median and slowest of 30 more (the results of a closed round are kept by each worker);
- a refresh whose ETag is unchanged: the server's CPU time (time.process_time around the
  request, which includes SQLite's work in the same process), median and slowest of 30, and
  its queries, which must not grow with the responses.

docs/performance.md says what the figures mean.
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

RUNS = 30


def child(responses: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixways.settings")
    django.setup()
    import datetime

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from bench import generate
    from sixways.instruments.loading import load_all
    from sixways.rounds.models import Round
    from sixways.sharing.models import ApiToken

    call_command("migrate", verbosity=0)
    load_all()
    started = time.perf_counter()
    round_id = generate.large(responses, generate.Instrument(), random.Random(2026), lambda m: None)
    generated = time.perf_counter() - started
    round_ = Round.objects.get(pk=round_id)
    _, secret = ApiToken.issue(
        round_.partnership, name="Bench", expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    found: dict = {"responses": responses, "generated_seconds": round(generated, 1)}
    # Warm the process (addresses, instruments) on a page with no figures, as a worker that
    # has served anything has; the first table request below still works the round out.
    assert client.get(reverse("api:index")).status_code == 200
    for suffix in ("csv", "json"):
        url = reverse(f"api:question-results-{suffix}")
        started = time.perf_counter()
        first = client.get(url)
        cold = time.perf_counter() - started
        assert first.status_code == 200, first.content
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            assert client.get(url).status_code == 200
            times.append(time.perf_counter() - started)
        found[suffix] = {
            "first_ms": round(cold * 1000, 1),
            "median_ms": round(statistics.median(times) * 1000, 1),
            "slowest_ms": round(max(times) * 1000, 1),
            "bytes": len(first.content),
        }
    url = reverse("api:question-results-csv")
    etag = client.get(url)["ETag"]
    cpu = []
    for _ in range(RUNS):
        started = time.process_time()
        reply = client.get(url, HTTP_IF_NONE_MATCH=etag)
        cpu.append(time.process_time() - started)
        assert reply.status_code == 304
    with CaptureQueriesContext(connection) as queries:
        client.get(url, HTTP_IF_NONE_MATCH=etag)
    found["unchanged"] = {
        "cpu_median_ms": round(statistics.median(cpu) * 1000, 2),
        "cpu_slowest_ms": round(max(cpu) * 1000, 2),
        "queries": len(queries),
    }
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child)))
        return
    admin = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
    print(
        "database    responses  table  first      median     slowest    size      | "
        "unchanged ETag: CPU median  slowest  queries"
    )
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.databases.split(","):
            database = (
                Database.sqlite(Path(folder) / "api.sqlite3")
                if kind == "sqlite"
                else Database.postgresql(admin, "sixways_bench_api")
            )
            database.create()
            env = {
                **os.environ,
                **BASE_ENV,
                **database.env(),
                "DOWNLOADS_DIR": str(Path(folder) / "files"),
                "ALLOWED_HOSTS": "testserver",  # Django's test client
                "API_RATE": "100000/h",  # the bench asks far more often than a report would
            }
            try:
                done = subprocess.run(  # noqa: S603 - our own arguments, no shell
                    [PYTHON, __file__, "--child", str(args.responses)],
                    env=env,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                )
            finally:
                database.drop()
            if done.returncode:
                sys.exit(f"{kind} failed:\n{done.stderr}")
            r = json.loads(done.stdout.strip().splitlines()[-1])
            same = r["unchanged"]
            for suffix in ("csv", "json"):
                t = r[suffix]
                print(
                    f"{kind:<11} {r['responses']:<10} {suffix:<6} {t['first_ms']:>7} ms "
                    f"{t['median_ms']:>7} ms {t['slowest_ms']:>7} ms {t['bytes'] // 1024:>6} KB | "
                    f"{same['cpu_median_ms']:>8} ms {same['cpu_slowest_ms']:>8} ms "
                    f"{same['queries']:>4}"
                )


if __name__ == "__main__":
    main()
