/**
 * The dashboard page: one small HTML document with its CSS and script inlined (no build step, no framework). The page
 * itself is public and holds no credential, except on the local stack: there `npm start` has the page prefill its API
 * key form with the development key.
 */
import { DASHBOARD_JS } from "./script.ts";
import { DASHBOARD_CSS } from "./style.ts";

const STATUSES = ["scheduled", "queued", "running", "retrying", "succeeded", "failed", "cancelled"];

export interface DashboardOptions {
  /** Prefills the key form (the local stack's development key). Never set on AWS: it would publish the key. */
  readonly devApiKey?: string | undefined;
}

/** The page for a deployment running these task types. */
export function dashboardHtml(taskTypes: readonly string[], dashboard: DashboardOptions = {}): string {
  const options = (values: readonly string[]) => values.map((v) => `<option value="${v}">${v}</option>`).join("");
  const devKey = dashboard.devApiKey;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Offload dashboard</title>
<style>${DASHBOARD_CSS}</style>
</head>
<body>
<header><h1>Offload</h1><p>Background tasks: start them, watch them, fetch their results.</p>
  <p id="key-status" hidden>Key <code id="key-prefix"></code> <button id="forget-key" class="link" type="button">Forget key</button></p></header>
<p id="announce" class="visually-hidden" aria-live="polite" role="status"></p>
<main>
<section class="card" id="key-card" aria-labelledby="key-title">
  <h2 id="key-title">API key</h2>
  <form id="key-form">
    <p>The dashboard calls the API with an API key (<code>ofl_sk_…</code>). It stays in this tab only and is forgotten when the tab closes.</p>
    <label for="key-input">API key</label>
    <input id="key-input" name="key" type="password" autocomplete="off" spellcheck="false" required${devKey ? ` value="${escapeHtml(devKey)}"` : ""}>
    ${devKey ? '<p id="key-dev-note">Prefilled with the development key of <code>npm start</code> (local stack only).</p>' : ""}
    <button id="key-submit" type="submit">Use this key</button>
    <p id="key-message" class="error" role="alert"></p>
  </form>
</section>
<div id="app" hidden>
<div class="grid">
  <section class="card" aria-labelledby="upload-title">
    <h2 id="upload-title">Thumbnails from an image</h2>
    <form id="upload-form">
      <label for="upload-file">Image (JPEG, PNG, WebP, GIF, AVIF, TIFF; up to 25 MiB)</label>
      <input id="upload-file" name="file" type="file" accept="image/*" required>
      <label for="upload-format">Output format</label>
      <select id="upload-format" name="format"><option value="">JPEG (default)</option><option value="webp">WebP</option><option value="avif">AVIF</option></select>
      <button id="upload-submit" type="submit">Upload and create thumbnails</button>
      <p id="upload-message" aria-live="polite"></p>
    </form>
  </section>
  <section class="card" aria-labelledby="export-title">
    <h2 id="export-title">Export a dataset</h2>
    <form id="export-form">
      <label for="export-dataset">Dataset</label>
      <select id="export-dataset" name="dataset"><option value="orders">orders</option></select>
      <label for="export-columns">Columns (comma-separated; empty for the defaults)</label>
      <input id="export-columns" name="columns" type="text" placeholder="orderId,customerId,total">
      <label for="export-format">Format</label>
      <select id="export-format" name="format"><option value="csv">CSV</option><option value="jsonl">JSON Lines</option></select>
      <button id="export-submit" type="submit">Start export</button>
      <p id="export-message" aria-live="polite"></p>
    </form>
  </section>
</div>
<section class="card" id="detail" hidden aria-labelledby="detail-title">
  <h2 id="detail-title">Task</h2>
  <div id="detail-body" aria-live="polite"></div>
</section>
<section aria-labelledby="tasks-title">
  <h2 id="tasks-title">Recent tasks</h2>
  <div class="filters">
    <div><label for="filter-status">Status</label><select id="filter-status"><option value="">any</option>${options(STATUSES)}</select></div>
    <div><label for="filter-type">Type</label><select id="filter-type"><option value="">any</option>${options(taskTypes)}</select></div>
    <button id="refresh" type="button">Refresh</button>
  </div>
  <table id="tasks"><caption class="visually-hidden">Newest first; live tasks update as they change</caption>
    <thead><tr><th scope="col">Task</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Updated</th></tr></thead>
    <tbody></tbody></table>
  <p id="list-empty" hidden>No tasks yet.</p>
</section>
</div>
</main>
<script>${DASHBOARD_JS}</script>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
