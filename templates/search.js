// The site's search: a filter over window.EVIDENT_SEARCH (search-index.js),
// built when the site was. Every word typed must appear in an entry. No
// network, no library; results are made with createElement and textContent,
// so evidence text in the index is always shown as text.
(function () {
  "use strict";
  var index = window.EVIDENT_SEARCH || [];
  var hay = index.map(function (e) { return (e.k + " " + e.t + " " + (e.x || "")).toLowerCase(); });
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("results");
  var limit = 200;

  function run() {
    var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    while (list.firstChild) list.removeChild(list.firstChild);
    if (terms.length === 0) {
      status.textContent = "Type to search " + index.length + " entries.";
      return;
    }
    var found = 0;
    for (var i = 0; i < index.length; i++) {
      var h = hay[i];
      if (!terms.every(function (t) { return h.indexOf(t) >= 0; })) continue;
      found++;
      if (found > limit) continue;
      var e = index[i];
      var li = document.createElement("li");
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = e.k;
      var a = document.createElement("a");
      a.href = e.u;
      a.textContent = e.t;
      li.appendChild(kind);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(a);
      if (e.x) {
        var x = document.createElement("div");
        x.className = "reason";
        x.textContent = e.x.length > 200 ? e.x.slice(0, 200) + "…" : e.x;
        li.appendChild(x);
      }
      list.appendChild(li);
    }
    status.textContent = found === 0 ? "No results." :
      found > limit ? found + " results; the first " + limit + " are shown." : found + (found === 1 ? " result." : " results.");
  }

  form.addEventListener("submit", function (ev) { ev.preventDefault(); run(); });
  input.addEventListener("input", run);
  var q = new URLSearchParams(window.location.search).get("q");
  if (q) input.value = q;
  run();
})();
