"""Instructions per request under callgrind: a figure that does not move with the machine.

On a shared machine CPU time per request moves by a tenth or more between processes, and
by half under sustained load (bench/README.md), so two commits a tenth apart cannot be told
apart by it. Instructions can: ``valgrind --tool=callgrind`` counts them, not seconds,
whatever else the machine does. They still vary with what the requests meet: a write's
requests come from many officials, and the first request of each loads its holdings, so
d moved by up to a fifth between runs of 100 requests of one commit (3.65-3.81 M at
da1fc52, 4.40-6.11 M at a9221a2) and by less with 300 (3.69 M and 4.63 M).

The API's ASGI app is called in-process (``bench/inprocess.py``'s ``request``) on the
generated database ``tuopin_bench_<N>``. The process starts under valgrind with
instrumentation off; after the warm-up requests it is switched on (``callgrind_control
-i on``), the measured requests run one after another, and it is switched off again, so
start-up, imports and warm-up are not counted. The database server's work is not counted
either. Slow (valgrind runs Python about fifty times slower): a few hundred requests take
a minute.

    PYTHONPATH=$PWD .venv/bin/python bench/instructions.py --only d --requests 300
    PYTHONPATH=$PWD .venv/bin/python bench/instructions.py --only a,c

Compare two commits by running it on each, alternately (``git stash``, a worktree).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import fixtures, inprocess, run  # noqa: E402


async def _serve(households: int, only: str, count: int, warm: int, signals: Path) -> None:
    """The measured process: warm up, say so, wait for instrumentation, run, say so."""
    url, fixture = run.database(households)
    os.environ.update(run.tuopin_env(url))
    from api.app import create_app
    from api.config import Settings

    app = create_app(Settings())
    async with app.router.lifespan_context(app):
        if only == "d":
            prepared = await run._in_transaction_async(
                url, lambda session: fixtures.prepare_writes(session, target=warm + count)
            )
            bodies, bearers = run.write_requests(prepared)
            supply = [(orjson.dumps(b), t) for b, t in zip(bodies, bearers, strict=True)]
            if len(supply) < warm + count:
                raise SystemExit(f"only {len(supply)} applications could be prepared")
        else:
            [(body, bearer)] = [
                request for name, request in run.reads(fixture).items() if name[0] == only
            ]
            supply = [(orjson.dumps(body), bearer)] * (warm + count)
        for body_bytes, bearer in supply[:warm]:
            await inprocess.request(app, body_bytes, bearer)
        (signals / "ready").touch()
        await _line_from_parent()
        for body_bytes, bearer in supply[warm:]:
            await inprocess.request(app, body_bytes, bearer)
        (signals / "done").touch()
        await _line_from_parent()


async def _line_from_parent() -> None:
    """Wait, off the event loop, for the parent to have switched instrumentation."""
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


def _wait_for(path: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    while not path.exists():
        if process.poll() is not None:
            raise SystemExit(f"the measured process ended:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)


def _total(out: Path) -> int:
    """Instructions counted while instrumentation was on: the sum of every part's totals
    (a file holds one part per dump)."""
    totals = [
        int(line.split()[1])
        for line in out.read_text(errors="replace").splitlines()
        if line.startswith("totals:")
    ]
    if not totals:
        raise SystemExit(f"no totals in {out}")
    return sum(totals)


def measure(households: int, only: str, count: int, warm: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tuopin-callgrind-") as folder:
        signals = Path(folder)
        out, log = signals / "callgrind.out", signals / "log"
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={out}", sys.executable, __file__, "--serve",
            "--households", str(households), "--only", only,
            "--requests", str(count), "--warm", str(warm), "--signals", str(signals),
        ]  # fmt: skip
        env = os.environ | {"PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
        with log.open("wb") as written:
            process = subprocess.Popen(
                command, env=env, stdin=subprocess.PIPE, stdout=written, stderr=written
            )
            assert process.stdin is not None
            try:
                _wait_for(signals / "ready", process, log)
                subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], check=True,
                               capture_output=True)  # fmt: skip
                process.stdin.write(b"go\n")
                process.stdin.flush()
                _wait_for(signals / "done", process, log)
                subprocess.run(["callgrind_control", "-i", "off", str(process.pid)], check=True,
                               capture_output=True)  # fmt: skip
                process.stdin.write(b"end\n")
                process.stdin.flush()
                if process.wait(timeout=600) != 0:
                    raise SystemExit(f"the measured process failed:\n{log.read_text()[-3000:]}")
            finally:
                if process.poll() is None:
                    process.kill()
        total = _total(out)
    return {"instructions_per_request": round(total / count), "requests": count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--only", default="d", help="some of a,b,c,d")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warm", type=int, default=60)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--signals", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.households, args.only, args.requests, args.warm, args.signals))
        return
    results = {
        letter: measure(args.households, letter, args.requests, args.warm)
        for letter in args.only.split(",")
    }
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
