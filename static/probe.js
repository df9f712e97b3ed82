// walkthrough: the live probe page.
// Streams one traced run from /probe/stream (Server-Sent Events), lights each
// stage's box and list item as its "enter" event arrives, keeps every event for
// a trace, a replay cursor and a waterfall, and shows a stage's source lifted
// from its step page. Plain DOM, no build step; the page reads fine without it.
// In a static export (walkthrough export) the page has data-recordings instead
// of data-stream-url: runs recorded at export time play back, event by event,
// through the same code a live stream feeds.
// The page offers one or more apps (this framework's specimen, its twin on
// real Flask, a reader's own); each app's radio says in data-* attributes
// which tours it lights and which functions are its own, so no tour or step
// id is written here.
"use strict";

const REPLAY_INTERVAL_MS = 90;
// Reading speed: a live run is over in milliseconds, so the page shows its
// events one by one at this pace (about 4 s for a request), real times kept.
const PACE_ENTER_MS = 70;
const PACE_EXIT_MS = 20;
const RECORDED_EVENT_MS = 10; // a recorded run plays back at about 1 s per 100 stages
const ANNOUNCE_EVERY_EVENTS = 10;
const MAX_PATH_CHARS = 2048;

const ui = {};
const run = {
  source: null,     // the open EventSource (or recorded playback), if a run is streaming
  events: [],       // every stage event of the last run, in arrival order
  firstEnter: new Map(), // "tour/step" -> index of its first enter event
  spans: [],        // waterfall spans: {event, enter, exit} (exit: null if still open)
  openSpans: new Map(), // thread -> stack of open spans, to pair enter with exit
  cursor: -1,
  done: null,
  isRunning: false,
  playTimer: null,
  queue: [],        // what arrived but is not shown yet, at reading speed
  paceTimer: null,
  hasEnding: false, // the run's done or error is queued: ignore the rest
  ownEnter: new Map(), // symbol of the app's own code -> index of its first enter
};
const app = {
  id: "",
  own: new Map(), // symbol -> {kind, file, line, source}: the app's own functions
};
const sourceCache = new Map();

// ---------------------------------------------------------------- setup

document.addEventListener("DOMContentLoaded", setUp);

function setUp() {
  const page = document.getElementById("probe");
  if (!page) return;
  findElements(page);
  // Scenarios and replay need this script, so the page shows them only now.
  ui.scenarios.hidden = false;
  ui.form.hidden = false;
  document.getElementById("probe-hint").hidden = false;
  document.getElementById("probe-pace-label").hidden = false;
  ui.appParts.hidden = false;
  ui.skip.addEventListener("click", () => { drainQueue(); ui.runButton.focus(); });
  ui.form.addEventListener("submit", startRun);
  ui.form.addEventListener("change", onFormChange);
  ui.apps.addEventListener("change", applyApp);
  ui.back.addEventListener("click", () => moveCursor(-1));
  ui.forward.addEventListener("click", () => moveCursor(1));
  ui.play.addEventListener("click", togglePlayback);
  ui.range.addEventListener("input", () => { stopPlayback(); showCursor(Number(ui.range.value)); });
  page.addEventListener("click", onStageClick);
  document.addEventListener("keydown", onReplayKey);
  applyQuery(new URLSearchParams(window.location.search));
  applyApp();
}

function findElements(page) {
  // Look every element up once; the run code then reads like prose.
  const byId = (id) => document.getElementById(id);
  Object.assign(ui, {
    page,
    form: byId("probe-form"),
    apps: byId("probe-apps"),
    method: byId("probe-method"),
    path: byId("probe-path"),
    scenarios: byId("probe-scenarios"),
    custom: byId("probe-custom"),
    runButton: byId("probe-run"),
    status: byId("probe-status"),
    summary: byId("probe-summary"),
    trace: byId("trace"),
    traceScroll: byId("trace-scroll"),
    traceEmpty: byId("trace-empty"),
    replay: byId("replay"),
    back: byId("replay-back"),
    forward: byId("replay-forward"),
    play: byId("replay-play"),
    range: byId("replay-range"),
    position: byId("replay-position"),
    source: byId("probe-source"),
    steps: page.querySelector(".probe-steps"),
    waterfall: byId("waterfall"),
    pace: byId("probe-pace"),
    skip: byId("probe-skip"),
    stage: byId("probe-stage"),
    bar: page.querySelector(".probe-bar"),
    appParts: byId("probe-app-parts"),
    ownList: byId("own-list"),
    responseEmpty: byId("response-empty"),
    responseParts: byId("response-parts"),
    responseHead: byId("response-head"),
    responseBody: byId("response-body"),
    responseBodyNote: byId("response-body-note"),
  });
  ui.stageElements = new Map();
  page.querySelectorAll("[data-step]").forEach((element) => {
    const key = element.dataset.step;
    if (!ui.stageElements.has(key)) ui.stageElements.set(key, []);
    ui.stageElements.get(key).push(element);
  });
}

