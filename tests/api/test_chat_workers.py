"""Several workers, one sessions database: the session table keeps one turn per session across
processes, and any worker can continue any session. Each server here is a separate app with its
own runtime and its own SQLite connections, as a worker process would have."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import pytest

from tests.support.servers import wait_until
from tests.support.sse import aiter_events, chat, parse_text
from tests.support.stub_turns import BOOK, CHECK, OFFER


def sessions_db(database_url: str) -> Path:
    db = Path(database_url.removeprefix("sqlite:///"))
    return db.with_name(db.stem + "-sessions.db")


def ask_to_book(client) -> str:
    """Two turns that leave a session waiting for the patient's yes (script: CHECK, OFFER, BOOK)."""
    sid = chat(client, message="A follow-up next Tuesday?")[0]["session_id"]
    asked = chat(client, session_id=sid, message="9:00, Jane Roe, jane@example.com, 555 0100")
    assert asked[-1]["pending"]["name"] == "book_slot"
    return sid


def assert_booked(events: list[dict]) -> None:
    assert events[-1]["type"] == "done" and events[-1]["booking"]["start_time"] == "09:00", events[-1]


def run_sql(database_url: str, statement: str, *params: object) -> None:
    """A statement on the sessions database, behind the servers' backs."""
    with sqlite3.connect(sessions_db(database_url)) as db:
        db.execute(statement, params)


@pytest.fixture
def gated_and_free(stub_server, tmp_path):
    """Start (a, b, database url): two servers on one database; a's model holds its reply after
    the first word until its gate opens, b's answers at once."""

    def start():
        database_url = f"sqlite:///{tmp_path}/shared.db"
        a = stub_server(gated=True, database_url=database_url)
        b = stub_server(database_url=database_url)
        a.script.extend([OFFER])
        b.script.extend([{"text": "Hello from the other worker."}])
        return a, b, database_url

    return start


@asynccontextmanager
async def replying(client) -> AsyncIterator[tuple[str, AsyncIterator[dict]]]:
    """A first message whose reply has begun to stream: (its session id, the rest of its events)."""
    async with client.stream("POST", "/api/chat", json={"message": "hi"}) as response:
        stream = aiter_events(response)
        sid = (await anext(stream))["data"]["session_id"]
        async for sse in stream:
            if sse["event"] == "token":
                break
        yield sid, stream


async def test_a_session_busy_in_one_worker_is_refused_by_another_and_continues_there(gated_and_free) -> None:
    a, b, _ = gated_and_free()
    async with a.async_client(timeout=30) as on_a, b.async_client(timeout=30) as on_b:
        async with replying(on_a) as (sid, stream):
            busy = await on_b.post("/api/chat", json={"session_id": sid, "message": "again"})
            assert busy.status_code == 409 and "still answering" in busy.json()["detail"]
            forget = await on_b.delete(f"/api/chat/{sid}")
            assert forget.status_code == 409, "a running session cannot be deleted from another worker either"
            a.gate.set()
            rest = [sse["data"] async for sse in stream]
        assert rest[-1]["type"] == "done" and rest[-1]["reply"] == OFFER["text"]
        response = await on_b.post("/api/chat", json={"session_id": sid, "message": "are you there?"})
        assert response.status_code == 200 and "Hello from the other worker." in response.text
        transcript = (await on_a.get(f"/api/chat/{sid}")).json()["messages"]
        assert [m["text"] for m in transcript] == [
            "hi",
            OFFER["text"],
            "are you there?",
            "Hello from the other worker.",
        ]


def test_a_confirmation_asked_by_one_worker_is_answered_through_another(stub_server, tmp_path) -> None:
    database_url = f"sqlite:///{tmp_path}/shared.db"
    a = stub_server(database_url=database_url)
    b = stub_server(database_url=database_url)
    a.script.extend([CHECK, OFFER, BOOK])
    b.script.extend([{"text": "Booked."}])
    with a.client() as on_a, b.client() as on_b:
        sid = ask_to_book(on_a)
        assert_booked(chat(on_b, session_id=sid, confirm=True))


def test_racing_first_messages_to_one_session_from_two_workers_get_one_turn(stub_server, tmp_path) -> None:
    database_url = f"sqlite:///{tmp_path}/shared.db"
    a = stub_server(database_url=database_url)
    b = stub_server(database_url=database_url)
    a.script.extend([{"text": "From A."}] * 10)
    b.script.extend([{"text": "From B."}] * 10)
    with a.client() as on_a, b.client():
        sid = chat(on_a, message="hi")[0]["session_id"]

    async def race() -> list[int]:
        async with a.async_client(timeout=30) as ca, b.async_client(timeout=30) as cb:
            posts = [
                c.post("/api/chat", json={"session_id": sid, "message": f"race {i}"})
                for i, c in enumerate([ca, cb] * 5)
            ]
            return [r.status_code for r in await asyncio.gather(*posts)]

    statuses = asyncio.run(race())
    assert set(statuses) <= {200, 409} and 200 in statuses
    with a.client() as on_a:
        texts = [m["text"] for m in on_a.get(f"/api/chat/{sid}").json()["messages"]]
    # Every accepted turn ran alone: each patient message is followed by exactly its reply.
    assert len(texts) == 2 * (1 + statuses.count(200))
    assert all(reply in ("From A.", "From B.") for reply in texts[1::2])


@pytest.fixture
def waiting(stub_server, tmp_path):
    """(client, session id, sql): a session waiting for the patient's yes, and a way to run a
    statement on the sessions database behind the server's back."""
    database_url = f"sqlite:///{tmp_path}/shared.db"
    server = stub_server(database_url=database_url)
    server.script.extend([CHECK, OFFER, BOOK, {"text": "Booked."}])
    with server.client() as client:
        yield client, ask_to_book(client), partial(run_sql, database_url)


