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

// A button that asks first (data-confirm), inside a form that posts with htmx: the course
// page's milestone is one form, and only its Reopen button asks. Without JavaScript the form
// posts without asking, as every form does.
(function () {
  "use strict";
  document.addEventListener("htmx:confirm", function (event) {
    var submit = event.detail.triggeringEvent;
    var button = submit && submit.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (!question) return;
    event.preventDefault();
    if (window.confirm(question)) event.detail.issueRequest(true);
  });
})();
