// Sillage, livret scolaire: the entry grid saves each row as soon as a
// value changes (htmx). A refused row (400, 403, 409) comes back marked
// "failed" with the reason: swap it in like a success. No answer at all
// marks the row failed, so nothing looks saved that is not.
(function () {
  "use strict";
  function row(e) {
    var elt = e.detail && e.detail.elt;
    return elt && elt.closest ? elt.closest(".lsu-row") : null;
  }
  document.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    if ((status === 400 || status === 403 || status === 409) && row(e)) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  function failed(e) {
    var r = row(e);
    if (!r) return;
    r.classList.remove("saved");
    r.classList.add("failed");
    var s = r.querySelector(".row-status");
    if (s) s.textContent = "non enregistré : réessayez";
  }
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:beforeRequest", function (e) {
    var r = row(e);
    if (!r) return;
    var s = r.querySelector(".row-status");
    if (s) s.textContent = "enregistrement…";
  });
})();
