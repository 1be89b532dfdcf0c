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
  // Forms that ask before they are sent: <form data-confirm="…"> (the question is the template's text).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
