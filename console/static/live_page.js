/* A live page: listen to its SSE stream (the element with data-stream, and the event names
   in data-events if it names them) and, on every event,
   fetch this same page again and swap in each [data-live] region by id. The server keeps the
   one way of drawing the page; this script only decides when. The EventSource reconnects by
   itself with Last-Event-ID; after a reconnect the page is fetched again, so nothing is missed.
   `window.vigilLive` holds the state the browser tests read. */
(function () {
  "use strict";
  const root = document.querySelector("[data-stream]");
  const status = document.getElementById("connection");
  const live = { state: "connecting", events: 0, refreshes: 0 };
  let busy = false, again = false;
  const words = { live: status ? status.dataset.liveText : "", lost: status ? status.dataset.lostText : "" };

  function show(state, text) {
    live.state = state;
    status.dataset.state = state;
    status.textContent = text;
  }

  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(location.href, { credentials: "same-origin", redirect: "manual" });
      if (response.type === "opaqueredirect") {  // the session ran out: sign in, come back here
        const next = encodeURIComponent(location.pathname + location.search);
        location.assign("/console/sign-in?reason=expired&next=" + next);
        return;
      }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      document.querySelectorAll("[data-live]").forEach(function (region) {
        const fresh = page.getElementById(region.id);
        if (fresh) region.replaceWith(document.adoptNode(fresh));
      });
      live.refreshes += 1;
    } catch (error) {
      show("lost", words.lost + " (" + error.message + ")");
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }

  let opened = false;
  function connect() {
    const source = new EventSource(root.dataset.stream);
    source.onopen = function () {
      show("live", words.live);
      if (opened) refresh();  // back after a break: catch up on what happened meanwhile
      opened = true;
    };
    const onEvent = function () { live.events += 1; refresh(); };
    source.onmessage = onEvent;
    // A stream that names its events (the family updates) lists the names it sends.
    (root.dataset.events || "").split(" ").filter(Boolean).forEach(function (name) {
      source.addEventListener(name, onEvent);
    });
    source.onerror = function () {
      show("lost", words.lost);
      // A refused stream (signed out, server restarting) is not retried by the browser itself.
      if (source.readyState === EventSource.CLOSED) {
        opened = true;
        setTimeout(function () { refresh(); connect(); }, 3000);
      }
    };
  }

  window.vigilLive = live;
  if (root && status && root.dataset.every) {
    // Figures drawn from many streams at once (the dashboard): read again every few seconds.
    show("live", words.live);
    setInterval(refresh, Number(root.dataset.every) * 1000);
  } else if (root && status) {
    connect();
  }
})();
