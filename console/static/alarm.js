/* The inbox's audible alarm: WebAudio beeps that repeat until nothing open is left to answer.
   Each priority has its own burst and repeat interval (after IEC 60601-1-8: high is the most
   urgent and repeats most often). `window.vigilAlarm.playing` is true only while bursts are
   really being scheduled on a running audio context; the browser tests read it. */
(function () {
  "use strict";
  const PATTERNS = {
    high: { freq: 880, pulses: [0, 0.2, 0.4, 1.0, 1.2], every_s: 5 },
    medium: { freq: 660, pulses: [0, 0.3, 0.6], every_s: 10 },
    low: { freq: 520, pulses: [0, 0.4], every_s: 20 },
  };
  const alarm = { priority: null, playing: false, beeps: 0, context: null, timer: null,
                  onchange: function () {} };

  function context() {
    if (!alarm.context) {
      const Ctor = window.AudioContext || window.webkitAudioContext;
      alarm.context = Ctor ? new Ctor() : null;
      if (alarm.context) alarm.context.onstatechange = burst;
    }
    return alarm.context;
  }

  function burst() {
    const ctx = context();
    const pattern = PATTERNS[alarm.priority];
    const running = !!(ctx && ctx.state === "running");
    alarm.playing = !!pattern && running;
    if (alarm.playing) {
      const start = ctx.currentTime + 0.05;
      pattern.pulses.forEach(function (offset) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.frequency.value = pattern.freq;
        gain.gain.setValueAtTime(0.0001, start + offset);
        gain.gain.exponentialRampToValueAtTime(0.5, start + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.16);
        osc.connect(gain).connect(ctx.destination);
        osc.start(start + offset);
        osc.stop(start + offset + 0.18);
        alarm.beeps += 1;
      });
    }
    alarm.onchange();
  }

  /* Sound the alarm for `priority` ("high", "medium", "low"), or silence it (null). */
  alarm.sound = function (priority) {
    if (priority === alarm.priority) return;
    clearInterval(alarm.timer);
    alarm.priority = priority;
    if (priority) alarm.timer = setInterval(burst, PATTERNS[priority].every_s * 1000);
    burst();
  };

  /* Browsers start audio only after a press on the page: the inbox offers a button for it. */
  alarm.needsPermission = function () {
    const ctx = context();
    return !!ctx && ctx.state !== "running";
  };
  alarm.enable = function () {
    const ctx = context();
    return ctx ? ctx.resume().then(burst) : Promise.resolve();
  };

  window.vigilAlarm = alarm;
})();
