// resolign search page: the form works without this file (the server renders ?q= results);
// this only swaps in the server-rendered results without a page reload, so the page has one
// renderer. Stored text reaches the page escaped by the server; nodes are parsed by
// DOMParser (scripts in a parsed document never run) and moved in, never set as innerHTML.
"use strict";

const SWAPPED = ["status", "results", "paging"];

function setStatus(text, isError) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.classList.toggle("error", Boolean(isError));
}

async function run(params) {
  setStatus("Searching…");
  let response, html;
  try {
    response = await fetch("/?" + params, { headers: { Accept: "text/html" } });
    html = await response.text();
  } catch (error) {
    setStatus("The server did not answer: " + error, true);
    return;
  }
  const fresh = new DOMParser().parseFromString(html, "text/html");
  for (const id of SWAPPED) {
    const now = document.getElementById(id);
    const next = fresh.getElementById(id);
    if (now && next) now.replaceWith(document.adoptNode(next));
  }
  if (!response.ok) document.getElementById("status").classList.add("error");
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
  // next/previous concordance pages: same swap, the URL stays shareable
  document.addEventListener("click", (event) => {
    const link = event.target.closest("nav.paging a");
    if (!link) return;
    event.preventDefault();
    const url = new URL(link.href);
    history.pushState(null, "", url.pathname + url.search);
    run(url.searchParams);
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
