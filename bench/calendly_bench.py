"""Throughput of the scheduling service over real HTTP, measured with wrk.

1. Availability: `scheduling-agent serve` (default configuration: INFO logging, one JSON line per
   request, to a file) and, served the same way, a bare FastAPI app returning a static dict
   (bench/bare_app.py); wrk hits GET /api/calendly/availability on each, with the same load,
   one after the other in this run. Prints req/s, p50/p99 latency, and the ratio ours/bare.
   Then the same availability run against a server whose database holds live slot holds
   (`HOLDS` of them, spread over the horizon, some on the measured day), as a ratio to bare.
2. Bookings: POST /api/calendly/book of distinct free slots (every type, every date) on a fresh
   database, with a generated wrk Lua script; bookings per second. The server runs the shipped
   weekly schedule with a 365-day horizon so that the run cannot run out of free slots.
   Each booking is one durable SQLite commit (WAL, synchronous=FULL), so this is fsync-bound.
   Three modes, a fresh database each: plain; with an `Idempotency-Key` on every request; and
   with a hold taken before each booking (POST /holds, then /book with its `hold_id`: two
   commits per booking). The last two are printed as ratios of plain bookings/s.
3. `--database postgres`: every run of ours again on a throwaway PostgreSQL (bench_postgres.py,
   durable settings), printed next to SQLite in the same run; the database server's own CPU
   per request is shown beside the app's.

Needs `wrk` on PATH (bench/run.sh installs it). Run from the project root:

    .venv/bin/python bench/calendly_bench.py [--duration 10] [--connections 32] [--rounds 1] [--database postgres]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bench_postgres import Database, ThrowawayPostgres

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-23T09:00:00"  # a Monday, clinic-local: the clock every server here is frozen at
DAY = "2026-11-24"  # a Tuesday in the horizon: 14 consultation slots
AVAILABILITY_PATH = f"/api/calendly/availability?date={DAY}&appointment_type=consultation"
TYPES = ("consultation", "followup", "physical", "specialist")
TARGET_RATIO = 0.7
TARGET_HOLDS_RATIO = 0.8  # issue 12: with live holds, availability at least 0.8 of bare
TARGET_BOOKING_RATIO = 0.8  # bookings/s with a key, or with a hold first, against plain bookings/s
HOLDS = 300  # live holds in the database for the "availability with holds" run
BOOKING_MODES = ("plain", "key", "hold")
BOOKING_HORIZON_DAYS = 365  # ~12,800 distinct free slots: the booking run must not run out
REFERENCE_RPS = 25  # the original service: each request parks a worker thread for 1.5 s

# Application settings a developer's shell may carry (e.g. LOG_LEVEL=WARNING): never inherited.
SETTINGS_ENV = {
    "DATABASE_URL",
    "SLOTS_FILE",
    "SCHEDULE_FILE",
    "CLINIC_TIMEZONE",
    "CLINIC_NAME",
    "SCHEDULER_NOW",
    "HOST",
    "PORT",
    "CORS_ORIGINS",
    "LOG_LEVEL",
    "SCHEDULER_BASE_URL",
    "SCHEDULER_TIMEOUT",
    "SCHEDULER_RETRIES",
    "LLM_PROVIDER",
    "OPENAI_API_KEY",
    "OPENAI_MODEL",
    "OPENAI_BASE_URL",
    "LLM_TEMPERATURE",
    "CHECKPOINT_URL",
    "PLAYGROUND_TOKEN",
    "HOLD_MINUTES",
}


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Server:
    """A server process on a free loopback port; stderr to a file; SIGTERM on exit."""

    def __init__(self, name: str, command: list[str], workdir: Path, env: dict[str, str], cpu: str | None) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{name}.stderr.log"
        prefix = ["taskset", "-c", cpu] if cpu is not None else []
        self.command = [*prefix, *command, "--host", "127.0.0.1", "--port", str(self.port)]
        self.workdir = workdir
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.command,
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                if http_get(f"{self.url}/health", 1.0)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer /health within 30 s")

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system, all threads) the server process has used so far (Linux)."""
        if self.proc is None:
            return None
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_ENV}
    env.update(extra)
    return env


