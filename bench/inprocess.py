"""Server CPU per read, in-process: the API's ASGI app called directly, no HTTP, no load.

Comparable across commits on a shared machine: for each read (bench/run.py's queries A, B
and C against a generated database), it sends a warm-up, then ``--requests`` requests one
after another and reports the process CPU time per request, the least of five rounds (the
database server's CPU is not counted), and, with ``--calls``, cProfile's total function
calls per request (deterministic). Every answer is checked: an error or an empty answer
fails the run. CPU time still varies by a tenth from one process to the next: compare
several runs, or the calls.

    PYTHONPATH=$PWD .venv/bin/python bench/inprocess.py --households 1000000 --only a,c
    PYTHONPATH=$PWD .venv/bin/python bench/inprocess.py --only a --profile 30

bench/run.py runs it with ``--calls`` for every read before it starts the servers, and
keeps the calls (and CPU) per request in the result file.

The database and its fixtures are bench/run.py's (``tuopin_bench_<N>``, bench/.state/).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402


async def request(app: Any, body: bytes, bearer: str) -> dict[str, Any]:
    """One POST /graphql through the ASGI app, as uvicorn would send it."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {bearer}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    chunks: list[bytes] = []
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    if status != 200:
        raise SystemExit(f"status {status}: {b''.join(chunks)[:500]!r}")
    answer: dict[str, Any] = orjson.loads(b"".join(chunks))
    if "errors" in answer or not run._substantial(answer["data"]):
        raise SystemExit(f"not a good answer: {answer}")
    return answer


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    url, fixture = run.database(args.households)
    os.environ.update(run.tuopin_env(url))
    from api.app import create_app
    from api.config import Settings

    app = create_app(Settings())
    reads = {
        name: (orjson.dumps(body), bearer)
        for name, (body, bearer) in run.reads(fixture).items()
        if name[0] in args.only
    }
    results: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        if "d" in args.only:
            results["d_perform_stage"] = await measure_writes(app, url, args)
        for name, (body, bearer) in reads.items():
            for _ in range(args.warm):
                await request(app, body, bearer)

            async def client(count: int, body: bytes = body, bearer: str = bearer) -> None:
                for _ in range(count):
                    await request(app, body, bearer)

            # The least of five rounds: what another process took from the core in a
            # round shows as CPU time of this one (caches, frequency), never the other way.
            each = max(1, args.requests // (5 * args.concurrency))
            rounds = []
            for _ in range(5):
                started = time.process_time()
                await asyncio.gather(*(client(each) for _ in range(args.concurrency)))
                rounds.append((time.process_time() - started) / (each * args.concurrency))
            cpu = min(rounds)
            results[name] = {"cpu_ms_per_request": round(1000 * cpu, 3)}
            if args.calls or args.profile:
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(20):
                    await request(app, body, bearer)
                profile.disable()
                stats = pstats.Stats(profile)
                results[name]["calls_per_request"] = stats.total_calls // 20  # type: ignore[attr-defined]
                if args.profile:
                    print(f"== {name}")
                    stats.sort_stats("cumulative").print_stats(args.profile)
                    stats.sort_stats("tottime").print_stats(args.profile)
    return results


async def measure_writes(app: Any, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """(d): each request approves an application of its own, prepared here (as bench/run.py
    prepares them: in villages no run has used), so no round repeats a request."""
    from bench import fixtures

    profiled = 20 if args.calls or args.profile else 0
    each = max(1, args.requests // (5 * args.concurrency))
    target = args.warm + 5 * each * args.concurrency + profiled
    prepared = await run._in_transaction_async(
        url, lambda session: fixtures.prepare_writes(session, target=target)
    )
    bodies, bearers = run.write_requests(prepared)
    supply = iter(zip([orjson.dumps(b) for b in bodies], bearers, strict=True))
    for _ in range(args.warm):
        await request(app, *next(supply))

    async def client(count: int) -> None:
        for _ in range(count):
            await request(app, *next(supply))

    rounds = []
    for _ in range(5):
        started = time.process_time()
        await asyncio.gather(*(client(each) for _ in range(args.concurrency)))
        rounds.append((time.process_time() - started) / (each * args.concurrency))
    measured: dict[str, Any] = {"cpu_ms_per_request": round(1000 * min(rounds), 3)}
    if profiled:
        profile = cProfile.Profile()
        profile.enable()
        await client(profiled)
        profile.disable()
        stats = pstats.Stats(profile)
        measured["calls_per_request"] = stats.total_calls // profiled  # type: ignore[attr-defined]
        if args.profile:
            print("== d_perform_stage")
            stats.sort_stats("cumulative").print_stats(args.profile)
            stats.sort_stats("tottime").print_stats(args.profile)
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument(
        "--only", default="a,c", help="some of a,b,c,d (d approves applications it prepares)"
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warm", type=int, default=50)
    parser.add_argument(
        "--concurrency", type=int, default=1, help="requests in flight at once (bench/run.py: 16)"
    )
    parser.add_argument("--calls", action="store_true", help="also count function calls")
    parser.add_argument("--profile", type=int, default=0, help="print N lines of a profile")
    parser.add_argument("--out", type=Path, help="also write the results here (bench/run.py)")
    args = parser.parse_args()
    args.only = set(args.only.split(","))
    results = json.dumps(asyncio.run(measure(args)), indent=2)
    print(results)
    if args.out is not None:
        args.out.write_text(results)


if __name__ == "__main__":
    main()
