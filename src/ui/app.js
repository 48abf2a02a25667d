// ringboot's machines page: the table of machines and where each is in the
// boot chain, live from /api/v1/events (Server-Sent Events), with polling
// of /api/v1/machines while the stream is down. No framework, no external
// URL. Every string from the API reaches the DOM through textContent only.
"use strict";

const STAGES = ["discovered", "firmware_dhcp", "loader", "script", "kernel", "initrd", "installing", "done",
                "local", "failed"];
const IN_PROGRESS = new Set(["firmware_dhcp", "loader", "script", "kernel", "initrd", "installing"]);
const POLL_MS = 2000;           // the list, while the stream is down
const RECONNECT_MS = [1000, 2000, 5000, 10000, 30000];
const ROLLOUTS_MS = 5000;       // the rollouts' progress, at most this often
const PANEL_REFRESH_MS = 1000;  // the open timeline, at most this often

const machines = new Map();  // mac -> {m, row, cells}
let clockSkewMs = 0;         // server clock - ours, from the Date header
let source = null;           // the EventSource, while open
let live = false;            // the stream said hello
let pollTimer = 0;
let reconnectTimer = 0;
let reconnects = 0;
let rolloutsOn = true;       // false once /api/v1/rollouts answers 404
let rolloutsTimer = 0;
let rolloutNames = [];
let panelMac = "";
let panelTimer = 0;
let signedIn = false;

const $ = (id) => document.getElementById(id);

// --- small helpers -----------------------------------------------------------

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function now() { return Date.now() + clockSkewMs; }

function noteClock(response) {
  const date = Date.parse(response.headers.get("Date") || "");
  if (!Number.isNaN(date)) clockSkewMs = date - Date.now();
}