function applyQuery(params) {
  // Links from the tours say which app and chain to run (?app=flask&mode=startup).
  const appRadio = appChoice(params.get("app"));
  if (appRadio && !appRadio.disabled) appRadio.checked = true;
  const mode = params.get("mode");
  const radio = mode && ui.form.querySelector('input[name="mode"][value="' + CSS.escape(mode) + '"]');
  if (radio) radio.checked = true;
  const method = (params.get("method") || "").toUpperCase();
  if (method && Array.from(ui.method.options).some((option) => option.value === method)) {
    ui.method.value = method;
  }
  if (params.get("path")) ui.path.value = params.get("path");
  if (params.get("method") || params.get("path")) matchScenario();
}

function onFormChange(event) {
  // Picking a scenario fills the request; editing the request unpicks it.
  const target = event.target;
  if (target.name === "scenario") {
    ui.method.value = target.dataset.method;
    ui.path.value = target.dataset.path;
  } else if (target === ui.method || target === ui.path) {
    matchScenario();
  }
  syncModeFields();
}

function matchScenario() {
  // Keep the scenario radios honest: checked only if they describe the request.
  ui.scenarios.querySelectorAll('input[name="scenario"]').forEach((radio) => {
    radio.checked = radio.dataset.method === ui.method.value && radio.dataset.path === ui.path.value;
  });
}

// ---------------------------------------------------------------- the app

function appChoice(id) {
  return id ? ui.apps.querySelector('input[name="app"][value="' + CSS.escape(id) + '"]') : null;
}

function currentApp() {
  return ui.apps.querySelector('input[name="app"]:checked') || ui.apps.querySelector('input[name="app"]');
}

function words(text) {
  return (text || "").split(" ").filter(Boolean);
}

function applyApp() {
  // Show the chosen app's picture and tours; learn its own functions.
  const choice = currentApp();
  if (!choice) return;
  app.id = choice.value;
  app.own = new Map(JSON.parse(choice.dataset.ownCode || "[]").map((own) => [own.symbol, own]));
  const tours = new Set(words(choice.dataset.tours));
  ui.page.querySelectorAll(".probe-chain[data-tours]").forEach((figure) => {
    figure.hidden = figure.dataset.tours !== choice.dataset.tours;
  });
  ui.steps.querySelectorAll("[data-tour]").forEach((element) => {
    element.hidden = !tours.has(element.dataset.tour);
  });
  const startup = ui.form.querySelector('input[name="mode"][value="startup"]');
  startup.disabled = choice.dataset.hasStartup !== "true";
  if (startup.disabled && startup.checked) {
    ui.form.querySelector('input[name="mode"][value="request"]').checked = true;
  }
  ui.scenarios.hidden = choice.dataset.hasScenarios !== "true";
  renderOwnCode();
  syncModeFields();
}

function appTitle() {
  const choice = currentApp();
  return choice ? choice.parentElement.textContent.trim() : "";
}

function currentMode() {
  const checked = ui.form.querySelector('input[name="mode"]:checked');
  return checked ? checked.value : "request";
}

function syncModeFields() {
  // A startup run sends no request, so its method and path do not apply.
  const isStartup = currentMode() === "startup";
  ui.scenarios.disabled = isStartup;
  ui.custom.disabled = isStartup;
  if (isRecorded()) ui.runButton.textContent = isStartup ? t("Replay the server starting") : t("Replay this run");
  else ui.runButton.textContent = isStartup ? t("Trace the server starting") : t("Run the probe");
}

// ---------------------------------------------------------------- a run

// The demo mode (demo.js) presses Run for the audience through this, and
// listens for "walkthrough:probe-done" on document to know when to move on.
window.walkthroughProbe = { run: runFromScript };