# One load generator, one address, one patient: the limits for one client (README "Limits") would
# answer it 429/409 after a few requests. The benchmark measures the service, so they are off.
BENCH_LIMITS_OFF = {"LIMIT_CLIENT_BOOKINGS_PER_MINUTE": "0", "LIMIT_UPCOMING_BOOKINGS": "0"}


def ours(workdir: Path, cpu: str | None, database_url: str, **settings: str) -> Server:
    script = Path(sys.executable).with_name("scheduling-agent")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]
    env = clean_env(DATABASE_URL=database_url, SCHEDULER_NOW=NOW, **BENCH_LIMITS_OFF, **settings)
    return Server("scheduling-agent", [*command, "serve"], workdir, env, cpu)


def long_schedule(workdir: Path, days: int) -> Path:
    """The shipped weekly schedule with a longer horizon: enough distinct slots for the booking run."""
    schedule = json.loads((ROOT / "data" / "schedule.json").read_text())
    schedule["horizon_days"] = days
    path = workdir / f"schedule-{days}d.json"
    path.write_text(json.dumps(schedule))
    return path


def bare(workdir: Path, cpu: str | None) -> Server:
    return Server("bare-fastapi", [sys.executable, str(ROOT / "bench" / "bare_app.py")], workdir, clean_env(), cpu)


# --------------------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int = 0
    socket_errors: int = 0
    extra: dict[str, int] = field(default_factory=dict)
    cpu_ms_per_request: float | None = None  # server CPU time / requests: steadier on a busy machine
    db_cpu_ms_per_request: float | None = None  # a PostgreSQL server's CPU time / requests (SQLite: in the above)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"cannot read wrk latency {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Read `wrk --latency` output (and a `BENCH k=v ...` line our Lua scripts print)."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if not (rps and total and p50 and p99):
        raise ValueError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    extra = {}
    bench_line = re.search(r"^BENCH (.*)$", output, re.MULTILINE)
    if bench_line:
        extra = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", bench_line.group(1))}
    return WrkResult(
        rps=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        extra=extra,
    )


def wrk(
    url: str,
    duration: float,
    connections: int,
    threads: int,
    cpu: str | None,
    script: Path | None = None,
    script_args: tuple[str, ...] = (),
    server: Server | None = None,
    db_cpu: Callable[[], float] | None = None,
) -> tuple[WrkResult, str]:
    command = ["wrk", "--latency", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    if cpu is not None:
        command = ["taskset", "-c", cpu, *command]
    cpu_before = server.cpu_seconds() if server else None
    db_before = db_cpu() if db_cpu else None
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=duration + 60)
    cpu_after = server.cpu_seconds() if server else None
    db_after = db_cpu() if db_cpu else None
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = parse_wrk(done.stdout)
    if cpu_before is not None and cpu_after is not None and result.requests:
        result.cpu_ms_per_request = (cpu_after - cpu_before) * 1000 / result.requests
    if db_before is not None and db_after is not None and result.requests:
        result.db_cpu_ms_per_request = (db_after - db_before) * 1000 / result.requests
    return result, done.stdout


# --------------------------------------------------------------------------- booking script

