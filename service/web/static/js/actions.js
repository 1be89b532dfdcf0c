// Buttons that only run a browser action, bound here because the pages' content security policy
// runs no inline script (no onclick=, no javascript: links).
(function () {
  "use strict";
  var actions = {
    back: function () { window.history.back(); },
    print: function () { window.print(); },
  };
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-action]");
    if (!target || !actions[target.dataset.action]) {
      return;
    }
    event.preventDefault();
    actions[target.dataset.action]();
  });
  // A "select all" box for a batch: <input type="checkbox" data-select-all="FORM-ID"> ticks every box of that form.
  document.addEventListener("change", function (event) {
    var all = event.target.closest("input[data-select-all]");
    if (!all) {
      return;
    }
    document.querySelectorAll('input[type=checkbox][form="' + all.dataset.selectAll + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });
  // Forms that ask before they are sent: <form data-confirm="…"> (the question is the template's text).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
