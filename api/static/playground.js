/* Prompt playground for staff: plain JS, no build step, no third-party code.
 *
 * The staff token lives in sessionStorage (this tab only) and goes with every API call as
 * `Authorization: Bearer ...`. A turn is POSTed to /api/playground/chat and its Server-Sent
 * Events are read from the fetch body (EventSource cannot POST or send headers).
 */
(function () {
  "use strict";

  var KEY = "playground-token";
  var $ = function (id) { return document.getElementById(id); };
  var token = sessionStorage.getItem(KEY) || "";
  var config = null;
  var openaiModel = "";  // the model name staff typed for openai, kept while another provider is shown
  var sessionId = null;
  var busy = false;
  var turnCount = 0;
  var pendingItem = null;
  var allCalls = {};  // tool call id -> its trace entry, across turns (a booking runs a turn later)

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function pretty(value) { return JSON.stringify(value, null, 2); }

  function setStatus(text) { $("status").textContent = text || ""; }

  // ------------------------------------------------------------------ access

  function api(path, options) {
    options = options || {};
    var headers = Object.assign({}, options.headers || {}, { Authorization: "Bearer " + token });
    return fetch(path, Object.assign({}, options, { headers: headers })).then(function (res) {
      if (res.status === 401) {
        signOut("The token was not accepted.");
        throw new Error("unauthorised");
      }
      return res;
    });
  }

  function detail(res) {
    return res.json().then(function (body) { return body.detail || res.statusText; }, function () { return res.statusText; });
  }

  function signOut(message) {
    token = "";
    sessionStorage.removeItem(KEY);
    $("app").hidden = true;
    $("sign-out").hidden = true;
    $("signin").hidden = false;
    $("signin-error").textContent = message || "";
    $("token").focus();
  }

  function unlock() {
    return api("/api/playground/config").then(function (res) {
      if (!res.ok) return detail(res).then(function (d) { throw new Error(d); });
      return res.json();
    }).then(function (cfg) {
      config = cfg;
      sessionStorage.setItem(KEY, token);
      showApp();
    });
  }

  // ------------------------------------------------------------------ settings

  function showApp() {
    $("signin").hidden = true;
    $("app").hidden = false;
    $("sign-out").hidden = false;
    $("clinic").textContent = config.clinic_name;
    $("clock").textContent = config.now + " (" + config.timezone + ")";
    var select = $("provider");
    select.textContent = "";
    config.providers.forEach(function (name) {
      var option = el("option", null, name);
      option.value = name;
      select.appendChild(option);
    });
    select.value = config.default_provider;
    openaiModel = (config.models && config.models.openai) || "";
    $("model").value = config.default_model || "";
    $("temperature").value = config.default_temperature;
    if (!$("prompt").value) $("prompt").value = config.prompt;
    syncSettings();
    $("message").focus();
  }

  function syncSettings() {
    var provider = $("provider").value;
    var openai = provider === "openai";
    // The Model field shows what really runs: the embedded model's name unless a provider is chosen.
    if (openai) $("model").value = openaiModel;
    else $("model").value = (config.models && config.models[provider]) || provider;
    $("model").disabled = !openai;
    $("temperature").disabled = !openai;
    $("prompt-notice").hidden = !(config.reads_prompt && config.reads_prompt[provider] === false);
    var edited = $("prompt").value !== config.prompt;
    var badge = $("prompt-state");
    badge.textContent = edited ? "edited: this session only" : "shipped prompt";
    badge.className = "badge" + (edited ? " edited" : "");
  }

  function settingsBody() {
    var body = { provider: $("provider").value };
    if ($("prompt").value !== config.prompt) body.prompt = $("prompt").value;
    if (body.provider === "openai") {
      if ($("model").value.trim()) body.model = $("model").value.trim();
      var t = parseFloat($("temperature").value);
      if (!isNaN(t)) body.temperature = t;
    }
    return body;
  }

  // ------------------------------------------------------------------ the conversation

  function newTurn(label, isConfirm) {
    var empty = $("turns").querySelector(".empty");
    if (empty) empty.remove();
    turnCount += 1;
    var turn = el("article", "turn");
    turn.dataset.turn = String(turnCount);
    var head = el("div", "turn-head");
    head.appendChild(el("strong", null, "Turn " + turnCount));
    if (isConfirm) head.appendChild(el("span", "badge wait", "confirmation answer"));
    turn.appendChild(head);
    var user = el("div", "msg user");
    user.appendChild(el("span", "who", isConfirm ? "patient (button)" : "patient"));
    user.appendChild(document.createTextNode(label));
    turn.appendChild(user);
    var trace = el("ol", "trace");
    turn.appendChild(trace);
    var agent = el("div", "msg agent");
    agent.appendChild(el("span", "who", "agent"));
    var text = el("span", "reply");
    agent.appendChild(text);
    turn.appendChild(agent);
    var usage = el("div", "usage");
    turn.appendChild(usage);
    $("turns").appendChild(turn);
    $("turns").scrollTop = $("turns").scrollHeight;
    return { root: turn, trace: trace, text: text, usage: usage, calls: {} };
  }

  function addToolCall(view, event) {
    var item = el("li", "tool");
    item.dataset.tool = event.name;
    var head = el("div", "head");
    head.appendChild(el("code", "tool-name", event.name));
    var state = el("span", "badge wait result-state", "running");
    head.appendChild(state);
    var ms = el("span", "ms muted");
    head.appendChild(ms);
    item.appendChild(head);
    item.appendChild(el("pre", "args", pretty(event.args)));
    var result = el("details", "result");
    result.appendChild(el("summary", null, "result"));
    var data = el("pre", "result-data");
    result.appendChild(data);
    item.appendChild(result);
    view.trace.appendChild(item);
    view.calls[event.id] = { item: item, state: state, ms: ms, data: data, result: result };
    allCalls[event.id] = view.calls[event.id];
  }

  function showResult(known, event, suffix) {
    known.item.classList.remove("ok", "bad");
    known.item.classList.add(event.ok ? "ok" : "bad");
    known.state.textContent = (event.ok ? "ok" : "failed") + (suffix || "");
    known.state.className = "badge result-state " + (event.ok ? "ok" : "bad");
    if (typeof event.ms === "number") known.ms.textContent = event.ms.toFixed(1) + " ms";
    known.data.textContent = pretty(event.data);
    if (!event.ok) known.result.open = true;
  }

  function addToolResult(view, event) {
    var known = view.calls[event.id];
    if (!known) {  // a call from an earlier turn, run (or declined) after the confirmation
      var earlier = allCalls[event.id];
      if (earlier) showResult(earlier, event, " (after the confirmation)");
      addToolCall(view, { id: event.id, name: event.name, args: {} });
      known = view.calls[event.id];
      known.item.querySelector(".args").textContent = "(called in the previous turn; run after the confirmation)";
      allCalls[event.id] = earlier || known;
    }
    showResult(known, event, "");
  }

  function addConfirm(view, event) {
    var item = el("li", "confirm");
    var head = el("div", "head");
    head.appendChild(el("strong", null, "Confirmation step"));
    var state = el("span", "badge wait confirm-state", "waiting for the patient");
    head.appendChild(state);
    item.appendChild(head);
    item.appendChild(el("div", "summary", event.summary));
    view.trace.appendChild(item);
    pendingItem = state;
    var call = view.calls[event.id];
    if (call) {
      call.state.textContent = "awaiting confirmation";
      call.state.className = "badge wait result-state";
    }
    $("confirm-summary").textContent = event.summary;
    $("confirm-bar").hidden = false;
  }

  function settlePending(approved, how) {
    if (!pendingItem) return;
    if (approved === null) {  // a typed answer: the server reads it (only a clear yes books)
      pendingItem.textContent = "answered (" + how + ")";
      pendingItem.className = "badge confirm-state";
    } else {
      pendingItem.textContent = (approved ? "approved" : "declined") + " (" + how + ")";
      pendingItem.className = "badge confirm-state " + (approved ? "ok" : "bad");
    }
    pendingItem = null;
  }

  function handle(view, event) {
    switch (event.type) {
      case "session":
        sessionId = event.session_id;
        $("session-id").textContent = sessionId;
        break;
      case "token":
        view.text.textContent += event.text;
        break;
      case "tool_call":
        addToolCall(view, event);
        break;
      case "tool_result":
        addToolResult(view, event);
        break;
      case "confirm":
        addConfirm(view, event);
        break;
      case "done":
        view.text.textContent = event.reply || "";
        if (!event.reply) {
          view.text.textContent = event.pending ? "(no text: the patient is asked to confirm)" : "(no text)";
          view.text.classList.add("muted");
        }
        var u = event.usage || {};
        view.usage.textContent = "tokens: " + (u.input_tokens || 0) + " in · " + (u.output_tokens || 0) +
          " out · " + (u.total_tokens || 0) + " total" + (event.booking ? " · booked " + event.booking.booking_id : "") +
          (event.pending ? " · confirmation pending" : "");
        view.root.classList.add("done");
        break;
      case "error":
        view.root.appendChild(el("div", "error-line", "error: " + event.message));
        view.root.classList.add("done", "failed");
        break;
    }
    $("turns").scrollTop = $("turns").scrollHeight;
  }

  /** The widget's SSE reader (window.ClinicChat.sseEvents, from /static/widget.js). */
  async function readEvents(res, onEvent) {
    for await (var event of window.ClinicChat.sseEvents(res.body)) onEvent(event.data);
  }

  function send(input) {
    if (busy) return;
    var isConfirm = typeof input.confirm === "boolean";
    var label = isConfirm ? (input.confirm ? "Yes, book it" : "No") : input.message;
    if (pendingItem) settlePending(isConfirm ? input.confirm : null, isConfirm ? "button" : "typed: " + label);
    $("confirm-bar").hidden = true;
    busy = true;
    $("send").disabled = true;
    $("export").disabled = true;
    $("run-eval").disabled = true;
    setStatus("The agent is answering…");
    var view = newTurn(label, isConfirm);
    var body = Object.assign(settingsBody(), input);
    if (sessionId) body.session_id = sessionId;
    api("/api/playground/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(body),
    }).then(function (res) {
      if (!res.ok) return detail(res).then(function (d) { handle(view, { type: "error", message: d }); });
      return readEvents(res, function (event) { handle(view, event); });
    }).catch(function (err) {
      if (err.message !== "unauthorised") handle(view, { type: "error", message: String(err.message || err) });
    }).then(function () {
      busy = false;
      $("send").disabled = false;
      $("export").disabled = !sessionId;
      $("run-eval").disabled = !sessionId;
      setStatus("");
      if ($("confirm-bar").hidden) $("message").focus();
    });
  }

  function exportScript() {
    if (!sessionId) return;
    setStatus("Exporting…");
    api("/api/playground/sessions/" + encodeURIComponent(sessionId) + "/export").then(function (res) {
      if (!res.ok) return detail(res).then(function (d) { throw new Error(d); });
      var match = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "");
      var name = match ? match[1] : "playground.yaml";
      return res.text().then(function (text) {
        var url = URL.createObjectURL(new Blob([text], { type: "application/x-yaml" }));
        var link = el("a");
        link.href = url;
        link.download = name;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 5000);
        $("export-name").textContent = name;
        $("export-preview").textContent = text;
        $("export-box").hidden = false;
        setStatus("Exported " + name + ".");
      });
    }).catch(function (err) {
      if (err.message !== "unauthorised") setStatus("Export failed: " + err.message);
    });
  }

  /** Replay the session's script k times with the settings above; show pass^1..pass^k. */
  function runEval() {
    if (!sessionId || busy) return;
    var trials = parseInt($("trials").value, 10);
    var body = Object.assign(settingsBody(), { trials: trials });
    busy = true;
    $("run-eval").disabled = true;
    $("send").disabled = true;
    setStatus("Replaying the conversation " + trials + " times…");
    api("/api/playground/sessions/" + encodeURIComponent(sessionId) + "/eval", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then(function (res) {
      if (!res.ok) return detail(res).then(function (d) { throw new Error(d); });
      return res.json().then(showEval);
    }).catch(function (err) {
      if (err.message !== "unauthorised") setStatus("Replay failed: " + err.message);
    }).then(function () {
      busy = false;
      $("run-eval").disabled = !sessionId;
      $("send").disabled = false;
    });
  }

  function showEval(report) {
    var head = $("eval-head"), row = $("eval-row");
    while (head.children.length > 1) head.lastChild.remove();
    while (row.children.length > 1) row.lastChild.remove();
    Object.keys(report.pass_k).forEach(function (k) {
      head.appendChild(el("th", null, String(k)));
      row.appendChild(el("td", null, report.pass_k[k].toFixed(2)));
    });
    var last = report.pass_k[String(report.trials)];
    $("eval-summary").textContent = report.successes + " of " + report.trials + " runs passed (" + report.provider +
      "): pass^" + report.trials + " = " + last.toFixed(2) + " · " + report.model_calls.mean + " model calls and " +
      Math.round(report.tokens.mean) + " tokens per conversation";
    var list = $("eval-failures");
    list.textContent = "";
    report.failures.forEach(function (failure) {
      list.appendChild(el("li", null, failure.trials + "× " + failure.reason));
    });
    $("eval-result").hidden = false;
    setStatus("Replayed " + report.trials + " times.");
  }

  function resetSession() {
    sessionId = null;
    turnCount = 0;
    pendingItem = null;
    allCalls = {};
    $("session-id").textContent = "";
    $("turns").textContent = "";
    $("turns").appendChild(el("p", "empty muted", "New session. Write as a patient would."));
    $("confirm-bar").hidden = true;
    $("export").disabled = true;
    $("export-box").hidden = true;
    $("run-eval").disabled = true;
    $("eval-result").hidden = true;
    $("message").focus();
  }

  // ------------------------------------------------------------------ wiring

  $("signin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    token = $("token").value.trim();
    $("signin-error").textContent = "";
    unlock().catch(function (err) {
      if (err.message !== "unauthorised") $("signin-error").textContent = "Could not open the playground: " + err.message;
    });
  });
  $("sign-out").addEventListener("click", function () { signOut(""); });
  $("provider").addEventListener("change", syncSettings);
  $("model").addEventListener("input", function () { if ($("provider").value === "openai") openaiModel = $("model").value; });
  $("prompt").addEventListener("input", syncSettings);
  $("reset-prompt").addEventListener("click", function () { $("prompt").value = config.prompt; syncSettings(); });
  $("composer").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("message").value.trim();
    if (!text) return;
    $("message").value = "";
    send({ message: text });
  });
  $("message").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("confirm-yes").addEventListener("click", function () { send({ confirm: true }); });
  $("confirm-no").addEventListener("click", function () { send({ confirm: false }); });
  $("export").addEventListener("click", exportScript);
  $("eval-form").addEventListener("submit", function (event) {
    event.preventDefault();
    runEval();
  });
  $("new-session").addEventListener("click", resetSession);

  if (token) {
    unlock().catch(function () { /* signOut already showed why */ });
  } else {
    $("token").focus();
  }
})();
