// Keep keyboard focus where it was when htmx swaps the part that held it (a ticked item, a
// milestone marked done): the new element carries the same id, so focus goes back to it.
(function () {
  "use strict";
  var focusedId = null;
  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focusedId = active && active.id ? active.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!focusedId) return;
    var again = document.getElementById(focusedId);
    focusedId = null;
    if (again && again !== document.activeElement) again.focus();
  });
})();