function duration(ms) {
  if (!(ms >= 0)) return "";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

function ago(time) {
  const t = Date.parse(time || "");
  return Number.isNaN(t) ? "" : `${duration(now() - t)} ago`;
}

function stageClass(stage) { return STAGES.includes(stage) ? `stage stage-${stage}` : "stage stage-unknown"; }

function isStuck(m) {
  if (m.stuck === true) return true;
  if (!IN_PROGRESS.has(m.stage) || !m.stuck_at) return false;
  const at = Date.parse(m.stuck_at);
  return !Number.isNaN(at) && now() > at;
}

function showError(text) {
  const e = $("error");
  e.textContent = text || "";
  e.hidden = !text;
}

function setConn(kind, text) {
  const c = $("conn");
  c.className = `conn conn-${kind}`;
  c.textContent = text;
}

// GET a JSON API path with the session cookie. Resolves to {status, body};
// a 401 shows the sign-in form.
async function getJson(path) {
  const response = await fetch(path, {credentials: "same-origin", headers: {Accept: "application/json"}});
  noteClock(response);
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  if (response.status === 401) showLogin();
  return {status: response.status, body};
}

// --- sign-in -----------------------------------------------------------------

function showLogin(reason) {
  signedIn = false;
  stopLive();
  $("main").hidden = true;
  $("panel").hidden = true;
  $("login").hidden = false;
  setConn("off", "signed out");
  const e = $("login-error");
  e.textContent = reason || "";
  e.hidden = !reason;
  $("token").focus();
}

// The form posts itself (a real form post: the token never sits in a URL);
// with script on it is posted by fetch so a wrong token is said in place.
// The answer is 303 to /ui/ with the session cookie, or 401.
async function submitLogin(event) {
  event.preventDefault();
  const form = $("login-form");
  const body = new URLSearchParams(new FormData(form));
  let response;
  try {
    response = await fetch(form.action, {method: "POST", body, credentials: "same-origin", redirect: "follow"});
  } catch (_) {
    form.submit();  // the plain post, if fetch cannot
    return;
  }
  if (response.status === 401 || response.status === 403) {
    let reason = "The server refused this token.";
    try {
      const j = await response.json();
      if (j && typeof j.error === "string") reason = `The server refused this token: ${j.error}`;
    } catch (_) { /* not JSON */ }
    showLogin(reason);
    return;
  }
  if (!response.ok) {
    showLogin(`Sign-in failed: HTTP ${response.status}`);
    return;
  }
  $("token").value = "";
  start();
}

// --- the table ---------------------------------------------------------------

function rowFor(mac) {
  let entry = machines.get(mac);
  if (entry) return entry;
  const row = el("tr");
  row.tabIndex = 0;
  const cells = {};
  for (const name of ["mac", "hostname", "ip", "arch", "stage", "since", "last"]) {
    cells[name] = el("td", `col-${name}`);
    row.appendChild(cells[name]);
  }
  cells.badge = el("span");
  cells.stage.appendChild(cells.badge);
  cells.stuck = el("span", "stuck-tag", "stuck");
  cells.stage.appendChild(cells.stuck);
  cells.lastStep = el("span", "last-step");
  cells.lastDetail = el("span", "last-detail");
  cells.lastAgo = el("span", "last-ago");
  cells.last.append(cells.lastStep, cells.lastDetail, cells.lastAgo);
  row.dataset.mac = mac;
  row.addEventListener("click", () => openPanel(mac));
  row.addEventListener("keydown", (e) => { if (e.key === "Enter") openPanel(mac); });
  entry = {m: null, row, cells};
  machines.set(mac, entry);
  // Sorted by MAC: the new row goes before the first greater one.
  const body = $("machine-rows");
  let before = null;
  for (const other of body.children) {
    if (other.dataset.mac > mac) { before = other; break; }
  }
  body.insertBefore(row, before);
  return entry;
}

function arch(m) {
  if (m.buildarch && m.platform) return `${m.buildarch}/${m.platform}`;
  return m.buildarch || m.platform || "";
}

function fill(entry, m) {
  const c = entry.cells;
  entry.m = m;
  c.mac.textContent = m.mac;
  c.hostname.textContent = m.hostname || (m.dhcp && m.dhcp.hostname) || "";
  c.ip.textContent = m.ip || m.ip6 || "";
  c.arch.textContent = arch(m);
  c.badge.className = stageClass(m.stage);
  c.badge.textContent = m.stage || "?";
  entry.row.dataset.stage = m.stage || "";
  entry.row.classList.toggle("failed", m.stage === "failed" || m.state === "failed");
  const last = m.last_event;
  c.lastStep.textContent = last ? last.step : (m.last_seen ? "seen" : "");
  c.lastDetail.textContent = last ? last.detail : "";
  c.last.title = last ? `${last.time} ${last.step} ${last.detail}` : (m.last_seen || "");
  tick(entry);
}

// What changes with time alone: time in stage, stuck, "ago".
function tick(entry) {
  const m = entry.m;
  const since = Date.parse(m.stage_since || "");
  entry.cells.since.textContent = Number.isNaN(since) ? "" : duration(now() - since);
  const stuck = isStuck(m);
  entry.row.classList.toggle("stuck", stuck);
  entry.cells.stuck.hidden = !stuck;
  entry.cells.lastAgo.textContent = ago(m.last_event ? m.last_event.time : m.last_seen);
}

function upsert(m) {
  if (!m || typeof m.mac !== "string") return;
  const entry = rowFor(m.mac);
  fill(entry, m);
  refreshOptions();
  applyFilters();
  if (panelMac === m.mac) schedulePanel();
  scheduleRollouts();
}

// The whole list: rows updated in place, new ones added, gone ones removed.
function replaceAll(list) {
  const seen = new Set();
  for (const m of list) {
    if (!m || typeof m.mac !== "string") continue;
    seen.add(m.mac);
    fill(rowFor(m.mac), m);
  }
  for (const [mac, entry] of machines) {
    if (!seen.has(mac)) {
      entry.row.remove();
      machines.delete(mac);
    }
  }
  refreshOptions();
  applyFilters();
}

async function loadList() {
  const {status, body} = await getJson("/api/v1/machines");
  if (status === 401) return false;
  if (status !== 200 || !body) {
    showError(`GET /api/v1/machines: HTTP ${status}${body && body.error ? `: ${body.error}` : ""}`);
    return false;
  }
  showError("");
  replaceAll(Array.isArray(body) ? body : (body.machines || []));
  return true;
}

// --- filters (in the URL's hash: #stage=done&label=rack%3Da1&rollout=r1) ------

const FILTERS = ["stage", "label", "rollout"];

function filtersFromHash() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const f = {};
  for (const k of FILTERS) f[k] = params.get(k) || "";
  return f;
}

