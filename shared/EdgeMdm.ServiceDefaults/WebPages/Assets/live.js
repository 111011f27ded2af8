// Follows the floor: when the appliance says something changed, fetch this page again and swap its main part.
// Plain script, no framework: the page works without it, only without live updates.
(() => {
  "use strict";
  const main = document.getElementById("main");
  if (!main || main.dataset.live !== "on" || !("EventSource" in window)) return;
  let busy = false;
  let again = false;

  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(location.href, { headers: { "X-EdgeMdm-Live": "1", "Accept": "text/html" }, credentials: "same-origin" });
      if (response.status === 401) { location.reload(); return; }
      if (!response.ok) return;
      const next = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("main");
      if (next) {
        main.innerHTML = next.innerHTML;
        document.body.dataset.updated = String(Date.now());
      }
    } catch (e) {
      // The appliance is restarting or the network dropped: the event stream reconnects by itself.
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }

  const events = new EventSource("/events");
  events.addEventListener("changed", refresh);
  events.addEventListener("open", () => { document.body.dataset.live = "connected"; });
  events.onerror = () => {
    // Closed for good (the session ended, or the server refused): reloading shows the sign-in page if it must.
    if (events.readyState === EventSource.CLOSED) setTimeout(() => location.reload(), 3000);
  };
})();
