"""Chat endpoint benchmark: N concurrent sessions, each running booking conversations over HTTP.

The model has a fixed latency per call, so a conversation's three turns (check + offer: 2 calls;
book -> confirm: 1 call; yes -> booked: 1 call) ideally take 4 x latency, and N sessions ideally
complete 3N turns per 4 x latency. Two modes:

- burst: every session runs one conversation, all starting at the same instant (the worst case:
  their CPU work bunches up at every step);
- steady: a closed loop; each session starts at a random (seeded) offset within 4 x latency and
  runs conversations back to back for --duration seconds; only turns completed inside the window
  after a 4 x latency warm-up are counted.

Each prints completed turns/s against the ideal as a ratio (target: >= 0.9 at 200 sessions), the
server CPU per turn (all uvicorn processes, from /proc) and the delay between the model producing
its first token and the client receiving the `token` event. `--database postgres` runs each
latency on SQLite and then on a throwaway PostgreSQL (bookings, checkpoints and session leases
all in it), and shows the database server's CPU per turn beside the app's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from bench_postgres import Database, ThrowawayPostgres

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-23T09:00:00"
HORIZON_DAYS = 365  # like calendly_bench: enough distinct free slots for the steady run

Turns = list[tuple[float, list[float]]]  # per completed turn: client monotonic time, first-token delays
DbCpu = Callable[[], float] | None  # a PostgreSQL server's CPU seconds so far (None: SQLite, inside the app)


class OutOfSlots(Exception):
    """A steady session found no free slot left for its next conversation."""


class Connection:
    """A minimal keep-alive HTTP/1.1 client for SSE over asyncio streams.

    httpx saturates a core long before the server does at 200 streams; this reads the chunked
    event stream with a few lines of code, so the load generator is not the bottleneck.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_sse(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], list[float]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        payload = json.dumps(body).encode()
        self.writer.write(
            b"POST /api/chat HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (self.host.encode(), len(payload), payload)
        )
        assert self.reader is not None
        status = await self.reader.readline()
        assert b" 200 " in status, status
        while (await self.reader.readline()) not in (b"\r\n", b""):
            pass  # headers: the stream is chunked
        events: list[dict[str, Any]] = []
        delays: list[float] = []
        buffer = b""
        while True:
            size = int((await self.reader.readline()).strip(), 16)
            chunk = await self.reader.readexactly(size + 2)
            if size == 0:
                return events, delays
            buffer += chunk[:-2]
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                for line in block.split(b"\n"):
                    if line.startswith(b"data: "):
                        data = json.loads(line[6:])
                        if data["type"] == "token" and data["text"].startswith("@"):
                            delays.append(time.monotonic() - float(data["text"][1:].split("|", 1)[0]))
                        events.append(data)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def conversation(host: str, port: int, date: str, start: str, n: int, turns: Turns) -> None:
    """One booking conversation on one keep-alive connection; each completed turn goes to `turns`."""
    conn = Connection(host, port)
    try:
        first, d1 = await conn.post_sse({"message": f"check {date}"})
        turns.append((time.monotonic(), d1))
        sid = first[0]["session_id"]
        second, d2 = await conn.post_sse({"session_id": sid, "message": f"book {date} {start} p{n}@example.com"})
        turns.append((time.monotonic(), d2))
        third, d3 = await conn.post_sse({"session_id": sid, "message": "yes"})
        turns.append((time.monotonic(), d3))
    finally:
        conn.close()
    assert second[-2]["type"] == "confirm", second[-3:]
    assert third[-1]["type"] == "done" and third[-1]["booking"], third[-1]


async def slots(client: httpx.AsyncClient, count: int) -> list[tuple[str, str]]:
    """`count` distinct free consultation slots (one per conversation)."""
    found: list[tuple[str, str]] = []
    day = "2026-11-24"
    while len(found) < count:
        r = await client.get("/api/calendly/availability", params={"date": day, "appointment_type": "consultation"})
        body = r.json()
        if r.status_code == 200:
            found += [(day, s["start_time"]) for s in body["available_slots"]]
        nxt = body.get("next_available")
        if not nxt:
            break
        day = nxt
    if len(found) < count:
        raise SystemExit(
            f"only {len(found)} free consultation slots in the {HORIZON_DAYS}-day horizon for up to "
            f"{count} conversations: use fewer --sessions, a shorter --duration or a longer --latency"
        )
    return found[:count]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of the server and of its direct children (uvicorn's worker processes)."""
    pids = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError):
            pass  # exited while we looked
    cpu = {}
    for p in pids:
        try:
            cpu[p] = cpu_seconds(p)
        except OSError:
            pass
    return cpu


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two `server_cpu` readings, over the processes alive at both."""
    return sum(after[p] - before[p] for p in before.keys() & after.keys())


def cpu_line(server: float, client: float, turns: int, database: float | None = None) -> str:
    """The load generator runs on the same machine: its CPU is shown beside the server's (and
    PostgreSQL's, when the data is there)."""
    turns = max(turns, 1)
    db = f" + PostgreSQL {database / turns * 1000:.1f} ms" if database is not None else ""
    return (
        f"  server CPU per turn: {server / turns * 1000:.1f} ms{db}   "
        f"(this client: {client / turns * 1000:.1f} ms, same machine)"
    )


