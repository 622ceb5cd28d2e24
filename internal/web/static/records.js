// Sillage — the learning record's pages: keyboard navigation in the
// evaluation grid (each cell is saved by htmx as soon as it changes),
// confirmation of destructive forms, the sheet form's context fields.
(function () {
  "use strict";

  function gridInput(table, row, col) {
    return table.querySelector('input[data-row="' + row + '"][data-col="' + col + '"], textarea[data-row="' + row + '"][data-col="' + col + '"]');
  }

  function move(input, dRow, dCol) {
    var table = input.closest("table.grid");
    if (!table) return false;
    var row = parseInt(input.getAttribute("data-row"), 10) + dRow;
    var col = parseInt(input.getAttribute("data-col"), 10) + dCol;
    var next = gridInput(table, row, col);
    if (!next) return false;
    next.focus();
    return true;
  }

  function atStart(input) {
    return input.selectionStart === 0 && input.selectionEnd === 0;
  }

  function atEnd(input) {
    return input.selectionStart === input.value.length && input.selectionEnd === input.value.length;
  }

  document.addEventListener("keydown", function (e) {
    var input = e.target;
    var area = input instanceof HTMLTextAreaElement;
    if (!(input instanceof HTMLInputElement || area) || !input.closest("table.grid")) return;
    var handled = false;
    switch (e.key) {
      case "ArrowDown":
        // In a comment of several lines, the arrows first move in the text.
        if (!area || input.value.indexOf("\n", input.selectionEnd) === -1) handled = move(input, 1, 0);
        break;
      case "ArrowUp":
        if (!area || input.value.lastIndexOf("\n", input.selectionStart - 1) === -1) handled = move(input, -1, 0);
        break;
      case "Enter":
        // Leaving the cell saves it (change event), then go down.
        handled = move(input, e.shiftKey ? -1 : 1, 0) || (input.blur(), true);
        break;
      case "ArrowLeft":
        if (atStart(input) || input.classList.contains("code")) handled = move(input, 0, -1);
        break;
      case "ArrowRight":
        if (atEnd(input) || input.classList.contains("code")) handled = move(input, 0, 1);
        break;
      case "Escape":
        input.value = input.defaultValue;
        handled = true;
        break;
    }
    if (handled) e.preventDefault();
  });

  // A grid cell's whole content (code or comment) is selected on focus, so
  // typing replaces it, as in a text field.
  document.addEventListener("focusin", function (e) {
    var input = e.target;
    var cell = input instanceof HTMLInputElement && input.classList.contains("code");
    var comment = input instanceof HTMLTextAreaElement && input.classList.contains("comment");
    if ((cell || comment) && input.closest("table.grid")) {
      input.select();
    }
  });

  // Codes are upper case on the scale: show them so while typing.
  document.addEventListener("input", function (e) {
    var input = e.target;
    if (input instanceof HTMLInputElement && input.classList.contains("code")) {
      var pos = input.selectionStart;
      input.value = input.value.toUpperCase();
      input.setSelectionRange(pos, pos);
    }
  });

  // A refused cell (400, 403, 409) is answered with the cell marked
  // "failed" and the reason: swap it in like a success.
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    if ((status === 400 || status === 403 || status === 409) && e.detail.elt.closest("table.grid")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  // No answer at all (network down, server error): mark the cell failed so
  // nothing looks saved that is not.
  function failed(e) {
    var td = e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("table.grid td");
    if (!td) return;
    td.classList.remove("saved");
    td.classList.add("failed");
    var status = td.querySelector(".cell-status");
    if (status) status.textContent = "non enregistré : réessayez";
  }
  document.body.addEventListener("htmx:sendError", failed);
  document.body.addEventListener("htmx:responseError", failed);
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    var td = e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("table.grid td");
    if (td) {
      td.classList.remove("saved", "failed");
      td.classList.add("saving");
    }
  });

  // Forms that destroy something ask first.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var msg = form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });

  // The sheet form shows the fields of the chosen context.
  function syncContext() {
    var form = document.querySelector("form.sheet-form");
    if (!form) return;
    var pfmp = form.querySelector('input[name="contexte"][value="pfmp"]');
    var isPFMP = pfmp && pfmp.checked;
    form.querySelectorAll(".context-pfmp").forEach(function (el) { el.hidden = !isPFMP; });
    form.querySelectorAll(".context-class").forEach(function (el) { el.hidden = isPFMP; });
  }
  document.addEventListener("change", function (e) {
    if (e.target.name === "contexte") syncContext();
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", syncContext);
  } else {
    syncContext();
  }
})();