function runFromScript(options) {
  // Fill the form as a person would (mode, then scenario or method and path),
  // then run it; false if the page is not set up yet.
  if (!ui.form) return false;
  const appRadio = appChoice(options.app);
  if (appRadio && !appRadio.disabled) {
    appRadio.checked = true;
    applyApp();
  }
  const mode = ui.form.querySelector('input[name="mode"][value="' + CSS.escape(options.mode || "request") + '"]');
  if (mode) mode.checked = true;
  const scenario = options.scenario &&
    ui.scenarios.querySelector('input[name="scenario"][value="' + CSS.escape(options.scenario) + '"]');
  ui.method.value = scenario ? scenario.dataset.method : options.method || ui.method.value;
  ui.path.value = scenario ? scenario.dataset.path : options.path || ui.path.value;
  matchScenario();
  syncModeFields();
  beginRun();
  return true;
}

function startRun(event) {
  event.preventDefault();
  beginRun();
}

function beginRun() {
  const problem = currentMode() === "request" ? checkPath(ui.path.value) : "";
  if (problem) {
    announce(problem);
    ui.path.focus();
    return;
  }
  closeStream();
  stopPlayback();
  resetRun();
  run.isRunning = true;
  ui.runButton.setAttribute("aria-busy", "true");
  announce(describeRun() + "…");
  bringStageIntoView();
  if (isRecorded()) openRecording(recordingKey());
  else openStream(streamUrl());
}

function checkPath(path) {
  // The same rules the server applies, so a typo gets a message, not a 400.
  if (!path.startsWith("/")) return t("The path must start with “/”: it is a path on the app.");
  if (path.length > MAX_PATH_CHARS) return t("The path is longer than {max} characters.", { max: MAX_PATH_CHARS });
  if (!/^[!-~]*$/.test(path)) return t("The path must be printable ASCII without spaces (percent-encode others).");
  return "";
}

function streamUrl() {
  const params = new URLSearchParams({ mode: currentMode() });
  if (currentMode() === "request") {
    params.set("method", ui.method.value);
    params.set("path", ui.path.value);
  }
  params.set("app", app.id);
  // The endpoints are shared by every edition: ask for this page's words.
  const language = pageLanguage();
  if (language !== "en") params.set("lang", language);
  return ui.page.dataset.streamUrl + "?" + params.toString();
}

function pageLanguage() {
  const block = document.getElementById("ui-strings");
  return (block && block.dataset.language) || "en";
}

function describeRun() {
  const isStartup = currentMode() === "startup";
  const values = { request: ui.method.value + " " + ui.path.value, app: appTitle() };
  if (isRecorded()) {
    return isStartup
      ? t("Replaying the recorded run of the server starting on {app}", values)
      : t("Replaying the recorded run of {request} on {app}", values);
  }
  return isStartup
    ? t("Tracing the server starting on {app}", values)
    : t("Running {request} on {app}", values);
}

function openStream(url) {
  // One EventSource per run; "done" and "error" close it, because a closed
  // stream would otherwise make the browser reconnect (and the server say 204).
  const source = new EventSource(url);
  run.source = source;
  source.addEventListener("stage", (message) => {
    if (run.source === source) receive({ event: JSON.parse(message.data) });
  });
  source.addEventListener("done", (message) => {
    // Closed at once: the stream is over, even if its events still play.
    source.close();
    if (run.source === source) receive({ done: JSON.parse(message.data) });
  });
  source.addEventListener("error", (message) => {
    source.close();
    if (run.source !== source) return;
    // A server "error" event carries data; a failed connection does not.
    const reason = message.data
      ? JSON.parse(message.data).message
      : t("The probe could not run: the server refused or dropped the stream (it may be busy — try again in a moment).");
    receive({ error: reason });
  });
}

// ---------------------------------------------------------------- recorded runs

function isRecorded() {
  return Boolean(ui.page && ui.page.dataset.recordings);
}

function recordingKey() {
  // Runs are recorded per app: per scenario, and once for the server starting.
  if (currentMode() === "startup") return "startup";
  const scenario = ui.scenarios.querySelector('input[name="scenario"]:checked');
  return scenario ? scenario.value : "";
}

