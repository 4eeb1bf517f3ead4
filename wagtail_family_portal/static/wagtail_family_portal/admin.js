/*
 * wagtail-family-portal — the agents' admin screens: small behaviours, in a file rather than
 * inline scripts and onclick attributes, so that a strict Content-Security-Policy on the admin
 * does not stop them.
 */
(function () {
  "use strict";

  // Loaded once per page even when several screens' parts ask for it.
  if (window.wfpAdminScript) {
    return;
  }
  window.wfpAdminScript = true;

  function ready(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback);
    } else {
      callback();
    }
  }

  // The attendance sheet's "Print" button.
  function printButtons() {
    document.querySelectorAll("[data-wfp-print]").forEach(function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  // E-mail texts: show the placeholders of the e-mail chosen in the form (every e-mail's
  // before a choice).
  function placeholderPanels() {
    document.querySelectorAll("[data-wfp-placeholders-panel]").forEach(function (panel) {
      var form = panel.closest("form");
      var name = panel.getAttribute("data-wfp-kind-field");
      var select = form && name ? form.elements.namedItem(name) : null;
      if (!select) {
        return;
      }
      select.addEventListener("change", function () {
        panel.querySelectorAll("[data-wfp-placeholders]").forEach(function (block) {
          block.hidden = Boolean(select.value) && block.dataset.wfpPlaceholders !== select.value;
        });
      });
    });
  }

  // E-mail texts: "Preview" and "Send me a test" post the form to another tab; the form stays
  // open, and leaving it with unsaved changes must still ask for confirmation.
  function keepFormButtons() {
    document.querySelectorAll("[data-wfp-keep-form]").forEach(function (button) {
      var form = button.form;
      if (!form) {
        return;
      }
      button.addEventListener("click", function () {
        setTimeout(function () {
          form.setAttribute("data-w-unsaved-confirmation-value", "true");
        });
      });
    });
  }

  // Wagtail's date picker on the inputs of admin/widgets.py (its own widget starts it from an
  // inline script); filters that the admin reloads in place get theirs too.
  function dateChoosers() {
    if (typeof window.initDateChooser !== "function") {
      return;
    }
    document.querySelectorAll("input[data-wfp-date-chooser]").forEach(function (input) {
      if (input.hasAttribute("data-wfp-date-ready") || !input.id) {
        return;
      }
      input.setAttribute("data-wfp-date-ready", "");
      window.initDateChooser(input.id, JSON.parse(input.getAttribute("data-wfp-date-chooser")));
    });
  }

  ready(function () {
    dateChoosers();
    new MutationObserver(dateChoosers).observe(document.body, { childList: true, subtree: true });
    printButtons();
    placeholderPanels();
    keepFormButtons();
  });
})();
