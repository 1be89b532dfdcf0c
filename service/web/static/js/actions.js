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
  // The Chinese file picker: the chosen files' names beside the 选择文件 button (the input is hidden).
  document.addEventListener("change", function (event) {
    var input = event.target.closest("input.file-input");
    var names = input && input.parentNode.querySelector(".file-names");
    if (!names) {
      return;
    }
    var files = Array.prototype.map.call(input.files, function (f) { return f.name; });
    names.textContent = files.length === 0 ? "未选择文件" : files.length > 3 ? "已选择 " + files.length + " 个文件" : files.join("、");
  });
  // Forms that ask before they are sent: <form data-confirm="…"> (the question is the template's text).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
