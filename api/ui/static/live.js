// Live task page: swap in the server-rendered fragment until the task ends (no reload, no library).
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  function finished() {
    var inner = live.querySelector("[data-final]");
    return !inner || inner.getAttribute("data-final") === "yes";
  }
  function poll() {
    if (finished()) { return; }
    fetch(live.getAttribute("data-src"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.redirected) { window.location.assign(r.url); return Promise.reject("left"); }  // e.g. the key expired
        return r.ok ? r.text() : Promise.reject(r.status);
      })
      .then(function (html) { live.innerHTML = html; })
      .catch(function () { /* a failed poll is retried on the next tick */ })
      .then(function () { window.setTimeout(poll, 1000); });
  }
  window.setTimeout(poll, 1000);
})();
