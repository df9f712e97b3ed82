// walkthrough: search as you type, on top of the header's plain GET form.
// Without this script the form still submits to /search?q=, which the server
// answers; with it, a listbox of matching steps opens under the field
// (the ARIA combobox pattern: arrows move, Enter opens, Escape closes).
// Ranking mirrors walkthrough/tour/search.py, so both searches agree.
// In a static export (walkthrough export) there is no server: the index is a
// script beside the pages (a page opened from file:// may load a script but
// not fetch a file), and the search page lists results from it here.
"use strict";

// One closure, so these names never clash with site.js, probe.js or demo.js.
(function searchAsYouType() {
  const SEARCH_MAX_OPTIONS = 8;
  const SEARCH_MAX_RESULTS = 50; // MAX_RESULTS in search.py: the full page's cap
  const SEARCH_ANNOUNCE_DELAY_MS = 400;
  const SEARCH_SCORES = { title: 100, symbol: 10, text: 1 };

  const search = {
    input: null,
    popup: null,      // wraps the listbox and the "nothing found" note
    listbox: null,
    empty: null,
    status: null,     // a polite live region: screen readers hear the count
    entries: null,    // the index once fetched; null until then
    loading: null,    // the one fetch of the index, shared by every caller
    options: [],      // {element, href} of the listbox, in order
    active: -1,       // index into options, -1 when none is highlighted
    announceTimer: null,
  };

  // ---------------------------------------------------------------- ranking
  // A line-for-line copy of walkthrough/tour/search.py: the server computed
  // every entry's terms; this scores them. tests/e2e/test_search_ranking.py
  // checks both give the same order for a table of queries.

  const TERM_RE = /[^\s!-/:-@[-^`{-~\u3000-\u303f]+/gu;
  const CJK = "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf"
    + "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\u{20000}-\u{3134f}";
  const CJK_PIECE_RE = new RegExp("[" + CJK + "]+|[^" + CJK + "]+", "gu");
  const CJK_START_RE = new RegExp("^[" + CJK + "]", "u");
  const WIDE_FORM_RE = /[\uff01-\uffee]/gu;
  const WORD_START_RE = /(?<=_)[^_]|(?<=[a-z0-9])[A-Z]|(?<=[A-Z])[A-Z](?=[a-z])/gu;
  const FIELD_WEIGHTS = { names: [40, 12], title: [30, 10], code: [6, 3], text: [2, 1] };
  const FIELD_LABELS = { also: "Explains", names: "Symbol", code: "In the code:", text: "In the text:" };
  const SNIPPET_CHARS = 90;

  function narrow(text) {
    // Full-width forms to ASCII, one character for one (`narrow`).
    return text.replace(WIDE_FORM_RE, (character) => character.normalize("NFKC"));
  }

  function fold(text) {
    return narrow(text).toLowerCase(); // str.lower() in Python
  }

  function isCjk(text) {
    return CJK_START_RE.test(text);
  }

  function cjkPairs(run) {
    // Overlapping pairs of characters; one character stays one.
    const characters = Array.from(run);
    if (characters.length < 2) return [run];
    return characters.slice(1).map((character, at) => characters[at] + character);
  }

  function searchWords(query) {
    // A CJK run gives its pairs: `请求上下文` is four words (`query_words`).
    const words = [];
    for (const term of narrow(query).match(TERM_RE) || []) {
      for (const piece of term.match(CJK_PIECE_RE)) {
        words.push(...(isCjk(piece) ? cjkPairs(piece) : [fold(piece)]));
      }
    }
    return words;
  }

  function wordScore(terms, word, weights) {
    const [exact, starts] = terms;
    if (exact.includes(" " + word + " ")) return weights[0];
    const mayStart = Array.from(word).length > 1 || isCjk(word);
    if (mayStart && (exact.includes(" " + word) || starts.includes(" " + word))) return weights[1];
    return 0;
  }

  function scoreEntry(entry, words) {
    let total = 0;
    for (const word of words) {
      const best = Math.max(...Object.entries(FIELD_WEIGHTS).map(
        ([field, weights]) => wordScore(entry.terms[field], word, weights)));
      if (!best) return 0;
      total += best;
    }
    return total;
  }

  function rankEntries(entries, query) {
    // Best first; equal scores keep tour order, as Python's sort does.
    const words = searchWords(query);
    if (!words.length) return [];
    return entries
      .map((entry, index) => ({ entry, index, score: scoreEntry(entry, words) }))
      .filter((item) => item.score > 0)
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .map((item) => item.entry);
  }

  function wordAt(text, word) {
    // Where `word` starts a term, or a word inside one, in `text`; else -1.
    // In CJK text every character may start a word.
    if (isCjk(word)) return fold(text).indexOf(word);
    const starts = [...text.matchAll(TERM_RE), ...text.matchAll(WORD_START_RE)]
      .map((match) => match.index).sort((a, b) => a - b);
    const folded = fold(text);
    const found = starts.find((start) => folded.startsWith(word, start));
    return found === undefined ? -1 : found;
  }

  function snippet(text, word) {
    if (text.length <= SNIPPET_CHARS) return text;
    const start = Math.max(wordAt(text, word), 0);
    const begin = Math.max(0, start - Math.floor(SNIPPET_CHARS / 3));
    const end = begin + SNIPPET_CHARS;
    return (begin ? "…" : "") + text.slice(begin, end).trim() + (end < text.length ? "…" : "");
  }

  function explain(entry, query) {
    // Where the first word matched best, and a snippet around it (`explain`).
    const word = searchWords(query)[0] || "";
    let field = "names";
    let best = -1;
    for (const [name, weights] of Object.entries(FIELD_WEIGHTS)) {
      const points = wordScore(entry.terms[name], word, weights);
      if (points > best) { best = points; field = name; }
    }
    if (field === "names") {
      const alias = entry.also.find((name) => wordAt(name, word) >= 0);
      if (alias !== undefined && wordAt(entry.symbol, word) < 0) return { field: "also", snippet: alias };
      return { field, snippet: entry.symbol };
    }
    if (field === "code") {
      const line = entry.code.find((text) => wordAt(text, word) >= 0) || "";
      return { field, snippet: line.slice(0, SNIPPET_CHARS) };
    }
    if (field === "text") return { field, snippet: snippet(entry.text, word) };
    return { field, snippet: entry.title };
  }

  // Exposed for the test that holds both rankings to one order.
  window.walkthroughSearch = { rankEntries, explain };

  // ---------------------------------------------------------------- the index

  function loadIndex() {
    // Loaded once, on first focus: pages that nobody searches cost nothing.
    if (!search.loading) {
      const url = search.input.dataset.index;
      const loading = search.input.dataset.indexKind === "script"
        ? loadScriptData(url, "WALKTHROUGH_SEARCH_INDEX")
        : fetchIndex(url);
      search.loading = loading
        .then((entries) => { search.entries = entries; })
        .catch(() => {
          // The form still submits to the server's /search; try again next focus.
          search.loading = null;
        });
    }
    return search.loading;
  }

  function fetchIndex(url) {
    return fetch(url, { credentials: "same-origin" }).then((response) => {
      if (!response.ok) throw new Error("search index: HTTP " + response.status);
      return response.json();
    });
  }

  // ---------------------------------------------------------------- building

  function stepHref(entry) {
    // The page gives a step URL with placeholders: served or exported, it knows.
    return new URL(search.input.dataset.stepUrl
      .replace("__tour__", encodeURIComponent(entry.tour_id))
      .replace("__step__", encodeURIComponent(entry.step_id)), document.baseURI).href;
  }

  function markWords(text, words) {
    // Highlight the query's words in a title, with text nodes only (no HTML).
    const fragment = document.createDocumentFragment();
    const lower = fold(text); // one character for one, so offsets hold
    let at = 0;
    while (at < text.length) {
      const next = nextHit(lower, words, at);
      if (!next) break;
      fragment.append(text.slice(at, next.start));
      const mark = document.createElement("mark");
      mark.textContent = text.slice(next.start, next.end);
      fragment.append(mark);
      at = next.end;
    }
    fragment.append(text.slice(at));
    return fragment;
  }

  function nextHit(lower, words, from) {
    // The earliest, then longest, occurrence of any word at or after `from`.
    let best = null;
    for (const word of words) {
      const start = lower.indexOf(word, from);
      if (start < 0) continue;
      if (!best || start < best.start || (start === best.start && start + word.length > best.end)) {
        best = { start, end: start + word.length };
      }
    }
    return best && joinOverlaps(lower, words, best);
  }

  function joinOverlaps(lower, words, hit) {
    // A Chinese query's pairs overlap (`上下`, `下文`): mark `上下文` as one.
    for (let grown = true; grown;) {
      grown = false;
      for (const word of words) {
        const start = lower.indexOf(word, hit.start);
        if (start >= 0 && start < hit.end && start + word.length > hit.end) {
          hit.end = start + word.length;
          grown = true;
        }
      }
    }
    return hit;
  }

  function optionElement(id, href, parts) {
    // One role="option": not a link (options may not hold controls), but it
    // carries its URL so Enter or a click can go there.
    const item = document.createElement("li");
    item.id = id;
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    item.className = "search-option";
    item.append(...parts);
    return { element: item, href };
  }

  function whyElement(entry, query, className) {
    // Why this step matched: the line of code, the sentence, or the old name.
    const hit = explain(entry, query);
    const why = document.createElement("span");
    why.className = className;
    if (hit.field === "title") return null;
    why.append(FIELD_LABELS[hit.field] + " ");
    const words = searchWords(query);
    if (hit.field === "text") {
      why.append(markWords(hit.snippet, words));
    } else {
      const code = document.createElement("code");
      code.append(markWords(hit.snippet, words));
      why.append(code);
    }
    return why;
  }

  function entryOption(entry, index, words, query) {
    const title = document.createElement("span");
    title.className = "search-option-title";
    title.append(markWords(entry.title, words));
    const where = document.createElement("span");
    where.className = "search-option-where";
    // The qualified name is enough to recognise; the module is in the step.
    where.textContent = entry.tour_title + " · " + entry.symbol.split(":").pop();
    const why = whyElement(entry, query, "search-option-why");
    const parts = why ? [title, where, why] : [title, where];
    return optionElement("site-search-option-" + index, stepHref(entry), parts);
  }

  function allResultsOption(count, query) {
    // More matches than fit: the last option opens the server's full list.
    const label = document.createElement("span");
    label.className = "search-option-title";
    label.textContent = "All " + count + " matching steps →";
    const href = search.input.form.action + "?q=" + encodeURIComponent(query);
    return optionElement("site-search-option-all", href, [label]);
  }

  // ---------------------------------------------------------------- showing

  function showResults() {
    // Rebuild the listbox for the field's current text.
    const query = search.input.value.trim();
    if (!query || !search.entries) return closeResults();
    const results = rankEntries(search.entries, query);
    const words = searchWords(query);
    search.options = results.slice(0, SEARCH_MAX_OPTIONS).map((entry, index) => entryOption(entry, index, words, query));
    if (results.length > SEARCH_MAX_OPTIONS) search.options.push(allResultsOption(results.length, query));
    search.listbox.replaceChildren(...search.options.map((option) => option.element));
    search.active = -1;
    search.input.removeAttribute("aria-activedescendant");
    search.popup.hidden = false;
    search.listbox.hidden = results.length === 0;
    search.empty.hidden = results.length > 0;
    search.input.setAttribute("aria-expanded", String(results.length > 0));
    announceCount(results.length, query);
  }

  function announceCount(count, query) {
    // Wait until typing pauses, so a screen reader says one count, not one
    // per key pressed.
    clearTimeout(search.announceTimer);
    search.announceTimer = setTimeout(() => {
      search.status.textContent = count
        ? count + (count === 1 ? " step matches" : " steps match") + " “" + query + "”. Use the arrow keys to choose one."
        : "No step mentions every word of “" + query + "”.";
    }, SEARCH_ANNOUNCE_DELAY_MS);
  }

  function closeResults() {
    search.popup.hidden = true;
    search.active = -1;
    search.input.setAttribute("aria-expanded", "false");
    search.input.removeAttribute("aria-activedescendant");
  }

  function isOpen() {
    return !search.popup.hidden && !search.listbox.hidden;
  }

  function highlight(index) {
    // Move the active option; focus stays in the field (aria-activedescendant).
    search.options.forEach((option, at) => {
      option.element.setAttribute("aria-selected", String(at === index));
    });
    search.active = index;
    const option = search.options[index];
    search.input.setAttribute("aria-activedescendant", option.element.id);
    option.element.scrollIntoView({ block: "nearest" });
  }

  function moveActive(step) {
    // Wrap around at either end, like most comboboxes.
    const count = search.options.length;
    if (!count) return;
    const from = search.active < 0 ? (step > 0 ? -1 : count) : search.active;
    highlight((from + step + count) % count);
  }

  function openOption(index) {
    window.location.assign(search.options[index].href);
  }

  // ---------------------------------------------------------------- events

  function onSearchKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!isOpen()) showResults();
      if (isOpen()) moveActive(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && isOpen() && search.active >= 0) {
      // Otherwise Enter submits the form to /search, as without scripts.
      event.preventDefault();
      openOption(search.active);
    } else if (event.key === "Escape" && !search.popup.hidden) {
      // First Escape closes the list and keeps the text; a second one clears
      // the field (the browser's own behaviour for type="search").
      event.preventDefault();
      closeResults();
    }
  }

  function onSearchFocus() {
    loadIndex().then(() => {
      if (document.activeElement === search.input && search.input.value.trim()) showResults();
    });
  }

  function onSearchInput() {
    if (search.entries) showResults();
    else loadIndex().then(showResults);
  }

  function keepFocus(event) {
    // A press in the popup (its scrollbar too) must not blur the field, or
    // blur would close the list before the click lands.
    event.preventDefault();
  }

  function onOptionClick(event) {
    const item = event.target.closest('[role="option"]');
    if (!item) return;
    openOption(search.options.findIndex((option) => option.element === item));
  }

  function onSearchBlur() {
    closeResults();
  }

  // ---------------------------------------------------------------- setup

  function buildPopup(form) {
    // The popup lives inside the form, so it is positioned under the field.
    const popup = document.createElement("div");
    popup.className = "search-popup";
    popup.hidden = true;
    const listbox = document.createElement("ul");
    listbox.id = "site-search-results";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", "Matching steps");
    const empty = document.createElement("p");
    empty.className = "search-empty";
    empty.textContent = "No step mentions every word. Try fewer words, or a function's name.";
    // A polite live region, but not role="status": the probe page's own
    // status line stays the page's one status.
    const status = document.createElement("p");
    status.id = "site-search-status";
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    status.setAttribute("aria-atomic", "true");
    popup.append(listbox, empty);
    form.append(popup, status);
    Object.assign(search, { popup, listbox, empty, status });
  }

  function setUpSearch() {
    const input = document.getElementById("site-search-input");
    if (!input || !input.dataset.index || !window.fetch) return;
    search.input = input;
    buildPopup(input.form);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", search.listbox.id);
    input.addEventListener("focus", onSearchFocus);
    input.addEventListener("input", onSearchInput);
    input.addEventListener("keydown", onSearchKey);
    input.addEventListener("blur", onSearchBlur);
    search.popup.addEventListener("mousedown", keepFocus);
    search.popup.addEventListener("click", onOptionClick);
    const offline = document.getElementById("offline-search");
    if (offline) showOfflineResults(offline);
  }

  // ---------------------------------------------------------------- offline page

  function showOfflineResults(page) {
    // The exported search page: what /search?q= renders on the server.
    const query = (new URLSearchParams(window.location.search).get("q") || "").trim().slice(0, 200);
    if (!query) return;
    search.input.value = query;
    document.title = "Search: " + query + " · walkthrough";
    loadIndex().then(() => {
      if (!search.entries) return;
      const results = rankEntries(search.entries, query);
      page.querySelector("#offline-search-title").textContent = "Steps matching “" + query + "”";
      page.querySelector("#offline-search-summary").textContent = foundText(results.length, query);
      const list = page.querySelector("#offline-search-results");
      list.replaceChildren(...results.slice(0, SEARCH_MAX_RESULTS).map((entry) => resultItem(entry, query)));
      list.hidden = !results.length;
    });
  }

  function foundText(total, query) {
    // The words templates/search.html uses on the server.
    if (!total) return "No step mentions every word of “" + query + "”. Try fewer words, or a function's name.";
    const capped = total > SEARCH_MAX_RESULTS
      ? "; the best " + SEARCH_MAX_RESULTS + " are listed — add a word to narrow them"
      : "";
    return total + " step" + (total === 1 ? "" : "s") + " found" + capped + ".";
  }

  function resultItem(entry, query) {
    // The same markup as templates/search.html, so the same styles apply.
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = stepHref(entry);
    link.textContent = entry.title;
    const tour = document.createElement("span");
    tour.className = "search-tour";
    tour.textContent = entry.tour_title;
    const symbol = document.createElement("code");
    symbol.textContent = entry.symbol;
    item.append(link, " ", tour, " ", symbol);
    const why = whyElement(entry, query, "search-why");
    if (why) item.append(why);
    return item;
  }

  // Deferred, so the header is already parsed when this runs.
  setUpSearch();
})();
