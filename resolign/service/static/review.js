// resolign unit page, review tools: shown once a write key is typed in (kept in this tab's
// sessionStorage, sent as X-API-Key). Every change goes through the review API and is kept
// in the unit's history, where it can be undone. Text from the server is only ever set as
// textContent, never parsed as HTML.
"use strict";

const KEY = "resolign-key";
const WHO = "resolign-who";

function reviewStatus(text, isError) {
  const status = document.getElementById("review-status");
  status.textContent = text;
  status.classList.toggle("error", Boolean(isError));
}

async function call(method, url, body) {
  const params = new URLSearchParams();
  const who = sessionStorage.getItem(WHO);
  if (who) params.set("who", who);
  const headers = { "X-API-Key": sessionStorage.getItem(KEY) || "", Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const query = params.toString();
  const response = await fetch(url + (query ? "?" + query : ""), {
    method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({ detail: "no JSON answer" }));
  if (!response.ok) throw new Error(data.detail || response.statusText);
  return data;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function unitSummary(unit) {
  const texts = Object.entries(unit.unit).filter(([, text]) => text);
  const item = el("div", "changed-unit");
  const link = el("a", "unit-link", "unit " + unit.id);
  link.href = "/units/" + unit.id;
  item.append(link);
  for (const [lang, text] of texts) {
    const line = el("div", "changed-text");
    line.append(el("span", "tag", lang), " ");
    const body = el("span", "", text);
    body.lang = lang;
    body.dir = "auto";
    line.append(body);
    item.append(line);
  }
  return item;
}

function renderHistory(history, id) {
  const list = document.getElementById("history");
  list.replaceChildren();
  for (const change of history.changes) {
    const item = el("li", "change change-" + change.action);
    item.dataset.change = change.id;
    const head = el("div", "change-head");
    head.append(el("span", "action", change.action), " ", el("span", "who", change.who),
                " ", el("time", "at", change.at.replace("T", " ").slice(0, 19)));
    if (change.undone_by === null) {
      const undo = el("button", "undo", "Undo");
      undo.type = "button";
      undo.addEventListener("click", () => act(async () => {
        const done = await call("POST", `/api/changes/${change.id}/undo`);
        return [`Undone: change ${change.id}`, done.ids[0]];
      }));
      head.append(" ", undo);
    } else {
      head.append(" ", el("span", "note", `undone by change ${change.undone_by}`));
    }
    item.append(head);
    for (const [label, units] of [["before", change.before], ["after", change.after]]) {
      if (!units.length) continue;
      const side = el("div", "change-" + label);
      side.append(el("span", "side", label));
      for (const unit of units) side.append(unitSummary(unit));
      item.append(side);
    }
    list.append(item);
  }
  if (!history.changes.length) list.append(el("li", "note", "No change yet."));
  for (const [name, neighbour] of [["previous", history.previous], ["next", history.next]]) {
    const button = document.getElementById("merge-" + name);
    if (button) {
      button.disabled = neighbour === null;
      button.title = neighbour === null ? "" : "unit " + neighbour;
    }
  }
  return id;
}

// Run a change; on success go to the unit it left (so the page shows the stored state).
async function act(change) {
  reviewStatus("Saving…");
  try {
    const [message, goTo] = await change();
    sessionStorage.setItem("resolign-said", message);
    const id = Number(document.getElementById("review").dataset.id);
    if (goTo && goTo !== id) location.assign("/units/" + goTo);
    else location.reload();
  } catch (error) {
    reviewStatus(String(error.message || error), true);
  }
}

function changedTexts(form) {
  const texts = {};
  for (const box of form.querySelectorAll("textarea")) {
    if (box.value !== box.dataset.was) texts[box.name] = box.value;
  }
  return texts;
}

function splitParts(form) {
  const parts = [];
  let count = 0;
  for (const box of form.querySelectorAll("textarea")) {
    if (!box.value.trim()) continue;
    const pieces = box.value.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
    if (count && pieces.length !== count) {
      throw new Error("put the same number of blank-line separated parts in every language");
    }
    count = pieces.length;
    pieces.forEach((piece, i) => { (parts[i] = parts[i] || {})[box.name] = piece; });
  }
  if (count < 2) throw new Error("separate the parts with a blank line in every language");
  return parts;
}

async function openTools() {
  const section = document.getElementById("review");
  const id = Number(section.dataset.id);
  try {
    renderHistory(await call("GET", `/api/units/${id}/history`), id);
  } catch (error) {
    reviewStatus(String(error.message || error), true);
    return;
  }
  document.getElementById("review-tools").hidden = false;
  reviewStatus(sessionStorage.getItem("resolign-said") || "");
  sessionStorage.removeItem("resolign-said");
}

document.addEventListener("DOMContentLoaded", () => {
  const section = document.getElementById("review");
  if (!section) return;
  const id = Number(section.dataset.id);
  const keyForm = document.getElementById("review-key");
  document.getElementById("who").value = sessionStorage.getItem(WHO) || "";
  keyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, document.getElementById("key").value);
    sessionStorage.setItem(WHO, document.getElementById("who").value.trim());
    openTools();
  });
  if (sessionStorage.getItem(KEY)) openTools();

  const edit = document.getElementById("review-edit");
  if (!edit) return;
  edit.addEventListener("submit", (event) => {
    event.preventDefault();
    const texts = changedTexts(edit);
    if (!Object.keys(texts).length) {
      reviewStatus("Nothing changed.", true);
      return;
    }
    act(async () => {
      const done = await call("PATCH", `/api/units/${id}`, { texts });
      return [`Saved: unit ${id} is now unit ${done.ids[0]}`, done.ids[0]];
    });
  });
  document.getElementById("split").addEventListener("click", () => act(async () => {
    const done = await call("POST", `/api/units/${id}/split`, { parts: splitParts(edit) });
    return [`Split into units ${done.ids.join(", ")}`, done.ids[0]];
  }));
  for (const name of ["previous", "next"]) {
    document.getElementById("merge-" + name).addEventListener("click", () => act(async () => {
      const done = await call("POST", `/api/units/${id}/merge`, { neighbour: name });
      return [`Merged into unit ${done.ids[0]}`, done.ids[0]];
    }));
  }
  document.getElementById("delete").addEventListener("click", () => act(async () => {
    await call("DELETE", `/api/units/${id}`);
    return [`Deleted unit ${id}: undo it in the history below`, id];
  }));
});
