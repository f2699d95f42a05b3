// The dashboard's one script: live updates. A page with a [data-live] element follows the
// server's change stamp (server-sent events from /events) and, when it moves, fetches itself
// again and swaps in the fresh content, without a reload and without losing what is being
// typed into a form. Everything works without it: the pages are complete as served.
(function () {
  "use strict";
  if (!document.querySelector("[data-live]") || !window.EventSource || !window.fetch) {
    return;
  }
  var busy = false;
  var again = false;
  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        var main = document.querySelector("main");
        var typing = document.activeElement && main.contains(document.activeElement) &&
          /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
        if (fresh && main && !typing) {
          main.innerHTML = fresh.innerHTML;
        }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }
  var source = new EventSource("/events");
  source.addEventListener("changed", refresh);
  source.addEventListener("open", function () {
    document.documentElement.removeAttribute("data-offline");
  });
  source.addEventListener("error", function () {
    document.documentElement.setAttribute("data-offline", "");
  });
})();
