// My bets, kept current without a reload:
// - a bet's card is read again (its /card URL) when the player's socket says it changed
//   ("bet": a live bet decided; "bets": settled; "cash_out": a cash-out in play decided);
// - an open bet's cash-out offer is asked again every few seconds from the API's offer endpoint
//   (GET /api/v1/bets/<id>/cashout), and the form sends the offer shown: a price that moved is
//   refused by the server with the new one.
(function () {
  "use strict";
  var root = document.getElementById("my-bets");
  if (!root) return;
  var POLL_MS = 5000;

  function format(minor, exponent) {
    if (!exponent) return String(minor);
    var unit = Math.pow(10, exponent), abs = Math.abs(minor);
    return (minor < 0 ? "-" : "") + Math.floor(abs / unit) + "." + String(abs % unit).padStart(exponent, "0");
  }

  function card(id) { return root.querySelector('.bet[data-bet="' + id + '"]'); }

  function reload(id) {
    var section = card(id);
    if (!section) return;
    fetch(section.dataset.card, {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector(".bet");
        if (fresh && section.parentNode) {
          fresh.classList.add("bet-changed");
          section.parentNode.replaceChild(fresh, section);
        }
      })
      .catch(function () { /* the next message or a reload shows it */ });
  }

  window.addEventListener("player-event", function (event) {
    var m = event.detail || {};
    if (m.type === "bet" || m.type === "cash_out") reload(m.bet);
    if (m.type === "bets" && m.bets) m.bets.forEach(function (b) { reload(b.bet); });
  });

  function showOffer(section, offer, why) {
    var form = section.querySelector("form.cash-out");
    if (!form) return;
    var exponent = parseInt(form.dataset.exponent, 10) || 0;
    var currency = root.dataset.currency;
    var line = form.querySelector('[data-role="offer-line"]');
    var seen = form.querySelector('[data-role="seen"]');
    var controls = form.querySelectorAll('input[name="amount"], button');
    var whole = form.querySelector('[data-role="whole"]');
    if (offer) {
      seen.value = String(offer);
      line.textContent = "Cash-out offer: " + format(offer, exponent) + " " + currency;
      whole.textContent = "Cash out all for " + format(offer, exponent) + " " + currency;
    } else {
      line.textContent = "No cash-out offer right now: " + (why || "a selection's market takes no bets") + ".";
      whole.textContent = "Cash out all";
    }
    controls.forEach(function (control) { control.disabled = !offer; });
  }

  function poll() {
    if (document.hidden) return;
    root.querySelectorAll(".bet[data-offer-url]").forEach(function (section) {
      fetch(section.dataset.offerUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (response) { return response.json().catch(function () { return {}; }); })
        .then(function (body) {
          var current = card(section.dataset.bet) || section;
          if (body && typeof body.offer === "number") { showOffer(current, body.offer); return; }
          var error = (body && body.error) || {};
          if (error.code === "not_open") { reload(section.dataset.bet); return; }
          showOffer(current, null, error.message);
        })
        .catch(function () { /* try again on the next round */ });
    });
  }
  setInterval(poll, POLL_MS);
})();
