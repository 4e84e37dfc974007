// Keep keyboard focus where it was when htmx swaps the part that held it (a ticked item, a
// milestone marked done): the new element carries the same id, so focus goes back to it. When
// what had focus is gone for good (a folded phase opened in place), focus goes to the new
// part's heading, so the next Tab reads on from there instead of from the top of the page.
(function () {
  "use strict";
  var focused = null;
  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focused = active && active !== document.body ? active : null;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!focused) return;
    var before = focused;
    focused = null;
    if (document.body.contains(before)) {
      // Not swapped; but a button disabled during the request has lost focus: give it back.
      if (document.activeElement === document.body) before.focus();
      return;
    }
    var again = before.id ? document.getElementById(before.id) : null;
    if (again) {
      again.focus();
      return;
    }
    var part = event.target;
    var heading = part && part.querySelector ? part.querySelector("[tabindex='-1']") : null;
    if (heading) heading.focus();
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
