// resolign search page: the form works without this file (the server renders ?q= results);
// this only fetches results from the JSON API without a page reload. All stored text goes
// into the page through textContent, never innerHTML.
"use strict";

const LANGS = ["fr", "en", "ar"];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

// Text with [start, end) code-point spans wrapped in <mark> (spans come from the server).
function marked(text, spans) {
  const chars = Array.from(text);
  const frag = document.createDocumentFragment();
  let pos = 0;
  const sorted = (spans || []).map(([s, e]) => [Number(s), Number(e)]).sort((a, b) => a[0] - b[0]);
  for (let [start, end] of sorted) {
    start = Math.max(start, pos);
    end = Math.min(end, chars.length);
    if (start >= end) continue;
    frag.append(chars.slice(pos, start).join(""));
    frag.append(el("mark", {}, chars.slice(start, end).join("")));
    pos = end;
  }
  frag.append(chars.slice(pos).join(""));
  return frag;
}

function cells(unit, spans, roles) {
  const row = el("div", { class: "cells" });
  for (const lang of LANGS) {
    const text = unit[lang] || "";
    const cell = el("div", {
      class: ("cell " + (roles[lang] || "")).trim(), lang, dir: lang === "ar" ? "rtl" : "ltr",
    });
    if (text) cell.append(marked(text, spans[lang]));
    else cell.append(el("span", { class: "missing" }, "—"));
    row.append(cell);
  }
  return row;
}

function originLink(origin, id) {
  const bits = [origin.symbol, origin.document].filter(Boolean);
  if (origin.paragraph) {
    const label = String(origin.paragraph);
    bits.push(label.startsWith("¶") ? label : "¶ " + label);
  }
  return el("a", { class: "origin", href: "/units/" + Number(id) }, bits.join(" · ") || "unit " + id);
}

function card(id, metaNodes, cellRow) {
  const meta = el("div", { class: "meta" }, ...metaNodes);
  return el("article", { class: "match", "data-id": String(Number(id)) }, meta, cellRow);
}

function matchCard(m, src, tgt) {
  const kind = String(m.kind);
  return card(m.id, [
    el("span", { class: "score" }, Math.round(m.score) + "%"),
    el("span", { class: "kind kind-" + kind }, kind),
    originLink(m.origin, m.id),
  ], cells(m.unit, { [src]: m.highlight }, { [src]: "src", [tgt]: "tgt" }));
}

function hitCard(h) {
  return card(h.id, [
    el("span", { class: "kind kind-concordance" }, "concordance"),
    originLink(h.origin, h.id),
  ], cells(h.unit, { [h.lang]: h.highlight }, { [h.lang]: "src" }));
}

function setStatus(text, isError) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.classList.toggle("error", Boolean(isError));
}

async function run(params) {
  const results = document.getElementById("results");
  const concordance = params.get("mode") === "concordance";
  const api = new URLSearchParams({ q: params.get("q") || "", limit: concordance ? "50" : "10" });
  if (concordance) api.set("lang", params.get("src") || "fr");
  else { api.set("src", params.get("src") || "fr"); api.set("tgt", params.get("tgt") || "en"); }
  setStatus("Searching…");
  let response, body;
  try {
    response = await fetch((concordance ? "/api/concordance?" : "/api/search?") + api);
    body = await response.json();
  } catch (error) {
    setStatus("The server did not answer: " + error, true);
    return;
  }
  if (!response.ok) {
    results.replaceChildren();
    setStatus(typeof body.detail === "string" ? body.detail : "Request refused", true);
    return;
  }
  const src = params.get("src") || "fr", tgt = params.get("tgt") || "en";
  const items = concordance ? body.hits.map(hitCard) : body.matches.map((m) => matchCard(m, src, tgt));
  results.replaceChildren(...items);
  if (!items.length) {
    setStatus(concordance ? "No passage contains these words in this language."
      : "No earlier wording found. For a word or phrase inside longer passages, tick Concordance.");
  } else {
    const n = items.length;
    setStatus(n + (concordance ? (n === 1 ? " concordance hit" : " concordance hits")
      : (n === 1 ? " match" : " matches")));
  }
}

function formParams(form) {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) params.set(key, String(value));
  return params;
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("search");
  const mode = document.getElementById("mode");
  const syncMode = () => form.classList.toggle("concordance", mode.checked);
  mode.addEventListener("change", syncMode);
  syncMode();
  form.addEventListener("submit", (event) => {
    const params = formParams(form);
    if (!(params.get("q") || "").trim()) return; // let the server explain an empty query
    event.preventDefault();
    history.pushState(null, "", "/?" + params);
    run(params);
  });
  window.addEventListener("popstate", () => {
    const params = new URLSearchParams(location.search);
    for (const name of ["q", "src", "tgt"]) {
      const field = document.getElementById(name);
      if (field && params.has(name)) field.value = params.get(name);
    }
    mode.checked = params.get("mode") === "concordance";
    syncMode();
    if ((params.get("q") || "").trim()) run(params);
  });
});
