// The dashboard: polls the JSON API and renders it; forms post to the demo wallet (embedded
// chain) or show where the Solana Actions are (cluster).
"use strict";
const $ = (id) => document.getElementById(id);
const sol = (lamports) => (lamports / 1e9).toLocaleString("en-US", { maximumFractionDigits: 4 });
const pct = (bps) => (bps === null || bps === undefined ? "n/a" : (bps / 100).toFixed(2) + "%");
let info = null;
let paramsLoaded = false;
let lastEventCount = -1;

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({ message: response.statusText }));
  if (!response.ok) throw new Error(body.message || response.statusText);
  return body;
}

function post(path, value) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(value) });
}

function say(id, text, ok) {
  const el = $(id);
  el.textContent = text;
  el.className = ok ? "ok" : "error";
}

// A transaction's signature: a link to the cluster's explorer where there is one (the embedded
// chain has none, and shows the signature alone).
function transaction(signature) {
  if (!signature) return document.createTextNode("");
  const short = signature.slice(0, 8) + "…" + signature.slice(-8);
  if (!info.explorer_tx) {
    const span = document.createElement("span");
    span.textContent = short;
    span.title = signature;
    span.className = "signature";
    return span;
  }
  const a = document.createElement("a");
  a.href = info.explorer_tx.replace("{signature}", encodeURIComponent(signature));
  a.textContent = short;
  a.title = signature;
  a.target = "_blank";
  a.rel = "noopener";
  a.className = "signature";
  return a;
}

function reported(id, r) {
  say(id, r.message, true);
  if (r.signature) {
    const el = $(id);
    el.appendChild(document.createTextNode(" · "));
    el.appendChild(transaction(r.signature));
  }
}

function rows(id, pairs) {
  const table = $(id);
  table.innerHTML = "";
  for (const [k, v] of pairs) {
    const tr = table.insertRow();
    const th = document.createElement("th");
    th.textContent = k;
    tr.appendChild(th);
    tr.insertCell().textContent = v;
  }
}

function gauge(ltv) {
  const scale = 100; // percent across the gauge
  const at = (bps) => Math.min(100, (bps / 100 / scale) * 100) + "%";
  $("gauge-band").style.left = at(ltv.target_low_bps);
  $("gauge-band").style.width = `calc(${at(ltv.target_high_bps)} - ${at(ltv.target_low_bps)})`;
  $("gauge-trigger").style.left = at(ltv.unwind_trigger_bps);
  $("gauge-liquidation").hidden = ltv.liquidation_ltv_bps === null;
  if (ltv.liquidation_ltv_bps !== null) $("gauge-liquidation").style.left = at(ltv.liquidation_ltv_bps);
  $("gauge-marker").hidden = ltv.market_ltv_bps === null;
  if (ltv.market_ltv_bps !== null) $("gauge-marker").style.left = at(ltv.market_ltv_bps);
  $("gauge-legend").textContent =
    `LTV ${pct(ltv.market_ltv_bps)} · band ${pct(ltv.target_low_bps)}–${pct(ltv.target_high_bps)} · ` +
    `unwind above ${pct(ltv.unwind_trigger_bps)} to ${pct(ltv.unwind_target_bps)} · liquidation ${pct(ltv.liquidation_ltv_bps)}`;
}

function allocation(a) {
  const parts = [
    ["SOL reserve", a.sol_reserve_lamports, "#90caf9"],
    ["LST held", a.lst_lamports, "#ffcc80"],
    ["Lending collateral", a.lending_collateral_lamports, "#a5d6a7"],
    ["Pool", a.pool_lamports, "#ce93d8"],
  ];
  const gross = parts.reduce((s, p) => s + p[1], 0) || 1;
  const bar = $("allocation-bar");
  bar.innerHTML = "";
  for (const [name, value, color] of parts) {
    const d = document.createElement("div");
    d.style.width = (100 * value / gross) + "%";
    d.style.background = color;
    d.title = name;
    bar.appendChild(d);
  }
  rows("allocation", parts.map(([n, v]) => [n, `${sol(v)} SOL (${(100 * v / gross).toFixed(1)}%)`])
    .concat([["Debt", `${sol(a.lending_debt_lamports)} SOL`]]));
}

