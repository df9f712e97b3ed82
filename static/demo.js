// walkthrough: demo mode. The site presents itself, on a projector or looping
// in a corner: the startup tour, the request tour, then a live probe run, and
// round again. On when <html data-demo="on"> (`walkthrough serve --demo`) or
// ?demo=1; the page order is read from the pages themselves (rel="next", the
// tour cards, the probe link), never from a list of step ids kept here.
// Deterministic: no randomness, every delay comes from DEMO_TIMINGS.
"use strict";

// Every pause the demo makes, at 1× speed. Paced delays are divided by
// ?speed= (speed=20 makes a test fast); the safety nets are not, because a
// probe run or a screen reader takes the same time whatever the pace.
const DEMO_TIMINGS = Object.freeze({
  stepDwellMs: 6000,     // each tour step: the prose, a glance at the code
  tourIntroMs: 4000,     // a tour's overview page, before its first step
  probeStartMs: 2000,    // the probe page, before Run is pressed
  probeWaitMs: 10000,    // the lit stages and the summary, after the run
  loopPauseMs: 3000,     // the home page, between one loop and the next
  fixed: Object.freeze({
    probeTimeoutMs: 30000, // no "done" by then (a busy server): move on anyway
    announceDelayMs: 100,  // let the live region exist before it speaks
    iconWaitMs: 500,       // most to wait for the tab icon before leaving a page
  }),
});
// The tours the demo walks, in order; after the last comes the probe.
const DEMO_TOURS = ["startup", "request"];
const DEMO_PROBE_RUN = { mode: "request", scenario: "hello" };
const SPEEDS = [0.5, 1, 2, 4];
const MIN_SPEED = 0.1;
const MAX_SPEED = 1000;
const STORAGE_KEY = "walkthrough-demo";
const PRESENT_KEY = "walkthrough-present";
// Keys that operate the banner's own buttons; any other key takes over.
const CONTROL_KEYS = new Set(["Tab", "Enter", " ", "Shift"]);
const MESSAGE_PLAYING = "Demo — the site is presenting itself. Press any key or click to take over.";
const MESSAGE_PAUSED = "Demo paused — you have control. Press Play to carry on from this page.";

const demo = {
  speed: 1,
  isPaused: false,
  generation: 0,   // bumped on pause/resume/exit, so stale timers do nothing
  timer: null,
  ui: {},
};

// ---------------------------------------------------------------- start

document.addEventListener("DOMContentLoaded", startDemo);

function startDemo() {
  const params = new URLSearchParams(window.location.search);
  applyPresentParam(params);
  const state = readState();
  if (!isDemoOn(params, state)) {
    if (document.documentElement.dataset.demo === "on") document.documentElement.dataset.demo = "off";
    return;
  }
  // A pause holds across pages until Play; a fresh start plays at once.
  demo.isPaused = state.active === true && state.paused === true;
  demo.speed = parseSpeed(params.get("speed")) || parseSpeed(String(state.speed)) || 1;
  document.documentElement.dataset.demo = "on";
  saveState();
  buildBanner();
  window.addEventListener("keydown", onAnyKey, true);
  window.addEventListener("pointerdown", onAnyPointer, true);
  announcePage();
  keepEmphasisInView();
  if (!demo.isPaused) whenLoaded(playPage);
}

function isDemoOn(params, state) {
  // ?demo=1 wins, ?demo=0 ends it; an exit sticks for this tab, even
  // against the server's flag, until ?demo=1 turns it back on.
  if (params.get("demo") === "1") return true;
  if (params.get("demo") === "0") {
    writeState({ exited: true });
    return false;
  }
  if (state.exited) return false;
  return document.documentElement.dataset.demo === "on" || state.active === true;
}

