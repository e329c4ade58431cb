// The trace: the hypervisor's own record of events, filterable by VM and kind, newest at
// the bottom, following live: the timeline's items without the network's frames and the code.
//
//   const trace = new Trace();   trace.setVms(state.vms);   trace.add(frame.timeline);

import { clear, fmtInt, h, fill } from "./dom.js";
import { t } from "./i18n.js";
import { eventRow, FilterBar } from "./timeline.js";

const KEEP = 1500;

export class Trace {
  constructor() {
    this.items = [];
    this.names = new Map();
    this.filters = new FilterBar("trace", () => this.#redraw());
    this.list = h("ol", { class: "log", id: "trace-log", tabindex: "0", "aria-label": t("trace") });
    this.el = h("div", {}, this.filters.el, this.list);
  }

  setVms(vms) {
    this.names = new Map(vms.map((vm) => [vm.domid, vm.name]));
    this.filters.setVms(vms);
  }

  /** A frame's TimelineItems; frames on the network are the timeline's, not the trace's. */
  add(r) {
    let events = r.items.filter((item) => !item.packet);
    if (r.dropped) events = [{ kind: "gap", dropped: r.dropped, domid: -2 }, ...events];
    if (!events.length) return;
    if (events.length > KEEP) events = events.slice(-KEEP);
    this.filters.noteKinds(events.filter((e) => e.kind !== "gap"));
    this.items.push(...events);
    const follow = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.list.append(...events.filter((e) => this.#passes(e)).map((e) => this.#row(e)));
    if (this.items.length > KEEP) {
      this.items.splice(0, this.items.length - KEEP);
      while (this.list.children.length > KEEP) this.list.firstElementChild.remove();
    }
    if (follow) this.list.scrollTop = this.list.scrollHeight;
  }

  #passes(e) {
    return e.kind === "gap" || this.filters.passes(e);
  }

  #row(e) {
    if (e.kind === "gap") return h("li", { class: "gap" }, `… ${t("web.more_events", { n: fmtInt(e.dropped) })}`);
    return eventRow(e, this.names, { code: false });
  }

  #redraw() {
    fill(this.list, ...this.items.filter((e) => this.#passes(e)).map((e) => this.#row(e)));
    this.list.scrollTop = this.list.scrollHeight;
  }

  reset() {
    this.items = [];
    clear(this.list);
  }
}