function openRecording(key) {
  // Feed a recorded run through addEvent and finishRun, as the stream would;
  // the "source" object lets closeStream stop it like an EventSource.
  const source = { timer: null, close() { clearTimeout(this.timer); } };
  run.source = source;
  loadScriptData(ui.page.dataset.recordings, "WALKTHROUGH_PROBE_RUNS").then((runs) => {
    if (run.source !== source) return;
    const recorded = ((runs || {})[app.id] || {})[key];
    if (!recorded) {
      receive({ error: t("Only the recorded scenarios can be replayed in this static copy; pick one of them (a request of your own needs the live site).") });
      return;
    }
    playRecorded(source, recorded, 0);
  }, () => {
    if (run.source === source) receive({ error: t("The recorded runs could not be loaded.") });
  });
}

function playRecorded(source, recorded, index) {
  if (run.source !== source) return;
  if (index >= recorded.stages.length) {
    receive(recorded.done ? { done: recorded.done } : { error: recorded.error.message });
    return;
  }
  receive({ event: recorded.stages[index] });
  source.timer = setTimeout(() => playRecorded(source, recorded, index + 1), RECORDED_EVENT_MS);
}

// ---------------------------------------------------------------- reading speed

function receive(item) {
  // Everything a run sends comes through here, in order: shown at once, or
  // one by one at reading speed while the real times stay on every stage.
  if (run.hasEnding) return;
  run.hasEnding = Boolean(item.done || item.error);
  run.queue.push(item);
  if (item.done && isPaced() && run.queue.length > 1) {
    announce(t("The run took {time}; showing it at reading speed (real times beside each stage).",
      { time: formatMs(item.done.total_us) }));
  }
  if (!isPaced()) drainQueue();
  else if (!run.paceTimer) paceNext();
}

function isPaced() {
  return Boolean(ui.pace && ui.pace.checked);
}

function paceNext() {
  run.paceTimer = null;
  const item = run.queue.shift();
  if (!item) return;
  deliver(item);
  if (!item.event) return;
  ui.skip.hidden = false;
  const delay = item.event.phase === "enter" ? PACE_ENTER_MS : PACE_EXIT_MS;
  run.paceTimer = window.setTimeout(paceNext, delay);
}

function drainQueue() {
  window.clearTimeout(run.paceTimer);
  run.paceTimer = null;
  while (run.queue.length) deliver(run.queue.shift());
}

function deliver(item) {
  if (item.event) addEvent(item.event);
  else finishRun(item.done || null, item.error || null);
}

function bringStageIntoView() {
  // The status, the timings and the picture: what lights up must be in sight.
  const box = ui.stage.getBoundingClientRect();
  if (box.top >= 0 && box.top < window.innerHeight / 3) return;
  ui.stage.scrollIntoView({ block: "start", behavior: scrollBehaviour() });
}

function scrollBehaviour() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
}

function keepNodeInView(node) {
  // While the run plays, follow the lit box if it leaves the screen (a tall
  // phone picture, or a reader who scrolled away).
  const box = node.getBoundingClientRect();
  const barBottom = ui.bar.getBoundingClientRect().bottom;
  if (!box.width || (box.top >= barBottom && box.bottom <= window.innerHeight)) return;
  node.scrollIntoView({ block: "center", behavior: "auto" });
}

function closeStream() {
  if (run.source) run.source.close();
  run.source = null;
}

function resetRun() {
  // Forget the last run: events, lit boxes, times, trace, summary, waterfall.
  window.clearTimeout(run.paceTimer);
  Object.assign(run, {
    events: [], firstEnter: new Map(), spans: [], openSpans: new Map(), cursor: -1, done: null,
    queue: [], paceTimer: null, hasEnding: false, ownEnter: new Map(),
  });
  ui.skip.hidden = true;
  ui.ownList.querySelectorAll(".own-item").forEach((item) => {
    item.classList.remove("is-lit", "is-current");
    item.querySelector(".stage-time").textContent = "";
  });
  ui.responseParts.hidden = true;
  ui.responseEmpty.hidden = false;
  ui.stageElements.forEach((elements) => elements.forEach((element) => {
    element.classList.remove("is-lit", "is-current", "is-missed");
    delete element.dataset.litOrder;
    const time = element.querySelector(".stage-time");
    if (time) time.textContent = "";
  }));
  ui.trace.replaceChildren();
  ui.waterfall.replaceChildren();
  ui.traceEmpty.hidden = true;
  ui.summary.hidden = true;
  ui.replay.hidden = true;
}