function applyPresentParam(params) {
  // ?present=1 asks for the presenter view without the demo; remembered
  // for this tab, so plain links keep it, until ?present=0.
  try {
    if (params.get("present") === "1") sessionStorage.setItem(PRESENT_KEY, "1");
    if (params.get("present") === "0") sessionStorage.removeItem(PRESENT_KEY);
    if (sessionStorage.getItem(PRESENT_KEY) === "1") {
      document.documentElement.classList.add("demo-presenting");
    }
  } catch (error) {
    // Storage blocked: the parameter still works on this page.
    if (params.get("present") === "1") document.documentElement.classList.add("demo-presenting");
  }
}

function whenLoaded(callback) {
  // Dwell from "load", so the demo never leaves a page mid-fetch.
  if (document.readyState === "complete") callback();
  else window.addEventListener("load", callback, { once: true });
}

// ---------------------------------------------------------------- state

function readState() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY)) || {};
  } catch (error) {
    return {};
  }
}

function writeState(state) {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
  } catch (error) {
    // Storage blocked: the URL still carries demo=1 and speed= between pages.
  }
}

function saveState() {
  // Saved before every navigation, so a pause survives the page change.
  writeState({ active: true, paused: demo.isPaused, speed: demo.speed });
}

function parseSpeed(text) {
  const speed = Number(text);
  if (!text || !Number.isFinite(speed) || speed <= 0) return 0;
  return Math.min(Math.max(speed, MIN_SPEED), MAX_SPEED);
}

function paced(ms) {
  return ms / demo.speed;
}

// ---------------------------------------------------------------- the show

function playPage() {
  // What the demo does on this page, then where it goes next.
  if (demo.isPaused) return;
  const generation = demo.generation;
  const kind = pageKind();
  if (kind === "probe") return playProbe(generation);
  const dwell = { index: DEMO_TIMINGS.loopPauseMs, tour: DEMO_TIMINGS.tourIntroMs };
  wait(generation, paced(dwell[kind] || DEMO_TIMINGS.stepDwellMs), () => goTo(nextUrl(), generation));
}

function playProbe(generation) {
  // Press Run for the audience, watch the stages light, then loop home.
  wait(generation, paced(DEMO_TIMINGS.probeStartMs), () => {
    const status = document.getElementById("probe-status");
    if (status) status.scrollIntoView({ block: "start", behavior: scrollBehaviour() });
    const afterRun = () => {
      wait(generation, paced(DEMO_TIMINGS.probeWaitMs), () => goTo(nextUrl(), generation));
    };
    const onDone = () => {
      if (generation === demo.generation) afterRun();
    };
    document.addEventListener("walkthrough:probe-done", onDone, { once: true });
    const probe = window.walkthroughProbe;
    if (!probe || !probe.run(DEMO_PROBE_RUN)) return afterRun();
    // A run that never reports back must not stop the loop.
    demo.timer = window.setTimeout(() => {
      document.removeEventListener("walkthrough:probe-done", onDone);
      if (generation === demo.generation) afterRun();
    }, DEMO_TIMINGS.fixed.probeTimeoutMs);
  });
}

function wait(generation, ms, then) {
  // One timer at a time; a pause bumps the generation and this does nothing.
  window.clearTimeout(demo.timer);
  showProgress(ms);
  demo.timer = window.setTimeout(() => {
    if (generation === demo.generation && !demo.isPaused) then();
  }, ms);
}

function stopTimers() {
  demo.generation += 1;
  window.clearTimeout(demo.timer);
  demo.timer = null;
  showProgress(0);
}

function goTo(url, generation) {
  // Every move carries demo=1 and the speed, so the next page carries on.
  // The demo's own moves (with a generation) are dropped if paused meanwhile.
  if (!url) return;
  saveState();
  whenIconLoaded(() => {
    if (generation === undefined || generation === demo.generation) {
      window.location.assign(withDemoParams(url));
    }
  });
}

