"""Chat endpoint benchmark: N concurrent sessions, each a full booking conversation over HTTP.

The model has a fixed latency per call, so a session's three turns (check + offer: 2 calls;
book -> confirm: 1 call; yes -> booked: 1 call) ideally take 4 x latency. Completed turns per
second are printed against that ideal as a ratio (target: >= 0.9 at 200 sessions), plus the
delay between the model producing its first token and the client receiving the `token` event.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-23T09:00:00"


class Connection:
    """A minimal keep-alive HTTP/1.1 client for SSE over asyncio streams.

    httpx saturates a core long before the server does at 200 streams; this reads the chunked
    event stream with a few lines of code, so the load generator is not the bottleneck.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_sse(self, body: dict) -> tuple[list[dict], list[float]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        payload = json.dumps(body).encode()
        self.writer.write(b"POST /api/chat HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n%s" % (self.host.encode(), len(payload), payload))
        assert self.reader is not None
        status = await self.reader.readline()
        assert b" 200 " in status, status
        while (await self.reader.readline()) not in (b"\r\n", b""):
            pass  # headers: the stream is chunked
        events, delays, buffer = [], [], b""
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


async def conversation(host: str, port: int, date: str, start: str, n: int) -> list[float]:
    conn = Connection(host, port)
    try:
        first, d1 = await conn.post_sse({"message": f"check {date}"})
        sid = first[0]["session_id"]
        second, d2 = await conn.post_sse({"session_id": sid, "message": f"book {date} {start} p{n}@example.com"})
        third, d3 = await conn.post_sse({"session_id": sid, "message": "yes"})
    finally:
        conn.close()
    assert second[-2]["type"] == "confirm", second[-3:]
    assert third[-1]["type"] == "done" and third[-1]["booking"], third[-1]
    return d1 + d2 + d3


async def slots(client: httpx.AsyncClient, count: int) -> list[tuple[str, str]]:
    """`count` distinct free consultation slots (one per session)."""
    found, day = [], "2026-11-24"
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
        raise SystemExit(f"only {len(found)} free slots in the horizon for {count} sessions")
    return found[:count]


async def run(url: str, sessions: int, latency: float) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        chosen = await slots(client, sessions)
    host, port = url.removeprefix("http://").split(":")
    start = time.perf_counter()
    results = await asyncio.gather(*(conversation(host, int(port), d, t, i) for i, (d, t) in enumerate(chosen)))
    wall = time.perf_counter() - start
    turns = 3 * sessions
    ideal_wall = 4 * latency
    delays = sorted(x * 1000 for r in results for x in r)
    print(f"{sessions} concurrent sessions x 3 turns, model latency {latency:.2f} s per call")
    print(f"  completed turns/s: {turns / wall:7.1f}   ideal: {turns / ideal_wall:7.1f}   ratio: {ideal_wall / wall:.2f} (target >= 0.9)")
    print(f"  wall time: {wall:.2f} s (ideal {ideal_wall:.2f} s)")
    print(f"  model first token -> client token event: p50 {statistics.median(delays):.1f} ms, "
          f"p99 {delays[int(len(delays) * 0.99) - 1]:.1f} ms over {len(delays)} replies")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--latency", type=float, default=1.0, help="model latency per call (s)")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/b.db", "SCHEDULER_NOW": NOW,
               "PYTHONPATH": str(ROOT)}
        log = open(Path(tmp) / "server.log", "w")  # the server's JSON log lines, out of the report
        server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "chat_bench_server.py"), str(args.port), str(args.latency)],
                                  env=env, cwd=tmp, stderr=log)
        try:
            url = f"http://127.0.0.1:{args.port}"
            for _ in range(200):
                try:
                    if httpx.get(url + "/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            asyncio.run(run(url, args.sessions, args.latency))
        finally:
            server.terminate()
            server.wait(10)
            log.close()


if __name__ == "__main__":
    main()
