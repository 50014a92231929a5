"""The baseline for the availability benchmark: a bare FastAPI app, one endpoint, a static dict.

Served exactly as `scheduling-agent serve` serves the real app: `uvicorn.run(app, host, port,
log_config=None, access_log=False)` in its own process (same event loop and HTTP parser).

    python bench/bare_app.py --host 127.0.0.1 --port 8001
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI

app = FastAPI(title="bare baseline")

STATIC: dict[str, object] = {
    "date": "2026-11-24",
    "appointment_type": "consultation",
    "available_slots": [],
    "next_available": None,
}


@app.get("/api/calendly/availability")
async def availability() -> dict[str, object]:
    return STATIC


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