function whenIconLoaded(callback) {
  // The browser fetches the tab icon just after "load"; leaving before it
  // lands aborts that fetch (a failed request), so wait for it, briefly.
  const icon = document.querySelector('link[rel~="icon"]');
  if (!icon || hasLoaded(icon.href)) return callback();
  let isFinished = false;
  const finish = () => {
    if (isFinished) return;
    isFinished = true;
    observer.disconnect();
    window.clearTimeout(timer);
    callback();
  };
  const observer = new PerformanceObserver(() => {
    if (hasLoaded(icon.href)) finish();
  });
  const timer = window.setTimeout(finish, DEMO_TIMINGS.fixed.iconWaitMs);
  observer.observe({ type: "resource" });
}

function hasLoaded(url) {
  return window.performance.getEntriesByName(url, "resource").length > 0;
}

function withDemoParams(url) {
  const target = new URL(url, window.location.href);
  target.searchParams.set("demo", "1");
  target.searchParams.set("speed", String(demo.speed));
  return target.href;
}

// ---------------------------------------------------------------- the route

function pageKind() {
  if (document.getElementById("probe")) return "probe";
  if (document.querySelector(".step-layout")) return "step";
  if (document.querySelector(".step-index")) return "tour";
  if (document.querySelector(".tour-list")) return "index";
  return "other";
}

function currentTour() {
  // Tour and step pages live at .../tours/<tour>/[<step>].
  const parts = window.location.pathname.split("/");
  const at = parts.lastIndexOf("tours");
  return at >= 0 ? parts[at + 1] : "";
}

function nextUrl() {
  // Home → startup → request → probe → home: each page knows its successor.
  const kind = pageKind();
  if (kind === "index") return tourCardUrl(DEMO_TOURS[0]);
  if (kind === "tour") return hrefOf(document.querySelector("a.button")) || indexUrl();
  if (kind === "step") {
    // A tour's last step leads on to the next tour; the demo keeps its own order.
    if (document.querySelector(".step-pager .next-tour")) return afterTourUrl();
    return hrefOf(document.querySelector('link[rel="next"]')) || afterTourUrl();
  }
  return indexUrl();
}

function previousUrl() {
  const kind = pageKind();
  const tourAt = DEMO_TOURS.indexOf(currentTour());
  if (kind === "step") return hrefOf(document.querySelector('link[rel="prev"]')) || tourPageUrl(currentTour());
  if (kind === "tour" && tourAt > 0) return tourPageUrl(DEMO_TOURS[tourAt - 1]);
  if (kind === "probe") return lastProbeStepUrl() || tourPageUrl(DEMO_TOURS[DEMO_TOURS.length - 1]);
  if (kind === "index") return probeUrl();
  return indexUrl();
}

function afterTourUrl() {
  // The last step of a demo tour leads to the next tour, the last one to the probe.
  const tourAt = DEMO_TOURS.indexOf(currentTour());
  if (tourAt < 0) return indexUrl();
  if (tourAt < DEMO_TOURS.length - 1) return tourPageUrl(DEMO_TOURS[tourAt + 1]);
  return probeUrl();
}

function hrefOf(element) {
  return element ? element.href : "";
}

function indexUrl() {
  return hrefOf(document.querySelector(".site-header .brand")) || new URL("/", window.location.href).href;
}

function tourPageUrl(tourId) {
  // A static export names the file: file:// shows a folder as a listing.
  const page = isStaticCopy() ? "/index.html" : "/";
  return new URL("tours/" + encodeURIComponent(tourId) + page, indexUrl()).href;
}

function isStaticCopy() {
  return document.documentElement.dataset.staticCopy === "on";
}

function pathEndsWith(url, ending) {
  // Served pages have clean URLs; an export's end in .html (index.html for folders).
  const path = new URL(url).pathname.replace(/\/index\.html$/, "/").replace(/\.html$/, "");
  return path.endsWith(ending);
}

