/* The bet slip, on every page of a brand's site (templates/bets/_slip.html loads it).

Selections come from any `.price` button on any page (one listener on `document`), are kept in
the browser's localStorage per brand (`slip:<brand>`) and so survive navigation and reloads.
The slip offers singles, a multiple and the system bets the number of selections allows, shows
the total stake and the potential return computed exactly as the server computes them
(apps/bets/arithmetic.py: each line's return rounded down to the minor unit, on integers), keeps
a live-odds socket per event in it, and places through POST /api/v1/bets.

The pure part (money, odds, bet shapes, returns) is exported as `BetSlip` (and as a CommonJS
module for Node.js, which the tests run it under against the Python arithmetic). */
(function (root) {
  "use strict";

  // -- money: typed in the currency's major unit, exact minor units ---------------------------

  // "12.5" with exponent 2 is 1250; more decimals than the currency has, signs, exponents,
  // separators or another script's digits are refused (null). No floating point.
  function slipMinor(text, exponent) {
    const match = /^([0-9]{1,15})(?:[.]([0-9]+))?$/.exec(String(text).trim());
    if (!match) return null;
    const fraction = match[2] || "";
    if (fraction.length > exponent) return null;  // finer than the currency: never rounded
    const minor = Number(match[1] + fraction.padEnd(exponent, "0"));
    return Number.isSafeInteger(minor) ? minor : null;
  }

  // Minor units (a Number or a BigInt) in the major unit: 1250 with exponent 2 is "12.50".
  function slipMajor(minor, exponent) {
    const value = BigInt(minor);
    const negative = value < 0n;
    const digits = (negative ? -value : value).toString().padStart(exponent + 1, "0");
    const cut = digits.length - exponent;
    return (negative ? "-" : "") + digits.slice(0, cut) + (exponent ? "." + digits.slice(cut) : "");
  }

  // -- odds: exact decimals as an integer and a power of ten ----------------------------------

  // "2.10" -> {units: 210n, places: 2}; null for anything that is not an ASCII decimal >= 1.
  function oddsParts(text) {
    const match = /^([0-9]{1,9})(?:[.]([0-9]{1,12}))?$/.exec(String(text).trim());
    if (!match) return null;
    const fraction = match[2] || "";
    const units = BigInt(match[1] + fraction);
    const places = fraction.length;
    if (units < 10n ** BigInt(places)) return null;  // below 1
    return {units, places};
  }

  // Odds as thousandths (2.5 -> 2500n), for comparing two prices; null when finer than that.
  function oddsThousandths(text) {
    const parts = oddsParts(text);
    if (!parts) return null;
    if (parts.places <= 3) return parts.units * 10n ** BigInt(3 - parts.places);
    const cut = 10n ** BigInt(parts.places - 3);
    return parts.units % cut === 0n ? parts.units / cut : null;
  }

  // -1, 0 or 1: how `after` compares with `before` (exactly, on the decimals).
  function oddsCompare(before, after) {
    const a = oddsParts(before), b = oddsParts(after);
    if (!a || !b) return 0;
    const places = Math.max(a.places, b.places);
    const x = a.units * 10n ** BigInt(places - a.places);
    const y = b.units * 10n ** BigInt(places - b.places);
    return y > x ? 1 : y < x ? -1 : 0;
  }

  // -- bet shapes (as apps/bets/arithmetic.py) -------------------------------------------------

  const MAX_LEGS = 20;
  const NAMED = {  // name: [legs, sizes of its lines]
    trixie: [3, [2, 3]], patent: [3, [1, 2, 3]],
    yankee: [4, [2, 3, 4]], lucky_15: [4, [1, 2, 3, 4]],
    canadian: [5, [2, 3, 4, 5]], lucky_31: [5, [1, 2, 3, 4, 5]],
    heinz: [6, [2, 3, 4, 5, 6]], lucky_63: [6, [1, 2, 3, 4, 5, 6]],
    super_heinz: [7, [2, 3, 4, 5, 6, 7]], goliath: [8, [2, 3, 4, 5, 6, 7, 8]],
  };
  const NAMES = {
    trixie: "Trixie", patent: "Patent", yankee: "Yankee", lucky_15: "Lucky 15",
    canadian: "Canadian (Super Yankee)", lucky_31: "Lucky 31", heinz: "Heinz",
    lucky_63: "Lucky 63", super_heinz: "Super Heinz", goliath: "Goliath",
  };

  // The combination sizes of `system` over `n` legs, or null for a shape the server refuses.
  function systemSizes(system, n) {
    if (!Number.isInteger(n) || n < 1 || n > MAX_LEGS) return null;
    if (system === "single") return n === 1 ? [1] : null;
    if (system === "multiple") return n >= 2 ? [n] : null;
    if (Object.prototype.hasOwnProperty.call(NAMED, system)) {
      return NAMED[system][0] === n ? NAMED[system][1] : null;
    }
    const folds = /^(?:([0-9]+)_folds|(doubles)|(trebles))$/.exec(system);
    if (!folds) return null;
    const k = folds[2] ? 2 : folds[3] ? 3 : Number(folds[1]);
    return k >= 2 && k <= MAX_LEGS && n >= k ? [k] : null;
  }

  function binomial(n, k) {
    let out = 1;
    for (let i = 1; i <= k; i++) out = (out * (n - k + i)) / i;
    return Math.round(out);
  }

  function lineCount(system, n) {
    const sizes = systemSizes(system, n);
    return sizes ? sizes.reduce((sum, k) => sum + binomial(n, k), 0) : 0;
  }

  // Every k-combination of 0..n-1, in lexicographic order, to `visit`.
  function combinations(n, k, visit) {
    const pick = Array.from({length: k}, (_, i) => i);
    for (;;) {
      visit(pick);
      let i = k - 1;
      while (i >= 0 && pick[i] === n - k + i) i--;
      if (i < 0) return;
      pick[i]++;
      for (let j = i + 1; j < k; j++) pick[j] = pick[j - 1] + 1;
    }
  }

  // The potential return of a bet (BigInt minor units): every line's unit stake x the product
  // of its legs' odds, each line rounded DOWN to the minor unit, then added; null for a shape
  // the server refuses or odds that are not decimals >= 1.
  function potentialReturn(system, unitStake, odds) {
    const sizes = systemSizes(system, odds.length);
    const parts = odds.map(oddsParts);
    if (!sizes || parts.some((p) => p === null)) return null;
    const stake = BigInt(unitStake);
    let total = 0n;
    for (const k of sizes) {
      combinations(odds.length, k, (line) => {
        let units = stake, places = 0;
        for (const i of line) { units *= parts[i].units; places += parts[i].places; }
        total += units / 10n ** BigInt(places);  // positive: BigInt division floors
      });
    }
    return total;
  }

  // The bets a slip of `n` selections offers: singles (one bet each), a multiple, the k-folds
  // and the named full-cover systems of exactly n legs. Each: {id, kind, system, label, lines}.
  function betsOffered(n) {
    const out = [];
    if (n < 1 || n > MAX_LEGS) return out;
    out.push({id: "singles", kind: "single", system: "", label: n === 1 ? "Single" : "Singles", lines: 1});
    if (n >= 2) out.push({id: "multiple", kind: "multiple", system: "", label: n + "-fold multiple", lines: 1});
    for (let k = 2; k < n; k++) {
      const system = k === 2 ? "doubles" : k === 3 ? "trebles" : k + "_folds";
      const label = k === 2 ? "Doubles" : k === 3 ? "Trebles" : k + "-folds";
      out.push({id: system, kind: "system", system, label, lines: binomial(n, k)});
    }
    for (const name of Object.keys(NAMED)) {
      if (NAMED[name][0] === n) out.push({id: name, kind: "system", system: name, label: NAMES[name], lines: lineCount(name, n)});
    }
    return out;
  }

  // The unit stake (per line) of a stake typed per line or per bet; null when a stake per bet
  // does not split into equal lines of whole minor units.
  function unitStake(minor, lines, perBet) {
    if (!perBet) return minor;
    return minor % lines === 0 ? minor / lines : null;
  }

  // -- refusals in words ------------------------------------------------------------------------

  const REASONS = {
    odds_changed: "The odds changed",
    market_suspended: "This market is suspended",
    market_settled: "This market is settled",
    producer_down: "This market is paused",
    event_closed: "This event has ended",
    not_offered: "This selection is not offered",
    outcome_inactive: "This selection is not available now",
    unknown_market: "This market no longer exists",
    duplicate_leg: "This selection is in the bet twice",
    same_event: "Two selections of one event cannot be combined",
    liability_limit: "The book takes no more on this selection",
    stake_too_high: "The stake is above the maximum",
    stake_too_low: "The stake is below the minimum",
    payout_too_high: "The potential return is above the maximum",
    wager_limit: "This stake is over your wager limit",
    loss_limit: "This stake is over your loss limit",
    insufficient_funds: "Not enough funds in your wallet for this stake",
    account_closed: "This account takes no bets",
    too_many_lines: "This bet has more lines than the site takes",
    wrong_leg_count: "This bet needs another number of selections",
    expired: "The bet was not decided in time; your stake is back",
    not_authenticated: "Log in to place a bet",
    permission_denied: "The page is out of date: reload it and try again",
    throttled: "Too many bets at once: wait a moment and try again",
  };

  // The error of an API answer, whatever shape it has: {code, message, details}.
  function apiError(body) {
    const error = (body && body.error) || body || {};
    const details = error.details || error.detail || {};
    if (error.leg !== undefined && details.leg === undefined) details.leg = error.leg;
    return {code: error.code || "error", message: error.message || "", details, fields: error.fields || details.fields || {}};
  }

  // A refusal in words: the reason, and the price now or the limit where there is one.
  function refusalText(code, details, currency) {
    let text = REASONS[code] || "Not accepted (" + code + ")";
    details = details || {};
    if (code === "odds_changed" && details.odds) text += ": now " + details.odds;
    else if (details.limit !== undefined) {
      const what = code === "stake_too_low" ? "minimum" : code.endsWith("_limit") ? "left" : "maximum";
      text += " (" + what + " " + details.limit + " " + (details.currency || currency || "") + ")";
    }
    return text + ".";
  }

  const api = {
    slipMinor, slipMajor, oddsParts, oddsThousandths, oddsCompare, systemSizes, lineCount,
    potentialReturn, betsOffered, unitStake, refusalText, apiError, REASONS, MAX_LEGS,
  };
  root.BetSlip = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  if (typeof document === "undefined") return;

  // -- the slip on the page ---------------------------------------------------------------------

  const configNode = document.getElementById("slip-config");
  const panel = document.getElementById("slip");
  if (!configNode || !panel) return;
  const config = JSON.parse(configNode.textContent);
  const exponent = Number(config.exponent);
  const currency = config.currency;
  const storageKey = "slip:" + config.brand;
  const $ = (selector) => panel.querySelector(selector);
  const list = $("[data-slip-selections]"), betsNode = $("[data-slip-bets]");
  const statusNode = $("[data-slip-status]"), placeButton = $("[data-slip-place]");
  const notices = document.getElementById("slip-notices");

  function fresh() {
    return {selections: [], stakes: {}, perBet: false, policy: "none", attempt: null};
  }
  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(storageKey) || "null");
      if (saved && Array.isArray(saved.selections)) return Object.assign(fresh(), saved);
    } catch (err) { /* a damaged entry: start again */ }
    return fresh();
  }
  let state = load();
  const marks = {};   // key -> {move: "up"|"down", refusal: text, newOdds}
  const pending = {}; // bet id -> the bet's label, for a live bet waiting for acceptance
  let bulletins = []; // messages of the last placing, by bet
  function save() {
    try { localStorage.setItem(storageKey, JSON.stringify(state)); } catch (err) { /* full */ }
  }
  function keyOf(market, outcome) { return String(market) + ":" + String(outcome); }
  function find(key) { return state.selections.find((s) => keyOf(s.market, s.outcome) === key); }

  function fromButton(button) {
    const d = button.dataset;
    return {
      event: Number(d.event), market: Number(d.market), outcome: String(d.outcome), odds: d.odds,
      eventName: d.eventName || "", marketName: d.marketName || "", outcomeName: d.outcomeName || d.outcome,
      live: d.live === "1", status: d.status || "active",
    };
  }

  function toggle(button) {
    const selection = fromButton(button);
    if (!selection.market || !selection.outcome || !oddsParts(selection.odds)) return;
    const key = keyOf(selection.market, selection.outcome);
    if (find(key)) {
      state.selections = state.selections.filter((s) => keyOf(s.market, s.outcome) !== key);
      delete marks[key];
    } else {
      if (selection.status !== "active") return say("This selection is suspended.");
      if (state.selections.length >= MAX_LEGS) return say("A slip holds at most " + MAX_LEGS + " selections.");
      state.selections.push(selection);
    }
    state.attempt = null;
    save();
    if (!config.loggedIn) {  // kept in the slip; back here after logging in
      location.assign(config.loginUrl + "?next=" + encodeURIComponent(location.pathname + location.search));
      return;
    }
    draw();
  }

  document.addEventListener("click", (e) => {
    const button = e.target.closest && e.target.closest(".price");
    if (button && !button.disabled) { e.preventDefault(); toggle(button); }
  });

  function say(text) { statusNode.textContent = text; }
  function notice(text, kind) {
    if (!notices) return;
    const item = document.createElement("p");
    item.className = "slip-notice " + (kind || "");
    item.textContent = text;
    notices.appendChild(item);
    setTimeout(() => item.remove(), 15000);
  }

  function selectionLabel(s) {
    return s.outcomeName + " (" + [s.marketName, s.eventName].filter(Boolean).join(", ") + ")";
  }

  // -- drawing ----------------------------------------------------------------------------------

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value === true ? "" : value);
    }
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A stake input, labelled for what it stakes ("Stake on Arsenal", "Trixie stake").
  function stakeField(id, name, lines) {
    const wrap = el("label", {class: "slip-stake"});
    wrap.appendChild(el("span", {}, (lines > 1 ? (state.perBet ? "Stake per bet" : "Stake per line") : "Stake") + " (" + currency + ")"));
    const input = el("input", {
      type: "text", inputmode: exponent ? "decimal" : "numeric", autocomplete: "off",
      "aria-label": name + " (" + currency + ")",
      "data-slip-stake": id, value: state.stakes[id] || "", placeholder: config.step,
      "aria-describedby": "slip-return-" + id.replace(/[^a-z0-9_-]/gi, "_"),
    });
    wrap.appendChild(input);
    return wrap;
  }

  // Which prices are in the slip (aria-pressed), on every .price of the page.
  function pressed() {
    for (const button of document.querySelectorAll(".price")) {
      const on = find(keyOf(button.dataset.market, button.dataset.outcome)) ? "true" : "false";
      if (button.getAttribute("aria-pressed") !== on) button.setAttribute("aria-pressed", on);
    }
  }

  function draw() {
    const count = state.selections.length;
    const offered = new Set(betsOffered(count).map((b) => b.id));
    for (const id of Object.keys(state.stakes)) {  // stakes of bets the slip no longer offers
      const single = id.indexOf("single:") === 0;
      if (single ? !find(id.slice(7)) : !offered.has(id)) delete state.stakes[id];
    }
    panel.dataset.count = String(count);
    for (const node of document.querySelectorAll("[data-slip-count]")) node.textContent = String(count);
    $("[data-slip-empty]").hidden = count > 0;
    $("[data-slip-form]").hidden = count === 0;
    list.replaceChildren();
    state.selections.forEach((s, i) => {
      const key = keyOf(s.market, s.outcome), mark = marks[key] || {};
      const item = el("li", {class: "slip-selection" + (s.status !== "active" ? " suspended" : ""), "data-slip-selection": key});
      const head = el("div", {class: "slip-selection-head"});
      head.appendChild(el("span", {class: "slip-outcome"}, s.outcomeName));
      const odds = el("b", {class: "slip-odds" + (mark.move ? " " + mark.move : ""), "data-slip-odds": key}, s.odds);
      if (mark.move) odds.setAttribute("aria-label", s.odds + (mark.move === "up" ? ", up" : ", down"));
      head.appendChild(odds);
      head.appendChild(el("button", {type: "button", class: "slip-remove", "data-slip-remove": key, "aria-label": "Remove " + s.outcomeName}, "×"));
      item.appendChild(head);
      item.appendChild(el("div", {class: "slip-where"}, [s.marketName, s.eventName].filter(Boolean).join(" · ") + (s.live ? " · live" : "")));
      if (s.status !== "active") item.appendChild(el("p", {class: "slip-flag"}, "Suspended: this selection takes no bets now."));
      if (mark.refusal) {
        const why = el("p", {class: "slip-refusal", role: "alert", "data-slip-refusal": String(i)}, mark.refusal);
        item.appendChild(why);
        if (mark.newOdds && oddsCompare(mark.newOdds, s.odds) !== 0) item.appendChild(el("button", {type: "button", class: "slip-accept", "data-slip-accept": key}, "Accept new odds"));
      }
      item.appendChild(stakeField("single:" + key, "Stake on " + s.outcomeName, 1));
      item.appendChild(el("p", {class: "slip-return", id: "slip-return-single_" + key.replace(/[^a-z0-9_-]/gi, "_")}));
      list.appendChild(item);
    });
    betsNode.replaceChildren();
    for (const bet of betsOffered(count)) {
      if (bet.id === "singles") continue;  // stakes per selection, above
      const row = el("div", {class: "slip-bet", "data-slip-bet": bet.id});
      row.appendChild(el("span", {class: "slip-bet-name"}, bet.label + (bet.lines > 1 ? " (" + bet.lines + " lines)" : "")));
      row.appendChild(stakeField(bet.id, bet.label + " stake", bet.lines));
      row.appendChild(el("p", {class: "slip-return", id: "slip-return-" + bet.id}));
      betsNode.appendChild(row);
    }
    $(".slip-per").hidden = count < 3;  // only systems have more than one line
    $("[data-slip-policy]").value = state.policy;
    for (const radio of panel.querySelectorAll("[data-slip-per]")) radio.checked = (radio.value === "bet") === !!state.perBet;
    const bulletin = $("[data-slip-bulletin]");
    bulletin.replaceChildren(...bulletins.map((b) => el("li", {class: b.kind, "data-slip-bet-id": b.bet || null}, b.text)));
    pressed();
    subscribe();
    totals();
  }

  // The slip's bets as they would be sent: each with its legs, unit stake and lines; `problem`
  // says in words what stops one from being placed.
  function slipBets() {
    const out = [];
    const selections = state.selections;
    for (const s of selections) {
      const key = keyOf(s.market, s.outcome), typed = state.stakes["single:" + key];
      if (typed === undefined || typed === "") continue;
      out.push(bet({id: "single:" + key, kind: "single", system: "", label: "Single on " + s.outcomeName, lines: 1}, [s], typed));
    }
    for (const shape of betsOffered(selections.length)) {
      if (shape.id === "singles") continue;
      const typed = state.stakes[shape.id];
      if (typed === undefined || typed === "") continue;
      out.push(bet(shape, selections, typed));
    }
    return out;
  }

  function bet(shape, legs, typed) {
    const minor = slipMinor(typed, exponent);
    const out = {id: shape.id, kind: shape.kind, system: shape.system, label: shape.label, lines: shape.lines, legs};
    if (minor === null || minor < 1) {
      out.problem = "Enter the stake in " + currency + (exponent ? ", with at most " + exponent + " decimals" : ", without decimals") + ".";
      return out;
    }
    const unit = unitStake(minor, shape.lines, state.perBet && shape.lines > 1);
    if (unit === null) {
      out.problem = "A stake of " + slipMajor(minor, exponent) + " does not split into " + shape.lines + " equal lines.";
      return out;
    }
    out.unit = unit;
    out.stake = BigInt(unit) * BigInt(shape.lines);
    out.potential = potentialReturn(shape.kind === "system" ? shape.system : shape.kind, unit, legs.map((l) => l.odds));
    if (legs.some((l) => l.status !== "active")) out.problem = "A selection of this bet is suspended.";
    return out;
  }

  function totals() {
    let stake = 0n, potential = 0n, problems = 0;
    for (const b of slipBets()) {
      const node = document.getElementById("slip-return-" + b.id.replace(/[^a-z0-9_-]/gi, "_"));
      if (b.problem) problems++;
      if (b.stake !== undefined) { stake += b.stake; potential += b.potential || 0n; }
      if (node) {
        node.textContent = b.problem ? b.problem : (b.lines > 1 ? "Stake " + slipMajor(b.stake, exponent) + " (" + b.lines + " × " + slipMajor(b.unit, exponent) + "), r" : "R") + "eturns up to " + slipMajor(b.potential, exponent) + " " + currency;
        node.classList.toggle("slip-problem", !!b.problem);
      }
    }
    $("[data-slip-total]").textContent = slipMajor(stake, exponent) + " " + currency;
    $("[data-slip-return]").textContent = slipMajor(potential, exponent) + " " + currency;
    return problems;
  }

  // -- changes made in the slip -------------------------------------------------------------------

  panel.addEventListener("input", (e) => {
    const id = e.target.dataset && e.target.dataset.slipStake;
    if (id === undefined) return;
    state.stakes[id] = e.target.value;
    state.attempt = null;
    save();
    totals();
  });
  panel.addEventListener("change", (e) => {
    if (e.target.matches("[data-slip-policy]")) state.policy = e.target.value;
    else if (e.target.matches("[data-slip-per]")) state.perBet = e.target.value === "bet";
    else return;
    state.attempt = null;
    save();
    if (e.target.matches("[data-slip-per]")) draw(); else totals();
  });
  panel.addEventListener("click", (e) => {
    const target = e.target.closest("button");
    if (!target) return;
    if (target.dataset.slipRemove) {
      state.selections = state.selections.filter((s) => keyOf(s.market, s.outcome) !== target.dataset.slipRemove);
      delete state.stakes["single:" + target.dataset.slipRemove];
      state.attempt = null; save(); draw();
    } else if (target.dataset.slipAccept) {
      const key = target.dataset.slipAccept, s = find(key), mark = marks[key];
      if (s && mark && mark.newOdds) { s.odds = mark.newOdds; delete marks[key]; }
      state.attempt = null; save(); draw();
      say("New odds accepted: press Place bet to send the slip again.");
    } else if (target.matches("[data-slip-clear]")) {
      state = Object.assign(fresh(), {policy: state.policy, perBet: state.perBet});
      bulletins = []; for (const k of Object.keys(marks)) delete marks[k];
      save(); draw(); say("");
    } else if (target.matches("[data-slip-toggle]")) {
      const open = panel.classList.toggle("open");
      target.setAttribute("aria-expanded", open ? "true" : "false");
    } else if (target.matches("[data-slip-place]")) {
      place();
    }
  });

  // -- placing ------------------------------------------------------------------------------------

  function newKey() {  // crypto.randomUUID exists only on HTTPS and localhost pages
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  let placing = false, blocked = false;

  async function place() {
    if (placing) return;
    if (blocked) return say("This account takes no bets now.");
    if (!config.loggedIn) { location.assign(config.loginUrl + "?next=" + encodeURIComponent(location.pathname)); return; }
    const bets = slipBets();
    if (!bets.length) return say(state.selections.length ? "Enter a stake for a single, the multiple or a system bet." : "Add a selection first.");
    const stopped = bets.find((b) => b.problem);
    if (stopped) return say(stopped.label + ": " + stopped.problem);
    // One idempotency key per bet of an attempt: sending the same slip again (a retry after a
    // lost answer) reuses them, so each bet is placed once; any change to the slip is a new
    // attempt with new keys.
    const shown = JSON.stringify(bets.map((b) => [b.id, b.unit, b.legs.map((l) => [l.market, l.outcome, l.odds])]).concat([state.policy]));
    if (!state.attempt || state.attempt.shown !== shown) state.attempt = {shown, keys: {}};
    for (const b of bets) state.attempt.keys[b.id] = state.attempt.keys[b.id] || newKey();
    save();
    placing = true; placeButton.disabled = true; bulletins = [];
    say("Placing…");
    const done = [];
    try {
      for (const b of bets) done.push([b, await send(b, state.attempt.keys[b.id])]);
    } finally {
      placing = false; placeButton.disabled = false;
    }
    let placed = 0;
    for (const [b, answer] of done) {
      if (answer.ok) {
        placed++;
        const bet = answer.body;
        if (bet.status === "pending") {
          pending[bet.id] = {label: b.label, legs: b.legs.map((l) => Object.assign({}, l))};
          bulletins.push({kind: "pending", bet: bet.id, text: b.label + ": waiting for acceptance (live bet)…"});
        } else {
          bulletins.push({kind: "accepted", bet: bet.id, text: b.label + ": placed, stake " + slipMajor(bet.stake, exponent) + " " + currency + "."});
        }
        delete state.stakes[b.id];
      } else if (answer.error) {
        explain(b, answer.error);
      } else {
        bulletins.push({kind: "refused", text: b.label + ": no answer. Press Place bet again: the same slip is placed once."});
      }
    }
    if (placed === done.length) {
      state.selections = []; state.stakes = {}; state.attempt = null;
      for (const k of Object.keys(marks)) delete marks[k];
    }
    save(); draw();
    say(placed === done.length ? (placed > 1 ? placed + " bets placed." : "Bet placed.")
      : placed ? placed + " of " + done.length + " bets placed; see why the others were not."
      : "Not placed: see why beside the slip's bets.");
  }

  async function send(b, key) {
    const body = {
      idempotency_key: key, kind: b.kind, stake: b.unit, odds_policy: state.policy,
      legs: b.legs.map((l) => ({market: l.market, outcome: l.outcome, odds: l.odds})),
    };
    if (b.system) body.system = b.system;
    try {
      const r = await fetch("/api/v1/bets", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()}, body: JSON.stringify(body),
      });
      const answer = await r.json().catch(() => ({}));
      return r.ok ? {ok: true, body: answer} : {ok: false, error: apiError(answer)};
    } catch (err) {
      return {ok: false};
    }
  }

  // A refusal next to what it concerns: the selection (a leg's position on this bet) or the bet.
  function explain(b, error) {
    const details = error.details || {};
    if (error.code === "invalid_request" && error.fields && error.fields.stake) {
      bulletins.push({kind: "refused", text: b.label + ": enter a stake in " + currency + "."});
      return;
    }
    const text = refusalText(error.code, details, currency);
    const leg = Number.isInteger(details.leg) ? b.legs[details.leg] : null;
    if (leg) {
      const key = keyOf(leg.market, leg.outcome);
      marks[key] = {refusal: text, newOdds: error.code === "odds_changed" ? details.odds : null};
      if (error.code === "odds_changed") marks[key].move = oddsCompare(leg.odds, details.odds) > 0 ? "up" : "down";
    }
    bulletins.push({kind: "refused", text: b.label + ": " + text});
    if (error.code === "account_closed") blocked = true;
  }

  // -- a live bet's fate and other news, from the player's socket ---------------------------------

  window.addEventListener("player-event", (e) => {
    const msg = e.detail || {};
    // A blocked or closed account: the socket says so, then the server closes it.
    if (msg.type === "account" && msg.status !== "active") { blocked = true; say("This account takes no bets now."); return; }
    if (msg.type !== "bet" || !pending[msg.bet] || msg.status === "pending") return;
    const {label, legs} = pending[msg.bet];
    delete pending[msg.bet];
    const entry = bulletins.find((b) => b.bet === msg.bet);
    let text;
    if (msg.status === "refused") {
      const reason = refusalText(msg.refusal, msg.details, currency);
      text = label + ": refused. " + reason + " Your stake is back.";
      notice(text, "refused");
      // The refused bet's selections back in the slip, the reason beside the one it names.
      for (const leg of legs) {
        if (!find(keyOf(leg.market, leg.outcome)) && state.selections.length < MAX_LEGS) state.selections.push(leg);
      }
      const details = msg.details || {};
      const named = Number.isInteger(details.leg) ? legs[details.leg] : null;
      if (named) {
        const key = keyOf(named.market, named.outcome);
        marks[key] = {refusal: reason, newOdds: msg.refusal === "odds_changed" ? details.odds : null};
      }
      state.attempt = null;
      save();
    } else {
      text = label + ": accepted.";
      notice(text, "accepted");
    }
    say("");  // the decision is in the bulletin (and a notice)
    if (entry) { entry.text = text; entry.kind = msg.status === "refused" ? "refused" : "accepted"; }
    else bulletins.push({kind: msg.status === "refused" ? "refused" : "accepted", bet: msg.bet, text});
    draw();
  });

  // -- odds as they move: the live-odds gateway, one socket per event in the slip -----------------

  const FIRST_RETRY_MS = 500;  // then doubled, up to 30 s
  const sockets = {};  // event id -> {socket, closed}
  function subscribe() {
    const events = new Set(state.selections.map((s) => String(s.event)));
    for (const id of Object.keys(sockets)) {
      if (!events.has(id)) { sockets[id].closed = true; sockets[id].socket.close(); delete sockets[id]; }
    }
    for (const id of events) if (!sockets[id] && id !== "NaN") connect(id, FIRST_RETRY_MS);
  }
  function connect(id, retry) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const host = config.liveOddsPort ? location.hostname + ":" + config.liveOddsPort : location.host;
    const entry = {socket: new WebSocket(scheme + "://" + host + "/ws/events/" + id + "/"), closed: false};
    sockets[id] = entry;
    entry.socket.onopen = () => { retry = FIRST_RETRY_MS; };
    entry.socket.onmessage = (e) => { try { moved(JSON.parse(e.data)); } catch (err) { /* not for us */ } };
    entry.socket.onclose = () => {
      if (entry.closed || sockets[id] !== entry) return;
      setTimeout(() => { if (sockets[id] === entry) connect(id, Math.min(retry * 2, 30000)); }, retry);
    };
  }
  function moved(msg) {
    let changed = false;
    for (const m of msg.markets || []) {
      for (const o of m.outcomes || []) {
        const key = keyOf(m.id, o.id);
        o.odds = o.odds === null || o.odds === undefined ? null : String(o.odds);
        const active = !!(m.open && o.active && o.odds);
        for (const button of document.querySelectorAll('.price[data-market="' + m.id + '"][data-outcome="' + CSS.escape(String(o.id)) + '"]')) {
          if (o.odds) { button.dataset.odds = o.odds; button.textContent = o.odds; }
          button.dataset.status = active ? "active" : "suspended";
        }
        const s = find(key);
        if (!s) continue;
        const status = active ? "active" : "suspended";
        if (s.status !== status) { s.status = status; changed = true; }
        if (o.odds && o.odds !== s.odds) {
          const direction = oddsCompare(s.odds, o.odds);
          if (direction !== 0) {
            marks[key] = Object.assign(marks[key] || {}, {move: direction > 0 ? "up" : "down"});
            s.odds = o.odds;
            changed = true;
          }
        }
      }
    }
    if (changed) { state.attempt = null; save(); draw(); }
  }

  // Another tab changed the slip: show what it holds now.
  window.addEventListener("storage", (e) => { if (e.key === storageKey) { state = load(); draw(); } });

  // Prices drawn after the page loaded (a list refreshed, an event's markets swapped in).
  let marking = false;
  new MutationObserver(() => {
    if (marking) return;
    marking = true;
    requestAnimationFrame(() => { marking = false; pressed(); });
  }).observe(document.body, {childList: true, subtree: true});

  draw();
})(typeof window !== "undefined" ? window : globalThis);
