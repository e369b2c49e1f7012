// The import page: reading and checking a large file takes a few seconds. Say so, and keep a second click from
// sending it twice. The message comes translated in the script tag's data-busy-text.
(function () {
  "use strict";
  var busyText = document.currentScript.dataset.busyText;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#content form").forEach(function (form) {
      form.addEventListener("submit", function () {
        setTimeout(function () {  // after the browser has taken the form's values (a disabled button sends none)
          form.querySelectorAll("input[type=submit], button[type=submit]").forEach(function (button) {
            button.disabled = true;
          });
        }, 0);
        var status = document.createElement("p");
        status.className = "excel-busy";
        status.setAttribute("role", "status");
        status.textContent = busyText;
        form.querySelector(".submit-row").appendChild(status);
      });
    });
  });
})();