function tourCardUrl(tourId) {
  // The home page lists the tours; fall back to the first card, then the URL.
  const links = Array.from(document.querySelectorAll(".tour-card h3 a"));
  const wanted = links.find((link) => pathEndsWith(link.href, "/tours/" + tourId + "/"));
  return hrefOf(wanted || links[0]) || tourPageUrl(tourId);
}

function probeUrl() {
  // The request tour links to its live run; every page's header links the probe.
  const live = document.querySelector(".live-link a");
  if (live && currentTour() === DEMO_TOURS[DEMO_TOURS.length - 1]) return live.href;
  const nav = Array.from(document.querySelectorAll(".site-nav a"));
  const probe = nav.find((link) => pathEndsWith(link.href, "/probe"));
  const url = new URL(probe ? probe.href : new URL("probe", indexUrl()).href);
  url.searchParams.set("mode", DEMO_PROBE_RUN.mode);
  return url.href;
}

function lastProbeStepUrl() {
  const tour = DEMO_TOURS[DEMO_TOURS.length - 1];
  const items = document.querySelectorAll('.probe-steps li[data-step^="' + tour + '/"] a');
  return items.length ? items[items.length - 1].href : "";
}

// ---------------------------------------------------------------- the banner

function buildBanner() {
  // Big, plain controls for a projector; inserted after the skip link so the
  // skip link stays the first thing Tab reaches.
  const banner = element("section", "demo-banner");
  banner.setAttribute("aria-label", "Demo");
  const text = element("div", "demo-text");
  const message = element("p", "demo-message");
  message.setAttribute("aria-live", "polite");
  const position = element("p", "demo-position");
  position.setAttribute("aria-live", "polite");
  text.append(message, position);
  const controls = element("div", "demo-controls");
  demo.ui = { banner, message, position };
  demo.ui.play = controlButton("demo-play", "Pause", togglePlay);
  controls.append(
    demo.ui.play,
    controlButton("demo-previous", "Previous", () => takeOverAndGo(previousUrl()), { before: "←" }),
    controlButton("demo-next", "Next", () => takeOverAndGo(nextUrl()), { after: "→" }),
    speedGroup(),
    controlButton("demo-exit", "Exit demo", exitDemo),
  );
  const progress = element("div", "demo-progress");
  progress.append(element("span", "demo-progress-bar"));
  banner.append(text, controls, progress);
  const skip = document.querySelector(".skip-link");
  if (skip) skip.after(banner);
  else document.body.prepend(banner);
  showPlayState();
}

function controlButton(className, label, onClick, icons = {}) {
  // Arrows are decoration; the accessible name is the plain word.
  const button = element("button", "demo-button " + className);
  button.type = "button";
  if (icons.before) button.append(iconSpan(icons.before));
  button.append(element("span", "demo-label", label));
  if (icons.after) button.append(iconSpan(icons.after));
  button.addEventListener("click", onClick);
  return button;
}

function iconSpan(icon) {
  const span = element("span", "demo-icon", icon);
  span.setAttribute("aria-hidden", "true");
  return span;
}

function speedGroup() {
  const group = element("div", "demo-speed");
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", "Speed");
  group.append(element("span", "demo-speed-label", "Speed"));
  demo.ui.speeds = SPEEDS.map((speed) => {
    const button = controlButton("demo-speed-option", speed + "×", () => chooseSpeed(speed));
    button.dataset.speed = String(speed);
    group.append(button);
    return button;
  });
  demo.ui.customSpeed = element("span", "demo-speed-custom");
  group.append(demo.ui.customSpeed);
  return group;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text) node.textContent = text;
  return node;
}

function showPlayState() {
  // The banner always says who is in control, and the speed in use.
  demo.ui.banner.classList.toggle("is-paused", demo.isPaused);
  demo.ui.message.textContent = demo.isPaused ? MESSAGE_PAUSED : MESSAGE_PLAYING;
  demo.ui.play.querySelector(".demo-label").textContent = demo.isPaused ? "Play" : "Pause";
  demo.ui.speeds.forEach((button) => {
    button.setAttribute("aria-pressed", String(Number(button.dataset.speed) === demo.speed));
  });
  demo.ui.customSpeed.textContent = SPEEDS.includes(demo.speed) ? "" : "now " + demo.speed + "×";
}

