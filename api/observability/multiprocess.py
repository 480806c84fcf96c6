"""Prometheus multiprocess mode for ``tuopin serve --workers N``.

Each uvicorn worker is a process with its own counters; prometheus-client's
multiprocess mode keeps every process's values in files under one directory, and a
scrape of any worker sums them. The variable must be set before prometheus_client is
first imported (it picks its value class at import), so ``tuopin serve`` calls
``prepare`` before uvicorn imports the app; this module imports it only on demand.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_LIVE_GAUGE = re.compile(r"gauge_live\w*?_(\d+)\.db")


def prepare(state_dir: Path) -> Path:
    """The directory for this server's metric files, emptied (values from an earlier run
    would be summed in), and named in the environment the workers inherit. An operator's
    own PROMETHEUS_MULTIPROC_DIR is used if set."""
    directory = Path(os.environ.get(VARIABLE) or state_dir / "metrics").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[VARIABLE] = str(directory)
    return directory


def enabled() -> bool:
    return bool(os.environ.get(VARIABLE))


def forget_dead_processes() -> None:
    """Drop the live gauges of worker processes that are gone (uvicorn restarts a dead
    worker without telling anyone): their pool gauges would otherwise count forever.
    Counters and histograms of dead processes stay, as they should."""
    from prometheus_client import multiprocess

    directory = Path(os.environ[VARIABLE])
    pids = {int(m.group(1)) for p in directory.iterdir() if (m := _LIVE_GAUGE.fullmatch(p.name))}
    for pid in pids:
        if not _alive(pid):
            multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
