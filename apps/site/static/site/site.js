// The brand site's shared script: local times, and prices and scores that move.
(function () {
  "use strict";

  // Times are rendered as <time datetime="ISO">… UTC</time>; shown here in the viewer's zone.
  var timeFormat = {weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"};
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      el.title = el.textContent.trim();  // the UTC text stays as the tooltip
      el.textContent = when.toLocaleString(undefined, timeFormat);
      el.dataset.local = "1";
    });
  }

  // Every price button (.price, see the price contract) of a line's outcome follows its odds.
  function applyOdds(msg) {
    (msg.markets || []).forEach(function (m) {
      (m.outcomes || []).forEach(function (o) {
        var selector = '.price[data-market="' + m.id + '"][data-outcome="' + o.id + '"]';
        document.querySelectorAll(selector).forEach(function (button) {
          var before = parseFloat(button.dataset.odds), now = parseFloat(o.odds);
          var odds = o.odds == null ? "" : String(o.odds);
          button.dataset.odds = odds;
          button.textContent = odds || "–";
          button.dataset.status = o.active && odds ? "active" : "suspended";
          button.classList.toggle("up", now > before);
          button.classList.toggle("down", now < before);
        });
      });
    });
  }

  // An event's score, clock and live label, wherever the page shows them.
  function applyStatus(msg) {
    var s = msg.status;
    if (!s) return;
    var id = msg.event;
    document.querySelectorAll('[data-live-for="' + id + '"]').forEach(function (el) { el.hidden = !s.live; });
    document.querySelectorAll('[data-score-for="' + id + '"]').forEach(function (el) {
      if (s.live || s.status >= 3) el.textContent = (s.home_score == null ? 0 : s.home_score) + ":" + (s.away_score == null ? 0 : s.away_score);
    });
    document.querySelectorAll('[data-clock-for="' + id + '"]').forEach(function (el) { el.textContent = s.match_time || ""; });
    document.querySelectorAll('[data-start-for="' + id + '"]').forEach(function (el) { el.hidden = !!s.live; });
  }

  // One socket per event shown (the live-odds gateway's /ws/events/<id>/), at most MAX_WATCHED
  // per page; each message also reaches the page as an "odds-message" event on window.
  var MAX_WATCHED = 30;
  function watch(id, port) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var host = port ? location.hostname + ":" + port : location.host;
    var retry = 1000;
    function connect() {
      var socket = new WebSocket(scheme + host + "/ws/events/" + id + "/");
      socket.onopen = function () { retry = 1000; };
      socket.onmessage = function (e) {
        var msg = JSON.parse(e.data);
        if (msg.type && msg.type !== "odds") return;
        applyStatus(msg);
        applyOdds(msg);
        window.dispatchEvent(new CustomEvent("odds-message", {detail: msg}));
      };
      socket.onclose = function () { setTimeout(connect, retry); retry = Math.min(retry * 2, 30000); };
    }
    connect();
  }

  function start() {
    localTimes(document);
    var port = document.body.dataset.liveOddsPort || "";
    var seen = {};
    document.querySelectorAll("[data-watch-event]").forEach(function (el) {
      var id = el.dataset.watchEvent;
      if (seen[id] || Object.keys(seen).length >= MAX_WATCHED) return;
      seen[id] = true;
      watch(id, port);
    });
  }
  window.siteTimes = localTimes;  // for parts of pages swapped in later
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
