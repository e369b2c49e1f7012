// "Back" on the error pages: the browser's back when there is a page to go back to; otherwise the link's own
// address (the dashboard). A static file, because the Content-Security-Policy allows no inline script.
document.querySelectorAll("a[data-history-back]").forEach(function (link) {
  "use strict";
  link.addEventListener("click", function (event) {
    if (window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
});