function currentFilters() {
  const f = {};
  for (const k of FILTERS) f[k] = $(`filter-${k}`).value;
  return f;
}

function writeHash(f) {
  const params = new URLSearchParams();
  for (const k of FILTERS) if (f[k]) params.set(k, f[k]);
  const hash = params.toString();
  history.replaceState(null, "", hash ? `#${hash}` : location.pathname + location.search);
}

function matches(m, f) {
  if (f.stage === "stuck") { if (!isStuck(m)) return false; }
  else if (f.stage && m.stage !== f.stage) return false;
  if (f.label && !(Array.isArray(m.labels) && m.labels.includes(f.label))) return false;
  if (f.rollout && m.rollout !== f.rollout) return false;
  return true;
}

function applyFilters() {
  const f = currentFilters();
  let shown = 0;
  for (const entry of machines.values()) {
    const visible = matches(entry.m, f);
    entry.row.hidden = !visible;
    if (visible) ++shown;
  }
  $("shown").textContent = `${shown} of ${machines.size} shown`;
  $("empty").hidden = shown > 0;
  summarise();
}

// Keeps a select's options equal to `values` (sorted), its selection kept,
// even a value no machine has yet (from the hash).
function setOptions(select, values, labelOf) {
  const keep = select.value;
  const wanted = [...new Set(values)].filter((v) => v).sort();
  if (keep && !wanted.includes(keep)) wanted.push(keep);
  const have = [...select.options].slice(1).map((o) => o.value);
  if (have.length === wanted.length && have.every((v, i) => v === wanted[i])) return;
  while (select.options.length > 1) select.remove(1);
  for (const v of wanted) {
    const o = el("option", "", labelOf ? labelOf(v) : v);
    o.value = v;
    select.appendChild(o);
  }
  select.value = keep;
}

function refreshOptions() {
  const labels = [];
  const rollouts = [...rolloutNames];
  for (const {m} of machines.values()) {
    if (Array.isArray(m.labels)) labels.push(...m.labels);
    if (m.rollout) rollouts.push(m.rollout);
  }
  setOptions($("filter-label"), labels);
  setOptions($("filter-rollout"), rollouts);
}

