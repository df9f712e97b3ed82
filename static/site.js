// walkthrough: small enhancements on top of pages that work without scripts.
// Theme toggle (remembered), keyboard steps (←/→, j/k), copy buttons.
"use strict";

(function applySavedTheme() {
  // Runs as soon as the script loads (in <head>), so the page never flashes.
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

function onKeydown(event) {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  if (isTyping(event)) return;
  if (event.key === "ArrowRight" || event.key === "j") followRel("next");
  if (event.key === "ArrowLeft" || event.key === "k") followRel("prev");
}

async function copyCode(button) {
  const panel = button.closest(".source");
  const code = panel && panel.querySelector(".source-body .code pre, .source-body pre");
  if (!code) return;
  const text = Array.from(code.querySelectorAll("span.line, .line"))
    .map((line) => line.textContent.replace(/\n$/, ""))
    .join("\n") || code.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch (error) {
    button.textContent = "Select and copy";
  }
  setTimeout(() => { button.textContent = "Copy"; }, 1500);
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
  document.addEventListener("keydown", onKeydown);
});
