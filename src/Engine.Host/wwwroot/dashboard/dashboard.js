// The operator dashboard: polls the engine's own API with the operator's token, draws without any library.
"use strict";

const state = { token: sessionStorage.getItem("engine-token") || "", samples: [], previous: null };
const $ = (selector) => document.querySelector(selector);

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "Authorization": `Bearer ${state.token}`, "Content-Type": "application/json", ...(options.headers || {}) },
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) {
    throw new Error(body && body.detail ? body.detail : `${response.status} ${response.statusText}`);
  }
  return body;
}

// An action's outcome (a redrive) stays 10 s, so the next poll's "connected" does not hide it at once.
function setStatus(text, failed, hold = false) {
  if (!hold && !failed && Date.now() < (state.heldUntil || 0)) { return; }
  state.heldUntil = hold ? Date.now() + 10000 : 0;
  const status = $("#status");
  status.textContent = text;
  status.style.color = failed ? "#ffb4b4" : "#c8f7c5";
}

function fillTable(selector, rows) {
  const body = $(`${selector} tbody`);
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    for (const cell of cells) {
      const td = document.createElement("td");
      if (cell instanceof Node) { td.append(cell); } else { td.textContent = cell; }
      if (typeof cell === "number") { td.className = "number"; }
      tr.append(td);
    }
    return tr;
  }));
}

