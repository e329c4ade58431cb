// An accessible tab set (WAI-ARIA tablist): arrow keys, Home and End move between
// tabs, Enter/Space or focus selects (automatic activation), each panel is labelled
// by its tab and reachable with Tab.
//
//   const tabs = new Tabs({ label: "Panels", onSelect: (id) => … });
//   tabs.add("timeline", "Timeline", panelElement);   tabs.select("timeline");

import { h } from "./dom.js";

let counter = 0;

export class Tabs {
  constructor({ label, onSelect = () => {}, idPrefix = `tabs${++counter}` }) {
    this.prefix = idPrefix;
    this.onSelect = onSelect;
    this.list = h("div", { class: "tablist", role: "tablist", "aria-label": label });
    this.list.addEventListener("keydown", (e) => this.#key(e));
    this.panels = h("div", { class: "tabpanels", style: "display:contents" });
    this.tabs = new Map(); // id -> {tab, panel}
    this.current = null;
  }

  add(id, label, panel) {
    const tab = h("button", {
      type: "button",
      class: "tab",
      role: "tab",
      id: `${this.prefix}-tab-${id}`,
      "aria-controls": `${this.prefix}-panel-${id}`,
      "aria-selected": "false",
      tabindex: "-1",
      onclick: () => this.select(id, { focus: true }),
    });
    tab.append(h("span", { class: "tab-label" }, label));
    panel.classList.add("tabpanel");
    panel.id = `${this.prefix}-panel-${id}`;
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", tab.id);
    panel.hidden = true;
    this.list.append(tab);
    this.panels.append(panel);
    this.tabs.set(id, { tab, panel });
    if (this.current === null) this.select(id);
    return panel;
  }

  setLabel(id, label) {
    const entry = this.tabs.get(id);
    if (entry) entry.tab.querySelector(".tab-label").textContent = label;
  }

  /** A dot on a tab whose panel changed while hidden (e.g. a console with new output). */
  mark(id, on) {
    const entry = this.tabs.get(id);
    if (!entry || (on && id === this.current)) return;
    const badge = entry.tab.querySelector(".badge");
    if (on && !badge) entry.tab.append(h("span", { class: "badge", "aria-hidden": "true" }));
    if (!on && badge) badge.remove();
  }

  select(id, { focus = false } = {}) {
    if (!this.tabs.has(id)) return;
    for (const [key, { tab, panel }] of this.tabs) {
      const on = key === id;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      panel.hidden = !on;
    }
    this.mark(id, false);
    const changed = this.current !== id;
    this.current = id;
    if (focus) this.tabs.get(id).tab.focus();
    if (changed) this.onSelect(id);
  }

  #key(e) {
    const ids = [...this.tabs.keys()];
    const at = ids.indexOf(this.current);
    let next = null;
    if (e.key === "ArrowRight") next = ids[(at + 1) % ids.length];
    else if (e.key === "ArrowLeft") next = ids[(at - 1 + ids.length) % ids.length];
    else if (e.key === "Home") next = ids[0];
    else if (e.key === "End") next = ids[ids.length - 1];
    if (next !== null) {
      e.preventDefault();
      this.select(next, { focus: true });
    }
  }
}
