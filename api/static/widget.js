/*!
 * Clinic booking chat widget: plain ES2020, no dependencies, no build step.
 *
 * Embed:  <script src="https://clinic.example/static/widget.js" data-api="https://clinic.example" defer></script>
 *    or:  <clinic-chat api="https://clinic.example" mode="inline"></clinic-chat>  (after loading the script)
 *
 * Script attributes: data-api (default: the script's origin), data-mode ("floating" | "inline"),
 * data-heading, data-subheading, data-greeting, data-open (start open), data-theme ("auto" |
 * "light" | "dark"), data-mount="none" (only define <clinic-chat>, don't add one). Element
 * attributes: api, mode, heading, subheading, greeting, open, theme. JS: ClinicChat.open() /
 * .close() / .reset().
 *
 * The chat endpoint streams Server-Sent Events over a POST, so the stream is read with
 * fetch() + a ReadableStream parser (EventSource can only GET).
 */
(() => {
  "use strict";

  const script = document.currentScript;
  const SCRIPT_SRC = script && script.src ? script.src : new URL("/static/widget.js", location.href).href;
  const SCRIPT_DATA = (script && script.dataset) || {};
  const CSS_URL = new URL("widget.css", SCRIPT_SRC).href;
  const DEFAULT_API = SCRIPT_DATA.api || new URL(SCRIPT_SRC).origin;
  const TAG = "clinic-chat";

  if (customElements.get(TAG)) return; // loaded twice: the first copy is in charge

  const TYPE_LABELS = {
    consultation: "Consultation",
    followup: "Follow-up visit",
    physical: "Physical exam",
    specialist: "Specialist visit",
  };
  const TOOL_STATUS = {
    check_availability: "Checking availability…",
    book_slot: "Booking your appointment…",
    clinic_info: "Looking that up…",
    find_booking: "Looking up your booking…",
    reschedule_booking: "Moving your appointment…",
    cancel_booking: "Cancelling your appointment…",
  };
  // Results that are a booking as it now is (a card), and the one that only shows it (the "from").
  const CHANGE_TOOLS = ["book_slot", "reschedule_booking", "cancel_booking"];
  // What the card's buttons and the manage form say in the chat: phrasings the offline model reads
  // (with the code it looks the booking up, so the confirm card can show from -> to). "code: X":
  // after "code:" any code is read as one, also one of letters only (the service makes those too).
  const MOVE_TEXT = (code) => `I'd like to move my booking, code: ${code}`;
  const CANCEL_TEXT = (code) => `Please cancel my booking, code: ${code}`;
  const MANAGE_TEXT = (code, email) => `I'd like to manage my booking. Code: ${code}, e-mail: ${email}`;
  const KEEP_TEXT = "No, keep it"; // a typed no: the transcript keeps these words
  const DEFAULTS = {
    heading: "Book an appointment",
    subheading: "Online booking assistant",
    greeting:
      "Hello! I can book you an appointment. What kind of visit do you need, and which day suits you?",
  };
  const MAX_QUICK_REPLIES = 8;
  const DECLINE_TEXT = "No, I'd like to change something.";
  // What the patient's bubble says for the Confirm / Change buttons: the same words the server's
  // transcript keeps for them, so a reload shows the same conversation.
  const CONFIRM_TEXT = "yes";

  const ICONS = {
    chat:
      '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm5 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm5 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3z"/></svg>',
    close:
      '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="currentColor" d="M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z"/></svg>',
    send:
      '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="currentColor" d="M3 20.5v-7l9-1.5-9-1.5v-7L22 12z"/></svg>',
    compose:
      '<svg viewBox="0 0 24 24" width="19" height="19" aria-hidden="true" focusable="false"><path fill="currentColor" d="M5 3h9l-2 2H5v14h14v-7l2-2v9a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm13.6-.4 2.8 2.8L12.8 14H10v-2.8z"/></svg>',
    cross:
      '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><path fill="currentColor" d="M10 3h4v7h7v4h-7v7h-4v-7H3v-4h7z"/></svg>',
    check:
      '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="currentColor" d="M9.5 16.2 5.3 12l-1.4 1.4 5.6 5.6L20.1 8.4 18.7 7z"/></svg>',
    calendar:
      '<svg viewBox="0 0 24 24" width="19" height="19" aria-hidden="true" focusable="false"><path fill="currentColor" d="M7 2h2v2h6V2h2v2h2a2 2 0 0 1 2 2v13a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2h2zM5 9v10h14V9zm2 2h4v4H7z"/></svg>',
    alert:
      '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path fill="currentColor" d="M1 21h22L12 2zm12-3h-2v-2h2zm0-4h-2v-4h2z"/></svg>',
  };

  // ------------------------------------------------------------------ helpers

  const pad2 = (n) => String(n).padStart(2, "0");

  /** Every clock time written in `text` ("9:00", "09:00", "2:30 pm", "14:30", "2 pm"), as candidates "HH:MM". */
  function timesIn(text) {
    const found = [];
    const re = /\b(\d{1,2})(?::([0-5]\d))?\s*([ap])\.?\s?m\b\.?|\b(\d{1,2}):([0-5]\d)(?![\d:])/gi;
    for (const m of String(text || "").matchAll(re)) {
      if (m[1] !== undefined) {
        const h = Number(m[1]);
        if (h < 1 || h > 12) continue;
        const hour = (h % 12) + (m[3].toLowerCase() === "p" ? 12 : 0);
        found.push([`${pad2(hour)}:${m[2] || "00"}`]);
      } else {
        const h = Number(m[4]);
        if (h > 23) continue;
        // "2:30" at a clinic is 14:30; "09:30" (zero-padded) or "14:30" is exactly that.
        const candidates = [`${pad2(h)}:${m[5]}`];
        if (m[4].length === 1 && h >= 1 && h <= 11) candidates.push(`${pad2(h + 12)}:${m[5]}`);
        found.push(candidates);
      }
    }
    return found;
  }

  /** Slots of `availability` named in `reply`, minus those the patient's own last message named. */
  function offeredSlots(reply, availability, lastUserText) {
    if (!availability || !Array.isArray(availability.slots) || !availability.slots.length) return [];
    const free = new Set(availability.slots);
    const pick = (candidates) => candidates.find((c) => free.has(c));
    const chosen = new Set(timesIn(lastUserText).map(pick).filter(Boolean));
    const named = new Set(timesIn(reply).map(pick).filter(Boolean));
    return availability.slots.filter((s) => named.has(s) && !chosen.has(s)).slice(0, MAX_QUICK_REPLIES);
  }

  /** A slot time as the clinic shows times (the `session` event's time_format, as core.formats.clock_label):
   * 12h: "09:00" -> "9:00 AM", "14:30" -> "2:30 PM"; 24h: "09:00" -> "09:00". */
  function displayTime(hhmm, format) {
    if (format === "24h") return hhmm;
    const [h, m] = hhmm.split(":").map(Number);
    return `${((h + 11) % 12) + 1}:${pad2(m)} ${h < 12 ? "AM" : "PM"}`;
  }

  /** "2026-12-04" -> "Friday, December 4", as the server's day labels (core.formats.day_label). */
  function dayLabel(iso) {
    const [y, m, d] = String(iso || "").split("-").map(Number);
    if (!y || !m || !d) return String(iso || "");
    const when = new Date(Date.UTC(y, m - 1, d));
    return when.toLocaleDateString("en-US", { weekday: "long", month: "long", day: "numeric", timeZone: "UTC" });
  }

  /** Parse a text/event-stream body into {type, data} objects. */
  async function* sseEvents(body) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const parse = (block) => {
      let type = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") type = value;
        else if (field === "data") data.push(value);
      }
      if (!data.length) return null;
      try {
        return { type, data: JSON.parse(data.join("\n")) };
      } catch {
        return null;
      }
    };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        // Normalise line ends, keeping a trailing "\r" until we know whether "\n" follows.
        const keep = buffer.endsWith("\r") ? 1 : 0;
        buffer = buffer.slice(0, buffer.length - keep).replace(/\r\n?/g, "\n") + (keep ? "\r" : "");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event) yield event;
        }
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  const storage = {
    get(key) {
      try {
        return sessionStorage.getItem(key);
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        if (value == null) sessionStorage.removeItem(key);
        else sessionStorage.setItem(key, value);
      } catch {
        /* storage disabled: the conversation just won't survive a reload */
      }
    },
  };

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k === "html") node.innerHTML = v; // only ever our constant icons
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }

  let instances = 0;
  const DARK = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  // ------------------------------------------------------------------ the element

  class ClinicChat extends HTMLElement {
    constructor() {
      super();
      this.uid = `cc${++instances}`;
      this.sessionId = null;
      this.availability = null; // the latest successful check_availability result
      this.lastUserText = "";
      this.busy = false;
      this.generation = 0; // bumped by reset(): late events of an abandoned turn are ignored
      this.controller = null;
      this.shownBookings = new Set(); // booking id + status + slot: one card per state of a booking
      this.known = new Map(); // booking id -> the booking as this conversation last saw it
      this.timeFormat = "12h"; // until the server says (every `session` event carries it)
      this.built = false;
      this.schemeListener = null; // follows prefers-color-scheme while connected
    }

    get api() {
      return (this.getAttribute("api") || DEFAULT_API).replace(/\/+$/, "");
    }

    get mode() {
      return this.getAttribute("mode") === "floating" ? "floating" : "inline";
    }

    get storageKey() {
      return `clinic-chat:${this.api}`;
    }

    static get observedAttributes() {
      return ["theme"];
    }

    attributeChangedCallback() {
      this.applyScheme();
    }

    /** data-scheme="light" | "dark" for the stylesheet: the `theme` attribute, or with "auto"
     * (the default) the visitor's prefers-color-scheme, followed as it changes. */
    applyScheme() {
      const theme = this.getAttribute("theme");
      const dark = theme === "dark" || (theme !== "light" && !!DARK && DARK.matches);
      this.setAttribute("data-scheme", dark ? "dark" : "light");
    }

    connectedCallback() {
      this.applyScheme();
      if (!this.schemeListener && DARK) {
        this.schemeListener = () => this.applyScheme();
        DARK.addEventListener("change", this.schemeListener);
      }
      if (this.built) return;
      this.built = true;
      if (!this.hasAttribute("mode")) this.setAttribute("mode", "inline");
      this.build();
      const open = this.mode === "inline" || this.hasAttribute("open") || storage.get(`${this.storageKey}:open`) === "1";
      if (open) this.open({ focus: false });
      this.restore();
    }

    disconnectedCallback() {
      // A removed widget stops reading its stream (the server then cancels the turn).
      if (this.controller) this.controller.abort();
      if (this.schemeListener && DARK) DARK.removeEventListener("change", this.schemeListener);
      this.schemeListener = null;
    }

    // -------------------------------------------------------------- DOM

    build() {
      const id = (name) => `${this.uid}-${name}`;
      const root = this.attachShadow({ mode: "open" });
      const hide = el("style", { text: ":host{visibility:hidden}" }); // until our stylesheet is in
      const link = el("link", { rel: "stylesheet", href: CSS_URL });
      link.addEventListener("error", () => hide.remove());
      link.addEventListener("load", () => hide.remove());

      const heading = this.getAttribute("heading") || DEFAULTS.heading;
      const subheading = this.getAttribute("subheading") || DEFAULTS.subheading;

      this.launcher = el("button", {
        type: "button",
        class: "cc-launcher",
        "aria-expanded": "false",
        "aria-controls": id("panel"),
        html: ICONS.chat,
        onclick: () => this.open(),
      });
      this.launcher.append(el("span", { text: heading }));

      this.log = el("div", {
        class: "cc-log",
        id: id("log"),
        role: "region",
        "aria-label": "Conversation",
        tabindex: "0",
      });
      this.typing = el(
        "div",
        { class: "cc-typing", hidden: true },
        el("span", { class: "cc-dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")),
        (this.typingLabel = el("span", { class: "cc-typing-label", text: "Assistant is typing…" }))
      );
      this.live = el("div", { class: "cc-sr-only", "aria-live": "polite", "aria-atomic": "true" });

      this.input = el("input", {
        id: id("input"),
        class: "cc-input",
        type: "text",
        name: "message",
        autocomplete: "off",
        maxlength: "2000",
        placeholder: "Type your message…",
        enterkeyhint: "send",
      });
      this.sendButton = el("button", { type: "submit", class: "cc-send", html: ICONS.send });
      this.sendButton.append(el("span", { class: "cc-send-label", text: "Send" }));
      this.form = el(
        "form",
        { class: "cc-form", onsubmit: (e) => this.onSubmit(e) },
        el("label", { for: id("input"), class: "cc-sr-only", text: "Your message" }),
        this.input,
        this.sendButton
      );

      const newButton = el("button", {
        type: "button",
        class: "cc-icon-button cc-new",
        html: ICONS.compose,
        title: "New conversation",
        onclick: () => this.reset(),
      });
      newButton.append(el("span", { class: "cc-new-label", text: "New conversation" }));
      this.manageButton = el("button", {
        type: "button",
        class: "cc-icon-button cc-manage-open",
        html: ICONS.calendar,
        title: "Manage a booking",
        "aria-haspopup": "true",
        onclick: () => this.openManage(),
      });
      this.manageButton.append(el("span", { class: "cc-manage-label", text: "Manage a booking" }));
      this.closeButton = el("button", {
        type: "button",
        class: "cc-icon-button cc-close",
        "aria-label": "Close chat",
        title: "Close chat",
        html: ICONS.close,
        onclick: () => this.close(),
      });

      this.panel = el(
        "section",
        {
          class: "cc-panel",
          id: id("panel"),
          "aria-labelledby": id("title"),
          hidden: true,
          onkeydown: (e) => {
            if (e.key === "Escape" && this.mode === "floating") {
              e.stopPropagation();
              this.close();
            }
          },
        },
        el(
          "header",
          { class: "cc-header" },
          el("div", { class: "cc-avatar", "aria-hidden": "true", html: ICONS.cross }),
          el(
            "div",
            { class: "cc-titles" },
            el("h2", { id: id("title"), class: "cc-title", text: heading }),
            el("p", { class: "cc-subtitle", text: subheading })
          ),
          this.manageButton,
          newButton,
          this.mode === "floating" ? this.closeButton : null
        ),
        this.log,
        this.live,
        this.form
      );
      root.append(hide, link);
      if (this.mode === "floating") root.append(this.launcher);
      root.append(this.panel);
    }

    open({ focus = true } = {}) {
      this.panel.hidden = false;
      this.launcher.hidden = true;
      this.launcher.setAttribute("aria-expanded", "true");
      if (this.mode === "floating") storage.set(`${this.storageKey}:open`, "1");
      this.scrollToEnd(true);
      if (focus) this.input.focus();
    }

    close() {
      if (this.mode !== "floating") return;
      this.panel.hidden = true;
      this.launcher.hidden = false;
      this.launcher.setAttribute("aria-expanded", "false");
      storage.set(`${this.storageKey}:open`, null);
      this.launcher.focus();
    }

    scrollToEnd(force = false) {
      const log = this.log;
      const near = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
      if (force || near || this.busy) log.scrollTop = log.scrollHeight;
    }

    append(node) {
      if (this.typing.isConnected && !this.typing.hidden) this.log.insertBefore(node, this.typing);
      else this.log.append(node);
      this.scrollToEnd();
      return node;
    }

    bubble(role, text) {
      const who = role === "user" ? "You" : "Assistant";
      const body = el("div", { class: "cc-text", text: text || "" });
      const row = el(
        "div",
        { class: `cc-msg cc-${role}`, "data-role": role },
        el("span", { class: "cc-sr-only", text: `${who}: ` }),
        body
      );
      this.append(row);
      row.textNode = body;
      return row;
    }

    setTyping(on, label) {
      if (on) {
        this.typingLabel.textContent = label || "Assistant is typing…";
        this.typing.hidden = false;
        this.log.append(this.typing);
        this.scrollToEnd();
      } else {
        this.typing.hidden = true;
      }
    }

    announce(text) {
      this.live.textContent = "";
      // A fresh text node after a tick, so an identical message is still announced.
      setTimeout(() => {
        this.live.textContent = text;
      }, 60);
    }

    clearTransient() {
      for (const node of this.log.querySelectorAll(".cc-quick, .cc-error")) node.remove();
      for (const card of this.log.querySelectorAll(".cc-confirm:not(.cc-answered)")) this.retireConfirm(card);
    }

    retireConfirm(card, answer) {
      card.classList.add("cc-answered");
      for (const b of card.querySelectorAll("button")) b.disabled = true;
      if (answer) card.dataset.answer = answer;
    }

    greet() {
      this.bubble("assistant", this.getAttribute("greeting") || DEFAULTS.greeting).classList.add("cc-greeting");
    }

    time(hhmm) {
      return displayTime(hhmm, this.timeFormat);
    }

    setTimeFormat(format) {
      if (format !== "12h" && format !== "24h") return;
      this.timeFormat = format;
      storage.set(`${this.storageKey}:time_format`, format);
    }

    quickReplies(slots) {
      if (!slots.length) return;
      const group = el("div", { class: "cc-quick", role: "group", "aria-label": "Suggested times" });
      for (const slot of slots) {
        group.append(
          el("button", {
            type: "button",
            class: "cc-chip",
            "data-slot": slot,
            title: `Choose ${this.time(slot)}`,
            text: this.time(slot),
            onclick: () => this.sendMessage(this.time(slot)),
          })
        );
      }
      this.append(group);
    }

    /** The card for a paused call: a new booking (Confirm / Change), a move (from -> to) or a
     * cancellation (what is cancelled), each with its own yes and no. */
    confirmCard(pending) {
      const change = pending.name === "reschedule_booking" || pending.name === "cancel_booking";
      if (!change) {
        return this.choiceCard(pending, "Confirm your booking", "Please confirm", null, [
          ["Confirm", true, { confirm: true }, CONFIRM_TEXT, "confirm"],
          ["Change", false, { confirm: false }, DECLINE_TEXT, "change"],
        ]);
      }
      const args = pending.args || {};
      const current = pending.current || this.known.get(args.booking_id) || null;
      const moving = pending.name === "reschedule_booking";
      const rows = [];
      if (current) rows.push([moving ? "From" : "Appointment", this.slotText(current), "from"]);
      if (moving) rows.push(["To", this.slotText(args), "to"]);
      const code = args.confirmation_code || (current && current.confirmation_code);
      if (code) rows.push(["Confirmation code", code, "confirmation_code"]);
      const details = el("dl", { class: "cc-change" }, ...rows.flatMap(([label, value, key]) => this.field(label, value, key)));
      return this.choiceCard(
        pending,
        moving ? "Confirm the new time" : "Confirm the cancellation",
        moving ? "Move your appointment?" : "Cancel your appointment?",
        details,
        [
          [moving ? "Yes, move it" : "Yes, cancel it", true, { confirm: true }, CONFIRM_TEXT, "confirm"],
          ["No, keep it", false, { message: KEEP_TEXT }, KEEP_TEXT, "change"],
        ]
      );
    }

    /** A confirm card: `choices` are [label, primary, request, echo, answer] buttons. */
    choiceCard(pending, label, title, details, choices) {
      const card = el(
        "div",
        { class: "cc-confirm", role: "group", "aria-label": label, "data-name": pending.name || "book_slot" },
        el("p", { class: "cc-confirm-title", text: title }),
        el("p", { class: "cc-confirm-summary", text: pending.summary || "Book this appointment?" }),
        details
      );
      const buttons = choices.map(([text, primary, request, echo, answer]) => {
        const button = el("button", {
          type: "button",
          class: `cc-button ${primary ? "cc-primary" : "cc-secondary"}`,
          html: primary ? ICONS.check : null,
          onclick: () => {
            this.retireConfirm(card, answer);
            this.send(request, echo);
          },
        });
        button.append(el("span", { text }));
        return button;
      });
      card.append(el("div", { class: "cc-actions" }, ...buttons));
      this.append(card);
      return card;
    }

    /** A <dt>/<dd> pair of a card. */
    field(label, value, key) {
      return [el("dt", { text: label }), el("dd", { "data-field": key, text: value || "—" })];
    }

    /** "Friday, December 4 at 10:00 AM": a booking's or a call's date and start, as the clinic shows times. */
    slotText(slot) {
      const day = slot.day || dayLabel(slot.date);
      return slot.start_time ? `${day} at ${this.time(slot.start_time)}` : day;
    }

    /** A booking as it now is: booked, moved (same id, new slot), cancelled, or `found` (looked up
     * by its code). A confirmed one offers "Add to calendar", "Reschedule" and "Cancel"; an older
     * card of it loses its buttons. */
    bookingCard(booking, found = false) {
      if (!booking || !booking.booking_id) return;
      const id = booking.booking_id;
      const key = [id, booking.status, booking.date, booking.start_time].join("|");
      const before = this.known.get(id);
      this.known.set(id, booking);
      if (this.shownBookings.has(key)) return;
      const moved = before && (before.date !== booking.date || before.start_time !== booking.start_time);
      this.shownBookings.add(key);
      this.availability = null; // those slots are history now
      for (const old of this.log.querySelectorAll(".cc-booking")) {
        if (old.dataset.bookingId === id) old.querySelector(".cc-booking-actions")?.remove();
      }
      const cancelled = booking.status === "cancelled";
      const title = cancelled
        ? "Appointment cancelled"
        : moved
          ? "Appointment moved"
          : found && !before
            ? "Your booking"
            : "Appointment booked";
      const time = booking.end_time
        ? `${this.time(booking.start_time)} – ${this.time(booking.end_time)}`
        : this.time(booking.start_time);
      const card = el(
        "section",
        {
          class: `cc-booking${cancelled ? " cc-cancelled" : ""}`,
          "aria-label": title,
          "data-booking-id": id,
          "data-status": booking.status || "confirmed",
        },
        el(
          "p",
          { class: "cc-booking-title" },
          el("span", { class: "cc-booking-icon", html: cancelled ? ICONS.close : ICONS.check }),
          el("span", { text: title })
        ),
        el(
          "dl",
          {},
          ...this.field("Type", TYPE_LABELS[booking.appointment_type] || booking.appointment_type, "type"),
          ...this.field("Date", booking.day || dayLabel(booking.date), "date"),
          ...this.field("Time", time, "time"),
          ...this.field("Booking ID", id, "booking_id"),
          ...this.field("Confirmation code", booking.confirmation_code, "confirmation_code")
        ),
        el("p", {
          class: "cc-booking-note",
          text: cancelled
            ? "This appointment is cancelled: the time is free for others."
            : "Keep your confirmation code: you need it to move or cancel this booking.",
        })
      );
      if (!cancelled) card.append(this.bookingActions(booking));
      this.append(card);
    }

    /** The card's "Add to calendar" (the booking's .ics), "Reschedule" and "Cancel". */
    bookingActions(booking) {
      const code = booking.confirmation_code || "";
      const ics =
        `${this.api}/api/calendly/bookings/${encodeURIComponent(booking.booking_id)}.ics` +
        `?confirmation_code=${encodeURIComponent(code)}`;
      const calendar = el("a", {
        class: "cc-button cc-secondary cc-calendar",
        href: ics,
        download: `appointment-${booking.booking_id}.ics`,
        html: ICONS.calendar,
      });
      calendar.append(el("span", { text: "Add to calendar" }));
      const action = (text, message) =>
        el("button", {
          type: "button",
          class: "cc-button cc-secondary",
          text,
          onclick: () => this.sendMessage(message),
        });
      return el(
        "div",
        { class: "cc-actions cc-booking-actions" },
        calendar,
        action("Reschedule", MOVE_TEXT(code)),
        action("Cancel", CANCEL_TEXT(code))
      );
    }

    /** "Manage a booking": a small form for the confirmation code and e-mail; its answer goes on
     * in the chat as one message. */
    openManage() {
      const open = this.log.querySelector(".cc-manage");
      if (open) {
        open.querySelector("input").focus();
        return;
      }
      const id = (name) => `${this.uid}-manage-${name}`;
      const input = (name, label, attrs) => [
        el("label", { for: id(name), text: label }),
        el("input", { id: id(name), name, class: "cc-input cc-manage-input", required: true, autocomplete: "off", ...attrs }),
      ];
      const problem = el("p", { class: "cc-manage-problem", id: id("problem"), role: "alert" });
      const close = () => {
        form.remove();
        this.manageButton.focus();
      };
      const form = el(
        "form",
        {
          class: "cc-manage",
          "aria-labelledby": id("title"),
          novalidate: true,
          onkeydown: (e) => {
            if (e.key === "Escape") {
              e.stopPropagation();
              close();
            }
          },
          onsubmit: (e) => {
            e.preventDefault();
            const code = form.elements.code.value.trim().toUpperCase();
            const email = form.elements.email.value.trim();
            const wrong = !/^[A-Z0-9]{4,16}$/.test(code)
              ? ["code", "Enter the confirmation code from your booking (letters and digits)."]
              : !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)
                ? ["email", "Enter the e-mail address you booked with."]
                : null;
            for (const name of ["code", "email"]) form.elements[name].removeAttribute("aria-invalid");
            if (wrong) {
              form.elements[wrong[0]].setAttribute("aria-invalid", "true");
              form.elements[wrong[0]].focus();
              problem.textContent = wrong[1];
              return;
            }
            if (this.busy) {
              problem.textContent = "The assistant is still answering. Try again in a moment.";
              return;
            }
            form.remove();
            this.sendMessage(MANAGE_TEXT(code, email));
          },
        },
        el("p", { class: "cc-confirm-title", id: id("title"), text: "Manage a booking" }),
        el("p", {
          class: "cc-manage-help",
          text: "Enter the confirmation code from your booking and the e-mail address you booked with.",
        }),
        ...input("code", "Confirmation code", { maxlength: "16", autocapitalize: "characters", spellcheck: "false" }),
        ...input("email", "E-mail", { type: "email", maxlength: "254", inputmode: "email" }),
        problem,
        el(
          "div",
          { class: "cc-actions" },
          el("button", { type: "submit", class: "cc-button cc-primary", text: "Continue" }),
          el("button", { type: "button", class: "cc-button cc-secondary", text: "Close", onclick: close })
        )
      );
      for (const name of ["code", "email"]) form.elements[name].setAttribute("aria-describedby", id("problem"));
      this.append(form);
      form.elements.code.focus();
    }

    showError(message, retry) {
      const box = el(
        "div",
        { class: "cc-error", role: "alert" },
        el("span", { class: "cc-error-icon", html: ICONS.alert }),
        el("p", { class: "cc-error-text", text: message })
      );
      if (retry) {
        box.append(
          el("button", {
            type: "button",
            class: "cc-button cc-secondary cc-retry",
            text: "Retry",
            onclick: () => {
              box.remove();
              this.input.focus();
              retry();
            },
          })
        );
      }
      this.append(box);
    }

    // -------------------------------------------------------------- conversation

    setSession(id) {
      this.sessionId = id;
      storage.set(this.storageKey, id);
    }

    onSubmit(event) {
      event.preventDefault();
      const text = this.input.value.trim();
      if (!text || this.busy) return;
      this.input.value = "";
      this.sendMessage(text);
    }

    sendMessage(text) {
      return this.send({ message: text }, text);
    }

    /** Send one request (a message or a confirm answer), echoing `echo` as the patient's bubble. */
    async send(request, echo) {
      if (this.busy) return;
      this.clearTransient();
      if (echo) {
        this.bubble("user", echo);
        if (request.message !== undefined) this.lastUserText = request.message;
      }
      if (!this.panel.contains(this.shadowRoot.activeElement) || this.shadowRoot.activeElement?.disabled) {
        this.input.focus();
      }
      await this.run(request);
    }

    async run(request) {
      const generation = this.generation;
      const stale = () => generation !== this.generation;
      const retry = () => this.run(request);
      this.busy = true;
      this.log.setAttribute("aria-busy", "true");
      this.setTyping(true);
      const controller = (this.controller = new AbortController());
      let reply = null; // the assistant bubble being streamed
      let streamed = "";
      let pending = null;
      this.sources = []; // section titles clinic_info returned this turn
      let finished = false;

      const fail = (message, canRetry) => {
        if (reply) reply.remove(); // a half reply is not in the transcript either
        this.showError(message, canRetry ? retry : null);
      };

      try {
        let response;
        try {
          const body = { ...request };
          if (this.sessionId) body.session_id = this.sessionId;
          response = await fetch(`${this.api}/api/chat`, {
            method: "POST",
            headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
            body: JSON.stringify(body),
            signal: controller.signal,
          });
        } catch {
          if (stale()) return;
          fail("Can't reach the clinic's booking assistant right now. Check your connection, then retry.", true);
          return;
        }
        if (stale()) return;
        if (!response.ok) {
          let detail = "";
          try {
            detail = (await response.json()).detail || "";
          } catch {
            /* not JSON */
          }
          if (stale()) return;
          this.refused(response.status, detail, request, retry);
          return;
        }
        try {
          for await (const event of sseEvents(response.body)) {
            if (stale()) return;
            const data = event.data || {};
            switch (event.type) {
              case "session":
                if (data.session_id) this.setSession(data.session_id);
                this.setTimeFormat(data.time_format);
                break;
              case "token":
                if (!data.text) break;
                this.setTyping(false);
                if (!reply) reply = this.bubble("assistant", "");
                streamed += data.text;
                reply.textNode.textContent = streamed;
                reply.classList.add("cc-streaming");
                this.scrollToEnd();
                break;
              case "tool_call":
                if (reply && streamed && !/\s$/.test(streamed)) streamed += "\n";
                this.setTyping(true, TOOL_STATUS[data.name]);
                break;
              case "tool_result":
                this.toolResult(data);
                break;
              case "confirm":
                pending = data;
                break;
              case "safety": // the safety guard's emergency guidance: its own prominent bubble
                this.setTyping(false);
                if (!reply) reply = this.bubble("assistant", "");
                reply.classList.add("cc-safety");
                reply.setAttribute("role", "alert");
                break;
              case "done": {
                finished = true;
                this.setTyping(false);
                const text = (data.reply || "").trim();
                if (text) {
                  if (!reply) reply = this.bubble("assistant", "");
                  reply.textNode.textContent = text;
                } else if (reply && !streamed.trim()) {
                  reply.remove();
                  reply = null;
                }
                if (reply) reply.classList.remove("cc-streaming");
                if (reply && text) this.sourceNote(reply, text);
                if (data.booking) this.bookingCard(data.booking);
                pending = data.pending || pending;
                const spoken = [text];
                if (data.booking) spoken.push(this.bookingSpoken(data.booking));
                if (pending) {
                  const card = this.confirmCard(pending);
                  const choices = Array.from(card.querySelectorAll("button"), (b) => b.textContent).join(" or ");
                  spoken.push(`${pending.summary || ""} Choose ${choices}, or type your answer.`);
                } else {
                  const slots = offeredSlots(text, this.availability, this.lastUserText);
                  this.quickReplies(slots);
                  if (slots.length) spoken.push(`Suggested times: ${slots.map((t) => this.time(t)).join(", ")}.`);
                }
                this.announce(spoken.filter(Boolean).join(" "));
                break;
              }
              case "error":
                finished = true;
                this.setTyping(false);
                fail(data.message || "Sorry, something went wrong.", data.retryable !== false);
                break;
              default:
                break;
            }
            if (finished) break;
          }
        } catch {
          /* the stream broke: handled below */
        }
        if (stale()) return;
        if (!finished) {
          this.setTyping(false);
          fail("The connection was interrupted before the reply finished. Please retry.", true);
        }
      } finally {
        if (!stale()) {
          this.busy = false;
          this.controller = null;
          this.log.removeAttribute("aria-busy");
          this.setTyping(false);
          this.scrollToEnd();
        }
      }
    }

    /** A 4xx/5xx before streaming: say what happened, offer a retry when it can help. */
    refused(status, detail, request, retry) {
      this.setTyping(false);
      if (status === 404 && this.sessionId) {
        this.setSession(null); // the server no longer knows this conversation
        if (request.confirm !== undefined) {
          this.showError("This conversation has expired. Please start again and tell me what you'd like to book.", null);
        } else {
          this.showError("This conversation has expired. Retry to continue in a new conversation.", retry);
        }
      } else if (status === 409) {
        const busy = /still answering|busy/i.test(detail);
        this.showError(
          busy
            ? "The assistant is still answering your previous message. Wait a moment, then retry."
            : detail || "That can't be done right now.",
          busy ? retry : null
        );
      } else if (status === 429) {
        // Over a limit for one client: the server's message says how long to wait (Retry-After).
        this.showError(detail || "Too many messages for now. Please wait a little, then retry.", retry);
      } else if (status >= 400 && status < 500) {
        this.showError(detail ? `Sorry, that message couldn't be sent: ${detail}` : "Sorry, that message couldn't be sent.", null);
      } else {
        this.showError("The booking assistant is having trouble right now. Please retry in a moment.", retry);
      }
    }

    toolResult(data) {
      if (!data || !data.ok || !data.data) return;
      if (data.name === "clinic_info" && data.data.found) {
        this.sources = (data.data.sections || []).slice(0, 1).map((section) => section.title);
      } else if (data.name === "check_availability") this.availability = data.data;
      else if (CHANGE_TOOLS.includes(data.name)) this.bookingCard(data.data);
      else if (data.name === "find_booking" && data.data.booking_id) this.bookingCard(data.data, true);
    }

    /** What the live region says for a booking card. */
    bookingSpoken(booking) {
      const cards = this.log.querySelectorAll(`.cc-booking[data-booking-id="${CSS.escape(booking.booking_id)}"]`);
      const what = cards.length ? cards[cards.length - 1].getAttribute("aria-label") : "Appointment booked";
      return `${what}. Confirmation code ${booking.confirmation_code}.`;
    }

    /** Under a reply drawn from the clinic's information: the section it came from, unless the
     * reply already names it. */
    sourceNote(bubble, text) {
      const titles = (this.sources || []).filter((title) => !text.includes(`Source: ${title}`));
      this.sources = [];
      if (!titles.length) return;
      const note = document.createElement("div");
      note.className = "cc-source";
      note.textContent = `Source: ${titles.join(", ")}`;
      bubble.appendChild(note);
    }

    /** On load: re-render the stored session's transcript (404: start fresh). */
    async restore() {
      const id = storage.get(this.storageKey);
      if (!id) {
        this.greet();
        return;
      }
      const generation = this.generation;
      this.sessionId = id; // a message sent while loading continues this conversation
      this.setTimeFormat(storage.get(`${this.storageKey}:time_format`));
      this.setTyping(true, "Loading your conversation…");
      let response;
      try {
        response = await fetch(`${this.api}/api/chat/${encodeURIComponent(id)}`, { headers: { Accept: "application/json" } });
      } catch {
        response = null;
      }
      if (generation !== this.generation) return;
      this.setTyping(false);
      if (response && response.status === 404) {
        this.setSession(null);
        this.greet();
        return;
      }
      let transcript = null;
      try {
        if (response && response.ok) transcript = await response.json();
      } catch {
        transcript = null;
      }
      if (generation !== this.generation) return;
      if (!transcript) {
        this.showError("Couldn't load your conversation. Check your connection, then retry.", () => this.restore());
        return;
      }
      this.greet();
      let last = null; // the assistant bubble that later assistant text of the same turn joins
      let lastText = "";
      let endsWithReply = false;
      for (const entry of transcript.messages || []) {
        if (entry.role === "user") {
          this.bubble("user", entry.text);
          if (!("confirmation" in entry)) this.lastUserText = entry.text || "";
          last = null;
          endsWithReply = false;
        } else if (entry.role === "assistant") {
          if (last) last.textNode.textContent += `\n${entry.text}`;
          else last = this.bubble("assistant", entry.text);
          lastText = last.textNode.textContent;
          endsWithReply = true;
        } else if (entry.role === "tool_result") {
          if (entry.ok && CHANGE_TOOLS.includes(entry.name)) {
            this.bookingCard(entry.data);
            last = null;
            endsWithReply = false;
          } else {
            this.toolResult(entry);
          }
        }
      }
      if (transcript.pending) this.confirmCard(transcript.pending);
      else if (endsWithReply) this.quickReplies(offeredSlots(lastText, this.availability, this.lastUserText));
      this.scrollToEnd(true);
    }

    /** Forget this conversation (here and on the server) and start a new one. */
    async reset() {
      this.generation++;
      if (this.controller) this.controller.abort();
      this.controller = null;
      this.busy = false;
      this.log.removeAttribute("aria-busy");
      const old = this.sessionId || storage.get(this.storageKey);
      this.setSession(null);
      this.availability = null;
      this.lastUserText = "";
      this.shownBookings.clear();
      this.known.clear();
      this.setTyping(false);
      this.log.replaceChildren();
      this.greet();
      this.announce("Started a new conversation.");
      this.input.value = "";
      this.input.focus();
      if (old) this.forget(old);
    }

    async forget(id, attempt = 0) {
      try {
        const response = await fetch(`${this.api}/api/chat/${encodeURIComponent(id)}`, { method: "DELETE" });
        // 409: the turn we just abandoned is still winding down on the server.
        if (response.status === 409 && attempt < 3) setTimeout(() => this.forget(id, attempt + 1), 500);
      } catch {
        /* best effort */
      }
    }
  }

  customElements.define(TAG, ClinicChat);

  function widgets() {
    return Array.from(document.querySelectorAll(TAG));
  }

  window.ClinicChat = {
    open: () => widgets()[0]?.open(),
    close: () => widgets()[0]?.close(),
    reset: () => widgets()[0]?.reset(),
    // The one reader of this service's event streams: the staff playground uses it too.
    sseEvents,
  };

  function mount() {
    if (SCRIPT_DATA.mount === "none" || widgets().length) return;
    const widget = document.createElement(TAG);
    widget.setAttribute("mode", SCRIPT_DATA.mode === "inline" ? "inline" : "floating");
    if (SCRIPT_DATA.api) widget.setAttribute("api", SCRIPT_DATA.api);
    for (const name of ["heading", "subheading", "greeting", "theme"]) {
      if (SCRIPT_DATA[name]) widget.setAttribute(name, SCRIPT_DATA[name]);
    }
    if (SCRIPT_DATA.open !== undefined && SCRIPT_DATA.open !== "false") widget.setAttribute("open", "");
    document.body.append(widget);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount, { once: true });
  else mount();
})();
