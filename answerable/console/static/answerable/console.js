// Keyboard-first console (UI.md §4). Single keys act only outside fields; Ctrl/Cmd+Enter sends.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  var pendingG = false;
  function rows() { return Array.from(document.querySelectorAll("#rows tr.row")); }
  function move(step) {
    var all = rows(); if (!all.length) return;
    var i = all.findIndex(function (r) { return r.getAttribute("aria-selected") === "true"; });
    if (i >= 0) all[i].removeAttribute("aria-selected");
    i = Math.max(0, Math.min(all.length - 1, i + step));
    all[i].setAttribute("aria-selected", "true");
    all[i].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (e) {
    var composer = document.getElementById("composer");
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && composer && composer.contains(e.target)) {
      e.preventDefault(); composer.requestSubmit(); return;
    }
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    var sel = document.querySelector('#rows tr.row[aria-selected="true"]');
    if (pendingG) {
      pendingG = false;
      var go = { i: "/inbox/mine/", u: "/inbox/unassigned/", w: "/inbox/waiting/" }[e.key];
      if (go) { window.location = go; return; }
    }
    if (e.key === "?") { var d = document.getElementById("keys"); if (d && !d.open) d.showModal(); return; }
    if (e.key === "g") { pendingG = true; setTimeout(function () { pendingG = false; }, 1500); return; }
    if (e.key === "j") move(1);
    else if (e.key === "k") move(-1);
    else if ((e.key === "o" || e.key === "Enter") && sel) window.location = sel.dataset.href;
    else if (e.key === "u" && document.querySelector(".back")) window.location = document.querySelector(".back").href;
    else if ((e.key === "r" || e.key === "n") && composer) {
      e.preventDefault();
      composer.querySelector('input[name=kind][value=' + (e.key === "r" ? "reply" : "note") + ']').checked = true;
      composer.querySelector("textarea").focus();
    } else if (e.key === "m" && document.getElementById("macro")) { e.preventDefault(); document.getElementById("macro").focus(); }
    else if (e.key === "e" && document.querySelector("#escalation details")) {
      // Escalate: open the form and put the cursor on whom to ask.
      e.preventDefault();
      var esc = document.querySelector("#escalation details"); esc.open = true;
      esc.querySelector("select").focus();
    }
  });
  // Drafting state for the collision notice, and macros filled into the composer.
  window.answerableDrafting = false;
  document.addEventListener("input", function (e) {
    if (e.target.id === "id_text") window.answerableDrafting = e.target.value.trim().length > 0;
  });
  document.addEventListener("change", function (e) {
    if (e.target.id !== "macro" || !e.target.value) return;
    var url = e.target.dataset.url.replace(/\/0\/$/, "/" + e.target.value + "/");
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : ""; }).then(function (text) {
      var area = document.getElementById("id_text");
      if (text && area) { area.value = area.value ? area.value + "\n\n" + text : text; area.focus(); window.answerableDrafting = true; }
      e.target.value = "";
    });
  });
  // One-click coach fixes: replace the quoted span in the draft (found again by its text if the agent typed
  // since), remember the fix for the coaching record, and let the coach look at the draft again.
  document.addEventListener("click", function (e) {
    var fix = e.target.closest && e.target.closest(".coach-fix");
    if (!fix) return;
    var area = document.getElementById("id_text"), d = fix.dataset;
    if (!area) return;
    var start = parseInt(d.start, 10), end = parseInt(d.end, 10), text = area.value;
    if (text.slice(start, end) !== d.quote) {
      start = text.indexOf(d.quote); end = start + d.quote.length;
      if (start < 0) return;
    }
    area.value = text.slice(0, start) + d.replacement + text.slice(end);
    var note = document.createElement("input");
    note.type = "hidden"; note.name = "coach_fixed"; note.value = d.check + ":" + d.quote;
    area.form.appendChild(note);
    fix.disabled = true;
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });
  document.addEventListener("click", function (e) {
    var row = e.target.closest && e.target.closest("#rows tr.row");
    if (row && e.target.tagName !== "A") window.location = row.dataset.href;
  });
  document.body && document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "conversation") window.answerableDrafting = false;
  });
})();