async function refresh() {
  const v = await api(`/api/vault/${info.vault}`);
  $("tvl").textContent = sol(v.tvl_lamports) + " SOL";
  $("share-price").textContent = (v.share_price_lamports / 1e9).toFixed(9) + " SOL";
  $("apy").textContent = v.trailing_apy_7d === null ? "n/a" : (100 * v.trailing_apy_7d).toFixed(2) + "%";
  $("leverage").textContent = v.leverage.toFixed(2) + "x";
  $("ltv").textContent = pct(v.ltv.market_ltv_bps);
  $("ltv-state").textContent = v.ltv.state;
  $("paused").hidden = !v.paused;
  gauge(v.ltv);
  allocation(v.allocation);
  const p = v.positions;
  rows("positions", [
    ["LST held", sol(p.lst_held)],
    ["Collateral (LST)", sol(p.collateral_lst)],
    ["Debt (SOL)", sol(p.debt_lamports)],
    ["Pool tokens", p.pool_tokens.toString()],
    ["Pool share", `${sol(p.pool_lst)} LST + ${sol(p.pool_lamports)} SOL`],
    ["Locked profit", sol(v.locked_profit_lamports) + " SOL"],
    ["Shares outstanding", sol(v.share_supply)],
  ]);
  rows("prices", [
    ["Stake-pool rate", v.prices.stake_pool_rate.toFixed(6) + " SOL/LST"],
    ["SOL/USD (lending oracle)", v.prices.sol_usd === null ? "n/a" : v.prices.sol_usd.toFixed(2)],
    ["LST/USD (lending oracle)", v.prices.lst_usd === null ? "n/a" : v.prices.lst_usd.toFixed(2)],
    ["Pool: SOL per LST sold", v.prices.pool_sol_per_lst === null ? "n/a" : v.prices.pool_sol_per_lst.toFixed(6)],
    ["Slot / epoch", `${v.slot} / ${v.epoch}`],
  ]);
  const k = v.keeper;
  if (k) {
    $("keeper-status").textContent = k.last_error ? "error: " + k.last_error : (k.running ? "running" : "starting");
    $("keeper-passes").textContent = k.passes;
    $("keeper-unwinds").textContent = k.unwinds;
    $("keeper-last-unwind").textContent = k.last_unwind || "none";
    $("keeper-actions").textContent = k.last_actions.join("; ");
  } else {
    $("keeper-status").textContent = "not run by this server (run ballast-keeper)";
  }
  const r = v.replay;
  if (r && r.scenario) {
    $("replay-status").textContent = `${r.scenario}: step ${r.step} of ${r.steps}, minute ${r.minute.toFixed(1)}, ` +
      `SOL $${r.sol_usd.toFixed(2)}, LST/SOL ${r.lst_sol.toFixed(4)} of the rate` +
      (r.running ? " (running)" : " (done)") + (r.error ? ` error: ${r.error}` : "");
  }
  rows("params", Object.entries(v.risk_params));
  $("pending").textContent = v.pending_risk_params
    ? `ETA unix ${v.pending_risk_params.eta_unix} (in ${v.pending_risk_params.eta_in_secs} s): ` +
      JSON.stringify(v.pending_risk_params.params)
    : "none";
  if (!paramsLoaded) {
    $("dao-params").value = JSON.stringify(v.risk_params, null, 2);
    paramsLoaded = true;
  }
  await history();
  await wallet();
}

