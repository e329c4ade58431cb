// The trace: the hypervisor's own record of events (Session.trace), filterable by
// VM and kind, newest at the bottom, following live.
//
//   const trace = new Trace(lab);   await trace.refresh(state);

import { clear, h, fill } from "./dom.js";
import { t } from "./i18n.js";
import { eventRow, FilterBar } from "./timeline.js";

const KEEP = 1500;

export class Trace {
  constructor(lab) {
    this.lab = lab;
    this.seq = 0;
    this.items = [];
    this.names = new Map();
    this.filters = new FilterBar("trace", () => this.#redraw());
    this.list = h("ol", { class: "log", id: "trace-log", tabindex: "0", "aria-label": t("trace") });
    this.el = h("div", {}, this.filters.el, this.list);
  }

  async refresh(state) {
    this.names = new Map(state.vms.map((vm) => [vm.domid, vm.name]));
    this.filters.setVms(state.vms);
    let r = await this.lab.call("trace", { since: this.seq });
    if (r.seq < this.seq) {
      // The machine went back in time (a reset): show it afresh.
      this.reset();
      r = await this.lab.call("trace", { since: 0 });
    }
    this.seq = r.seq;
    let events = r.events;
    if (!events.length) return;
    if (events.length > KEEP) events = events.slice(-KEEP);
    this.filters.noteKinds(events);
    this.items.push(...events);
    const follow = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.list.append(...events.filter((e) => this.filters.passes(e)).map((e) => eventRow(e, this.names, { code: false })));
    if (this.items.length > KEEP) {
      this.items.splice(0, this.items.length - KEEP);
      while (this.list.children.length > KEEP) this.list.firstElementChild.remove();
    }
    if (follow) this.list.scrollTop = this.list.scrollHeight;
  }

  #redraw() {
    fill(this.list, 
      ...this.items.filter((e) => this.filters.passes(e)).map((e) => eventRow(e, this.names, { code: false })),
    );
    this.list.scrollTop = this.list.scrollHeight;
  }

  reset() {
    this.seq = 0;
    this.items = [];
    clear(this.list);
  }
}
