/*
 * wagtail-family-portal — the period form ("Réservations"): a small enhancement only; the form
 * works without it (its links reopen it for another activity).
 * Choosing another activity ticks that activity's weekdays and the children enrolled in it,
 * read from the option's data-weekdays and data-children, and says so to screen readers.
 */
(function () {
  "use strict";

  var select = document.querySelector("[data-wfp-period-activity]");
  if (!select || !select.form) {
    return;
  }
  var form = select.form;
  var status = form.querySelector("[data-wfp-period-status]");

  function values(option, name) {
    return (option.getAttribute(name) || "").split(" ").filter(Boolean);
  }

  function tick(name, wanted) {
    form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = wanted.indexOf(box.value) !== -1;
    });
  }

  form.querySelectorAll("[data-wfp-period-links]").forEach(function (links) {
    links.hidden = true;
  });
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    if (!option) {
      return;
    }
    tick("weekdays", values(option, "data-weekdays"));
    tick("children", values(option, "data-children"));
    if (status) {
      status.textContent = status.getAttribute("data-wfp-message");
    }
  });
})();