async function history() {
  const h = await api(`/api/vault/${info.vault}/history`);
  const count = h.events.length + h.ltv.length;
  if (count !== lastEventCount) {
    lastEventCount = count;
    const t = Date.now();
    $("chart-price").src = `/api/vault/${info.vault}/chart/share-price.svg?t=${t}`;
    $("chart-ltv").src = `/api/vault/${info.vault}/chart/ltv.svg?t=${t}`;
  }
  const body = $("events").tBodies[0];
  body.innerHTML = "";
  for (const e of h.events.slice(0, 40)) {
    const tr = body.insertRow();
    tr.insertCell().textContent = e.slot;
    tr.insertCell().textContent = e.kind;
    tr.insertCell().textContent = e.detail;
    tr.insertCell().appendChild(transaction(e.signature));
    tr.className = "event-" + e.kind.replace(/\s+/g, "-");
  }
}

async function wallet() {
  if (!info.demo_wallet) return;
  const w = await api(`/api/vault/${info.vault}/position/${info.demo_wallet}`);
  $("wallet-sol").textContent = w.sol;
  $("wallet-shares").textContent = w.shares_text;
  $("wallet-value").textContent = w.value_sol + " SOL";
}

async function act(verb, input) {
  const amount = $(input).value;
  const button = $(verb + "-button");
  button.disabled = true;
  try {
    const r = await post(`/api/demo/${verb}`, { amount });
    reported("message", r);
    $(input).value = "";
  } catch (e) {
    say("message", e.message, false);
  } finally {
    button.disabled = false;
    await refresh().catch(() => {});
  }
}

async function dao(verb) {
  try {
    const body = verb === "propose" ? JSON.parse($("dao-params").value) : {};
    const r = await post(`/api/dao/${info.vault}/${verb}`, body);
    say("dao-message", r.note || "ready to sign", true);
    $("dao-output").textContent = r.transactions
      .map((t) => `${t.label} (hold-up ${t.hold_up_secs} s)\nmessage (base64):\n${t.message_base64}\n` +
        `SPL Governance instruction (base64):\n${t.governance_instruction_base64}`)
      .join("\n\n");
  } catch (e) {
    say("dao-message", e.message, false);
    $("dao-output").textContent = "";
  }
}

async function start() {
  info = await api("/api/info");
  $("mode").textContent = info.embedded ? "embedded chain · demo wallet " + info.demo_wallet : "cluster";
  $("wallet-label").textContent = info.embedded ? "(demo wallet)" : "";
  $("market-panel").hidden = !info.embedded;
  $("actions-note").textContent =
    `Solana Actions: ${location.origin}/api/actions/${info.vault}/deposit and …/withdraw (actions.json at the root).`;
  if (!info.embedded) {
    for (const id of ["deposit-form", "withdraw-form"]) $(id).hidden = true;
  }
  $("deposit-form").addEventListener("submit", (e) => { e.preventDefault(); act("deposit", "deposit-amount"); });
  $("withdraw-form").addEventListener("submit", (e) => { e.preventDefault(); act("withdraw", "withdraw-amount"); });
  for (const b of document.querySelectorAll("#market-panel button[data-move]")) {
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        const r = await post("/api/market", JSON.parse(b.dataset.move));
        say("message", r.message, true);
      } catch (e) {
        say("message", e.message, false);
      } finally {
        b.disabled = false;
        await refresh().catch(() => {});
      }
    });
  }
  for (const name of info.scenarios || []) {
    const option = document.createElement("option");
    option.value = option.textContent = name;
    $("scenario").appendChild(option);
  }
  $("scenario-replay").addEventListener("click", async () => {
    try {
      const r = await post("/api/market", { move: "scenario", name: $("scenario").value });
      say("message", r.message, true);
    } catch (e) {
      say("message", e.message, false);
    }
  });
  for (const verb of ["propose", "execute", "cancel"]) $("dao-" + verb).addEventListener("click", () => dao(verb));
  const d = await api(`/api/dao/${info.vault}`);
  for (const b of d.bounds) {
    const li = document.createElement("li");
    li.textContent = `${b.name}: ${b.rule}`;
    $("dao-bounds").appendChild(li);
  }
  await refresh();
  setInterval(() => refresh().catch((e) => say("message", e.message, false)), 1500);
}

start().catch((e) => say("message", e.message, false));