BOOKING_LUA = r"""
-- Generated by bench/calendly_bench.py: POST a distinct free slot per request.
-- Thread k of n books slots k, k+n, k+2n, ... so no two requests ask for the same slot.
-- Mode (args[2]): plain; key (an Idempotency-Key on every booking); hold (POST /holds for the
-- next slot, then, once the hold is answered, book that slot with its hold_id).
local slots = {
%(slots)s
}
local threads = {}
local count = 0

function setup(thread)
  count = count + 1
  thread:set("id", count)
  table.insert(threads, thread)
end

function init(args)
  step = tonumber(args[1])
  mode = args[2] or "plain"
  index = id
  created, refused, exhausted = 0, 0, 0
  held = {}  -- answered holds waiting for their booking: {type, date, start, hold_id}
end

local function slot_json(t, d, s)
  return '"appointment_type":"' .. t .. '","date":"' .. d .. '","start_time":"' .. s .. '"'
end

local function book(t, d, s, extra)
  local body = '{' .. slot_json(t, d, s) .. extra ..
    ',"patient":{"name":"Bench Patient","email":"bench.patient@example.com","phone":"+1 555 010 0199"}}'
  local headers = {["Content-Type"] = "application/json"}
  if mode == "key" then headers["Idempotency-Key"] = "bench-" .. id .. "-" .. index end
  return wrk.format("POST", "/api/calendly/book", headers, body)
end

function request()
  if mode == "hold" and #held > 0 then
    local h = table.remove(held, 1)
    return book(h[1], h[2], h[3], ',"hold_id":"' .. h[4] .. '"')
  end
  if index > #slots then
    exhausted = 1
    return wrk.format("GET", "/health")
  end
  local s = slots[index]
  index = index + step
  if mode == "hold" then
    return wrk.format("POST", "/api/calendly/holds", {["Content-Type"] = "application/json"},
      '{' .. slot_json(s[1], s[2], s[3]) .. '}')
  end
  return book(s[1], s[2], s[3], "")
end

function response(status, headers, body)
  if status == 201 and string.find(body, '"booking_id"', 1, true) then
    created = created + 1
  elseif status == 201 then
    local hold_id = string.match(body, '"hold_id":"([^"]+)"')
    local t = string.match(body, '"appointment_type":"([^"]+)"')
    local d = string.match(body, '"date":"([^"]+)"')
    local s = string.match(body, '"start_time":"([^"]+)"')
    table.insert(held, {t, d, s, hold_id})
  elseif status ~= 200 then
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local c, r, e = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created"); r = r + t:get("refused"); e = e + t:get("exhausted")
  end
  io.write(string.format("BENCH created=%%d refused=%%d exhausted=%%d\n", c, r, e))
end
"""


def free_slots(port: int, days: int) -> list[tuple[str, str, str]]:
    """Every free (type, date, start) of the horizon, as the running service offers them."""
    start = datetime.fromisoformat(NOW).date()
    found = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for offset in range(days + 1):
            day = (start + timedelta(days=offset)).isoformat()
            for type_key in TYPES:
                query = urllib.parse.urlencode({"date": day, "appointment_type": type_key})
                connection.request("GET", f"/api/calendly/availability?{query}")
                response = connection.getresponse()
                body = response.read()
                if response.status == 200:
                    found += [(type_key, day, s["start_time"]) for s in json.loads(body)["available_slots"]]
    finally:
        connection.close()
    return found


