"""`make bench`: the API against its floor and PostGraphile, on generated data, same load.

For each size (default 100,000 and 1,000,000 households) a PostgreSQL database
``tuopin_bench_<N>`` is generated once and reused. The API (one uvicorn worker, uvloop,
httptools), the floor (bench/floor.py) and PostGraphile v5 (bench/peer.py: one Node
process, a SELECT-only role, unscoped) run pinned to core 0, one at a time; wrk runs
pinned to core 1 with 16 connections. Before any load, every reference read is sent to
the API and the floor and the JSON must be identical, and PostGraphile's answer must
hold the floor's rows. Before the servers start, bench/inprocess.py measures each read's
function calls and CPU per request in-process. Results: req/s, p50, p99 and server CPU
per request for each request, each read's ratios (API ÷ floor, API ÷ PostGraphile,
PostGraphile ÷ floor), and the village list's latency at the largest size against the
smallest; printed and written to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.auth.tokens import issue_dev_token  # noqa: E402
from api.db.session import create_engine  # noqa: E402
from api.domain.roles import Principal, Role  # noqa: E402
from bench import fixtures, imports, peer  # noqa: E402

BIN = Path(sys.executable).parent
KEY = "bench-signing-key-" + "k" * 32
PG_HOST = os.environ.get("BENCH_PG", "127.0.0.1:5432")
STATE = ROOT / "bench" / ".state"
RESULTS = ROOT / "bench" / "results"
CONNECTIONS = 16
WARM_UP = 2
"""Seconds of the same load before each measured run, for both servers (and for the
write, on applications of its own): first requests fill pools and statement caches."""

A = """query A($code: String!) { jurisdiction(code: $code) { name households(first: 50) {
  edges { node { registryNo headName exitAttribute size(year: 2016)
  perCapitaNetIncome(year: 2016) } } } } }"""
B = """query B { viewer { inbox(first: 20) { id subjectKey currentStage { code }
  household { headName } history { stage action actor at } } } }"""
C = """query C($id: ID!) { node(id: $id) { ... on Household { registryNo headName
  members { name idNumber relation } village { name } county { name } } } }"""
E = """query E($q: String!) { searchHouseholds(query: $q, first: 20) {
  edges { node { registryNo headName villageCode } } pageInfo { hasNextPage endCursor } } }"""
D = """mutation D($input: PerformStageInput!) { performStage(input: $input) {
  __typename ... on ApplicationSuccess { application { id currentStage { code } } }
  ... on Error { message } } }"""


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def run(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(args, check=True, env=env)


def tuopin_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUOPIN_")}
    env |= {"TUOPIN_DATABASE_URL": url, "TUOPIN_DEV_SIGNING_KEY": KEY}
    return env


def psql(statement: str) -> str:
    host, port = PG_HOST.split(":")
    result = subprocess.run(
        ["psql", "-h", host, "-p", port, "-d", "test", "-tAc", statement],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


async def _in_transaction_async(url: str, work: Any) -> Any:
    engine = create_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def _in_transaction(url: str, work: Any) -> Any:
    return asyncio.run(_in_transaction_async(url, work))


def database(households: int) -> tuple[str, dict[str, Any]]:
    """The benchmark database for this size, generated and prepared once."""
    name = f"tuopin_bench_{households}"
    url = f"postgresql+asyncpg://{PG_HOST}/{name}"
    state = STATE / f"{name}.json"
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"
    if exists and state.is_file():
        run(str(BIN / "tuopin"), "migrate", env=tuopin_env(url))  # a no-op at head
        known = json.loads(state.read_text())
        if "search_name" not in known:  # a database prepared before the search read
            known |= _in_transaction(url, fixtures.prepare_search)
            state.write_text(json.dumps(known))
        return url, known
    log(f"generating {households:,} households into {name} (once; reused afterwards)")
    psql(f'DROP DATABASE IF EXISTS "{name}"')
    psql(f'CREATE DATABASE "{name}"')
    env = tuopin_env(url)
    run(str(BIN / "tuopin"), "migrate", env=env)
    run(str(BIN / "tuopin"), "generate", "--households", str(households), env=env)
    reads = _in_transaction(url, fixtures.prepare_reads)
    reads |= _in_transaction(url, fixtures.prepare_search)
    # As after pg_restore: a fresh load has no visibility map, so index-only scans
    # fetch the heap and autovacuum would run during the measurement.
    run("psql", "-h", PG_HOST.split(":")[0], "-d", name, "-qc", "VACUUM ANALYZE")
    STATE.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps(reads))
    return url, reads


def token(who: dict[str, str]) -> str:
    principal = Principal(who["subject"], Role(who["role"]), who["jurisdiction"])
    return issue_dev_token(principal, key=KEY, ttl=timedelta(hours=6))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def start(name: str, app: str, env: dict[str, str], *, factory: bool) -> Server:
    port = free_port()
    command = [
        "taskset", "-c", "0", str(BIN / "uvicorn"), app, "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--workers", "1",
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    if factory:
        command.append("--factory")
    return launch(name, command, env, ROOT, port)


def floor_env(url: str) -> dict[str, str]:
    return tuopin_env(url) | {
        "BENCH_DSN": url.replace("+asyncpg", ""),
        "BENCH_KEY": KEY,
        "PYTHONPATH": str(ROOT),
    }


def start_floor(url: str) -> Server:
    return start("floor", "bench.floor:app", floor_env(url), factory=False)


def start_postgraphile(home: Path, database: str) -> Server:
    """One Node process on core 0, as the reader role (bench/peer.py)."""
    port = free_port()
    return launch("postgraphile", peer.command(home), peer.env(PG_HOST, database, port), home, port)


def launch(name: str, command: list[str], env: dict[str, str], cwd: Path, port: int) -> Server:
    process = subprocess.Popen(command, env=env, cwd=cwd)
    url = f"http://127.0.0.1:{port}/graphql"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.post(url, json={}, timeout=1)
            return Server(name, process, url)
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{name} did not start")


def ask(server: Server, body: dict[str, Any], bearer: str) -> Any:
    """One request; no Authorization header when there is no bearer (PostGraphile)."""
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    response = httpx.post(server.url, json=body, headers=headers, timeout=30)
    response.raise_for_status()
    return response.json()


def lua_single(body: dict[str, Any], bearer: str) -> str:
    auth = f'wrk.headers["Authorization"] = "Bearer {bearer}"\n' if bearer else ""
    return (
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(json.dumps(body))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"{auth}"
        "local failed = 0\n"
        "response = function(status, headers, body)\n"
        "  if status ~= 200 or string.find(body, '\"errors\"', 1, true) then\n"
        "    failed = failed + 1 end end\n"
        'done = function() io.write(string.format("failed %d\\n", failed)) end\n'
    )


def lua_many(bodies: list[str], bearers: list[str]) -> str:
    def table(items: list[str]) -> str:
        return "{" + ",\n".join(json.dumps(i) for i in items) + "}"

    return (
        f"local bodies = {table(bodies)}\nlocal bearers = {table(bearers)}\n"
        "local i = 0\nlocal failed = 0\n"
        "request = function()\n  i = i + 1\n  local k = ((i - 1) % #bodies) + 1\n"
        '  return wrk.format("POST", "/graphql", {["Content-Type"] = "application/json",\n'
        '    ["Authorization"] = "Bearer " .. bearers[k]}, bodies[k])\nend\n'
        "response = function(status, headers, body)\n"
        "  if status ~= 200 or not string.find(body, 'ApplicationSuccess', 1, true) then\n"
        "    failed = failed + 1 end end\n"
        'done = function() io.write(string.format("failed %d\\n", failed)) end\n'
    )


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        raise SystemExit(f"wrk printed a latency this script does not read: {text!r}")
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


SPIN = """import time
best = None
for _ in range(3):
    started = time.process_time()
    total = 0
    for i in range(1_000_000):
        total += i * i
    took = time.process_time() - started
    best = took if best is None else min(best, took)
