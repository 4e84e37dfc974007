// Keep keyboard focus where it was when htmx swaps the part that held it (a ticked item, a
// milestone marked done): the new element carries the same id, so focus goes back to it. When
// what had focus is gone for good (a folded phase opened in place), focus goes to the new
// part's heading, so the next Tab reads on from there instead of from the top of the page.
// A form that comes back with errors puts focus on its first wrong field; a row opened for a
// correction, on its first field.
(function () {
  "use strict";
  var focused = null;
  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focused = active && active !== document.body ? active : null;
  });
  function shown(element) {
    // Focusable where it is: laid out, and not inside a closed <details>.
    if (!element.getClientRects().length) return false;
    var details = element.closest("details");
    return !details || details.open || element.tagName === "SUMMARY";
  }
  // One response may settle several parts (the section and, out of band, a line elsewhere):
  // look at all of them once they are in place.
  var settled = [];
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.querySelector) settled.push(event.target);
    if (settled.length === 1) window.setTimeout(placeFocus, 0);
  });
  function within(parts, selector) {
    for (var i = 0; i < parts.length; i++) {
      var found = parts[i].matches(selector) ? parts[i] : parts[i].querySelector(selector);
      if (found) return found;
    }
    return null;
  }
  function placeFocus() {
    var parts = settled;
    var before = focused;
    settled = [];
    focused = null;
    // A form that came back with errors: its first wrong field, where it is said why.
    var invalid = within(parts, "[aria-invalid='true']");
    if (invalid) {
      invalid.focus();
      return;
    }
    // A row opened for a correction: its first field.
    var row = within(parts, "[data-focus-first]");
    var field = row && row.querySelector("input:not([type=hidden]), select, textarea");
    if (field) {
      field.focus();
      return;
    }
    if (!before) return;
    if (document.body.contains(before)) {
      // Not swapped; but a button disabled during the request has lost focus: give it back.
      if (document.activeElement === document.body) before.focus();
      return;
    }
    var again = before.id ? document.getElementById(before.id) : null;
    if (again && shown(again)) {
      again.focus();
      return;
    }
    // A heading made focusable for this (never a hidden helper button with tabindex=-1).
    var heading = within(parts, "h1[tabindex='-1'], h2[tabindex='-1'], h3[tabindex='-1']");
    if (heading) heading.focus();
  }
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

// Copy buttons (data-copy="<id of the field>") and Print buttons (data-print): shown only where
// the browser can do it, so a page without JavaScript shows neither. A polite live region says
// what happened; a click outside a secure page (no clipboard) selects the text instead.
(function () {
  "use strict";
  function say(button, words) {
    var status = button.parentNode.querySelector(".copy-status");
    if (!status) {
      status = document.createElement("span");
      status.className = "copy-status";
      status.setAttribute("role", "status");
      button.parentNode.appendChild(status);
    }
    status.textContent = words;
  }
  function show(root) {
    root.querySelectorAll("button[data-copy], button[data-print]").forEach(function (button) {
      if (button.hasAttribute("data-print") ? window.print : true) button.hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { show(document); });
  document.addEventListener("htmx:afterSettle", function (event) { show(event.target); });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy], button[data-print]");
    if (!button) return;
    if (button.hasAttribute("data-print")) {
      window.print();
      return;
    }
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { say(button, "Copied."); },
        function () { field.select(); say(button, "Press Ctrl+C (or Cmd+C) to copy."); }
      );
    } else {
      field.select();
      say(button, "Selected: press Ctrl+C (or Cmd+C) to copy.");
    }
  });
})();
