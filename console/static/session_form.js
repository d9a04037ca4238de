/* The start form: choosing a monitoring type fills the alarm limits with that type's defaults
   (the same numbers the server starts from, sent in the page). */
(function () {
  "use strict";
  const defaults = JSON.parse(document.getElementById("threshold-defaults").textContent);
  const kind = document.getElementById("monitoring_type");
  kind.addEventListener("change", function () {
    const limits = defaults[kind.value] || {};
    Object.keys(limits).forEach(function (name) {
      const input = document.getElementById("threshold_" + name);
      if (input) input.value = limits[name];
    });
  });
})();
