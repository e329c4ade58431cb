// The page's side of the service worker (sw.js, made from web/src/sw.js): the lab offline after
// the first visit, and a clean move to a new build.
//
//   const offline = keepOffline({ onUpdate: (reload) => showBanner(reload) });
//   offline.state     "unsupported" | "installing" | "ready" | "failed"; offline.problem says why
//   await offline.ready                 resolves once a service worker keeps a build (or never can)
//   noOffline()       a preview site (hvlab lessons preview): no service worker, and one that an
//                     earlier site on the same origin left is removed with its copies
//
// A page never runs the files of two builds. The worker that served it keeps serving it; a new
// build's worker waits until the student accepts (onUpdate's `reload`) or every tab of the lab is
// closed. Whenever another worker takes this page over (the student reloaded another tab into
// the new build), this page reloads too. A first visit's page is not taken over at all: the
// worker serves from the next load on.

export function keepOffline({ onUpdate }) {
  const status = { state: "unsupported", problem: "", ready: Promise.resolve() };
  const container = navigator.serviceWorker;
  if (!container) {
    status.problem = "no service worker here (a page on http:// other than localhost, or disabled)";
    return status;
  }
  const controlled = Boolean(container.controller);
  let reloading = false;
  container.addEventListener("controllerchange", () => {
    if (!controlled || reloading) return;
    reloading = true;
    location.reload();
  });
  // A new build's worker, installed (every file in its cache) while this page runs an older one.
  const offer = (worker) => {
    if (container.controller) onUpdate(() => worker.postMessage("activate"));
  };
  status.state = "installing";
  status.ready = container
    .register(new URL("sw.js", document.baseURI), { scope: "./" })
    .then(
      (registration) =>
        new Promise((resolve) => {
          const failed = () => {
            status.state = "failed";
            status.problem = "the service worker could not keep this build (see its console)";
            resolve();
          };
          const watch = (worker) =>
            worker?.addEventListener("statechange", () => {
              if (worker.state === "installed") offer(worker);
              if (worker.state === "redundant" && !registration.active) failed();
            });
          watch(registration.installing);
          registration.addEventListener("updatefound", () => watch(registration.installing));
          if (registration.waiting) offer(registration.waiting);
          // Look for a new build now rather than when the browser gets round to it (offline: not).
          if (container.controller) registration.update().catch(() => {});
          container.ready.then(() => {
            status.state = "ready";
            resolve();
          });
        }),
    )
    .catch((error) => {
      // Offline, the check for a newer sw.js fails; the worker serving this page still keeps it.
      status.state = container.controller ? "ready" : "failed";
      status.problem = String(error?.message ?? error);
    });
  // Ask the browser not to evict the kept build (and the engine's snapshot) under storage pressure.
  navigator.storage?.persist?.().catch(() => {});
  return status;
}

export function noOffline() {
  const status = { state: "unsupported", problem: "a preview keeps no offline copy", ready: Promise.resolve() };
  const container = navigator.serviceWorker;
  if (!container) return status;
  status.ready = container
    .getRegistrations()
    .then((found) => Promise.all(found.map((registration) => registration.unregister())))
    .then(() => caches.keys())
    .then((names) => Promise.all(names.filter((n) => n.startsWith("hvlab-")).map((n) => caches.delete(n))))
    .catch(() => {});
  return status;
}
