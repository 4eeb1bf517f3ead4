/*
 * wagtail-family-portal — planning pages: small enhancements only; every page works without it.
 * The calendar address gets a "Copy" button (the address stays selectable without it).
 */
(function () {
  "use strict";

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
