// The wallet page kept current without a reload: on each message of the player's socket that
// moves money or bets (balance, bet, bets, cash_out; see base.html's "player-event"), the page
// reads its figures again from the summary endpoint (the held amount includes the stakes of open
// bets, which no balance push carries) and says the history has changed.
(function () {
  "use strict";
  var box = document.getElementById("wallet-balance");
  if (!box) return;
  var MOVES = {balance: true, bet: true, bets: true, cash_out: true};
  var asking = null;

  function show(figures) {
    ["cash", "bonus", "held", "available"].forEach(function (kind) {
      var cell = box.querySelector('[data-balance="' + kind + '"]');
      if (cell && figures[kind] && typeof figures[kind].text === "string") {
        cell.textContent = figures[kind].text;
      }
    });
  }

  function refresh() {
    if (asking) return asking;
    asking = fetch(box.dataset.summary, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (figures) { if (figures) show(figures); })
      .catch(function () { /* the next message tries again */ })
      .then(function () { asking = null; });
    return asking;
  }

  window.addEventListener("player-event", function (event) {
    var message = event.detail;
    if (!message || !MOVES[message.type]) return;
    if (message.type === "balance" && message.currency !== box.dataset.currency) return;
    refresh();
    document.getElementById("wallet-activity").hidden = false;
  });
})();
