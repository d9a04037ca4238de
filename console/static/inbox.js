/* The live inbox: the staff WebSocket, one card per page, the banner, the alarm, acknowledge.

   The session cookie is HttpOnly, so this script never sees the long-lived token: for every
   (re)connection it asks /console/socket-token (a CSRF-checked POST) for a one-minute token and
   opens /api/v1/ws with it, resuming after the last event id it saw so no page is missed. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("inbox-config").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const alarm = window.vigilAlarm;
  const RANK = { high: 3, medium: 2, low: 1 };
  const pages = new Map();   // subject id -> {el, priority, state, owner, text}
  const waiting = new Map(); // ack frame ref -> subject id
  let socket = null, lastEventId = 0, retryMs = 1000, refs = 0;

  const $ = (id) => document.getElementById(id);
  const priorityOf = (severity) =>
    (severity in RANK) ? severity : (config.priorities[severity] || "low");

  function setConnection(state, text) {
    const el = $("connection");
    el.dataset.state = state;
    el.textContent = text;
  }

  function icon(priority) {
    return document.getElementById("icon-" + priority).content.cloneNode(true);
  }

  function card(subject, payload) {
    let page = pages.get(subject);
    if (page) return page;
    const el = $("page-card").content.firstElementChild.cloneNode(true);
    el.dataset.subject = subject;
    const ackForm = el.querySelector(".ack-form");
    if (ackForm) {
      ackForm.action = "/console/emergencies/" + encodeURIComponent(subject) + "/acknowledge";
      ackForm.addEventListener("submit", function (event) {
        if (acknowledge(subject)) event.preventDefault();  // else: the plain form POST
      });
    }
    const open = el.querySelector(".page-open");
    open.href = "/console/emergencies/" + encodeURIComponent(subject);
    page = { el: el, priority: "low", state: "open", owner: null, text: "" };
    pages.set(subject, page);
    $("pages").prepend(el);
    $("empty").hidden = true;
    return page;
  }

  function show(subject, payload) {
    const page = card(subject, payload);
    const detail = payload.detail || {};
    page.priority = priorityOf(payload.severity || detail.severity);
    page.text = payload.text || "";
    const el = page.el;
    el.className = "page priority-" + page.priority;
    el.querySelector(".page-icon").replaceChildren(icon(page.priority));
    el.querySelector(".page-priority").textContent = config.labels[page.priority];
    el.querySelector(".page-code").textContent =
      (detail.severity || payload.severity || "").replace("_", " ") + " · code " + (payload.short_code || "");
    el.querySelector(".page-text").textContent = payload.text || "";
    el.querySelector(".page-where").textContent = payload.location || "";
  }

  function settle(subject, state, owner) {
    const page = pages.get(subject);
    if (!page) return;
    page.state = state;
    page.owner = owner;
    const w = config.words;
    const words = { mine: w.mine, taken: w.taken.replace("{name}", owner),
                    closed: w.closed.replace("{status}", owner || w.stood_down) };
    page.el.classList.toggle("taken", state === "taken" || state === "mine");
    page.el.classList.toggle("closed", state === "closed");
    page.el.querySelector(".page-state").textContent = words[state] || "";
    const ack = page.el.querySelector(".ack-form");
    if (ack) ack.hidden = state !== "open";
  }

  /* The banner and the sound follow the most urgent page still waiting for someone. */
  function refresh() {
    let top = null;
    pages.forEach(function (page, subject) {
      if (page.state === "open" && (!top || RANK[page.priority] > RANK[top.page.priority])) {
        top = { page: page, subject: subject };
      }
    });
    const banner = $("banner");
    if (!top) {
      banner.hidden = true;
      alarm.sound(null);
      return;
    }
    banner.hidden = false;
    banner.className = "banner priority-" + top.page.priority;
    banner.dataset.subject = top.subject;
    banner.querySelector(".banner-icon").replaceChildren(icon(top.page.priority));
    banner.querySelector(".banner-text").textContent =
      config.labels[top.page.priority].toUpperCase() + ": " + top.page.text;
    alarm.sound(top.page.priority);
  }

  function onEvent(frame) {
    lastEventId = Math.max(lastEventId, frame.id || 0);
    const payload = frame.payload || {};
    const subject = payload.subject_id;
    if (!subject) return;
    const detail = payload.detail || {};
    if (frame.kind === "page" || frame.kind === "handover") {
      show(subject, payload);
      if (detail.status === "acknowledged" && frame.kind !== "handover") {
        settle(subject, detail.owner_name ? "taken" : "open", detail.owner_name);
      } else {
        settle(subject, "open", null);
      }
      if (payload.attempt_id && socket) {
        socket.send(JSON.stringify({ type: "receipt", attempt_id: payload.attempt_id }));
      }
    } else if (frame.kind === "ack_notice") {
      show(subject, payload);
      settle(subject, "taken", detail.owner_name || "someone else");
    } else if (frame.kind === "stand_down") {
      show(subject, payload);
      settle(subject, "closed", (detail.status || "").replace("_", " "));
    }
    refresh();
  }

  function onResult(frame) {
    const subject = waiting.get(frame.ref);
    if (!subject) return;
    waiting.delete(frame.ref);
    const details = frame.details || {};
    if (frame.ok) settle(subject, frame.owner_id === config.me ? "mine" : "taken", frame.owner_name);
    else if (details.owner_name) settle(subject, "taken", details.owner_name);
    else pages.get(subject).el.querySelector(".page-state").textContent = frame.message;
    refresh();
  }

  /* One press: over the socket if it is open (returns true), else the form posts itself. */
  function acknowledge(subject) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    const ref = "ack-" + (++refs);
    waiting.set(ref, subject);
    socket.send(JSON.stringify({ type: "ack", emergency_id: subject, ref: ref }));
    pages.get(subject).el.querySelector(".page-state").textContent = config.words.acknowledging;
    return true;
  }

  function reconnectLater(why) {
    setConnection("lost", config.words.lost + " (" + why + ")");
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10000);
  }

  function connect() {
    fetch("/console/socket-token", { method: "POST", headers: { "X-CSRF-Token": csrf },
                                     credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401) {
          const next = encodeURIComponent(location.pathname + location.search);
          location.assign("/console/sign-in?reason=expired&next=" + next);
          return null;
        }
        if (!response.ok) throw new Error("token " + response.status);
        return response.json();
      })
      .then(function (body) {
        if (!body) return;
        const scheme = location.protocol === "https:" ? "wss://" : "ws://";
        let url = scheme + location.host + "/api/v1/ws?token=" + encodeURIComponent(body.token);
        if (lastEventId) url += "&last_event_id=" + lastEventId;
        socket = new WebSocket(url);
        socket.onopen = function () {
          retryMs = 1000;
          setConnection("live", config.words.live);
        };
        socket.onmessage = function (message) {
          const frame = JSON.parse(message.data);
          if (frame.type === "event") onEvent(frame);
          else if (frame.type === "result") onResult(frame);
        };
        socket.onclose = function () { socket = null; reconnectLater("the socket closed"); };
      })
      .catch(function (error) { reconnectLater(error.message || "network"); });
  }

  const bannerAck = document.querySelector(".banner-ack");
  if (bannerAck) {
    bannerAck.addEventListener("click", function () {
      const subject = $("banner").dataset.subject;
      if (subject && !acknowledge(subject)) {
        pages.get(subject).el.querySelector(".ack-form").requestSubmit();
      }
    });
  }
  function soundPrompt() { $("sound").hidden = !alarm.needsPermission(); }
  alarm.onchange = soundPrompt;
  $("sound-on").addEventListener("click", function () { alarm.enable().then(soundPrompt); });
  soundPrompt();
  connect();
})();
