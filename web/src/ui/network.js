// The network: each segment with its counters, its switch ports and their counters,
// the last frames decoded, and "Download pcap" (the segment's capture as a file
// Wireshark opens); the management service and its out-of-band console when the
// scenario has one; a plain message when it has no network at all.
//
//   const net = new Network(lab, { onCommand });   net.update(frame.network, state.time);
//   // onCommand() after a management command: the screen draws what it did

import { alertError, download, fmtInt, h, fill } from "./dom.js";
import { t } from "./i18n.js";
import { icon } from "./icons.js";

export class Network {
  constructor(lab, { onCommand }) {
    this.lab = lab;
    this.onCommand = onCommand;
    this.body = h("div", { class: "panel-scroll", id: "network-body" });
    this.el = h("div", {}, this.body);
    this.last = "";
    this.mgmtLog = [];
    this.time = 0;
  }

  /** Show a NetworkView (null: the scenario has no network); redrawn only when it changed. */
  update(net, time) {
    this.time = time;
    const key = JSON.stringify(net);
    if (key === this.last) return;
    this.last = key;
    if (net === null) {
      fill(this.body, h("p", { class: "empty", id: "no-network" }, t("web.no_network")));
      return;
    }
    const focusId = document.activeElement?.id;
    const typed = this.body.querySelector("#mgmt-input")?.value ?? "";
    fill(this.body, ...net.segments.map((seg) => this.#segment(seg)), this.#mgmt(net.mgmt));
    const input = this.body.querySelector("#mgmt-input");
    if (input) input.value = typed;
    if (focusId) this.body.querySelector(`#${CSS.escape(focusId)}`)?.focus();
  }

  #segment(seg) {
    const c = seg.counters;
    const counters = Object.entries(c)
      .filter(([, v]) => v)
      .map(([k, v]) => `${k.replaceAll("_", " ")} ${fmtInt(v)}`)
      .join(" · ");
    const th = (text, cls) => h("th", { scope: "col", class: cls }, text);
    return h(
      "section",
      { class: "net-section", "aria-label": `${t("web.segment")} ${seg.name}` },
      h(
        "h3",
        {},
        `${t("web.segment")} ${seg.name}`,
        h(
          "button",
          {
            type: "button",
            class: "btn btn-small",
            id: `pcap-${seg.name}`,
            onclick: () => this.#pcap(seg.name),
          },
          icon("download"),
          t("web.download_pcap"),
        ),
      ),
      h("p", { class: "sub" }, counters || t("web.idle")),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data" },
          h("caption", { class: "visually-hidden" }, `${t("web.ports")} ${seg.name}`),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              th(t("web.port")),
              th(t("filter_kind")),
              th(t("vm")),
              th(t("web.rx_frames"), "num"),
              th(t("web.rx_bytes"), "num"),
              th(t("web.tx_frames"), "num"),
              th(t("web.tx_bytes"), "num"),
              th(t("web.drops"), "num"),
              th(t("web.spoofed"), "num"),
            ),
          ),
          h(
            "tbody",
            {},
            seg.ports.map((p) => {
              const pc = p.counters;
              return h(
                "tr",
                {},
                h("th", { scope: "row" }, p.name),
                h("td", {}, p.kind),
                h("td", {}, p.domid >= 0 ? `dom${p.domid}` : "–"),
                h("td", { class: "num" }, fmtInt(pc.rx_frames)),
                h("td", { class: "num" }, fmtInt(pc.rx_bytes)),
                h("td", { class: "num" }, fmtInt(pc.tx_frames)),
                h("td", { class: "num" }, fmtInt(pc.tx_bytes)),
                h("td", { class: "num" }, fmtInt((pc.acl_drops ?? 0) + (pc.endpoint_drops ?? 0))),
                h("td", { class: "num" }, fmtInt(pc.spoof_drops ?? 0)),
              );
            }),
          ),
        ),
      ),
      h("h4", {}, t("web.recent_frames")),
      seg.frames.length
        ? h(
            "ol",
            { class: "frames", "aria-label": `${t("web.recent_frames")} ${seg.name}` },
            seg.frames.map((f) => h("li", {}, `[${String(f.time).padStart(9)}] ${f.port} ${f.len} B: ${f.summary}`)),
          )
        : h("p", { class: "empty" }, t("web.no_frames")),
    );
  }

  #mgmt(mgmt) {
    if (!mgmt) return h("p", { class: "empty" }, t("web.no_mgmt"));
    const counters = Object.entries(mgmt.counters)
      .filter(([, v]) => v)
      .map(([k, v]) => `${k.replaceAll("_", " ")} ${fmtInt(v)}`)
      .join(" · ");
    const input = h("input", {
      type: "text",
      id: "mgmt-input",
      autocomplete: "off",
      spellcheck: "false",
      placeholder: "LIST",
      "aria-describedby": "mgmt-help",
    });
    const send = async (e) => {
      e.preventDefault();
      const command = input.value.trim();
      if (!command) return;
      input.value = "";
      try {
        const r = await this.lab.call("mgmt_console", { command });
        this.mgmtLog.push(`> ${command}\n${r.reply ?? r.error}`);
      } catch (err) {
        alertError(err.message);
      }
      this.last = "";
      await this.onCommand();
      this.body.querySelector("#mgmt-input")?.focus();
    };
    return h(
      "section",
      { class: "net-section", "aria-labelledby": "mgmt-title" },
      h("h3", { id: "mgmt-title" }, t("web.mgmt_service")),
      h("p", {}, `${mgmt.ip}:${mgmt.port} · ${t("web.segment")} ${mgmt.segment ?? "–"} · ${t("web.queued")} ${mgmt.queued}`),
      h("p", { class: "sub" }, counters || t("web.idle")),
      h(
        "form",
        { class: "mgmt-console", onsubmit: send },
        h("label", { for: "mgmt-input", class: "visually-hidden" }, t("web.mgmt_console")),
        input,
        h("button", { type: "submit", class: "btn" }, t("send")),
      ),
      h("p", { class: "sub", id: "mgmt-help" }, t("web.mgmt_help")),
      h("pre", { class: "mgmt-log", "aria-live": "polite" }, this.mgmtLog.slice(-10).join("\n")),
    );
  }

  async #pcap(segment) {
    try {
      const blob = await this.lab.pcap(segment);
      download(blob, `hvlab-${segment}-t${this.time}.pcap`);
    } catch (err) {
      alertError(err.message);
    }
  }

  reset() {
    this.last = "";
  }
}
