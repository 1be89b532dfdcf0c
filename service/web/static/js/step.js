// The step form: marks the comment as required when the chosen decision needs one (the server
// checks it too), and refuses attachments over the size limit before anything is sent, so
// nothing typed is lost to a refused upload.
(function () {
  "use strict";
  var form = document.getElementById("step-form");
  if (!form) return;
  var label = document.getElementById("comment-label");
  var comment = document.getElementById("comment");
  function update() {
    var chosen = form.querySelector("input[name=decision]:checked");
    var needed = chosen && chosen.getAttribute("data-comment-required") === "true";
    if (label) label.classList.toggle("required", !!needed);
    if (comment) comment.required = !!needed;
  }
  form.querySelectorAll("input[name=decision]").forEach(function (radio) {
    radio.addEventListener("change", update);
  });
  update();

  var files = document.getElementById("files");
  var limit = parseInt(form.getAttribute("data-max-mb"), 10) * 1024 * 1024;
  form.addEventListener("submit", function (event) {
    if (!files || !files.files) return;
    var total = 0;
    for (var i = 0; i < files.files.length; i++) total += files.files[i].size;
    var old = document.getElementById("files-size-error");
    if (old) old.remove();
    if (total > limit) {
      event.preventDefault();
      var message = document.createElement("p");
      message.className = "error";
      message.id = "files-size-error";
      message.setAttribute("role", "alert");
      message.textContent = "附件合计 " + (total / 1048576).toFixed(1) + " MB,超过了 " + form.getAttribute("data-max-mb") +
        " MB 的上限,请删减或压缩后再提交。";
      files.setAttribute("aria-invalid", "true");
      files.insertAdjacentElement("afterend", message);
      files.focus();
    }
  });
})();
