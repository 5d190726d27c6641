/**
 * The dashboard's browser script (plain JS, no framework). It uses only the public API: GET /tasks, GET /tasks/{id}
 * (long polling with ?wait and If-None-Match), GET /tasks/{id}/events, POST /uploads (+ the presigned PUT), POST /tasks.
 *
 * Credentials: the API key the user enters is kept in sessionStorage (this tab only; never localStorage, never a URL)
 * and sent as `Authorization: Bearer` with every API call, and with nothing else (not the presigned S3 PUT). A 401
 * forgets it and asks again. Result links and previews carry the task's watch token (`?token=`: read access to that
 * task only, short-lived), never the key.
 */
export const DASHBOARD_JS = `
"use strict";
const $ = (s) => document.querySelector(s);
const MAX_WATCHERS = 3; // browsers open ~6 connections per host: leave room for everything else
const KEY_ITEM = "offload.apiKey"; // sessionStorage
const rows = new Map(); // id -> task
const watching = new Set();
let selected = null;
let detailEtag = null;
let refreshTimer = null;

/** Thrown by api() on a 401: the key is gone and the form is back, so callers just stop. */
class KeyRefused extends Error {}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function apiKey() { return sessionStorage.getItem(KEY_ITEM); }

/** Shows the key form (with why, if a key was refused) and stops everything that calls the API. */
function askForKey(message) {
  sessionStorage.removeItem(KEY_ITEM);
  selected = null;
  clearInterval(refreshTimer);
  $("#app").hidden = true;
  $("#key-status").hidden = true;
  $("#key-card").hidden = false;
  $("#key-form").reset(); // back to the prefilled development key, if any
  $("#key-message").textContent = message || "";
  $("#key-input").focus();
}

function useKey(key) {
  sessionStorage.setItem(KEY_ITEM, key);
  $("#key-prefix").textContent = (key.match(/^ofl_sk_[^_]+_/) || ["key"])[0] + "…";
  $("#key-message").textContent = "";
  $("#key-card").hidden = true;
  $("#key-status").hidden = false;
  $("#app").hidden = false;
  refreshList();
  clearInterval(refreshTimer);
  refreshTimer = setInterval(refreshList, 15000);
}

async function api(method, path, body, headers) {
  const key = apiKey();
  if (!key) { askForKey(); throw new KeyRefused("no API key"); }
  const init = { method, headers: Object.assign({ accept: "application/json", authorization: "Bearer " + key }, headers || {}) };
  if (body !== undefined) { init.headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
  const response = await fetch(path, init);
  if (response.status === 304) return { status: 304, etag: response.headers.get("etag") };
  const data = await response.json().catch(() => null);
  const message = (data && data.error && (data.error.message + " (" + data.error.code + ")")) || ("HTTP " + response.status);
  if (response.status === 401) {
    if (apiKey() === key) askForKey("The API refused this key: " + message + ". Enter a valid API key.");
    throw new KeyRefused(message);
  }
  if (!response.ok) throw new Error(response.status === 403 ? "This API key may not do that: " + message : message);
  return { status: response.status, etag: response.headers.get("etag"), data };
}

/** A link to one of a finished task's files, authorised by its watch token (for <img> and <a>, which send no header). */
function resultUrl(task, file) {
  const query = new URLSearchParams({ token: task.watchToken });
  if (file) query.set("file", file);
  return "/tasks/" + encodeURIComponent(task.id) + "/result?" + query;
}

const finished = (t) => t.status === "succeeded" || t.status === "failed" || t.status === "cancelled";
const percent = (t) => t.status === "succeeded" ? 100 : Math.round((t.progress && t.progress.percent) || 0);
function say(message) { $("#announce").textContent = message; }

function renderRow(task, prepend) {
  let row = document.getElementById("row-" + task.id);
  const cells = [
    el("td", {}, el("button", { className: "link", type: "button", textContent: task.id, onclick: () => select(task.id), ariaLabel: "Show task " + task.id })),
    el("td", { textContent: task.type }),
    el("td", { className: "status-" + task.status, textContent: task.status }),
    el("td", {}, el("progress", { max: 100, value: percent(task), ariaLabel: task.type + " " + task.id + " progress" }), " " + percent(task) + "%"),
    el("td", { textContent: new Date(task.updatedAt).toLocaleTimeString() }),
  ];
  const fresh = el("tr", { id: "row-" + task.id }, ...cells);
  if (row) row.replaceWith(fresh); else if (prepend) $("#tasks tbody").prepend(fresh); else $("#tasks tbody").append(fresh);
}

async function refreshList() {
  const query = new URLSearchParams({ limit: "20" });
  if ($("#filter-status").value) query.set("status", $("#filter-status").value);
  if ($("#filter-type").value) query.set("type", $("#filter-type").value);
  try {
    const { data } = await api("GET", "/tasks?" + query);
    $("#tasks tbody").replaceChildren();
    rows.clear();
    for (const task of data.tasks) { rows.set(task.id, task); renderRow(task); }
    $("#list-empty").hidden = data.tasks.length > 0;
    for (const task of data.tasks) if (!finished(task)) watch(task.id);
  } catch (error) { if (!(error instanceof KeyRefused)) say("Could not load tasks: " + error.message); }
}

/** Long polling: one held request per live task, each answered as soon as that task changes. */
async function watch(id) {
  if (watching.has(id) || watching.size >= MAX_WATCHERS) return;
  watching.add(id);
  let etag = null;
  try {
    for (;;) {
      const answer = await api("GET", "/tasks/" + id + "?wait=20", undefined, etag ? { "if-none-match": etag } : {});
      etag = answer.etag;
      if (answer.status === 304) continue;
      const task = answer.data;
      if (rows.has(id)) { rows.set(id, task); renderRow(task); }
      if (finished(task)) break;
    }
  } catch (error) { /* the next list refresh starts it again */ }
  finally { watching.delete(id); }
}

function fileLinks(task) {
  const result = task.result;
  if (!result || task.status !== "succeeded" || !task.watchToken) return null;
  if (Array.isArray(result.renditions)) {
    return el("div", { className: "renditions" }, ...result.renditions.map((r) => {
      const href = resultUrl(task, r.name);
      return el("figure", {}, el("img", { src: href, alt: r.name + " rendition, " + r.width + "×" + r.height }),
        el("figcaption", {}, el("a", { href, download: r.name, textContent: r.name + " (" + r.width + "×" + r.height + ")" })));
    }));
  }
  if (result.url) return el("p", {}, el("a", { href: resultUrl(task), download: result.filename || "", textContent: "Download " + (result.filename || "file") + (result.rows !== undefined ? " (" + result.rows + " rows)" : "") }));
  return null;
}

function renderDetail(task, events) {
  const p = task.progress || {};
  $("#detail-body").replaceChildren(...[
    el("dl", {},
      el("dt", { textContent: "Task" }), el("dd", { textContent: task.id + " (" + task.type + ")" }),
      el("dt", { textContent: "Status" }), el("dd", { id: "detail-status", className: "status-" + task.status, textContent: task.status }),
      el("dt", { textContent: "Progress" }), el("dd", {}, el("progress", { id: "detail-progress", max: 100, value: percent(task), ariaLabel: "Task progress" }), " " + percent(task) + "%" + (p.message ? " — " + p.message : "")),
      el("dt", { textContent: "Attempt" }), el("dd", { textContent: task.attempt + " of " + task.maxAttempts }),
      el("dt", { textContent: "Created" }), el("dd", { textContent: new Date(task.createdAt).toLocaleString() })),
    task.error ? el("p", { className: "error", textContent: task.error.code + ": " + task.error.message }) : null,
    el("div", { id: "detail-files" }, fileLinks(task)),
    el("h3", { textContent: "History" }),
    events && events.length ? el("ol", {}, ...events.map((e) => el("li", { textContent: e.at + " " + (e.from || "—") + " → " + e.to + " (attempt " + e.attempt + ")" + (e.error ? " " + e.error.code : "") + (e.note ? " " + e.note : "") }))) : el("p", { textContent: "No events recorded." }),
  ].filter((node) => node != null));
}

async function select(id) {
  selected = id; detailEtag = null;
  $("#detail").hidden = false;
  $("#detail-body").textContent = "Loading…";
  for (;;) {
    if (selected !== id) return;
    try {
      const answer = await api("GET", "/tasks/" + id + (detailEtag ? "?wait=20" : ""), undefined, detailEtag ? { "if-none-match": detailEtag } : {});
      if (selected !== id) return;
      detailEtag = answer.etag;
      if (answer.status === 304) continue;
      const task = answer.data;
      const events = await api("GET", "/tasks/" + id + "/events").then((a) => a.data.events, () => []);
      renderDetail(task, events);
      if (rows.has(id)) { rows.set(id, task); renderRow(task); }
      if (finished(task)) { say("Task " + id + " " + task.status); return; }
    } catch (error) {
      if (!(error instanceof KeyRefused)) $("#detail-body").textContent = "Could not load the task: " + error.message;
      return;
    }
  }
}

async function startTask(type, input) {
  const { data } = await api("POST", "/tasks", { type, input });
  rows.set(data.id, data); renderRow(data, true); $("#list-empty").hidden = true;
  say("Started " + type + " task " + data.id);
  select(data.id);
  return data;
}

/** "HTTP 403 SignatureDoesNotMatch (…)": the status, and the code and message of S3's XML error when there is one. */
async function storageRefusal(response) {
  const xml = new DOMParser().parseFromString(await response.text(), "application/xml");
  const code = xml.querySelector("Error > Code")?.textContent;
  const message = xml.querySelector("Error > Message")?.textContent;
  return ["HTTP " + response.status, code, message && "(" + message + ")"].filter(Boolean).join(" ");
}

$("#upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("#upload-file").files[0];
  const out = $("#upload-message");
  if (!file) { out.textContent = "Choose an image first."; return; }
  try {
    out.textContent = "Uploading " + file.name + "…";
    const { data: upload } = await api("POST", "/uploads", { contentType: file.type || "application/octet-stream", bytes: file.size, filename: file.name });
    const headers = Object.assign({}, upload.upload.headers); delete headers["content-length"];
    const put = await fetch(upload.upload.url, { method: "PUT", headers, body: file });
    if (!put.ok) throw new Error("storage refused the upload: " + await storageRefusal(put));
    const input = { source: upload.key };
    if ($("#upload-format").value) input.format = $("#upload-format").value;
    const task = await startTask("thumbnail", input);
    out.textContent = "Thumbnail task " + task.id + " started.";
  } catch (error) { if (!(error instanceof KeyRefused)) out.textContent = "Failed: " + error.message; }
});

$("#export-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const out = $("#export-message");
  const columns = $("#export-columns").value.split(",").map((c) => c.trim()).filter(Boolean);
  const input = { dataset: $("#export-dataset").value, format: $("#export-format").value };
  if (columns.length) input.columns = columns;
  try { const task = await startTask("export", input); out.textContent = "Export task " + task.id + " started."; }
  catch (error) { if (!(error instanceof KeyRefused)) out.textContent = "Failed: " + error.message; }
});

$("#key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("#key-input").value.trim();
  if (!key.startsWith("ofl_sk_")) { $("#key-message").textContent = "An API key starts with ofl_sk_."; return; }
  useKey(key);
});
$("#forget-key").addEventListener("click", () => { askForKey(); say("API key forgotten"); });
$("#filter-status").addEventListener("change", refreshList);
$("#filter-type").addEventListener("change", refreshList);
$("#refresh").addEventListener("click", refreshList);
if (apiKey()) useKey(apiKey()); else askForKey();
`;