function addEvent(event) {
  // One stage event, live: record it, add its trace row, light its stage.
  const index = run.events.length;
  run.events.push(event);
  event.kind = stageKind(event);
  ui.trace.append(traceRow(event, index));
  trackSpan(event, index);
  const key = stageKey(event);
  if (event.phase === "enter" && key && !run.firstEnter.has(key)) {
    run.firstEnter.set(key, index);
    lightStage(key, event.t_us, run.firstEnter.size);
  }
  if (event.phase === "enter" && !key && !run.ownEnter.has(event.symbol)) {
    run.ownEnter.set(event.symbol, index);
    lightOwn(event.symbol, event.t_us);
  }
  markCurrent(index);
  if (!isPaced() && run.events.length % ANNOUNCE_EVERY_EVENTS === 0) {
    announce(t("{count} stages…", { count: run.events.length }));
  }
}

function finishRun(done, errorMessage) {
  closeStream();
  run.isRunning = false;
  run.done = done;
  ui.runButton.removeAttribute("aria-busy");
  ui.skip.hidden = true;
  if (done) markMissedStages();
  if (done && done.response) showResponse(done.response);
  renderWaterfall();
  if (run.events.length) enableReplay();
  if (done) {
    showSummary(done);
    announce(summaryText(done));
  } else {
    announce(errorMessage);
  }
  ui.traceEmpty.hidden = run.events.length > 0;
  document.dispatchEvent(new CustomEvent("walkthrough:probe-done", {
    detail: { done, error: errorMessage },
  }));
}

// ---------------------------------------------------------------- stages

function stageKey(event) {
  return event.tour && event.step ? event.tour + "/" + event.step : null;
}

function stageKind(event) {
  // Tour stages are named by their tour; the app's own functions have no
  // step, and the page was told which are views, hooks, handlers or helpers.
  if (stageKey(event)) return event.tour;
  const own = app.own.get(event.symbol);
  return own ? own.kind : "code";
}

function trackSpan(event, index) {
  // Pair each enter with its exit, per thread, for the waterfall.
  if (!run.openSpans.has(event.thread)) run.openSpans.set(event.thread, []);
  const stack = run.openSpans.get(event.thread);
  if (event.phase === "enter") {
    const span = { event, enter: index, exit: null };
    run.spans.push(span);
    stack.push(span);
  } else if (stack.length && stack[stack.length - 1].event.symbol === event.symbol) {
    stack.pop().exit = index;
  }
}

function lightStage(key, tUs, order) {
  (ui.stageElements.get(key) || []).forEach((element) => {
    element.classList.add("is-lit");
    element.dataset.litOrder = String(order);
    const time = element.querySelector(".stage-time");
    if (time) time.textContent = formatMs(tUs);
  });
}

function markCurrent(index) {
  // The stage of the event under the cursor gets a ring, in the picture and list.
  ui.page.querySelectorAll(".is-current[data-step]").forEach((element) => {
    element.classList.remove("is-current");
  });
  const key = index >= 0 ? stageKey(run.events[index]) : null;
  const isPlaying = Boolean((isPaced() && run.isRunning) || run.playTimer);
  (ui.stageElements.get(key) || []).forEach((element) => {
    element.classList.add("is-current");
    if (element.tagName === "LI") keepInView(element, ui.steps);
    else if (isPlaying) keepNodeInView(element);
  });
  const symbol = index >= 0 && !key ? run.events[index].symbol : null;
  ui.ownList.querySelectorAll(".own-item").forEach((item) => {
    item.classList.toggle("is-current", item.dataset.symbol === symbol);
  });
  const previous = ui.trace.querySelector(".is-cursor");
  if (previous) previous.classList.remove("is-cursor");
  const row = ui.trace.children[index];
  if (row) {
    row.classList.add("is-cursor");
    keepInView(row, ui.traceScroll);
  }
  run.cursor = index;
}

function markMissedStages() {
  // After a run, dim the listed stages it never reached: they are findings too.
  ui.page.querySelectorAll(".probe-steps li[data-step]").forEach((item) => {
    item.classList.toggle("is-missed", !run.firstEnter.has(item.dataset.step));
  });
}

// ---------------------------------------------------------------- trace

function traceRow(event, index) {
  const row = document.createElement("li");
  row.className = "trace-row is-" + event.phase + " kind-" + event.kind;
  row.dataset.index = String(index);
  row.style.setProperty("--depth", String(event.depth));
  row.append(
    textElement("span", "trace-time", formatMs(event.t_us)),
    textElement("span", "trace-phase", event.phase === "enter" ? "→" : "←"),
    traceStage(event),
    threadLabel(event.thread),
  );
  return row;
}

