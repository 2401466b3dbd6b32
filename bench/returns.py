"""The paper returns benchmark: checking and importing a file of 5,000 and 50,000 returns.
`make bench-returns`, or

    .venv/bin/python bench/returns.py [--databases sqlite,postgresql] [--rows 5000,50000]

For each database, format (CSV and Excel) and size, a fresh process on a private database
(bench/harness.py `Database`) makes an open round of 12 organisations, writes a file of that
many returns (every answer random, a comment on one return in four), and runs what the
background worker runs: `check` (every cell, then the preview) and `run_import` (all the
returns in one transaction, then the tally). It prints the seconds each took and the peak
memory of the process, against its memory before the file was opened, so the growth with the
file's size is what the file costs. docs/performance.md says what the figures mean.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from bench.harness import BASE_ENV, PYTHON, ROOT, Database

ANSWERS = ["Yes", "Sometimes", "Not always", "No"]


def write_file(path: Path, rows: int, organisations: list[str], keys: list[str]) -> None:
    rng = random.Random(rows)
    headers = ["reference", "organisation", *keys, "comment 1"]
    records = (
        [
            f"R{n}",
            rng.choice(organisations),
            *(rng.choice(ANSWERS) for _ in keys),
            "Meetings are better than they were, but not every partner speaks up."
            if n % 4 == 0
            else "",
        ]
        for n in range(rows)
    )
    if path.suffix == ".csv":
        import csv

        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(headers)
            writer.writerows(records)
    else:
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = book.add_worksheet("Returns")
        sheet.write_row(0, 0, headers)
        for i, record in enumerate(records, start=1):
            sheet.write_row(i, 0, record)
        book.close()


def child(rows: int, suffix: str) -> dict:
    """Runs inside a fresh process on the run's database."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixways.settings")
    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.utils import timezone

    from sixways.instruments.loading import current, load_all
    from sixways.partnerships.models import Organisation, Partnership
    from sixways.returns import importing
    from sixways.returns.models import Upload
    from sixways.rounds.models import Mode, Response, Round, Status

    call_command("migrate", verbosity=0)
    load_all()
    instrument = current()
    partnership = Partnership.objects.create(name="Bench Partnership")
    organisations = [Organisation.objects.create(name=f"Partner {n}") for n in range(12)]
    today = timezone.localdate()
    round_ = Round.objects.create(
        partnership=partnership,
        instrument=instrument,
        title="Bench round",
        mode=Mode.INDIVIDUAL,
        status=Status.OPEN,
        opens_on=today,
        closes_on=today + datetime.timedelta(days=30),
    )
    round_.organisations.set(organisations)
    keys = list(instrument.questions.order_by("position").values_list("key", flat=True))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"returns{suffix}"
        write_file(path, rows, [o.name for o in organisations], keys)
        size = path.stat().st_size
        uploaded = SimpleUploadedFile(path.name, path.read_bytes())
    upload = importing.receive(round_, uploaded, None)
    del uploaded
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    importing.check(upload.pk)
    checked = time.perf_counter()
    upload.refresh_from_db()
    assert upload.state == Upload.State.READY, upload.problems[:3]
    Upload.objects.filter(pk=upload.pk).update(state=Upload.State.IMPORTING)
    saved = importing.run_import(upload.pk, None)
    imported = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert saved == rows == Response.objects.filter(round=round_).count()
    return {
        "rows": rows,
        "format": suffix.lstrip("."),
        "megabytes": round(size / 1024 / 1024, 1),
        "check_seconds": round(checked - started, 2),
        "import_seconds": round(imported - checked, 2),
        "memory_before_mb": round(before / 1024),
        "memory_peak_mb": round(peak / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--rows", default="5000,50000")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.child[1])))
        return
    admin = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
    print("database    rows    format  MB     check s  import s  memory before → peak")
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.databases.split(","):
            for rows in [int(n) for n in args.rows.split(",")]:
                for suffix in [f".{f}" for f in args.formats.split(",")]:
                    database = (
                        Database.sqlite(Path(folder) / "returns.sqlite3")
                        if kind == "sqlite"
                        else Database.postgresql(admin, "sixways_bench_returns")
                    )
                    database.create()
                    env = {
                        **os.environ,
                        **BASE_ENV,
                        **database.env(),
                        "DOWNLOADS_DIR": str(Path(folder) / "files"),
                        "TASKS_BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                    }
                    try:
                        done = subprocess.run(  # noqa: S603 - our own arguments, no shell
                            [PYTHON, __file__, "--child", str(rows), suffix],
                            env=env,
                            cwd=ROOT,
                            capture_output=True,
                            text=True,
                        )
                    finally:
                        database.drop()
                    if done.returncode:
                        sys.exit(f"{kind}, {rows} rows, {suffix} failed:\n{done.stderr}")
                    out = done.stdout
                    r = json.loads(out.strip().splitlines()[-1])
                    print(
                        f"{kind:<11} {rows:<7} {r['format']:<7} {r['megabytes']:<6} "
                        f"{r['check_seconds']:<8} {r['import_seconds']:<9} "
                        f"{r['memory_before_mb']} MB → {r['memory_peak_mb']} MB"
                    )


if __name__ == "__main__":
    main()
