// The timeline: one time-ordered view of what crossed the guest/hypervisor boundary
// (the session's TimelineItems): hypercalls with the guest instructions that led to their
// ecall indented under them, the hypervisor's other events, every frame on the network.
// Newest at the bottom; the view follows live unless the student scrolled up.
//
//   const tl = new Timeline();   tl.setVms(state.vms);   tl.add(frame.timeline)   // what is new
//
// The Trace panel (trace.js) is the same list without frames and code; both take the items
// the frames bring and share the filter bar and the row renderer here.

import { clear, fmtInt, h, hex, fill } from "./dom.js";
import { t } from "./i18n.js";

const KEEP = 1500; // items kept for re-filtering; the DOM holds at most these

/** A VM select and a kind select; `onChange` re-filters. */
export class FilterBar {
  constructor(prefix, onChange) {
    this.onChange = onChange;
    this.vm = h("select", { id: `${prefix}-vm`, onchange: onChange });
    this.kind = h("select", { id: `${prefix}-kind`, onchange: onChange });
    this.kinds = new Set();
    this.vmKey = "";
    this.el = h(
      "div",
      { class: "panel-bar" },
      h("label", { for: this.vm.id }, `${t("filter_vm")}:`),
      this.vm,
      h("label", { for: this.kind.id }, `${t("filter_kind")}:`),
      this.kind,
      h("span", { class: "spacer" }),
    );
    this.setVms([]);
    this.#kindOptions();
  }

  setVms(vms) {
    const key = vms.map((vm) => `${vm.domid}:${vm.name}`).join(",");
    if (key === this.vmKey && this.vm.options.length) return;
    this.vmKey = key;
    const value = this.vm.value;
    fill(this.vm, 
      h("option", { value: "" }, t("all")),
      ...vms.map((vm) => h("option", { value: String(vm.domid) }, `dom${vm.domid} ${vm.name}`)),
      h("option", { value: "-1" }, t("web.hypervisor")),
    );
    this.vm.value = value;
  }

  noteKinds(items) {
    let fresh = false;
    for (const item of items) {
      if (!this.kinds.has(item.kind)) {
        this.kinds.add(item.kind);
        fresh = true;
      }
    }
    if (fresh) this.#kindOptions();
  }

  #kindOptions() {
    const value = this.kind.value;
    fill(this.kind, 
      h("option", { value: "" }, t("all")),
      ...[...this.kinds].sort().map((k) => h("option", { value: k }, k)),
    );
    this.kind.value = value;
  }

  passes(item) {
    const vm = this.vm.value;
    const kind = this.kind.value;
    if (kind && item.kind !== kind) return false;
    if (vm === "") return true;
    return vm === "-1" ? item.domid < 0 : item.domid === Number(vm);
  }
}

/** One TimelineItem as a list item: time, who, what; a hypercall's code under it. */
export function eventRow(item, names, { code = true } = {}) {
  const who = item.domid < 0 ? "hv" : `dom${item.domid} ${names.get(item.domid) ?? ""}`.trim();
  let what = item.text;
  if (item.packet) what = `frame ${item.packet.segment}/${item.packet.port}: ${item.text}`;
  else if (!item.call) what = `${item.kind}: ${what}`;
  const denied = item.call !== null && item.call.error !== 0;
  const li = h(
    "li",
    { class: `k-${item.kind}${denied ? " denied" : ""}` },
    h("span", { class: "t" }, `[${String(item.time).padStart(9)}] `),
    h("span", { class: "who" }, who.padEnd(11)),
    " ",
    h("span", { class: "what" }, what),
  );
  if (code && item.call?.code.length) {
    for (const ins of item.call.code) {
      li.append(
        "\n",
        h(
          "span",
          { class: `code${ins.ecall ? " ecall" : ""}` },
          `${hex(ins.pc)}  ${ins.text}${ins.ecall ? `   ◄ ${t("web.traps")}` : ""}`,
        ),
      );
    }
  }
  return li;
}

export class Timeline {
  constructor() {
    this.items = [];
    this.names = new Map();
    this.filters = new FilterBar("timeline", () => this.#redraw());
    this.codeBox = h("input", { type: "checkbox", id: "timeline-code", checked: true, onchange: () => this.#redraw() });
    this.filters.el.append(h("label", {}, this.codeBox, t("web.show_code")));
    this.list = h("ol", { class: "log", id: "timeline-log", tabindex: "0", "aria-label": t("timeline") });
    this.el = h("div", {}, this.filters.el, this.list);
  }

  setVms(vms) {
    this.names = new Map(vms.map((vm) => [vm.domid, vm.name]));
    this.filters.setVms(vms);
  }

  /** A frame's TimelineItems: the items after the last ones shown (`dropped` more before them). */
  add(r) {
    const fresh = r.dropped ? [{ kind: "gap", dropped: r.dropped, domid: -2 }, ...r.items] : r.items;
    if (!fresh.length) return;
    this.filters.noteKinds(r.items);
    this.items.push(...fresh);
    const follow = this.#atBottom();
    const rows = fresh.filter((item) => this.#passes(item)).map((item) => this.#row(item));
    this.list.append(...rows);
    if (this.items.length > KEEP) {
      this.items.splice(0, this.items.length - KEEP);
      while (this.list.children.length > KEEP) this.list.firstElementChild.remove();
    }
    if (follow) this.list.scrollTop = this.list.scrollHeight;
  }

  #passes(item) {
    return item.kind === "gap" || this.filters.passes(item);
  }

  #row(item) {
    if (item.kind === "gap") return h("li", { class: "gap" }, `… ${t("web.more_events", { n: fmtInt(item.dropped) })}`);
    return eventRow(item, this.names, { code: this.codeBox.checked });
  }

  #atBottom() {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 40;
  }

  #redraw() {
    fill(this.list, ...this.items.filter((i) => this.#passes(i)).map((i) => this.#row(i)));
    this.list.scrollTop = this.list.scrollHeight;
  }

  reset() {
    this.items = [];
    clear(this.list);
  }
}
