// 导入: a file past the server's size refused before it is sent; each form sent once (a second click would
// send the upload again, or confirm it twice, which the server refuses).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var send = document.querySelector("form.send");
  if (send) {
    var input = send.querySelector("input[type=file]");
    var note = document.getElementById("too-large");
    var most = Number(send.getAttribute("data-max-bytes"));
    input.addEventListener("change", function () {
      var big = input.files.length > 0 && most > 0 && input.files[0].size > most;
      note.hidden = !big;
      input.setCustomValidity(big ? note.textContent : "");
    });
  }
  document.querySelectorAll("form.send, form.confirm").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = form.querySelector("button[type=submit]");
      if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
      form.setAttribute("data-sent", "1");
      window.setTimeout(function () {  // after the form's own submission has begun
        button.disabled = true;
        button.textContent = form.classList.contains("confirm") ? "正在导入…" : "正在上传并检查…";
      }, 0);
    });
  });
});
