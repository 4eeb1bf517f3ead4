/*
 * wagtail-family-portal — planning pages: small enhancements only; every page works without it.
 * Back from a one-day request, the focus is on the cell just changed: the page's address ends
 * with its id, which makes browsers scroll to it (Chromium focuses it when it is a link).
 * The calendar address gets a "Copy" button (the address stays selectable without it).
 */
(function () {
  "use strict";

  var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (target && target.classList.contains("wfp-cell__body") && document.activeElement !== target) {
    if (!target.matches("a[href]")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  document.querySelectorAll("[data-wfp-copy]").forEach(function (input) {
    if (!navigator.clipboard) {
      return;
    }
    var button = document.createElement("button");
    var status = document.createElement("span");
    button.type = "button";
    button.className = "wfp-button wfp-button--secondary wfp-button--small";
    button.textContent = input.getAttribute("data-wfp-copy");
    status.className = "wfp-muted";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        status.textContent = " " + input.getAttribute("data-wfp-copied");
      });
    });
    input.insertAdjacentElement("afterend", status);
    input.insertAdjacentElement("afterend", button);
  });
})();