def db_used(db_cpu: DbCpu, before: float | None) -> float | None:
    return db_cpu() - before if db_cpu is not None and before is not None else None


def delay_line(delays: list[float]) -> str:
    if not delays:
        return "  model first token -> client token event: no replies"
    ms = sorted(x * 1000 for x in delays)
    return (
        f"  model first token -> client token event: p50 {statistics.median(ms):.1f} ms, "
        f"p99 {ms[max(int(len(ms) * 0.99) - 1, 0)]:.1f} ms over {len(ms)} replies"
    )


async def burst(host: str, port: int, chosen: list[tuple[str, str]], latency: float, pid: int, db_cpu: DbCpu) -> None:
    """Every session starts its one conversation at the same instant."""
    sessions = len(chosen)
    record: Turns = []
    cpu0, client0, db0 = server_cpu(pid), time.process_time(), db_cpu() if db_cpu else None
    start = time.perf_counter()
    await asyncio.gather(*(conversation(host, port, d, t, i, record) for i, (d, t) in enumerate(chosen)))
    wall = time.perf_counter() - start
    cpu, client = cpu_used(cpu0, server_cpu(pid)), time.process_time() - client0
    database = db_used(db_cpu, db0)
    turns = 3 * sessions
    ideal_wall = 4 * latency
    print(f"{sessions} concurrent sessions x 3 turns, model latency {latency:.2f} s per call")
    print(
        f"  completed turns/s: {turns / wall:7.1f}   ideal: {turns / ideal_wall:7.1f}   "
        f"ratio: {ideal_wall / wall:.2f} (target >= 0.9)"
    )
    print(cpu_line(cpu, client, turns, database))
    print(f"  wall time: {wall:.2f} s (ideal {ideal_wall:.2f} s)")
    print(delay_line([x for _, d in record for x in d]))


async def steady(
    host: str,
    port: int,
    chosen: list[tuple[str, str]],
    sessions: int,
    latency: float,
    duration: float,
    seed: int,
    pid: int,
    db_cpu: DbCpu,
) -> None:
    """A closed loop: N sessions, each running conversations back to back, measured after a warm-up."""
    rng = random.Random(seed)
    offsets = [rng.uniform(0, 4 * latency) for _ in range(sessions)]
    t0 = time.monotonic()
    window = (t0 + max(offsets) + 4 * latency, t0 + duration)
    if window[1] <= window[0]:
        raise SystemExit(
            f"--duration {duration} s leaves no measurement window after the start offsets and "
            f"the {4 * latency:.1f} s warm-up: use a longer --duration"
        )
    free: Iterator[tuple[int, tuple[str, str]]] = enumerate(chosen, start=sessions)  # p<n>: not the burst's
    record: Turns = []

    async def session(offset: float) -> None:
        await asyncio.sleep(offset)
        while True:
            try:
                n, (d, t) = next(free)
            except StopIteration:
                raise OutOfSlots(f"ran out of the {len(chosen)} pre-computed free slots (wrong upper bound)") from None
            await conversation(host, port, d, t, n, record)

    async def until(at: float) -> set[asyncio.Task[None]]:
        """Wait until `at`, or until a session fails (it never ends otherwise)."""
        return (await asyncio.wait(tasks, timeout=at - time.monotonic(), return_when=asyncio.FIRST_EXCEPTION))[0]

    tasks = [asyncio.create_task(session(o)) for o in offsets]
    try:
        done = await until(window[0])
        cpu0, client0, db0 = server_cpu(pid), time.process_time(), db_cpu() if db_cpu else None
        if not done:
            done = await until(window[1])
        cpu, client = cpu_used(cpu0, server_cpu(pid)), time.process_time() - client0
        database = db_used(db_cpu, db0)
        for task in done:
            task.result()  # a failed session: raise its error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    counted = [(at, d) for at, d in record if window[0] <= at <= window[1]]
    span = window[1] - window[0]
    rate, ideal = len(counted) / span, sessions * 3 / (4 * latency)
    print(
        f"steady: {sessions} sessions in a closed loop for {duration:.0f} s, model latency {latency:.2f} s per call, "
        f"measured over the last {span:.1f} s"
    )
    print(f"  completed turns/s: {rate:7.1f}   ideal: {ideal:7.1f}   ratio: {rate / ideal:.2f} (target >= 0.9)")
    print(cpu_line(cpu, client, len(counted), database))
    print(f"  turns in the window: {len(counted)} ({len(record)} in the run)")
    print(delay_line([x for _, d in counted for x in d]))