function initFilters() {
  const stage = $("filter-stage");
  for (const s of [...STAGES, "stuck"]) {
    const o = el("option", "", s === "stuck" ? "stuck (any stage)" : s);
    o.value = s;
    stage.appendChild(o);
  }
  const fromHash = () => {
    const f = filtersFromHash();
    for (const k of FILTERS) {
      const select = $(`filter-${k}`);
      if (f[k] && ![...select.options].some((o) => o.value === f[k])) {
        const o = el("option", "", f[k]);
        o.value = f[k];
        select.appendChild(o);
      }
      select.value = f[k];
    }
    applyFilters();
  };
  for (const k of FILTERS) {
    $(`filter-${k}`).addEventListener("change", () => {
      writeHash(currentFilters());
      applyFilters();
    });
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
}

function summarise() {
  const counts = new Map();
  let stuck = 0;
  for (const {m} of machines.values()) {
    counts.set(m.stage, (counts.get(m.stage) || 0) + 1);
    if (isStuck(m)) ++stuck;
  }
  const parts = [`${machines.size} machines`];
  for (const s of STAGES) if (counts.get(s)) parts.push(`${s} ${counts.get(s)}`);
  if (stuck) parts.push(`stuck ${stuck}`);
  $("summary").textContent = parts.join(" · ");
}

// --- rollouts ----------------------------------------------------------------

function scheduleRollouts() {
  if (!rolloutsOn || rolloutsTimer) return;
  rolloutsTimer = setTimeout(() => { rolloutsTimer = 0; loadRollouts(); }, ROLLOUTS_MS);
}

async function loadRollouts() {
  if (!rolloutsOn) return;
  let result;
  try { result = await getJson("/api/v1/rollouts"); } catch (_) { return; }
  const {status, body} = result;
  if (status === 404) {  // a server without rollouts: no section
    rolloutsOn = false;
    $("rollouts").hidden = true;
    return;
  }
  if (status !== 200 || !body) return;
  const list = Array.isArray(body) ? body : (body.rollouts || []);
  rolloutNames = list.map((r) => r && r.name).filter((n) => typeof n === "string");
  refreshOptions();
  renderRollouts(list);
}

function segment(className, count, total, title) {
  const s = el("span", `seg ${className}`);
  s.style.width = `${total > 0 ? (100 * count) / total : 0}%`;  // CSSOM, allowed by the CSP
  s.title = title;
  return s;
}

function renderRollouts(list) {
  const box = $("rollout-list");
  box.replaceChildren();
  $("rollouts").hidden = list.length === 0;
  for (const r of list) {
    if (!r || typeof r.name !== "string") continue;
    const total = Number(r.machines) || 0;
    const done = Number(r.done) || 0;
    const failed = Number(r.failed) || 0;
    const stuck = Number(r.stuck) || 0;
    const item = el("div", "rollout");
    const name = el("button", "rollout-name", r.name);
    name.type = "button";
    name.title = "show only this rollout's machines";
    name.addEventListener("click", () => {
      $("filter-rollout").value = r.name;
      writeHash(currentFilters());
      applyFilters();
    });
    const bar = el("div", "progress");
    bar.append(segment("seg-done", done, total, `done ${done}`),
               segment("seg-failed", failed, total, `failed ${failed}`),
               segment("seg-stuck", stuck, total, `stuck ${stuck}`));
    const stages = r.stages && typeof r.stages === "object" ? r.stages : {};
    const detail = Object.entries(stages).filter(([, n]) => n).map(([s, n]) => `${s} ${n}`).join(" · ");
    const p50 = r.time_to_done_p50_s, p99 = r.time_to_done_p99_s;
    const times = typeof p50 === "number" ? `to done p50 ${duration(p50 * 1000)} p99 ${duration(p99 * 1000)}` : "";
    item.append(name, bar,
                el("span", "rollout-count", `${done}/${total} done${failed ? `, ${failed} failed` : ""}` +
                                                `${stuck ? `, ${stuck} stuck` : ""}`),
                el("span", "rollout-detail", [detail, times].filter((x) => x).join(" — ")));
    box.appendChild(item);
  }
}

// --- the side panel: one machine's timeline ---------------------------------

function fact(dl, name, value) {
  if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) return;
  dl.append(el("dt", "", name), el("dd", "", Array.isArray(value) ? value.join(", ") : value));
}

function schedulePanel() {
  if (panelTimer) return;
  panelTimer = setTimeout(() => { panelTimer = 0; if (panelMac) loadPanel(panelMac); }, PANEL_REFRESH_MS);
}

function openPanel(mac) {
  panelMac = mac;
  for (const {row} of machines.values()) row.classList.toggle("selected", row.dataset.mac === mac);
  $("panel-title").textContent = mac;
  $("panel").hidden = false;
  document.body.classList.add("panel-open");
  loadPanel(mac);
}

function closePanel() {
  panelMac = "";
  $("panel").hidden = true;
  document.body.classList.remove("panel-open");
  for (const {row} of machines.values()) row.classList.remove("selected");
}

