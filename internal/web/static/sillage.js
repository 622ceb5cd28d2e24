// Sillage: the session countdown in the header. The server renders the
// expiry instant; every htmx request (which extends the session) restarts it.
(function () {
  "use strict";
  function start() {
    var el = document.querySelector(".expiry");
    if (!el) return;
    var out = el.querySelector(".remaining");
    var idle = parseInt(el.getAttribute("data-expires"), 10) * 1000 - Date.now();
    var expires = Date.now() + idle;
    function tick() {
      var left = Math.max(0, Math.round((expires - Date.now()) / 60000));
      out.textContent = left <= 0 ? "expirée" : left + " min";
      if (left <= 0) { clearInterval(timer); }
    }
    var timer = setInterval(tick, 30000);
    tick();
    document.body.addEventListener("htmx:afterRequest", function () {
      expires = Date.now() + idle;
      tick();
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
