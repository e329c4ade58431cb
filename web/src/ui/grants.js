// Grants: every VM's grant table (the pages it offered, to whom, read-only or not)
// and its mappings (the pages of others it mapped into its grant window).
//
//   const grants = new Grants();   grants.update(frame.grants);   // GrantTables

import { h, hex, fill } from "./dom.js";
import { t } from "./i18n.js";

export class Grants {
  constructor() {
    this.body = h("div", { class: "panel-scroll", id: "grants-body" });
    this.el = h("div", {}, this.body);
    this.last = "";
  }

  update(vms) {
    const key = JSON.stringify(vms);
    if (key === this.last) return;
    this.last = key;
    const th = (text) => h("th", { scope: "col" }, text);
    fill(this.body, 
      h("p", { class: "sub" }, t("web.grants_intro")),
      ...vms.map((vm) =>
        h(
          "section",
          { class: "grants-vm", "aria-label": `dom${vm.domid} ${vm.vm}` },
          h("h3", {}, `dom${vm.domid} ${vm.vm}`),
          vm.grants.length
            ? h(
                "table",
                { class: "data" },
                h("caption", { class: "visually-hidden" }, `${t("web.granted")} dom${vm.domid}`),
                h("thead", {}, h("tr", {}, th("ref"), th(t("web.grantee")), th("gpa"), th(t("web.access")))),
                h(
                  "tbody",
                  {},
                  vm.grants.map((g) =>
                    h(
                      "tr",
                      {},
                      h("td", {}, String(g.ref)),
                      h("td", {}, `dom${g.grantee}`),
                      h("td", {}, `0x${hex(g.gpa)}`),
                      h("td", {}, g.readonly ? t("web.read_only") : t("web.read_write")),
                    ),
                  ),
                ),
              )
            : h("p", { class: "sub" }, t("web.no_grants")),
          vm.mapped.length
            ? h(
                "table",
                { class: "data" },
                h("caption", { class: "visually-hidden" }, `${t("web.mapped")} dom${vm.domid}`),
                h("thead", {}, h("tr", {}, th(t("web.mapped_at")), th(t("web.granter")), th("ref"), th(t("web.access")))),
                h(
                  "tbody",
                  {},
                  vm.mapped.map((m) =>
                    h(
                      "tr",
                      {},
                      h("td", {}, `0x${hex(m.gpa)}`),
                      h("td", {}, `dom${m.granter}`),
                      h("td", {}, String(m.ref)),
                      h("td", {}, m.writable ? t("web.read_write") : t("web.read_only")),
                    ),
                  ),
                ),
              )
            : h("p", { class: "sub" }, t("web.no_mappings")),
        ),
      ),
    );
  }

  reset() {
    this.last = "";
  }
}
