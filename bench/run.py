"""Run the whole benchmark and print a table of figures: `make bench`, or

    .venv/bin/python bench/run.py [--databases sqlite,postgresql] [--workers 3] [--quick]

For each database: a private database is made (a SQLite file in a temporary folder, or the
PostgreSQL database `sixways_bench` on the cluster in --postgres-url), filled by
bench/generate.py, and served by gunicorn as production serves it (DEBUG off, static files
collected and served compressed by whitenoise). A second process drives it over 127.0.0.1:
wrk when it is installed, else the Python load generator in bench/load.py. After every load run
the database is counted: every sent response stored once, none lost, none doubled, no 5xx.

Figures go to the terminal and to bench/results/<time>.json and .md. docs/performance.md says
what they mean.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from bench import load
from bench.harness import (
    PYTHON,
    ROOT,
    Client,
    Controller,
    Database,
    Server,
    process_env,
    section_fields,
    start,
)

ENCODINGS = {"Accept-Encoding": "gzip, deflate, br"}  # what browsers send
EXPORT_WORDS = ("csv", "xlsx", "excel", "pdf", "pptx", "powerpoint", "export", "download")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def collectstatic() -> None:
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "collectstatic", "STATIC_MANIFEST": "1"}
    subprocess.run(  # noqa: S603 - our own arguments, no shell
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )


def started_sessions(server: Server, tokens: list[str]) -> list[dict[str, str]]:
    """Press Start on each link: each becomes a person with a session part-way in."""
    sessions = []
    for token in tokens:
        client = Client(server.base)
        reply = start(client, token)
        assert reply.status == 302, reply.status
        sessions.append(dict(client.cookies))
    return sessions


def drive(args, server, sessions, method, path, fields, connections) -> load.Result:
    if args.client == "wrk" or (args.client == "auto" and load.wrk_available()):
        return load.wrk_load(
            server.base,
            sessions,
            method,
            path,
            fields,
            connections=connections,
            duration=args.duration,
        )
    return load.python_load(
        server.base,
        sessions,
        method,
        path,
        fields,
        connections=connections,
        duration=args.duration,
        max_requests=args.max_requests,
    )


def timed_get(client: Client, path: str, timeout_total: float, repeats: int) -> dict:
    """GET `path` up to `repeats` times (fewer if slow) after one warm-up; times in ms."""
    began = time.monotonic()
    warm = time.perf_counter()
    reply = client.get(path, headers=ENCODINGS)
    first = (time.perf_counter() - warm) * 1000
    times = []
    while len(times) < repeats and time.monotonic() - began < timeout_total:
        t = time.perf_counter()
        reply = client.get(path, headers=ENCODINGS)
        times.append((time.perf_counter() - t) * 1000)
    return {
        "status": reply.status,
        "first_ms": round(first, 1),
        "median_ms": round(statistics.median(times), 1) if times else round(first, 1),
        "max_ms": round(max(times), 1) if times else round(first, 1),
        "repeats": len(times),
        "bytes": reply.wire_bytes,
        "content_type": reply.headers.get("content-type", ""),
    }


# --- Bytes a browser transfers ------------------------------------------------------------------


def subresources(html: str) -> list[str]:
    found = re.findall(r'<link[^>]+href="(/assets/[^"]+)"', html)
    found += re.findall(r'<script[^>]+src="(/assets/[^"]+)"', html)
    return found


def js_imports(path: str, text: str) -> list[str]:
    base = path.rsplit("/", 1)[0]
    found = []
    for relative in re.findall(r'import\s*(?:[^"\']*from\s*)?["\'](\.{1,2}/[^"\']+)["\']', text):
        parts = (base + "/" + relative).split("/")
        resolved: list[str] = []
        for part in parts:
            if part == "..":
                resolved.pop()
            elif part != ".":
                resolved.append(part)
        found.append("/".join(resolved))
    return found


def transferred(server: Server, token: str) -> dict:
    """A first visit (the link's start page and everything it loads, as a browser would fetch
    it) and a later page (pressing Start: the redirect and the first question page; the static
    files are cached by then, for a year as their names carry a hash)."""
    client = Client(server.base)
    page = client.get(f"/p/{token}/", headers=ENCODINGS)
    # Read what the page loads from an uncompressed copy (opening a link changes nothing).
    plain = Client(server.base).get(f"/p/{token}/")
    files, seen, queue = [], set(), subresources(plain.text)
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        reply = Client(server.base).get(path, headers=ENCODINGS)
        files.append(
            {
                "path": path,
                "status": reply.status,
                "bytes": reply.wire_bytes,
                "encoding": reply.headers.get("content-encoding", "none"),
                "cache": reply.headers.get("cache-control", ""),
            }
        )
        if path.endswith((".js", ".mjs")):
            # A module's imports are fetched too; read them from an uncompressed copy.
            plain = Client(server.base).get(path).body.decode("utf-8", "replace")
            queue.extend(js_imports(path, plain))
    later = client.post(f"/p/{token}/", headers=ENCODINGS)
    question = client.get(later.location, headers=ENCODINGS)
    return {
        "first_visit_bytes": page.wire_bytes + sum(f["bytes"] for f in files),
        "first_html_bytes": page.wire_bytes,
        "html_encoding": page.headers.get("content-encoding", "none"),
        "files": files,
        "later_page_bytes": later.wire_bytes + question.wire_bytes,
        "later_html_bytes": question.wire_bytes,
        "later_html_body_bytes": len(question.body),
    }


# --- One database -------------------------------------------------------------------------------


def run_database(args, kind: str, directory: Path) -> dict:
    figures: dict = {
        "database": kind,
        "workers": args.workers,
        "threads": args.threads,
        "settings": args.settings,
    }
    if kind == "sqlite":
        database = Database.sqlite(directory / "bench.sqlite3")
    else:
        database = Database.postgresql(args.postgres_url, "sixways_bench")
    database.create()
    controller = Controller(database, log=directory / "controller.log")
    server = None
    try:
        log(f"{kind}: migrating")
        controller("migrate")
        log(f"{kind}: generating data (load {loadavg()})")
        began = time.monotonic()
        generated = subprocess.run(  # noqa: S603 - our own arguments, no shell
            [
                PYTHON,
                "bench/generate.py",
                "--background",
                str(args.background),
                "--large",
                args.large,
            ],
            cwd=ROOT,
            env=process_env(database),
            capture_output=True,
            text=True,
            check=True,
        )
        manifest = json.loads(generated.stdout.strip().splitlines()[-1])
        figures["generate_seconds"] = round(time.monotonic() - began, 1)
        figures["data"] = controller("counts")
        figures["database_bytes"] = database.size_bytes()
        log(f"{kind}: {figures['data']}")

        pages = controller("prepare", invitations=args.sessions, title="Page and save")
        runs = {
            c: controller("prepare", invitations=args.journeys, title=f"Journeys at {c}")
            for c in (10, 50)
        }
        fields = pages["fields"]
        server = Server(
            database,
            directory,
            workers=args.workers,
            threads=args.threads,
            extra_env={
                "STATIC_MANIFEST": "1",
                "DJANGO_SETTINGS_MODULE": args.settings,
                # Tasks are queued as in production, and no worker runs them: the first
                # person to ask for a board report or workbook waits for it to be built,
                # the worst case, and the results pages never build one inline.
                "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            },
        ).start()
        sessions = started_sessions(server, pages["tokens"])
        # Unmeasured: every worker compiles its templates and reads the instrument once.
        for method, body in (("GET", None), ("POST", section_fields(fields["1"], "sometimes"))):
            drive(
                argparse.Namespace(**{**vars(args), "duration": 2}),
                server,
                sessions,
                method,
                "/respond/1/",
                body,
                10,
            )

        # Question page and section save, at 10 and 50 connections.
        for name, method, body in (
            ("question_page", "GET", None),
            ("save_section", "POST", section_fields(fields["1"], "sometimes")),
        ):
            for connections in (10, 50):
                errors_before = server.server_errors()
                load_before = loadavg()
                log(f"{kind}: {name} at {connections} connections (load {load_before})")
                result = drive(args, server, sessions, method, "/respond/1/", body, connections)
                summary = result.summary()
                summary["load_before"] = load_before
                summary["server_5xx"] = server.server_errors() - errors_before
                figures[f"{name}_{connections}"] = summary
        audit = controller("audit", round=pages["round"], tokens=pages["tokens"])
        per_token = audit.pop("tokens").values()
        figures["save_audit"] = {
            **audit,
            "people_with_section_1_saved_as_sent": sum(
                1 for t in per_token if t["by_section"].get("1") == ["sometimes"]
            ),
            "people": len(pages["tokens"]),
        }

        # The whole journey, start to sent.
        for connections, prepared in runs.items():
            errors_before = server.server_errors()
            load_before = loadavg()
            log(f"{kind}: journeys at {connections} connections (load {load_before})")
            use_wrk = args.client == "wrk" or (args.client == "auto" and load.wrk_available())
            result = (load.wrk_journeys if use_wrk else load.journeys)(
                server.base,
                prepared["tokens"],
                fields,
                connections=connections,
                duration=args.duration,
            )
            summary = result.summary()
            summary["load_before"] = load_before
            if result.journey_ms:  # the Python client times whole journeys; wrk cannot
                summary["journey_p50_ms"] = round(load.percentile(sorted(result.journey_ms), 50), 1)
            summary["server_5xx"] = server.server_errors() - errors_before
            audit = controller("audit", round=prepared["round"])
            summary["audit"] = audit
            # Sent per the database but not per the client: stored, yet nobody was told.
            summary["lost"] = max(0, result.completed - audit["submitted"])
            summary["unacknowledged"] = max(0, audit["submitted"] - result.completed)
            figures[f"journeys_{connections}"] = summary

        # Results pages and exports, by a signed-in facilitator.
        large = {} if args.participant else {int(k): v for k, v in manifest["large"].items()}
        cookie = controller("session", rounds=list(large.values()))
        facilitator = Client(server.base, timeout=300, cookies={cookie["cookie"]: cookie["value"]})
        figures["memory_kib_before_results"] = server.peak_memory_kib()
        figures["results"] = {}
        for size, round_id in sorted(large.items()):
            log(f"{kind}: results overview at {size:,} responses")
            figures["results"][str(size)] = timed_get(
                facilitator,
                f"/rounds/{round_id}/results/",
                timeout_total=60,
                repeats=10 if size <= 10000 else 3,
            )
        exports = [
            u
            for u in ([] if args.participant else controller("urls"))
            if any(w in (u["route"] + (u["name"] or "")).lower() for w in EXPORT_WORDS)
        ]
        figures["exports_found"] = exports
        figures["exports"] = {}
        for export in exports:
            for size, round_id in sorted(large.items()):
                if size > 10000 and not args.export_largest:
                    continue
                route = re.sub(r"<int:\w+>", str(round_id), export["route"])
                if "<" in route:
                    continue
                log(f"{kind}: export {route} at {size:,} responses")
                figures["exports"][f"{export['name']}@{size}"] = timed_get(
                    facilitator, "/" + route, timeout_total=60, repeats=2
                )
        figures["memory_kib_peak"] = server.peak_memory_kib()

        log(f"{kind}: bytes transferred")
        spare = controller("prepare", invitations=1, title="Bytes")
        figures["bytes"] = transferred(server, spare["tokens"][0])
        figures["server_5xx_total"] = server.server_errors()
        figures["statuses_total"] = server.statuses()
        figures["locked_errors_in_log"] = server.error_log_text().count("database is locked")
        figures["tracebacks_in_log"] = server.error_log_text().count("Traceback")
    finally:
        if server:
            server.stop()
        controller.close()
        if not args.keep:
            database.drop()
    return figures


# --- The table ----------------------------------------------------------------------------------


def kb(n: int | None) -> str:
    return "–" if n is None else f"{n / 1024:.1f} KB"


def rows(figures: dict) -> list[tuple[str, str, str]]:
    """(measure, target, figure) for one database."""
    out = []
    for name, label, target in (
        ("question_page", "Question page", "≥ 500/s, p99 < 50 ms at 10"),
        ("save_section", "Save a section", "≥ 300/s, p99 < 50 ms at 10"),
    ):
        for c in (10, 50):
            r = figures[f"{name}_{c}"]
            bad = r["server_5xx"] + r["errors"]
            out.append(
                (
                    f"{label}, {c} connections",
                    target if c == 10 else "no errors at 50",
                    f"{r['rps']:.0f}/s, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, {bad} errors",
                )
            )
    for c in (10, 50):
        r = figures[f"journeys_{c}"]
        out.append(
            (
                f"Complete responses, {c} people at once",
                "≥ 30/s",
                f"{r['completed_per_second']:.1f}/s ({r['completed']} sent, "
                f"{r['rps']:.0f} requests/s, p99 {r['p99_ms']} ms); lost {r['lost']}, "
                f"doubled {r['audit']['responses_per_link_over_one']}, "
                f"half-saved {r['audit']['half_saved']}, 5xx {r['server_5xx']}",
            )
        )
    targets = {"1000": "", "10000": "< 100 ms", "100000": "< 1 s"}
    for size, r in figures["results"].items():
        out.append(
            (
                f"Results overview, {int(size):,} responses",
                targets.get(size, ""),
                f"{r['median_ms']} ms median, {r['max_ms']} ms max (status {r['status']})",
            )
        )
    if not figures["exports_found"] and figures["results"]:
        out.append(("Exports (CSV, Excel, PDF, PowerPoint)", "< 2 s / < 3 s", "no export URLs"))
    for name, r in figures["exports"].items():
        out.append(
            (
                f"Export {name}",
                "< 3 s" if "pdf" in name else "< 2 s",
                f"{r['median_ms']} ms, {kb(r['bytes'])} (status {r['status']})",
            )
        )
    b = figures["bytes"]
    out.append(("First visit, transferred", "≤ 60 KB", kb(b["first_visit_bytes"])))
    out.append(("Later page, transferred", "≤ 10 KB", kb(b["later_page_bytes"])))
    out.append(
        (
            "Peak worker memory",
            "",
            f"{figures['memory_kib_peak'] / 1024:.0f} MB "
            f"(before results pages {figures['memory_kib_before_results'] / 1024:.0f} MB)",
        )
    )
    out.append(
        (
            "Server errors over the whole run",
            "0",
            f"{figures['server_5xx_total']} 5xx, {figures['locked_errors_in_log']} "
            "'database is locked'",
        )
    )
    return out


def table(all_figures: list[dict]) -> str:
    header = ["Measure", "Target"] + [f["database"] for f in all_figures]
    body = []
    per_db = [rows(f) for f in all_figures]
    for index, (measure, target, _) in enumerate(per_db[0]):
        body.append(
            [measure, target] + [cells[index][2] if index < len(cells) else "" for cells in per_db]
        )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a database on the cluster to create and drop sixways_bench from",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="gunicorn workers (one a core: measured best, docs/performance.md)",
    )
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--duration", type=float, help="seconds per load run (10; 3 if --quick)")
    parser.add_argument("--max-requests", type=int, default=20000, help="per Python load run")
    parser.add_argument("--sessions", type=int, default=50, help="people for page and save runs")
    parser.add_argument("--journeys", type=int, default=2000, help="links per journey run")
    parser.add_argument("--background", type=int, default=10000)
    parser.add_argument("--large", default="1000,10000,100000")
    parser.add_argument(
        "--settings",
        default="sixways.settings",
        help="settings module for the server, to measure a change before making it",
    )
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--export-largest", action="store_true", help="export 100,000 too")
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases and server logs afterwards"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small data and short runs, to check the bench"
    )
    parser.add_argument(
        "--participant",
        action="store_true",
        help="only the participant's side: pages, saves, journeys and bytes (no results)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.background, args.large, args.journeys = 500, "1000,10000", 1000
    if args.duration is None:
        args.duration = 3 if args.quick else 10
    if args.participant:
        args.large = ""  # the large rounds are only for the results pages

    log(f"collectstatic (load {loadavg()})")
    collectstatic()
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    all_figures = []
    for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
        if args.keep:
            directory = tempfile.mkdtemp(prefix=f"sixways-bench-{kind}-")
            log(f"{kind}: keeping the database and logs in {directory}")
            all_figures.append(run_database(args, kind, Path(directory)))
            continue
        with tempfile.TemporaryDirectory(prefix=f"sixways-bench-{kind}-") as directory:
            all_figures.append(run_database(args, kind, Path(directory)))
    report = {
        "when": stamp,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_at_end": loadavg(),
        },
        "settings": vars(args),
        "figures": all_figures,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"{stamp}.json").write_text(json.dumps(report, indent=2, default=str))
    text = table(all_figures)
    (out / f"{stamp}.md").write_text(text + "\n")
    print(text)
    log(f"written bench/results/{stamp}.json and .md")


if __name__ == "__main__":
    main()