def test_a_lease_left_by_a_dead_worker_expires_and_what_it_waited_for_is_read_back(waiting) -> None:
    client, sid, sql = waiting
    # A worker died mid-turn: its lease is still there, and what the session waits for is unknown.
    sql(
        "UPDATE chat_sessions SET lease_owner = 'dead:1:x', lease_until = ?, pending = NULL WHERE session_id = ?",
        time.time() + 60,
        sid,
    )
    assert client.post("/api/chat", json={"session_id": sid, "confirm": True}).status_code == 409
    sql("UPDATE chat_sessions SET lease_until = ? WHERE session_id = ?", time.time() - 1, sid)
    assert_booked(chat(client, session_id=sid, confirm=True))  # what it waits for is read from the checkpoint


def test_a_session_saved_before_the_session_table_existed_is_adopted(waiting) -> None:
    client, sid, sql = waiting
    sql("DELETE FROM chat_sessions")  # as an older version left it: checkpoints only
    assert client.get(f"/api/chat/{sid}").json()["pending"]["name"] == "book_slot"
    assert_booked(chat(client, session_id=sid, confirm=True))


async def test_a_turn_outlasting_its_lease_keeps_the_session_and_one_whose_lease_is_taken_ends(
    gated_and_free, monkeypatch
) -> None:
    from agent import runtime, sessions

    monkeypatch.setattr(sessions, "LEASE_SECONDS", 0.6)
    monkeypatch.setattr(sessions, "RENEW_SECONDS", 0.15)
    a, b, database_url = gated_and_free()  # after the patch: their heartbeats beat that fast
    async with a.async_client(timeout=30) as on_a, b.async_client(timeout=30) as on_b:
        async with replying(on_a) as (sid, stream):
            await asyncio.sleep(1.5)  # two and a half leases: renewed while the turn runs
            assert (await on_b.post("/api/chat", json={"session_id": sid, "message": "again"})).status_code == 409
            # The worker stalled past its lease and another took the session: its turn must end.
            run_sql(
                database_url,
                "UPDATE chat_sessions SET lease_owner = 'elsewhere', lease_until = ? WHERE session_id = ?",
                time.time() + 0.5,
                sid,
            )
            rest = [sse["data"] async for sse in stream]
        assert rest[-1] == {"type": "error", "message": runtime.TOO_SLOW, "retryable": True}
        assert a.outcome == ["cancelled"]
        await asyncio.sleep(0.6)  # the other lease is not renewed (nobody runs it) and runs out
        response = await on_b.post("/api/chat", json={"session_id": sid, "message": "are you there?"})
        assert response.status_code == 200 and "Hello from the other worker." in response.text


def test_serve_with_two_workers_books_through_any_of_them(serve_process) -> None:
    server = serve_process(workers=2)
    wait_until(lambda: len(server.children()) >= 2, 20.0, 0.1, "two worker processes")
    messages = [
        "Hi! Can I get a follow-up next Tuesday morning?",
        "9:00 please. Jane Roe, jane@example.com, 555 0100",
        "yes",
    ]
    sid = None
    for message in messages:
        with server.client() as client:  # a new connection per turn: the kernel spreads them over the workers
            events = chat(client, session_id=sid, message=message)
        sid = events[0]["session_id"]
        assert events[-1]["type"] == "done", events[-1]
    assert events[-1]["booking"]["start_time"] == "09:00"
    booking = events[-1]["booking"]
    with server.client() as client:
        stored = client.get(
            f"/api/calendly/bookings/{booking['booking_id']}",
            params={"confirmation_code": booking["confirmation_code"]},
        )
    assert stored.status_code == 200 and stored.json()["details"]["start_time"] == "09:00"
    assert server.stop() == 0


def test_serve_with_two_workers_runs_the_playground_in_any_of_them(serve_process, database_url: str) -> None:
    """Staff sessions and their conversations are in the sessions database (`database_url`: on
    either dialect), so a new connection, whichever worker it reaches, continues one."""
    server = serve_process(
        workers=2, playground_token="staff-secret", llm_provider="offline", checkpoint_url=database_url
    )
    wait_until(lambda: len(server.children()) >= 2, 20.0, 0.1, "two worker processes")
    staff = {"Authorization": "Bearer staff-secret"}
    messages = [
        "Hi! Can I get a follow-up next Tuesday morning?",
        "9:00 please",
        "Jane Roe, jane@example.com, 555 0100",
    ]
    sid = None
    for message in messages + ["yes"]:
        with server.client() as client:  # a new connection per turn: the kernel spreads them over the workers
            response = client.post("/api/playground/chat", json={"session_id": sid, "message": message}, headers=staff)
        assert response.status_code == 200, response.text
        events = parse_text(response.text)
        sid = events[0]["data"]["session_id"]
        assert sid.startswith("pg-") and events[-1]["event"] == "done", events[-1]
    assert events[-1]["data"]["booking"]["start_time"] == "09:00"
    for _ in range(4):
        with server.client() as client:
            summary = client.get(f"/api/playground/sessions/{sid}", headers=staff)
            exported = client.get(f"/api/playground/sessions/{sid}/export", headers=staff)
        assert summary.status_code == 200 and summary.json()["turns"] == 4
        assert exported.status_code == 200 and "book_slot" in exported.text
    assert server.stop() == 0


def test_serve_refuses_several_workers_with_the_playground_in_memory(serve_process) -> None:
    server = serve_process(workers=2, playground_token="staff-secret", checkpoint_url="memory", start=False)
    with pytest.raises(RuntimeError, match="needs WORKERS=1"):
        server.start(timeout=20)