async function loadPanel(mac) {
  let result;
  try { result = await getJson(`/api/v1/machines/${encodeURIComponent(mac)}`); } catch (_) { return; }
  if (mac !== panelMac) return;
  const {status, body: m} = result;
  const facts = $("panel-facts");
  const timeline = $("panel-timeline");
  const events = $("panel-events");
  facts.replaceChildren();
  timeline.replaceChildren();
  events.replaceChildren();
  if (status !== 200 || !m) {
    fact(facts, "error", `HTTP ${status}${m && m.error ? `: ${m.error}` : ""}`);
    return;
  }
  $("panel-title").textContent = m.hostname ? `${m.hostname} (${m.mac})` : m.mac;
  fact(facts, "stage", m.stage);
  fact(facts, "state", m.state);
  fact(facts, "profile", m.profile ? `${m.profile}${m.once ? " (once)" : ""}, from ${m.profile_source}` : "");
  fact(facts, "install", m.install_attempts !== undefined ? `${m.install_attempts} of ${m.install_attempts_max}` : "");
  fact(facts, "rollout", m.rollout);
  fact(facts, "ip", m.ip);
  fact(facts, "ip6", m.ip6);
  fact(facts, "arch", arch(m));
  fact(facts, "uuid", m.uuid);
  fact(facts, "labels", m.labels);
  fact(facts, "first seen", m.first_seen);
  fact(facts, "last seen", m.last_seen);
  let previous = NaN;
  for (const e of Array.isArray(m.timeline) ? m.timeline : []) {
    const li = el("li", "step");
    li.dataset.step = e.step;
    const t = Date.parse(e.time);
    const delta = Number.isNaN(previous) || Number.isNaN(t) ? "" : `+${duration(t - previous)}`;
    previous = t;
    li.append(el("time", "", (e.time || "").replace("T", " ").replace("Z", "")), el("span", "delta", delta),
              el("span", "step-name", e.step), el("span", "step-detail", e.detail));
    timeline.appendChild(li);
  }
  if (!timeline.children.length) timeline.appendChild(el("li", "none", "no steps yet"));
  for (const e of Array.isArray(m.events) ? m.events : []) {
    const li = el("li", "step");
    li.append(el("time", "", (e.time || "").replace("T", " ").replace("Z", "")), el("span", "step-detail", e.message));
    events.appendChild(li);
  }
  if (!events.children.length) events.appendChild(el("li", "none", "none"));
}

// --- live: the event stream, else polling -------------------------------------

function stopLive() {
  if (source) { source.close(); source = null; }
  live = false;
  clearInterval(pollTimer);
  pollTimer = 0;
  clearTimeout(reconnectTimer);
  reconnectTimer = 0;
}

function startPolling() {
  if (pollTimer) return;
  pollTimer = setInterval(() => { if (signedIn) loadList().catch(() => setConn("off", "server unreachable")); },
                          POLL_MS);
}

function connect() {
  if (!signedIn || source) return;
  reconnectTimer = 0;
  const es = new EventSource("/api/v1/events");  // same origin: the session cookie goes with it
  source = es;
  es.addEventListener("hello", () => {
    live = true;
    reconnects = 0;
    clearInterval(pollTimer);
    pollTimer = 0;
    setConn("live", "live");
  });
  es.addEventListener("machine", (e) => {
    let m;
    try { m = JSON.parse(e.data); } catch (_) { return; }
    upsert(m);
  });
  es.addEventListener("reset", () => { loadList().catch(() => {}); });
  es.onerror = () => {
    // Closed, refused or cut: reload the list, poll meanwhile, reconnect later.
    es.close();
    if (source === es) source = null;
    live = false;
    if (!signedIn) return;
    setConn("poll", `polling every ${POLL_MS / 1000} s`);
    loadList().catch(() => setConn("off", "server unreachable"));
    startPolling();
    const wait = RECONNECT_MS[Math.min(reconnects, RECONNECT_MS.length - 1)];
    ++reconnects;
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, wait);
  };
}

async function start() {
  let ok;
  try { ok = await loadList(); } catch (_) {
    setConn("off", "server unreachable");
    setTimeout(start, POLL_MS);
    return;
  }
  if (!ok) {
    if ($("login").hidden) setTimeout(start, POLL_MS);  // an error other than 401: try again
    return;
  }
  signedIn = true;
  $("login").hidden = true;
  $("main").hidden = false;
  setConn("poll", "connecting");
  rolloutsOn = true;
  loadRollouts();
  connect();
}

function init() {
  $("login-form").addEventListener("submit", submitLogin);
  $("panel-close").addEventListener("click", closePanel);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closePanel(); });
  initFilters();
  setInterval(() => {
    for (const entry of machines.values()) tick(entry);
    const f = currentFilters();
    if (f.stage === "stuck") applyFilters(); else summarise();
  }, 1000);
  start();
}

document.addEventListener("DOMContentLoaded", init);
