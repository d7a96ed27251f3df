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
  document.addEventListener("htmx:sendError", function () {
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
})();
