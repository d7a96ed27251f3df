// Parcours: the little that plain HTML and htmx do not do. No inline script anywhere (CSP).
(function () {
  "use strict";
  // Toasts fade away on their own.
  document.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll("#toasts .toast:not([data-timed])").forEach(function (el) {
      el.dataset.timed = "1";
      setTimeout(function () { el.remove(); }, 6000);
    });
  });
  // A network failure gets a clear message instead of silence.
  document.addEventListener("htmx:sendError", function (e) {
    if (e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("form[data-sync]")) return; // kept: outbox.js
    var box = document.getElementById("toasts");
    if (!box) return;
    var el = document.createElement("div");
    el.className = "toast error";
    el.setAttribute("role", "alert");
    el.textContent = document.documentElement.lang === "fr"
      ? "Pas de réseau : rien n'a été envoyé. Réessayez dans un instant."
      : "No network: nothing was sent. Try again in a moment.";
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 6000);
  });
  // Invitation links: one tap selects the whole link, ready to copy.
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("[data-select-on-focus]")) e.target.select();
  });
  // Person cards: a print button without inline script.
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) window.print();
  });
  // Field forms. A search box inside a form never submits it with the phone's "Go" key.
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.matches && e.target.matches("[data-no-submit]")) e.preventDefault();
  });
  // One-tap − and + beside a number box (materials, people counted).
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-step]");
    if (!btn) return;
    var input = document.getElementById(btn.dataset.for);
    if (!input) return;
    var min = parseInt(btn.dataset.min || input.min || "0", 10), max = parseInt(input.max || "1000", 10);
    var next = (parseInt(input.value, 10) || 0) + parseInt(btn.dataset.step, 10);
    input.value = String(Math.min(max, Math.max(min, next)));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
  // "Add my position": the phone's position into the form's hidden fields (CSP allows geolocation=(self)).
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-geolocate]");
    if (!btn) return;
    var status = document.getElementById(btn.dataset.status), form = btn.form;
    if (!navigator.geolocation || !form) { if (status) status.textContent = btn.dataset.failed; return; }
    if (status) status.textContent = btn.dataset.waiting;
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.latitude.value = pos.coords.latitude.toFixed(6);
      form.elements.longitude.value = pos.coords.longitude.toFixed(6);
      form.elements.accuracy_m.value = String(Math.round(pos.coords.accuracy));
      if (status) status.textContent = btn.dataset.done.replace("%s", String(Math.round(pos.coords.accuracy)));
    }, function () {
      if (status) status.textContent = btn.dataset.failed;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
  // A person added to an encounter: the search box is emptied for the next one, and nobody is added twice.
  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.detail.target || e.detail.target.id !== "picked") return;
    var seen = {};
    e.detail.target.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      if (seen[box.value]) box.closest("label").remove(); else seen[box.value] = true;
    });
    document.querySelectorAll("[data-add-person]").forEach(function (btn) {
      btn.hidden = !!seen[btn.dataset.addPerson];
    });
    var search = document.querySelector("[data-person-search]"), results = document.getElementById("person-results");
    if (search) search.value = "";
    if (results) results.innerHTML = "";
  });
  // A strip of tabs wider than the phone shows its current tab: "Health" or "Accommodation" sat off screen.
  htmx.onLoad(function (root) {
    var strips = root.matches && root.matches(".tabs") ? [root] : root.querySelectorAll(".tabs");
    Array.prototype.forEach.call(strips, function (strip) {
      var on = strip.querySelector("a.on");
      if (!on || strip.scrollWidth <= strip.clientWidth) return;
      var left = on.getBoundingClientRect().left - strip.getBoundingClientRect().left;
      strip.scrollLeft += left - (strip.clientWidth - on.offsetWidth) / 2;
    });
  });
  // After a boosted form: the confirmation at the top is shown, or else the first error message.
  document.addEventListener("htmx:afterSettle", function (e) {
    if (!e.detail.boosted) return;
    var target = document.querySelector("[data-scroll-top]") || document.querySelector("main .err, main .alert.error");
    if (target) target.scrollIntoView({ block: "center" });
    else if (e.detail.requestConfig && e.detail.requestConfig.verb === "post") window.scrollTo(0, 0);
  });
})();
