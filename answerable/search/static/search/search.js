// "/" focuses the search box from anywhere (UI.md §4), unless the agent is typing in a field.
(function () {
  "use strict";
  document.addEventListener("keydown", function (e) {
    var el = e.target;
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) return;
    var box = document.getElementById("search-q");
    if (!box) return;
    e.preventDefault();
    box.focus();
    box.select();
  });
})();