function traceStage(event) {
  const cell = document.createElement("span");
  cell.className = "trace-stage";
  const button = textElement("button", "stage-name", qualname(event.symbol));
  button.type = "button";
  button.title = event.symbol;
  const key = stageKey(event);
  if (key) button.dataset.showStep = key;
  else button.dataset.showSymbol = event.symbol;
  const label = event.phase === "enter" ? t("enter {symbol}", event) : t("exit {symbol}", event);
  button.setAttribute("aria-label", label);
  const tourClass = stageKey(event) ? " badge-tour" : "";
  cell.append(button, textElement("span", "badge badge-" + event.kind + tourClass, badgeText(event)));
  Object.entries(event.detail || {}).forEach(([name, value]) => {
    cell.append(textElement("span", "chip", name + "=" + formatValue(value)));
  });
  return cell;
}

function badgeText(event) {
  return stageKey(event) ? event.tour : event.kind;
}

function threadLabel(thread) {
  // "Thread-6 (process_request_thread)" is long; the number tells threads apart.
  const label = textElement("span", "trace-thread", thread.split(" ")[0]);
  label.title = t("thread {name}", { name: thread });
  return label;
}

// ---------------------------------------------------------------- replay

function enableReplay() {
  ui.replay.hidden = false;
  ui.range.max = String(run.events.length - 1);
  showCursor(run.events.length - 1);
}

function moveCursor(delta) {
  stopPlayback();
  showCursor(run.cursor + delta);
}

function showCursor(index) {
  // Replay: the page shows the run as it stood after event `index`.
  if (!run.events.length || run.isRunning) return;
  const cursor = Math.max(0, Math.min(index, run.events.length - 1));
  run.firstEnter.forEach((first, key) => {
    (ui.stageElements.get(key) || []).forEach((element) => {
      element.classList.toggle("is-lit", first <= cursor);
    });
  });
  run.ownEnter.forEach((first, symbol) => {
    const item = ui.ownList.querySelector('[data-symbol="' + CSS.escape(symbol) + '"]');
    if (item) item.classList.toggle("is-lit", first <= cursor);
  });
  Array.from(ui.trace.children).forEach((row, rowIndex) => {
    row.classList.toggle("is-future", rowIndex > cursor);
  });
  Array.from(ui.waterfall.children).forEach((bar) => {
    bar.classList.toggle("is-future", Number(bar.dataset.enter) > cursor);
    bar.classList.toggle("is-cursor", Number(bar.dataset.enter) === cursor);
  });
  markCurrent(cursor);
  ui.range.value = String(cursor);
  ui.position.textContent = t("Event {position} of {count}", { position: cursor + 1, count: run.events.length });
  ui.back.disabled = cursor === 0;
  ui.forward.disabled = cursor === run.events.length - 1;
}

function onReplayKey(event) {
  // ←/→ step one event, Home/End jump; typing in the form keeps its keys.
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  if (ui.replay.hidden || isFormField(event.target)) return;
  const moves = { ArrowLeft: -1, ArrowRight: 1 };
  if (event.key in moves) moveCursor(moves[event.key]);
  else if (event.key === "Home") { stopPlayback(); showCursor(0); }
  else if (event.key === "End") { stopPlayback(); showCursor(run.events.length - 1); }
  else return;
  event.preventDefault();
}