print(round(1000 * best, 1))"""


def core_speed() -> float:
    """Milliseconds a fixed Python loop takes on the server's core (the least of three).

    This machine slows down under sustained load (the same loop took 0.55 s rested and
    1.1 s after a minute of load, seen 2026-12-07): each measurement keeps this figure
    from before and after its load, so a slow run shows as a slow machine.
    """
    out = subprocess.run(
        ["taskset", "-c", "0", sys.executable, "-c", SPIN],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return float(out)


def load(
    server: Server, script: str, seconds: int, connections: int = CONNECTIONS
) -> dict[str, Any]:
    path = STATE / "load.lua"
    path.write_text(script)
    speed_before = core_speed()
    before = server.cpu_seconds()
    result = subprocess.run(
        [
            "taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
            "--latency", "-s", str(path), server.url,
        ],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    cpu = server.cpu_seconds() - before
    speed_after = core_speed()
    out = result.stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    failed = int(re.search(r"failed (\d+)", out).group(1))  # type: ignore[union-attr]
    if failed:
        raise SystemExit(f"{server.name}: {failed} of {requests} answers were errors\n{out}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "cpu_ms_per_request": 1000 * cpu / max(requests, 1),
        "requests": requests,
        "core_loop_ms": [speed_before, speed_after],
    }


def reads(reads_fixture: dict[str, Any]) -> dict[str, tuple[dict[str, Any], str]]:
    from strawberry.relay import to_base64

    return {
        "a_village_households": (
            {"query": A, "operationName": "A", "variables": {"code": reads_fixture["village"]}},
            token(reads_fixture["township"]),
        ),
        "b_township_inbox": (
            {"query": B, "operationName": "B", "variables": {}},
            token(reads_fixture["town"]),
        ),
        "c_household": (
            {
                "query": C,
                "operationName": "C",
                "variables": {"id": to_base64("Household", reads_fixture["household"])},
            },
            token(reads_fixture["county"]),
        ),
        # A name search (a member's three-character name, anywhere in the county's
        # register); PostGraphile has no search in its schema, so it sits this one out.
        "e_name_search": (
            {"query": E, "operationName": "E", "variables": {"q": reads_fixture["search_name"]}},
            token(reads_fixture["county"]),
        ),
    }


def write_requests(prepared: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Request (d)'s bodies and bearers, one per application ``prepare_writes`` made."""
    from strawberry.relay import to_base64

    bodies, bearers = [], []
    for item in prepared["perform"]:
        variables = {
            "input": {
                "applicationId": to_base64("ExitApplication", item["application"]),
                "stage": "verification",
                "decision": "APPROVE",
                "evidence": prepared["evidence"],
            }
        }
        bodies.append({"query": D, "operationName": "D", "variables": variables})
        bearers.append(token(item["principal"]))
    return bodies, bearers