function percent(rate, digits) {
  return rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(digits)}%`;
}

function rateCell(rate, warn, pause, digits) {
  const span = document.createElement("span");
  span.textContent = percent(rate, digits);
  if (rate !== null && rate !== undefined) {
    span.className = rate >= pause ? "over-pause" : rate >= warn ? "over-warn" : "";
  }
  return span;
}

function drawRate() {
  const canvas = $("#rate");
  const context = canvas.getContext("2d");
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const samples = state.samples;
  if (samples.length === 0) { return; }
  const top = Math.max(1, ...samples.map((s) => Math.max(s.rate, s.limit))) * 1.15;
  const x = (i) => (i / Math.max(1, samples.length - 1)) * (width - 40) + 30;
  const y = (v) => height - 20 - (v / top) * (height - 30);
  context.strokeStyle = "#dde3ea";
  context.fillStyle = "#6b7785";
  context.font = "11px system-ui";
  for (const fraction of [0, 0.5, 1]) {
    const value = top * fraction;
    context.beginPath(); context.moveTo(30, y(value)); context.lineTo(width - 10, y(value)); context.stroke();
    context.fillText(value.toFixed(0), 2, y(value) + 4);
  }
  const line = (key, color) => {
    context.strokeStyle = color; context.lineWidth = 2; context.beginPath();
    samples.forEach((s, i) => (i === 0 ? context.moveTo(x(i), y(s[key])) : context.lineTo(x(i), y(s[key]))));
    context.stroke();
  };
  line("limit", "#b00020");
  line("rate", "#2f7ed8");
}

async function refreshSummary() {
  const summary = await api("/dashboard/summary");
  const sent = summary.sentTotal.email || 0;
  const at = Date.parse(summary.at);
  if (state.previous) {
    const seconds = Math.max(0.001, (at - state.previous.at) / 1000);
    const limit = summary.rateLimit.email;
    state.samples.push({ rate: Math.max(0, sent - state.previous.sent) / seconds, limit: limit ?? 0 });
    state.samples = state.samples.slice(-90);
    $("#rate-now").textContent = `${state.samples.at(-1).rate.toFixed(1)}/s of ${limit === null || limit === undefined ? "unlimited" : `${limit}/s`}`;
  }
  state.previous = { at, sent };
  drawRate();

  fillTable("#providers", summary.providers.map((p) => {
    const state = document.createElement("span");
    state.className = p.up ? "up" : "down";
    state.textContent = p.up ? "up" : `down (${p.failuresSinceUp} failed calls)`;
    return [p.provider, state, p.lastFailureAt || "never", p.lastFailure || ""];
  }));
  fillTable("#queues", Object.entries(summary.queueDepths).sort().map(([queue, depth]) => [queue, depth]));
  fillTable("#outcomes", Object.entries(summary.outcomes).sort().map(([outcome, count]) => [outcome, count]));
  const t = summary.thresholds;
  fillTable("#reputation", summary.reputation.rates.map((r) => [
    r.scope, r.sent, rateCell(r.bounceRate, t.warnBounceRate, t.pauseBounceRate, 1), rateCell(r.complaintRate, t.warnComplaintRate, t.pauseComplaintRate, 2),
  ]));
  const pauses = $("#pauses");
  pauses.replaceChildren(...summary.reputation.pauses.filter((p) => p.paused).map((p) => {
    const div = document.createElement("div");
    div.className = "paused";
    div.textContent = `${p.category} email paused since ${p.changedAt} by ${p.changedBy}: ${p.reason}`;
    return div;
  }), ...summary.reputation.warnings.map((w) => {
    const div = document.createElement("div");
    div.className = "over-warn";
    div.textContent = `warning: ${w}`;
    return div;
  }));
}

async function refreshDeadLetters() {
  const letters = await api("/dlq/requests?max=50");
  fillTable("#dlq", letters.map((letter) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Redrive";
    button.dataset.id = letter.sqsMessageId;
    button.addEventListener("click", () => redrive([letter.sqsMessageId]));
    return [letter.messageId || letter.sqsMessageId, letter.attempts ?? "", letter.error || "", button];
  }));
}

async function refreshCluster() {
  const cluster = await api("/cluster");
  const shards = new Map(cluster.shards.map((s) => [s.address, s]));
  $("#cluster-summary").textContent = `this node: ${cluster.self} · leader: ${cluster.leader || "none (not converged)"}` +
    (cluster.unreachable.length ? ` · unreachable: ${cluster.unreachable.join(", ")}` : "");
  fillTable("#cluster", cluster.members.map((m) => {
    const reachable = document.createElement("span");
    reachable.className = m.reachable ? "up" : "down";
    reachable.textContent = m.reachable ? "yes" : "no";
    const node = shards.get(m.address);
    return [m.address + (m.address === cluster.leader ? " (leader)" : ""), m.status, reachable, m.upSince || "–", m.roles.join(", "),
      node ? node.shards : "–", node ? node.entities : "–"];
  }));
}

async function redrive(ids) {
  try {
    const result = await api("/dlq/requests/redrive", { method: "POST", body: JSON.stringify({ messageIds: ids }) });
    setStatus(`redriven: ${result.done.length}`, false, true);
    await refreshDeadLetters();
  } catch (error) {
    setStatus(`redrive failed: ${error.message}`, true, true);
  }
}

async function lookup(key) {
  const trimmed = key.trim();
  const path = trimmed.includes("@") ? `/recipients/email/${encodeURIComponent(trimmed)}`
    : trimmed.startsWith("+") ? `/recipients/sms/${encodeURIComponent(trimmed)}`
    : `/messages/${encodeURIComponent(trimmed)}`;
  const summary = $("#lookup-summary");
  try {
    const result = await api(path);
    const facts = result.messageId
      ? { message: result.messageId, recipient: result.recipient, status: result.status, reason: result.reason || "–", opens: result.opens, clicks: result.clicks }
      : { recipient: result.key, suppressed: result.suppression ? `${result.suppression.reason}: ${result.suppression.note || ""}` : "no",
          "soft bounces in a row": result.consecutiveTransientBounces, "recent messages": result.recent.length };
    summary.replaceChildren(...Object.entries(facts).flatMap(([name, value]) => {
      const dt = document.createElement("dt"); dt.textContent = name;
      const dd = document.createElement("dd"); dd.textContent = value; dd.dataset.fact = name;
      return [dt, dd];
    }));
    $("#lookup-result").textContent = JSON.stringify(result, null, 2);
  } catch (error) {
    summary.replaceChildren();
    $("#lookup-result").textContent = error.message;
  }
}

async function refresh() {
  if (!state.token) { setStatus("enter a token", true); return; }
  try {
    await Promise.all([refreshSummary(), refreshDeadLetters(), refreshCluster()]);
    setStatus(`connected · ${new Date().toLocaleTimeString()}`, false);
  } catch (error) {
    setStatus(error.message, true);
  }
}

$("#connect").addEventListener("submit", (event) => {
  event.preventDefault();
  state.token = $("#token").value.trim();
  sessionStorage.setItem("engine-token", state.token);
  state.samples = []; state.previous = null;
  refresh();
});
$("#lookup").addEventListener("submit", (event) => { event.preventDefault(); lookup($("#lookup-key").value); });
$("#redrive-all").addEventListener("click", () => redrive([]));
$("#token").value = state.token;
setInterval(refresh, 2000);
refresh();
