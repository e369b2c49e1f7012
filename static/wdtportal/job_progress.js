// A job's live progress page: kept current from progress.json every 1.5 s until the job has finished.
// A static file (the Content-Security-Policy allows no inline script); the page gives its data in data-attributes.
(function () {
  "use strict";
  var root = document.getElementById("job");
  if (!root) { return; }
  var lang = document.documentElement.lang || "zh-hans";
  // The server groups thousands (USE_THOUSAND_SEPARATOR); the live figures are formatted the same way.
  function num(x, digits) {
    if (x === null || x === undefined) { return "—"; }
    var decimals = Number.isInteger(x) ? 0 : (digits || 0);
    return new Intl.NumberFormat(lang, {minimumFractionDigits: decimals, maximumFractionDigits: decimals}).format(x);
  }
  var set = function (id, value) { document.getElementById(id).textContent = value; };
  function row(i) {
    var tr = document.createElement("tr");
    tr.className = "job-item-" + i.state;
    var cells = [num(i.position), i.label, i.state_display, i.message];
    cells.forEach(function (text, n) {
      var td = document.createElement("td");
      if (n === 1 && i.url) {
        var a = document.createElement("a");
        a.href = i.url;
        a.textContent = text;
        td.appendChild(a);
      } else {
        td.textContent = text;
      }
      td.className = ["num", "docno", "nowrap job-state-" + i.state, ""][n];
      tr.appendChild(td);
    });
    return tr;
  }
  function show(p) {
    document.getElementById("job-bar").value = p.percent;
    ["processed", "total", "done", "failed", "unknown", "skipped"].forEach(function (key) {
      set("job-" + key, num(p[key]));
    });
    set("job-status", p.status_display);
    set("job-percent", num(p.percent, 1));
    set("job-rate", num(p.rate, 2));
    set("job-message", p.message);
    // The amounts come once the job has finished (summed then, not at every poll).
    if (p.amount && document.getElementById("job-amount")) { set("job-amount", p.amount); }
    if (p.amount_done && document.getElementById("job-amount-done")) { set("job-amount-done", p.amount_done); }
    var file = p.file;
    document.getElementById("job-file").hidden = !file;
    if (file) {
      var link = document.getElementById("job-file-link");
      link.hidden = !file.url;
      link.href = file.url || "#";
      set("job-file-name", file.name);
      set("job-file-size", file.size);
      set("job-file-note", file.note);
    }
    var left = document.getElementById("job-left");
    left.textContent = p.seconds_left === null ? "—" : num(p.seconds_left) + " " + left.dataset.unit;
    set("job-span", p.items_span);
    document.getElementById("job-prev").hidden = p.page <= 1;
    document.getElementById("job-next").hidden = p.page >= p.pages;
    var body = document.getElementById("job-items");
    body.replaceChildren.apply(body, p.items.map(row));
    return p.status === "finished";
  }
  // Logged out (idle too long) or asked for the second factor: say so and stop; the job goes on in the workers.
  function stopped(answer) {
    set("job-message", answer.message || "");
    document.getElementById("job-message").classList.add("errornote");
  }
  function poll() {
    var query = new URLSearchParams({page: root.dataset.page});
    if (root.dataset.state) { query.set("state", root.dataset.state); }
    // X-Portal-Poll: this request is the page's, not a person's; it keeps no idle session alive.
    fetch(root.dataset.url + "?" + query,
          {credentials: "same-origin", headers: {"Accept": "application/json", "X-Portal-Poll": "1"}})
      .then(function (r) {
        return r.json().then(function (answer) { return {ok: r.ok, answer: answer}; });
      })
      .then(function (result) {
        if (!result.ok) { stopped(result.answer); return; }
        if (!show(result.answer)) { setTimeout(poll, 1500); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (root.dataset.finished !== "1") { setTimeout(poll, 1000); }
})();