def place_holds(port: int, slots: list[tuple[str, str, str]], count: int) -> int:
    """Hold `count` of `slots`, spread evenly (some on the measured day); the number placed."""
    chosen = [s for s in slots if s[1] == DAY][:4]
    rest = [s for s in slots if s not in chosen]
    chosen += rest[:: max(1, len(rest) // max(1, count - len(chosen)))][: count - len(chosen)]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    placed = 0
    try:
        for type_key, day, start in chosen:
            body = json.dumps({"appointment_type": type_key, "date": day, "start_time": start})
            connection.request("POST", "/api/calendly/holds", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            placed += response.status == 201
    finally:
        connection.close()
    return placed


def booking_script(slots: list[tuple[str, str, str]], path: Path) -> Path:
    lines = ",\n".join(f'  {{"{t}", "{d}", "{s}"}}' for t, d, s in slots)
    path.write_text(BOOKING_LUA % {"slots": lines})
    return path


# --------------------------------------------------------------------------- main


def _fmt_cpu(r: WrkResult) -> str:
    if r.cpu_ms_per_request is None:
        return "n/a"
    text = f"{r.cpu_ms_per_request:.3f} ms"
    return text + (f" +{r.db_cpu_ms_per_request:.3f} PG" if r.db_cpu_ms_per_request is not None else "")


@dataclass
class Figures:
    """One database's results."""

    ours: list[WrkResult] = field(default_factory=list)
    held: list[WrkResult] = field(default_factory=list)
    bookings: dict[str, WrkResult] = field(default_factory=dict)
    per_second: dict[str, float] = field(default_factory=dict)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Availability and booking throughput of the scheduling service.")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per availability measurement")
    parser.add_argument("--booking-duration", type=float, default=8.0, help="seconds of booking load")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before each availability run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="availability rounds (ours, bare alternately)")
    parser.add_argument("--no-pin", action="store_true", help="don't pin server and wrk to separate CPUs")
    parser.add_argument("--skip-bookings", action="store_true")
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: every run of ours also on a throwaway PostgreSQL, next to SQLite",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    if not shutil.which("wrk"):
        print("wrk is not installed: run `bash bench/run.sh` (installs it) or `apt-get install wrk`", file=sys.stderr)
        return 2
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    server_cpu, client_cpu = ("0", "1") if pin else (None, None)
    load = os.getloadavg()[0]
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency; "
        f"{os.cpu_count()} CPUs; {'server on CPU 0, wrk on CPU 1' if pin else 'no CPU pinning'}"
        f"{' (PostgreSQL unpinned)' if args.database == 'postgres' else ''}; load average {load:.2f} at start"
    )
    if load > (os.cpu_count() or 1) * 0.5:
        print("  (the machine is busy: figures will be noisy; ratio is the steadier number)")

    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="calendly-bench-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        databases = [Database("sqlite", workdir)]
        if args.database == "postgres":
            databases.append(Database("postgres", workdir, stack.enter_context(ThrowawayPostgres())))
        figures = {db.kind: Figures() for db in databases}
        bare_runs: list[WrkResult] = []

        def measure(name: str, server: Server, runs: list[WrkResult], round_no: int, db: Database | None) -> None:
            url = server.url + AVAILABILITY_PATH
            status, body = http_get(url)
            if status != 200:
                raise RuntimeError(f"{name}: GET {AVAILABILITY_PATH} -> {status} {body[:300]!r}")
            if args.warmup > 0:
                wrk(url, args.warmup, args.connections, args.threads, client_cpu)
            db_cpu = db.cpu if db else None
            result, raw = wrk(
                url, args.duration, args.connections, args.threads, client_cpu, server=server, db_cpu=db_cpu
            )
            if result.non_2xx or result.socket_errors:
                raise RuntimeError(f"{name}: errors under load\n{raw}")
            runs.append(result)
            print(
                f"  round {round_no + 1} {name:15}: {result.rps:9.1f} req/s  "
                f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  "
                f"server CPU {_fmt_cpu(result)} per request"
            )

        for round_no in range(args.rounds):
            for db in databases:
                with ours(workdir, server_cpu, db.fresh(f"avail_{round_no}")) as server:
                    measure(f"ours {db.kind}", server, figures[db.kind].ours, round_no, db)
            with bare(workdir, server_cpu) as server:
                measure("bare", server, bare_runs, round_no, None)
            for db in databases:
                with ours(workdir, server_cpu, db.fresh(f"held_{round_no}")) as server:
                    placed = place_holds(server.port, free_slots(server.port, 60), HOLDS)
                    if round_no == 0:
                        print(f"  ({placed} live holds in the next server's database)")
                    measure(f"holds {db.kind}", server, figures[db.kind].held, round_no, db)

        best_bare = max(bare_runs, key=lambda r: r.rps)
        results["availability_bare"] = asdict(best_bare)

        if not args.skip_bookings:
            schedule = long_schedule(workdir, BOOKING_HORIZON_DAYS)
            for db in databases:
                fig = figures[db.kind]
                for mode in BOOKING_MODES:
                    url = db.fresh(f"bookings_{mode}")
                    with ours(workdir, server_cpu, url, SCHEDULE_FILE=str(schedule)) as server:
                        slots = free_slots(server.port, BOOKING_HORIZON_DAYS)
                        script = booking_script(slots, workdir / "book.lua")
                        booking, raw = wrk(
                            server.url,
                            args.booking_duration,
                            args.connections,
                            args.threads,
                            client_cpu,
                            script,
                            (str(args.threads), mode),
                            server=server,
                            db_cpu=db.cpu,
                        )
                    if booking.extra.get("refused") or booking.socket_errors:
                        raise RuntimeError(f"bookings refused under load ({db.kind}, {mode})\n{raw}")
                    if booking.extra.get("exhausted"):
                        print(
                            f"  note: all {len(slots)} free slots were booked before the end: {mode} is a lower bound"
                        )
                    fig.bookings[mode] = booking
                    fig.per_second[mode] = booking.extra.get("created", 0) / args.booking_duration
                    print(f"  bookings, {db.kind:8} {mode:5}: {fig.per_second[mode]:9.1f} bookings/s")

    for kind, fig in figures.items():
        results[kind] = report(kind, fig, best_bare, bare_runs)
    print(
        f"{'reference: the original service':32} {f'~{REFERENCE_RPS} req/s':>18}   "
        f"(each availability request parks a thread for 1.5 s)"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


def report(kind: str, fig: Figures, best_bare: WrkResult, bare_runs: list[WrkResult]) -> dict[str, object]:
    """Print one database's table and ratios; the same as a dict for --json."""
    best_ours = max(fig.ours, key=lambda r: r.rps)
    best_held = max(fig.held, key=lambda r: r.rps)
    ratio = best_ours.rps / best_bare.rps
    held_ratio = best_held.rps / best_bare.rps
    out: dict[str, object] = {
        "availability_ours": asdict(best_ours),
        "availability_with_holds": asdict(best_held),
        "ratio": ratio,
        "ratio_with_holds": held_ratio,
    }
    rows = [
        ("availability, scheduling-agent", f"{best_ours.rps:,.0f} req/s", best_ours),
        ("availability, bare FastAPI", f"{best_bare.rps:,.0f} req/s", best_bare),
        (f"availability, {HOLDS} holds live", f"{best_held.rps:,.0f} req/s", best_held),
    ]
    labels = {"plain": "booking (fresh DB)", "key": "booking, Idempotency-Key", "hold": "booking, hold first"}
    rows += [(labels[m], f"{fig.per_second[m]:,.0f} bookings/s", b) for m, b in fig.bookings.items()]
    print()
    print(f"{kind}:")
    print(f"{'scenario':32} {'throughput':>18} {'p50':>10} {'p99':>10} {'CPU/req':>22}")
    print("-" * 96)
    for name, throughput, r in rows:
        print(f"{name:32} {throughput:>18} {r.p50_ms:>7.2f} ms {r.p99_ms:>7.2f} ms {_fmt_cpu(r):>22}")
    print("-" * 96)
    verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
    print(f"{'ratio ours/bare (availability)':32} {ratio:>18.2f}   {verdict} the target of {TARGET_RATIO}")
    verdict = "meets" if held_ratio >= TARGET_HOLDS_RATIO else "BELOW"
    print(f"{'same, with holds live':32} {held_ratio:>18.2f}   {verdict} the target of {TARGET_HOLDS_RATIO}")
    cpu_ours = min((r.cpu_ms_per_request or float("inf")) + (r.db_cpu_ms_per_request or 0.0) for r in fig.ours)
    cpu_bare = min(r.cpu_ms_per_request or float("inf") for r in bare_runs)
    if cpu_ours < float("inf") and cpu_bare < float("inf"):
        out["cpu_ratio"] = cpu_bare / cpu_ours
        name = "same, by server CPU per request" + (" (+PG)" if kind == "postgres" else "")
        print(f"{name:32} {cpu_bare / cpu_ours:>18.2f}   (less sensitive to other load)")
    if fig.per_second.get("plain"):
        out["bookings_per_second"] = fig.per_second
        for mode, label in (("key", "with Idempotency-Key"), ("hold", "with a hold first")):
            share = fig.per_second[mode] / fig.per_second["plain"]
            out[f"bookings_ratio_{mode}"] = share
            verdict = "meets" if share >= TARGET_BOOKING_RATIO else "BELOW"
            name = f"bookings/s {label} / plain"
            print(f"{name:32} {share:>18.2f}   {verdict} the target of {TARGET_BOOKING_RATIO}")
    return out


if __name__ == "__main__":
    sys.exit(main())