function isFormField(target) {
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

function togglePlayback() {
  // Play the run back at reading speed: live, it is over in milliseconds.
  if (run.playTimer) return stopPlayback();
  if (run.cursor >= run.events.length - 1) showCursor(0);
  ui.play.textContent = t("Pause");
  run.playTimer = window.setInterval(() => {
    if (run.cursor >= run.events.length - 1) return stopPlayback();
    showCursor(run.cursor + 1);
  }, REPLAY_INTERVAL_MS);
}

function stopPlayback() {
  if (run.playTimer) window.clearInterval(run.playTimer);
  run.playTimer = null;
  if (ui.play) ui.play.textContent = t("Play");
}

// ---------------------------------------------------------------- waterfall

function renderWaterfall() {
  // A bar per stage: offset by its start, as wide as enter→exit, on one axis.
  // Widths are CSS custom properties, so the markup carries no style attribute.
  const axis = axisLength();
  const rows = run.spans.map((span) => waterfallRow(span, axis));
  ui.waterfall.replaceChildren(...rows);
}

function runLength() {
  const last = run.events.length ? run.events[run.events.length - 1].t_us : 0;
  return Math.max(run.done ? run.done.total_us : 0, last, 1);
}

function axisLength() {
  // End the axis just after the last stage starts: a server idling in
  // serve_forever for half a second would otherwise squash every other bar.
  const lastStart = Math.max(0, ...run.spans.map((span) => span.event.t_us));
  return Math.max(Math.min(runLength(), lastStart * 1.05), 1);
}

function waterfallRow(span, axis) {
  const event = span.event;
  const start = event.t_us;
  const end = span.exit === null ? runLength() : run.events[span.exit].t_us;
  const row = document.createElement("li");
  row.className = "waterfall-row kind-" + event.kind;
  row.classList.toggle("is-clipped", end > axis);
  row.dataset.enter = String(span.enter);
  row.style.setProperty("--depth", String(event.depth));
  row.style.setProperty("--start", percent(start, axis));
  row.style.setProperty("--width", percent(Math.max(Math.min(end, axis) - start, 0), axis));
  const label = textElement("span", "waterfall-label", qualname(event.symbol));
  label.title = event.symbol;
  const track = document.createElement("span");
  track.className = "waterfall-track";
  const bar = document.createElement("span");
  bar.className = "waterfall-bar";
  track.append(bar);
  const duration = span.exit === null ? t("still open") : formatMs(end - start);
  row.append(label, track, textElement("span", "waterfall-duration", duration));
  return row;
}

function percent(part, whole) {
  return ((100 * part) / whole).toFixed(3) + "%";
}

// ---------------------------------------------------------------- summary

function showSummary(done) {
  const fields = {
    status: done.status === null ? t("serving") : String(done.status),
    size: t("{size} bytes", done),
    total: formatMs(done.total_us),
    stages: String(done.stages),
  };
  Object.entries(fields).forEach(([name, text]) => {
    ui.summary.querySelector('[data-field="' + name + '"]').textContent = text;
  });
  ui.summary.hidden = false;
}

function summaryText(done) {
  const values = { status: done.status, size: done.size, time: formatMs(done.total_us), stages: done.stages };
  return done.status === null
    ? t("Done: the server is up and serving, {size} bytes, {time}, {stages} stages.", values)
    : t("Done: status {status}, {size} bytes, {time}, {stages} stages.", values);
}

function announce(text) {
  ui.status.textContent = text;
}

// ---------------------------------------------------------------- the app's code, the response

function renderOwnCode() {
  // The app's views, hooks and handlers, each with its source: a Flask
  // developer's own code, lit like a stage when the run reaches it.
  const items = Array.from(app.own.values()).map((own) => {
    const item = document.createElement("li");
    item.className = "own-item";
    item.dataset.symbol = own.symbol;
    const head = document.createElement("p");
    head.className = "own-head";
    head.append(
      textElement("span", "badge badge-" + own.kind, own.kind),
      " ",
      textElement("code", "own-name", qualname(own.symbol)),
      " ",
      textElement("span", "own-where", t("{file}, line {line}", own)),
      " ",
      textElement("span", "stage-time", ""),
    );
    const pre = document.createElement("pre");
    pre.className = "own-source";
    pre.append(textElement("code", "", (own.source || "").replace(/\n$/, "")));
    item.append(head, pre);
    return item;
  });
  ui.ownList.replaceChildren(...items);
  ui.ownList.closest("section").hidden = items.length === 0;
}

function lightOwn(symbol, tUs) {
  const item = ui.ownList.querySelector('[data-symbol="' + CSS.escape(symbol) + '"]');
  if (!item) return;
  item.classList.add("is-lit");
  item.querySelector(".stage-time").textContent = formatMs(tUs);
}

function showResponse(response) {
  // What the client received: status line and headers as sent, then the
  // body's first bytes (the server cut them, and says so).
  const head = [response.status_line, ...response.headers.map(([name, value]) => name + ": " + value)];
  ui.responseHead.textContent = head.join("\n");
  ui.responseBody.textContent = response.body || "";
  ui.responseBodyNote.textContent = response.body
    ? (response.body_truncated ? t("(the first bytes only)") : t("(all of it)"))
    : t("(empty)");
  ui.responseParts.hidden = false;
  ui.responseEmpty.hidden = true;
}

// ---------------------------------------------------------------- source

function onStageClick(event) {
  // A stage in the list, the picture or the trace shows its code beside the
  // trace; a modified click still opens the full step page as a link.
  if (event.button !== 0 || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const target = event.target.closest("[data-show-step], [data-show-symbol], .probe-steps a, .chain .node");
  if (!target) return;
  event.preventDefault();
  if (target.dataset.showSymbol) return showOwnCode(target.dataset.showSymbol);
  const key = target.dataset.showStep || target.closest("[data-step]").dataset.step;
  const row = target.closest(".trace-row");
  if (row && !run.isRunning) { stopPlayback(); showCursor(Number(row.dataset.index)); }
  showSource(key);
}

function stepUrl(key) {
  const [tour, step] = key.split("/");
  return ui.page.dataset.stepUrl
    .replace("__tour__", encodeURIComponent(tour))
    .replace("__step__", encodeURIComponent(step));
}

async function showSource(key) {
  const url = stepUrl(key);
  if (window.location.protocol === "file:") {
    // Opened from disk (a static export), a page may not read another file.
    setSourcePanel([textElement("p", "source-hint",
      t("Opened from disk, this page cannot read the step's code; its own page shows it.") + " "), fullStepLink(url)]);
    return;
  }
  setSourcePanel([textElement("p", "source-hint", t("Loading the code of {key}…", { key }))]);
  try {
    const lifted = await liftSource(url);
    setSourcePanel([lifted.title, lifted.section, fullStepLink(url)]);
    wireCopyButton(lifted.section);
  } catch (error) {
    setSourcePanel([textElement("p", "source-hint", t("Could not load the code: {reason}", { reason: error.message }) + " "), fullStepLink(url)]);
  }
}

async function liftSource(url) {
  // The step page already renders the highlighted source; reuse it, so the
  // probe never shows code that differs from the tour's.
  if (!sourceCache.has(url)) {
    const response = await fetch(url, { headers: { Accept: "text/html" } });
    if (!response.ok) throw new Error(t("the step page answered {status}", response));
    sourceCache.set(url, await response.text());
  }
  const html = new DOMParser().parseFromString(sourceCache.get(url), "text/html");
  const section = html.querySelector("section.source");
  if (!section) throw new Error(t("the step page has no source panel"));
  const heading = html.querySelector("#step-title");
  const title = textElement("h3", "source-title", heading ? heading.textContent : url);
  return { title, section: document.importNode(section, true) };
}

function fullStepLink(url) {
  const link = textElement("a", "source-link", t("Read the full step →"));
  link.href = url;
  return link;
}

function wireCopyButton(section) {
  // site.js wires copy buttons at load; this one arrived later.
  const button = section.querySelector(".copy-button");
  if (!button || typeof copyCode !== "function") return;
  button.hidden = false;
  button.addEventListener("click", () => copyCode(button));
}

function showOwnCode(symbol) {
  // The app's own function is no tour step: show its source, as the page got it.
  const own = app.own.get(symbol);
  const children = [
    textElement("h3", "source-title", qualname(symbol)),
    textElement("p", "source-hint",
      own
        ? t("A {kind} of the app being probed ({symbol}): code you would write in a Flask app, which the chain calls.", { kind: own.kind, symbol })
        : t("The app's own code ({symbol}): code you would write in a Flask app, which the chain calls.", { symbol })),
  ];
  if (own && own.source) {
    children.push(textElement("p", "source-location", t("{file}, line {line}", own)));
    const pre = document.createElement("pre");
    pre.className = "own-source";
    pre.append(textElement("code", "", own.source));
    children.push(pre);
  }
  setSourcePanel(children);
}

function setSourcePanel(children) {
  const heading = ui.source.querySelector("#source-title");
  ui.source.replaceChildren(heading, ...children);
}

// ---------------------------------------------------------------- helpers

function textElement(tag, className, text) {
  const element = document.createElement(tag);
  element.className = className;
  element.textContent = text;
  return element;
}

function qualname(symbol) {
  return symbol.includes(":") ? symbol.slice(symbol.indexOf(":") + 1) : symbol;
}

function formatMs(microseconds) {
  return (microseconds / 1000).toFixed(2) + " ms";
}

function formatValue(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function keepInView(row, container) {
  // Scroll only the trace box, never the page, so replay does not jump around.
  const top = row.offsetTop;
  const bottom = top + row.offsetHeight;
  if (top < container.scrollTop) container.scrollTop = top;
  else if (bottom > container.scrollTop + container.clientHeight) {
    container.scrollTop = bottom - container.clientHeight;
  }
}
