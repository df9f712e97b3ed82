// walkthrough: small enhancements on top of pages that work without scripts.
// Theme toggle (remembered), keyboard steps (←/→, j/k), copy buttons,
// line-number links out of the Tab order.
"use strict";

function embedderTheme() {
  // A wiki may pick the theme of a frame: /embed/...?theme=dark. It wins over
  // anything remembered, since the reader sees it inside the wiki's own page.
  if (document.documentElement.dataset.embedded !== "on") return null;
  const theme = new URLSearchParams(window.location.search).get("theme");
  return theme === "light" || theme === "dark" ? theme : null;
}

(function applySavedTheme() {
  // Runs as soon as the script loads (in <head>), so the page never flashes.
  const chosen = embedderTheme();
  if (chosen) {
    document.documentElement.dataset.theme = chosen;
    return;
  }
  try {
    const saved = localStorage.getItem("walkthrough-theme");
    if (saved === "light" || saved === "dark") {
      document.documentElement.dataset.theme = saved;
    }
  } catch (error) {
    // Storage can be blocked (private mode, sandboxed iframe): follow the system.
  }
})();

function currentTheme() {
  const chosen = document.documentElement.dataset.theme;
  if (chosen === "light" || chosen === "dark") return chosen;
  return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function setTheme(theme) {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem("walkthrough-theme", theme);
  } catch (error) {
    // Not remembered, but still applied for this page.
  }
  updateThemeButton();
}

function updateThemeButton() {
  const button = document.getElementById("theme-toggle");
  if (!button) return;
  const next = currentTheme() === "dark" ? "light" : "dark";
  button.textContent = next === "dark" ? "Dark theme" : "Light theme";
  button.setAttribute("aria-label", "Switch to the " + next + " theme");
}

function isTyping(event) {
  const target = event.target;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

function followRel(rel) {
  const link = document.querySelector('link[rel="' + rel + '"]');
  if (link) window.location.assign(link.href);
}

function isScrollingPanel(event) {
  // A focused code panel scrolls sideways with ←/→, as a keyboard user
  // expects of a scroll box; j/k still change steps from there.
  return event.key.startsWith("Arrow") && event.target.closest('[role="region"][tabindex="0"]');
}

function dismissTerm(event) {
  // Esc closes a glossary popup (WCAG 1.4.13: content on hover or focus must
  // be dismissible) until the pointer or the focus leaves the term.
  const terms = [document.activeElement, ...document.querySelectorAll(".term:hover")]
    .filter((element) => element && element.classList.contains("term"));
  terms.forEach((term) => {
    term.classList.add("is-dismissed");
    const restore = () => term.classList.remove("is-dismissed");
    term.addEventListener("blur", restore, { once: true });
    term.addEventListener("mouseleave", restore, { once: true });
  });
  return terms.length > 0;
}

function onKeydown(event) {
  if (event.key === "Escape" && dismissTerm(event)) return;
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  if (isTyping(event) || isScrollingPanel(event)) return;
  if (event.key === "ArrowRight" || event.key === "j") followRel("next");
  if (event.key === "ArrowLeft" || event.key === "k") followRel("prev");
}

function loadScriptData(url, name) {
  // A static export keeps its data (search index, recorded probe runs) in
  // scripts that set window[name]: a page opened from file:// may load a
  // script beside it, but may not fetch it. Resolves with the data.
  if (window[name]) return Promise.resolve(window[name]);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.addEventListener("load", () => resolve(window[name]));
    script.addEventListener("error", () => {
      script.remove();
      reject(new Error(url + " did not load"));
    });
    document.head.append(script);
  });
}

function codeText(panel) {
  // pygments puts the numbers in td.linenos and the code in td.code: take the
  // code cell only, so a paste never carries line numbers.
  const code = panel.querySelector(".source-body td.code pre")
    || panel.querySelector(".source-body pre");
  return code ? code.textContent.replace(/\n$/, "") : "";
}

async function copyCode(button) {
  const panel = button.closest(".source");
  const text = panel ? codeText(panel) : "";
  if (!text) return;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch (error) {
    // No clipboard access (an insecure origin, a denied permission).
    button.textContent = "Select and copy";
  }
  setTimeout(() => { button.textContent = "Copy"; }, 1500);
}

function quietLineNumbers() {
  // Each line number is a link (to share #L-123), so a code panel would cost
  // a keyboard user one Tab per line. The panel itself takes focus and
  // scrolls; the numbers stay links for the mouse and for shared URLs.
  document.querySelectorAll(".source-body .linenos a").forEach((link) => {
    link.tabIndex = -1;
  });
}

function keepEmbedderTheme() {
  // Moving on inside the frame keeps the theme the wiki chose.
  const theme = embedderTheme();
  if (!theme) return;
  document.querySelectorAll("main a[href]").forEach((link) => {
    const url = new URL(link.href, document.baseURI);
    if (url.origin !== window.location.origin || !url.pathname.includes("/embed/")) return;
    url.searchParams.set("theme", theme);
    link.href = url.href;
  });
}

function keepCurrentStepInView() {
  // A long tour's list scrolls on its own beside the step: show the current
  // step a third of the way down it, not off below the fold.
  const list = document.querySelector(".step-list");
  const current = list && list.querySelector('[aria-current="step"]');
  if (!current || list.scrollHeight <= list.clientHeight) return;
  const offset = current.getBoundingClientRect().top - list.getBoundingClientRect().top;
  list.scrollTop += offset - list.clientHeight / 3;
}

document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.getElementById("theme-toggle");
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      setTheme(currentTheme() === "dark" ? "light" : "dark");
    });
    updateThemeButton();
  }
  document.querySelectorAll(".copy-button").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => copyCode(button));
  });
  quietLineNumbers();
  keepCurrentStepInView();
  keepEmbedderTheme();
  document.addEventListener("keydown", onKeydown);
});
