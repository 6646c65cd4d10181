// The brand creation page: asks for the run's steps every 1.5 s until it is done or failed,
// then reloads the page once (which shows the result and, once, the staff member's URI).
(function () {
  "use strict";
  const list = document.getElementById("creation-steps");
  const status = document.getElementById("creation-status");
  if (!list || !status) return;
  if (["done", "failed"].includes(status.dataset.status)) return;
  const url = list.dataset.statusUrl;

  function show(data) {
    status.textContent = data.status;
    status.dataset.status = data.status;
    for (const s of data.steps) {
      const item = list.querySelector(`[data-step="${s.step}"]`);
      if (!item) continue;
      item.dataset.state = s.state;
      item.querySelector(".state").textContent = s.state;
    }
  }

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        show(data);
        if (data.status === "done" || data.status === "failed") {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A network hiccup: try again at the next tick.
    }
    window.setTimeout(poll, 1500);
  }
  window.setTimeout(poll, 1500);
})();