async def run(url: str, args: argparse.Namespace, latency: float, pid: int, db_cpu: DbCpu) -> None:
    host, port = url.removeprefix("http://").split(":")
    if args.mode in ("burst", "both"):
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            chosen = await slots(client, args.sessions)
        await burst(host, int(port), chosen, latency, pid, db_cpu)
    if args.mode in ("steady", "both"):
        most = args.sessions * math.ceil(args.duration / (4 * latency)) + args.sessions
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            chosen = await slots(client, most)
        await steady(host, int(port), chosen, args.sessions, latency, args.duration, args.seed, pid, db_cpu)


def wait_ready(url: str, server: subprocess.Popen[bytes], workers: int, log: Path) -> None:
    """Until /health answers, every worker is up and the server is idle: startup CPU stays out of the figures."""
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}); its log:\n{log.read_text()[-3000:]}")
        try:
            healthy = httpx.get(url + "/health").status_code == 200
        except httpx.TransportError:
            healthy = False
        cpu = server_cpu(server.pid)
        # the parent plus its children: the workers (and multiprocessing's resource tracker)
        if healthy and len(cpu) > (workers if workers > 1 else 0):
            time.sleep(0.3)
            if cpu_used(cpu, server_cpu(server.pid)) < 0.03:
                return
        else:
            time.sleep(0.1)
    raise SystemExit(f"the server did not become ready; its log:\n{log.read_text()[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument(
        "--latency",
        type=float,
        nargs="+",
        default=[1.0, 2.0, 3.0],
        help="model latency per call (s); several values: one server and run each",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="uvicorn worker processes (default: one per CPU, like WORKERS in production)",
    )
    parser.add_argument("--mode", choices=("burst", "steady", "both"), default="both")
    parser.add_argument("--duration", type=float, default=30.0, help="length of the steady run (s)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the steady start offsets")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: each latency on SQLite, then on a throwaway PostgreSQL",
    )
    args = parser.parse_args()
    with ExitStack() as stack:
        postgres = stack.enter_context(ThrowawayPostgres()) if args.database == "postgres" else None
        for number, latency in enumerate(args.latency):
            for kind in ["sqlite"] + (["postgres"] if postgres else []):
                print(
                    f"chat bench: sessions {args.sessions}, latency {latency:.2f} s, workers {args.workers}, "
                    f"mode {args.mode}, duration {args.duration:.0f} s (steady), database {kind}"
                )
                bench_one(args, latency, f"chat_{number}", postgres if kind == "postgres" else None)


def bench_one(args: argparse.Namespace, latency: float, name: str, postgres: ThrowawayPostgres | None) -> None:
    """Start a server with the model at `latency` on a fresh database `name`, run the modes, stop it."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database("postgres" if postgres else "sqlite", Path(tmp), postgres)
        schedule = json.loads((ROOT / "data" / "schedule.json").read_text()) | {"horizon_days": HORIZON_DAYS}
        (Path(tmp) / "schedule.json").write_text(json.dumps(schedule))
        env = {
            **os.environ,
            "DATABASE_URL": db.fresh(name),
            "SCHEDULER_NOW": NOW,
            "SCHEDULE_FILE": f"{tmp}/schedule.json",
            "PYTHONPATH": f"{ROOT / 'bench'}{os.pathsep}{ROOT}",
        }
        log_path = Path(tmp) / "server.log"
        log = open(log_path, "w")  # the server's JSON log lines, out of the report
        server = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "chat_bench_server.py"),
                str(args.port),
                str(latency),
                str(args.workers),
            ],
            env=env,
            cwd=tmp,
            stderr=log,
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{args.port}"
            wait_ready(url, server, args.workers, log_path)
            asyncio.run(run(url, args, latency, server.pid, db.cpu))
        except OutOfSlots as error:
            raise SystemExit(str(error)) from None
        finally:
            server.terminate()  # uvicorn's parent stops its workers
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)  # its own process group (start_new_session)
                server.wait()
            log.close()


if __name__ == "__main__":
    main()
