// The dashboard: polls the JSON API and renders it. Deposits and withdrawals are the Solana
// Actions' transactions, signed by a browser wallet found through the Wallet Standard and relayed
// by the server, or, on the embedded chain, by its demo wallet.
import { getWallets } from "/static/vendor/wallet-standard-app.js";
const $ = (id) => document.getElementById(id);
const sol = (lamports) => (lamports / 1e9).toLocaleString("en-US", { maximumFractionDigits: 4 });
const pct = (bps) => (bps === null || bps === undefined ? "n/a" : (bps / 100).toFixed(2) + "%");
let info = null;
// The browser wallet connected, `{ wallet, account }`; null: the demo wallet (embedded chain).
let connected = null;
const SIGN = "solana:signTransaction";
const standardWallets = getWallets();
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
  rows("params", riskRows(v.risk_params));
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

// The account whose position the page shows: the connected wallet's, else the demo wallet's.
function owner() {
  return connected ? connected.account.address : info.demo_wallet;
}

async function wallet() {
  const who = owner();
  if (!who) {
    for (const id of ["wallet-sol", "wallet-shares", "wallet-value"]) $(id).textContent = "connect a wallet";
    return;
  }
  const w = await api(`/api/vault/${info.vault}/position/${who}`);
  $("wallet-sol").textContent = w.sol;
  $("wallet-shares").textContent = w.shares_text;
  $("wallet-value").textContent = w.value_sol + " SOL";
}

const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const toBase64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));

// The Action's transaction for the connected wallet: built and simulated by the server, signed
// in the wallet, relayed by the server.
async function walletAct(verb, amount) {
  const { wallet, account } = connected;
  const query = new URLSearchParams({ amount });
  const offered = await post(`/api/actions/${info.vault}/${verb}?${query}`, { account: account.address });
  say("message", "Approve the transaction in " + wallet.name + " …", true);
  const [signed] = await wallet.features[SIGN].signTransaction({
    account,
    transaction: fromBase64(offered.transaction),
    chain: info.wallet_chain,
  });
  return post("/api/submit", { transaction: toBase64(signed.signedTransaction) });
}

async function act(verb, input) {
  const amount = $(input).value;
  const button = $(verb + "-button");
  button.disabled = true;
  try {
    const r = connected ? await walletAct(verb, amount) : await post(`/api/demo/${verb}`, { amount });
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

// The Wallet Standard wallets that can sign a transaction, for the picker; the demo wallet first
// on the embedded chain.
function listWallets() {
  const select = $("wallet-select");
  const chosen = select.value;
  select.innerHTML = "";
  if (info.demo_wallet) select.add(new Option("Demo wallet (embedded chain)", "demo"));
  for (const [i, w] of standardWallets.get().entries()) {
    if (w.features[SIGN] && w.features["standard:connect"]) select.add(new Option(w.name, String(i)));
  }
  if (select.options.length === 0) select.add(new Option("No wallet found: install Phantom, Solflare or Backpack", ""));
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

async function connect() {
  const choice = $("wallet-select").value;
  try {
    if (choice === "demo" || choice === "") {
      connected = null;
    } else {
      const wallet = standardWallets.get()[Number(choice)];
      const { accounts } = await wallet.features["standard:connect"].connect();
      const account = accounts.find((a) => a.chains.includes(info.wallet_chain)) || accounts[0];
      if (!account) throw new Error(wallet.name + " shared no account");
      connected = { wallet, account };
    }
    showWallet();
    await refresh();
  } catch (e) {
    say("message", e.message, false);
  }
}

function showWallet() {
  const label = $("wallet-label");
  label.textContent = connected
    ? `${connected.wallet.name}: ${connected.account.address}`
    : info.demo_wallet ? `demo wallet ${info.demo_wallet}` : "no wallet connected";
  label.className = "muted wallet-address";
  const canAct = Boolean(connected || info.demo_wallet);
  for (const id of ["deposit-form", "withdraw-form"]) $(id).hidden = !canAct;
}

// Risk parameters in words and percent: `unwind_trigger_ltv_bps: 8100` reads "unwind trigger
// LTV: 81.00%".
function riskRows(params) {
  return Object.entries(params).map(([key, value]) => {
    const words = key.replace(/_(bps|lamports|slots|secs)$/, "").replace(/_/g, " ").replace(/\bltv\b/g, "LTV");
    const name = words.charAt(0).toUpperCase() + words.slice(1);
    if (key === "max_leverage_bps") return [name, (value / 10000).toFixed(2) + "x"];
    if (key.endsWith("_bps")) return [name, pct(value)];
    if (key.endsWith("_lamports")) return [name, sol(value) + " SOL"];
    if (key.endsWith("_slots")) return [name, `${value} slots (about ${Math.round(value * 0.4 / 60)} min)`];
    if (key.endsWith("_secs")) return [name, value >= 3600 ? `${(value / 86400).toFixed(2)} days` : `${value} s`];
    return [name, String(value)];
  });
}

async function start() {
  info = await api("/api/info");
  $("mode").textContent = info.embedded ? "embedded chain · demo wallet " + info.demo_wallet : "cluster";
  $("market-panel").hidden = !info.embedded;
  $("actions-note").textContent =
    `Solana Actions: ${location.origin}/api/actions/${info.vault}/deposit and …/withdraw (actions.json at the root).`;
  listWallets();
  standardWallets.on("register", listWallets);
  standardWallets.on("unregister", listWallets);
  $("wallet-connect").addEventListener("click", connect);
  showWallet();
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
