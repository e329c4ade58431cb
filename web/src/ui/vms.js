// The VMs table: name, domid, state, instructions retired, CPU share (and what the
// scheduler charged for), memory,
// disk (size and I/O counters), NIC counters, and the buttons that act on each VM.
//
//   const vms = new VmTable({ onAction: (vm, action) => … });   vms.update(state.vms)
//
// Rows are rebuilt only when a value changed, and the focus stays on the button the
// student used (a row redraw must not throw keyboard users back to the top).

import { clear, fmtBytes, fmtInt, h, fill } from "./dom.js";
import { t } from "./i18n.js";

export class VmTable {
  constructor({ onAction }) {
    this.onAction = onAction;
    this.body = h("tbody");
    this.last = "";
    const th = (key, cls) => h("th", { scope: "col", class: cls }, t(key));
    this.table = h(
      "table",
      { class: "data", id: "vm-table" },
      h("caption", { class: "visually-hidden" }, t("vms")),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          th("vm"),
          th("web.domid", "num c-dom"),
          th("state"),
          th("instructions", "num"),
          th("cpu_share"),
          th("memory", "num c-mem"),
          th("web.hypercalls", "num"),
          th("disk", "c-disk"),
          th("nic", "c-nic"),
          h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, t("web.actions"))),
        ),
      ),
      this.body,
    );
    this.el = h("div", { class: "panel-scroll" }, h("div", { class: "table-wrap" }, this.table));
  }

  update(vms) {
    const key = JSON.stringify(vms);
    if (key === this.last) return;
    this.last = key;
    // Columns no VM of this scenario has (a disk, a NIC) stay out of the way.
    this.table.classList.toggle("no-disk", !vms.some((vm) => vm.disk));
    this.table.classList.toggle("no-nic", !vms.some((vm) => vm.nic));
    const focused = document.activeElement?.dataset?.vmAction;
    fill(this.body, ...vms.map((vm) => this.#row(vm)));
    if (focused) this.body.querySelector(`[data-vm-action="${focused}"]`)?.focus();
  }

  #row(vm) {
    let state = vm.state;
    if (state === "running" && vm.waiting) state = "waiting";
    const stateText = t(`web.state_${state}`) === `web.state_${state}` ? state : t(`web.state_${state}`);
    const gone = vm.state === "destroyed";
    const button = (action, label, cls = "") =>
      h(
        "button",
        {
          type: "button",
          class: `btn btn-small ${cls}`,
          "data-vm-action": `${vm.name}:${action}`,
          "aria-label": `${label} ${vm.name}`,
          disabled: gone,
          onclick: () => this.onAction(vm.name, action),
        },
        label,
      );
    const paused = vm.state === "paused";
    return h(
      "tr",
      { "data-vm": vm.name },
      h(
        "th",
        { scope: "row" },
        vm.name,
        vm.control ? h("div", { class: "sub" }, t("web.control_domain")) : null,
        // The domid and memory again, shown here when a narrow panel leaves their columns out.
        h("div", { class: "sub vm-facts" }, `${t("web.domid")} ${vm.domid} · ${fmtBytes(vm.memory)}`),
      ),
      h("td", { class: "num c-dom" }, String(vm.domid)),
      h(
        "td",
        {},
        h("span", { class: `state-pill ${state}` }, stateText),
        vm.fault ? h("div", { class: "sub", title: vm.fault }, vm.fault) : null,
      ),
      h("td", { class: "num" }, fmtInt(vm.instret)),
      h(
        "td",
        { class: "c-cpu" },
        h("span", { class: "share-bar", "aria-hidden": "true" }, h("span", { style: `width:${(vm.share * 100).toFixed(0)}%` })),
        h("span", { class: "share" }, `${(vm.share * 100).toFixed(0)}%`),
        h("div", { class: "sub charged" }, t("cpu_charged", { pct: (vm.charged * 100).toFixed(0) })),
      ),
      h("td", { class: "num c-mem" }, fmtBytes(vm.memory)),
      h("td", { class: "num" }, fmtInt(vm.hypercalls)),
      h("td", { class: "c-disk" }, diskCell(vm.disk)),
      h("td", { class: "c-nic" }, nicCell(vm.nic)),
      h(
        "td",
        { class: "actions" },
        h(
          "div",
          { class: "vm-actions" },
          paused ? button("unpause", t("unpause")) : button("pause", t("pause")),
          button("reboot", t("reboot")),
          button("destroy", t("destroy"), "btn-danger"),
        ),
      ),
    );
  }
}

function diskCell(disk) {
  if (!disk) return h("span", { class: "sub" }, "–");
  return [
    fmtBytes(disk.size),
    h(
      "div",
      { class: "sub" },
      t("web.disk_io", { reads: fmtInt(disk.reads), writes: fmtInt(disk.writes), sr: fmtInt(disk.sectors_read), sw: fmtInt(disk.sectors_written) }),
    ),
  ];
}

function nicCell(nic) {
  if (!nic) return h("span", { class: "sub" }, "–");
  const c = nic.counters;
  return [
    h("span", {}, `${nic.ip}`),
    h(
      "div",
      { class: "sub" },
      t("web.nic_io", {
        tx: fmtInt(c.tx_frames),
        txb: fmtBytes(c.tx_bytes),
        rx: fmtInt(c.rx_frames),
        rxb: fmtBytes(c.rx_bytes),
        drops: fmtInt(c.tx_drops + c.rx_drops),
      }),
    ),
  ];
}