function showProgress(ms) {
  // A bar that fills over the dwell, so the room sees when the page will turn.
  const bar = demo.ui.banner && demo.ui.banner.querySelector(".demo-progress-bar");
  if (!bar) return;
  bar.classList.remove("is-running");
  if (ms <= 0) return;
  bar.style.setProperty("--demo-dwell", Math.round(ms) + "ms");
  void bar.offsetWidth; // restart the CSS animation from empty
  bar.classList.add("is-running");
}

function announcePage() {
  // "Demo: step N of M — title", read from the page, spoken politely and
  // shown in the banner; set a moment after the region exists, or it is missed.
  const text = pageDescription();
  window.setTimeout(() => { demo.ui.position.textContent = text; }, DEMO_TIMINGS.fixed.announceDelayMs);
}

function pageDescription() {
  const title = document.querySelector("#step-title, main h1");
  const heading = title ? title.textContent.trim() : document.title;
  const steps = document.querySelectorAll(".step-list li");
  const current = document.querySelector('.step-list [aria-current="step"]');
  if (!steps.length || !current) return "Demo: " + heading;
  const position = Array.from(steps).indexOf(current.closest("li")) + 1;
  return "Demo: step " + position + " of " + steps.length + " — " + heading;
}

function keepEmphasisInView() {
  // Scroll the code box (never the page) so the emphasised lines show.
  const body = document.querySelector(".source-body");
  const line = body && body.querySelector(".emphasised");
  if (!line) return;
  const offset = line.getBoundingClientRect().top - body.getBoundingClientRect().top;
  if (offset > body.clientHeight * 0.6) body.scrollTop += offset - body.clientHeight / 4;
}

function scrollBehaviour() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
}

// ---------------------------------------------------------------- control

function togglePlay() {
  if (demo.isPaused) resume();
  else takeOver();
}

function resume() {
  // Play starts this page's part of the show again from its beginning.
  demo.isPaused = false;
  stopTimers();
  saveState();
  showPlayState();
  playPage();
}

function takeOver() {
  // The person has control: stop every timer and say so.
  if (demo.isPaused) return;
  demo.isPaused = true;
  stopTimers();
  saveState();
  showPlayState();
}

function takeOverAndGo(url) {
  takeOver();
  goTo(url);
}

function chooseSpeed(speed) {
  // Changing the speed is a control like the others: it pauses, and Play
  // carries on at the new pace. The URL keeps it, so a reload does too.
  takeOver();
  demo.speed = speed;
  saveState();
  replaceParams({ speed: String(speed) });
  showPlayState();
}

function exitDemo() {
  // Back to the plain site, for the rest of this tab's session.
  stopTimers();
  writeState({ exited: true });
  window.removeEventListener("keydown", onAnyKey, true);
  window.removeEventListener("pointerdown", onAnyPointer, true);
  demo.ui.banner.remove();
  document.documentElement.dataset.demo = "off";
  replaceParams({ demo: null, speed: null });
}

function replaceParams(changes) {
  const url = new URL(window.location.href);
  Object.entries(changes).forEach(([name, value]) => {
    if (value === null) url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  });
  window.history.replaceState(window.history.state, "", url.href);
}

function onAnyKey(event) {
  // Any key takes over, except those that work the banner's own buttons.
  if (!event.isTrusted) return;
  if (demo.ui.banner.contains(event.target) && CONTROL_KEYS.has(event.key)) return;
  takeOver();
}

function onAnyPointer(event) {
  // A click anywhere but on a banner button takes over; buttons decide.
  if (!event.isTrusted || event.target.closest(".demo-banner button")) return;
  takeOver();
}
