// A full booking through the Vercel AI SDK's own client against a running server:
//   node tests/node/ai_sdk_chat.mjs http://127.0.0.1:PORT
// The chat is the SDK's AbstractChat (what useChat wraps) with DefaultChatTransport and the SDK's
// approval flow (addToolApprovalResponse + sendAutomaticallyWhen). It asserts the messages the SDK
// reconstructs from the stream, and prints them as JSON for the Python side to compare with the
// database. Exits non-zero on the first failed assertion.
import assert from "node:assert/strict";
import {
  AbstractChat,
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
} from "ai";

const BASE = process.argv[2];
if (!BASE) throw new Error("usage: node ai_sdk_chat.mjs BASE_URL");

/** The chat state a framework hook would keep (useChat keeps the same in React state). */
class PlainState {
  constructor() {
    this.status = "ready";
    this.error = undefined;
    this.messages = [];
  }
  pushMessage(message) {
    this.messages = [...this.messages, message];
  }
  popMessage() {
    this.messages = this.messages.slice(0, -1);
  }
  replaceMessage(index, message) {
    this.messages = [...this.messages.slice(0, index), this.snapshot(message), ...this.messages.slice(index + 1)];
  }
  snapshot(thing) {
    return structuredClone(thing);
  }
}

/** A chat whose every response can be awaited, including the one the SDK sends by itself. */
class TestChat extends AbstractChat {
  constructor() {
    const finished = [];
    super({
      state: new PlainState(),
      transport: new DefaultChatTransport({ api: `${BASE}/api/chat/ui` }),
      sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
      onFinish: (event) => finished.shift()?.(event),
    });
    this.finished = finished;
  }
  /** Resolves when the next response has been read to its end. */
  nextFinish() {
    return new Promise((resolve) => this.finished.push(resolve));
  }
  lastAssistant() {
    const message = this.messages.at(-1);
    assert.equal(message.role, "assistant", "the chat ends with the assistant's message");
    return message;
  }
}

const text = (message) => message.parts.filter((p) => p.type === "text").map((p) => p.text).join("\n");
const parts = (message, type) => message.parts.filter((p) => p.type === type);
const one = (message, type) => {
  const found = parts(message, type);
  assert.equal(found.length, 1, `one ${type} part in ${JSON.stringify(message.parts.map((p) => p.type))}`);
  return found[0];
};

async function say(chat, words) {
  await chat.sendMessage({ text: words });
  assert.equal(chat.status, "ready", `status after "${words}": ${chat.status} ${chat.error?.message ?? ""}`);
  return chat.lastAssistant();
}

// ---------------------------------------------------------------- a booking, approved
const chat = new TestChat();

let reply = await say(chat, "Can I get a follow-up next Tuesday morning?");
assert.equal(reply.metadata.session_id, chat.id, "the chat id is the server's session id");
const check = one(reply, "tool-check_availability");
assert.equal(check.state, "output-available");
assert.deepEqual(
  { date: check.input.date, type: check.input.appointment_type, ok: check.output.ok },
  { date: "2026-12-01", type: "followup", ok: true },
);
const slots = one(reply, "data-slots");
assert.equal(slots.id, check.toolCallId);
assert.equal(slots.data.day, "Tuesday, December 1");
assert.ok(slots.data.slots.length >= 3, "free times offered");
assert.match(text(reply), /Tuesday, December 1/);
assert.equal(parts(reply, "step-start").length, 1);
assert.equal(reply.metadata.pending, false);

const first = slots.data.slots[0];
reply = await say(chat, first); // what a front end's time button sends

assert.match(text(reply), /full name, e-mail address and phone number/);

reply = await say(chat, "Jane Roe, jane@example.com, 555 0100");
const gated = one(reply, "tool-book_slot");
assert.equal(gated.state, "approval-requested", "the booking waits for the patient's approval");
assert.equal(gated.input.start_time, first);
assert.equal(gated.input.patient_email, "jane@example.com");
assert.equal(gated.approval.id, gated.toolCallId);
assert.match(gated.approval.descriptor.summary, /Tuesday, December 1.*Jane Roe/, "the question to show");
assert.equal(reply.metadata.pending, true);
const messagesBefore = chat.messages.length;

// The approval: the SDK resends the chat by itself and the reply continues the same message.
const approved = chat.nextFinish();
await chat.addToolApprovalResponse({ id: gated.approval.id, approved: true });
await approved;
assert.equal(chat.status, "ready", chat.error?.message);
assert.equal(chat.messages.length, messagesBefore, "the answer continues the assistant's message");
reply = chat.lastAssistant();
const booked = one(reply, "tool-book_slot");
assert.equal(booked.state, "output-available");
assert.equal(booked.approval.approved, true);
assert.equal(booked.output.ok, true);
const card = one(reply, "data-booking");
assert.equal(card.data.booking_id, booked.output.booking_id);
assert.match(text(reply), new RegExp(card.data.confirmation_code));
assert.equal(parts(reply, "step-start").length, 2, "the continuation is a step of its own");
assert.equal(reply.metadata.pending, false);

// ---------------------------------------------------------------- a booking, declined
const declined = new TestChat();
await say(declined, "I need a physical this Friday afternoon");
await say(declined, "14:30");
reply = await say(declined, "My name is Sam Lee, sam@example.org, +1 212 555 0199");
const asked = one(reply, "tool-book_slot");
assert.equal(asked.state, "approval-requested");
const denied = declined.nextFinish();
await declined.addToolApprovalResponse({ id: asked.approval.id, approved: false, reason: "wrong day" });
await denied;
reply = declined.lastAssistant();
assert.equal(one(reply, "tool-book_slot").state, "output-denied", "a denial books nothing");
assert.equal(parts(reply, "data-booking").length, 0);
assert.ok(text(reply).length > 0, "the agent answers the denial");

// ---------------------------------------------------------------- a refused request
await declined.regenerate();
assert.equal(declined.status, "error");
assert.match(declined.error.message, /regenerate-message is not supported/);

console.log(JSON.stringify({ booked: chat.id, declined: declined.id, messages: chat.messages }));
