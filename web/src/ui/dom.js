// Small DOM helpers shared by every panel: element creation, number formats, toasts,
// the screen-reader announcer and the confirmation dialog.
//
//   h("button", { class: "btn", onclick: go }, t("run"));   fill(list, items.map(row))
//   announce("Check done: …");   notify("Saved", "ok");   await confirmDialog(title, text)

/** Create an element: props are attributes, `on*` functions become listeners, children append. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "html") el.innerHTML = value; // only for lesson HTML the engine rendered and escaped
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replace an element's children (arrays flattened, null skipped). */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

const intFormat = new Intl.NumberFormat("en-US");
export const fmtInt = (n) => intFormat.format(n);

export function fmtBytes(n) {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n >> 20} MiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${Math.round(n / 1024)} KiB`;
  return `${n} B`;
}

export const hex = (n, width = 8) => (n >>> 0).toString(16).padStart(width, "0");

/** Say something to screen readers (polite), e.g. a check that turned done. */
export function announce(text) {
  const el = document.getElementById("announcer");
  if (!el) return;
  el.textContent = "";
  // A fresh text node after a frame makes screen readers read a repeated message again.
  requestAnimationFrame(() => (el.textContent = text));
}

/** An error that must be heard at once (role=alert) and seen (a toast). */
export function alertError(text) {
  const el = document.getElementById("alerts");
  if (el) el.textContent = text;
  notify(text, "error");
}

/** A short message in the corner; errors stay longer. */
export function notify(text, kind = "info", ms = kind === "error" ? 8000 : 4000) {
  const host = document.getElementById("toasts");
  if (!host) return;
  const toast = h("div", { class: `toast ${kind}` }, text);
  host.append(toast);
  while (host.children.length > 4) host.firstElementChild.remove();
  setTimeout(() => toast.remove(), ms);
}

/** Ask before something that throws work away; resolves true when the student confirms. */
export function confirmDialog({ title, text, ok, cancel }) {
  const dialog = document.getElementById("confirm");
  dialog.querySelector("#confirm-title").textContent = title;
  dialog.querySelector("#confirm-text").textContent = text;
  dialog.querySelector("#confirm-ok").textContent = ok;
  dialog.querySelector("#confirm-cancel").textContent = cancel;
  dialog.returnValue = "cancel";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
    dialog.querySelector("#confirm-cancel").focus(); // the safe choice has the focus
  });
}

/** Offer a Blob as a file download. */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