def _substantial(data: dict[str, Any]) -> bool:
    if "performStage" in data:
        payload = data["performStage"]
        return payload["__typename"] == "ApplicationSuccess" and bool(payload["application"])
    if "jurisdiction" in data:
        return bool(data["jurisdiction"]["households"]["edges"])
    if "searchHouseholds" in data:
        return bool(data["searchHouseholds"]["edges"])
    if "viewer" in data:
        inbox = data["viewer"]["inbox"]
        return len(inbox) == 20 and all(item["history"] for item in inbox)
    return data.get("node") is not None and bool(data["node"]["members"])


def inprocess_counts(households: int, names: list[str]) -> dict[str, Any]:
    """bench/inprocess.py --calls, in a process of its own before any server starts: per
    read, cProfile's function calls per request (deterministic, so a regression shows
    without load) and in-process CPU per request."""
    out = STATE / "inprocess.json"
    out.unlink(missing_ok=True)
    run(
        sys.executable, str(ROOT / "bench" / "inprocess.py"), "--households", str(households),
        "--only", ",".join(sorted({name[0] for name in names})), "--calls", "--out", str(out),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    counts: dict[str, Any] = json.loads(out.read_text())
    return counts


def bench_size(
    households: int,
    seconds: int,
    *,
    writes: bool,
    only: set[str] | None = None,
    postgraphile: Path | None = None,
) -> dict[str, Any]:
    url, fixture = database(households)
    env = tuopin_env(url)
    requests = {
        name: request for name, request in reads(fixture).items() if only is None or name[0] in only
    }
    theirs = peer.reads(fixture)
    results: dict[str, Any] = {}
    measured_d = writes and (only is None or "d" in only)
    names = [*requests, *(["d_perform_stage"] if measured_d else [])]
    if names:
        log(f"{households:,}: function calls per request, in-process")
        for name, measured in inprocess_counts(households, names).items():
            results.setdefault(name, {})["inprocess"] = measured
    database_name = url.rsplit("/", 1)[1]
    if postgraphile is not None:
        peer.prepare(PG_HOST, database_name)
    api = start("api", "api.app:create_app", env, factory=True)
    floor = start_floor(url)
    pgl = None if postgraphile is None else start_postgraphile(postgraphile, database_name)
    try:
        for name, (body, bearer) in requests.items():
            mine, floors = ask(api, body, bearer), ask(floor, body, bearer)
            if mine != floors:
                raise SystemExit(
                    f"{name}: the floor's JSON differs from the API's\n{mine}\n{floors}"
                )
            if not _substantial(mine["data"]):
                raise SystemExit(f"{name}: the answer is empty, so it measures nothing: {mine}")
            if pgl is not None and name in theirs:
                # Same rows, same order, equal values where the formats agree (peer.as_floor).
                peer.same_rows(name, floors, ask(pgl, theirs[name], ""))
        floor.stop()
        if pgl is not None:
            pgl.stop()
        for name, (body, bearer) in requests.items():
            log(f"{households:,}: {name} on the API")
            load(api, lua_single(body, bearer), WARM_UP)  # pools, statement caches: not measured
            results.setdefault(name, {})["api"] = load(api, lua_single(body, bearer), seconds)
            # One connection, no queue: the latency a lone user sees, for the scale check.
            alone = load(api, lua_single(body, bearer), max(3, seconds // 3), connections=1)
            results[name]["api_alone_p50_ms"] = alone["p50_ms"]
        api.stop()
        floor = start_floor(url)
        for name, (body, bearer) in requests.items():
            log(f"{households:,}: {name} on the floor")
            load(floor, lua_single(body, bearer), WARM_UP)
            results[name]["floor"] = load(floor, lua_single(body, bearer), seconds)
            results[name]["ratio"] = round(
                results[name]["api"]["rps"] / results[name]["floor"]["rps"], 3
            )
        floor.stop()
        if postgraphile is not None:
            pgl = start_postgraphile(postgraphile, database_name)
            for name in (n for n in requests if n in theirs):
                log(f"{households:,}: {name} on PostGraphile")
                load(pgl, lua_single(theirs[name], ""), WARM_UP)  # plan caches, pool, JIT
                measured = load(pgl, lua_single(theirs[name], ""), seconds)
                results[name]["postgraphile"] = measured
                results[name]["api_over_postgraphile"] = round(
                    results[name]["api"]["rps"] / measured["rps"], 3
                )
                results[name]["postgraphile_over_floor"] = round(
                    measured["rps"] / results[name]["floor"]["rps"], 3
                )
            pgl.stop()
        if measured_d:
            prepared = _in_transaction(url, fixtures.prepare_writes)
            requests_d, bearers = write_requests(prepared)
            bodies = [json.dumps(body) for body in requests_d]
            api = start("api", "api.app:create_app", env, factory=True)
            log(f"{households:,}: d_perform_stage on the API ({len(bodies)} applications)")
            # Each request approves a different application: keep the run shorter than
            # the supply (the lua script wraps around, and a repeat would fail), but as
            # long as the reads' where the supply allows: the 16 connections start at
            # once, and in a short run their first requests, queued behind each other,
            # were a good part of the slowest hundredth. The first applications warm the
            # server up (and tell its pace) and are not measured.
            warm = len(bodies) // 6
            pace = load(api, lua_many(bodies[:warm], bearers[:warm]), 1)["rps"]
            supply = len(bodies) - warm
            duration = max(1, min(seconds, int(0.8 * supply / max(pace, 1.0))))
            results.setdefault("d_perform_stage", {})["api"] = load(
                api, lua_many(bodies[warm:], bearers[warm:]), duration
            )
            results["d_perform_stage"]["seconds"] = duration
    finally:
        for server in (api, floor, pgl):
            if server is not None and server.process.poll() is None:
                server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--households", default=os.environ.get("BENCH_HOUSEHOLDS", "100000,1000000")
    )
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "10")))
    parser.add_argument(
        "--only", default=os.environ.get("BENCH_ONLY", ""), help="some of a,b,c,d (default: all)"
    )
    parser.add_argument(
        "--no-postgraphile",
        action="store_true",
        default=os.environ.get("BENCH_POSTGRAPHILE") == "0",
        help="leave PostGraphile out (it is installed from npm on first use)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        log("installing wrk from Debian")
        run("apt-get", "install", "-y", "-qq", "wrk")
    sizes = sorted(int(n) for n in args.households.split(","))
    only = set(args.only.split(",")) if args.only else None
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip(),
        "connections": CONNECTIONS,
        "seconds": args.seconds,
        "sizes": {},
    }
    home = None
    if not args.no_postgraphile and (only is None or only & {"a", "b", "c"}):
        home = peer.install()
        report["postgraphile"] = {
            **peer.versions(home),
            "role": peer.ROLE,
            "scoped": False,  # no jurisdiction logic: its reads are nobody's in particular
            "functions": "bench/postgraphile/schema.sql",
        }
    for n in sizes:
        report["sizes"][str(n)] = bench_size(
            n, args.seconds, writes=n == sizes[-1], only=only, postgraphile=home
        )
    if len(sizes) > 1:
        small, large = report["sizes"][str(sizes[0])], report["sizes"][str(sizes[-1])]
        report["scale"] = {
            name: round(large[name]["api_alone_p50_ms"] / small[name]["api_alone_p50_ms"], 3)
            for name in small
            if "api_alone_p50_ms" in small[name]
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{'-'.join(map(str, sizes))}.json"
    path.write_text(json.dumps(report, indent=2))  # kept should the import fail
    print_table(report)
    report["import"] = imports.bench_import(
        f"postgresql+asyncpg://{PG_HOST}/test", int(os.environ.get("BENCH_IMPORT", "100000"))
    )
    log(f"import households: {report['import']}")
    path.write_text(json.dumps(report, indent=2))
    log(f"written to {path.relative_to(ROOT)}")


def print_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"tuopin bench ({report['commit']}, {report['connections']} connections)")
    for column in (
        "households",
        "request",
        "server",
        "req/s",
        "p50 ms",
        "p99 ms",
        "CPU ms/req",
        "÷ floor",
        "API ÷ PG",
        "calls/req",
        "loop ms",
    ):
        table.add_column(column, justify="right")
    for size, requests in report["sizes"].items():
        for name, sides in requests.items():
            for side in ("api", "floor", "postgraphile"):
                if side not in sides:
                    continue
                m = sides[side]
                over_floor = {"api": sides.get("ratio"), "floor": None}.get(
                    side, sides.get("postgraphile_over_floor")
                )
                over_pg = sides.get("api_over_postgraphile") if side == "api" else None
                calls = (
                    sides.get("inprocess", {}).get("calls_per_request") if side == "api" else None
                )
                table.add_row(
                    f"{int(size):,}", name, side, f"{m['rps']:.0f}", f"{m['p50_ms']:.2f}",
                    f"{m['p99_ms']:.2f}", f"{m['cpu_ms_per_request']:.2f}",
                    "" if over_floor is None else f"{over_floor:.3f}",
                    "" if over_pg is None else f"{over_pg:.3f}",
                    "" if calls is None else f"{calls:,}",
                    "/".join(f"{v:.0f}" for v in m.get("core_loop_ms", [])),
                )  # fmt: skip
    Console(width=170).print(table)
    if "postgraphile" in report:
        p = report["postgraphile"]
        Console().print(
            f"PostGraphile {p['postgraphile']} on Node {p['node']}, role {p['role']}, "
            "SELECT only, not scoped to any jurisdiction"
        )
    if "scale" in report:
        Console().print(f"p50 with one connection, largest size / smallest: {report['scale']}")


if __name__ == "__main__":
    main()
