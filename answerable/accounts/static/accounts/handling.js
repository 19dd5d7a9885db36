// Handling time: the ticket page beats every 30 s (accounts/ticket_include.html) only while the tab is
// visible and the agent used it in the last three minutes, so hidden and idle tabs count nothing.
(function () {
  var IDLE_MS = 180000;
  var lastInput = Date.now();
  ["keydown", "mousemove", "mousedown", "wheel", "scroll", "touchstart", "input", "focus"].forEach(function (name) {
    window.addEventListener(name, function () { lastInput = Date.now(); }, { passive: true, capture: true });
  });
  window.answerableInUse = function () {
    return document.visibilityState === "visible" && Date.now() - lastInput < IDLE_MS;
  };
})();
