// The policy panel: every hardening switch with what it checks, the real bug its
// vulnerable form mirrors and what it costs (their Markdown rendered by the engine), set
// live with `set_policy`; the preset in force on top, and a button that measures what the
// hardening in force costs (`measure`), with the caveat that an emulator's trap is not a
// hardware VM exit.
//
//   const policy = new Policy(switches, { onSet: (key, value) => …, onMeasure: () => … });
//   policy.sync(state.policy);   policy.measuring();   policy.showMeasured(result)

import { h } from "./dom.js";
import { t } from "./i18n.js";

const domId = (key) => `policy-${key.replaceAll(".", "-").replaceAll("_", "-")}`;

export class Policy {
  constructor(switches, { onSet, onMeasure }) {
    this.onSet = onSet;
    this.measured = h("p", { class: "measured", id: "measured", "aria-live": "polite" });
    this.caveat = h("p", { class: "measure-caveat", id: "measure-caveat", hidden: true }, t("measure_caveat"));
    this.controls = new Map();
    this.rows = new Map();
    this.preset = h("strong", { id: "policy-preset" }, "");
    const groups = new Map();
    for (const sw of switches) {
      if (!groups.has(sw.group)) groups.set(sw.group, []);
      groups.get(sw.group).push(sw);
    }
    this.body = h(
      "div",
      { class: "panel-scroll", id: "policy-body" },
      h("p", { class: "policy-preset" }, `${t("web.preset")}: `, this.preset),
      h(
        "section",
        { class: "measure", "aria-label": t("measure") },
        h("button", { type: "button", class: "btn", id: "measure", onclick: () => onMeasure() }, t("measure")),
        this.measured,
        this.caveat,
      ),
      [...groups].map(([group, list]) =>
        h(
          "section",
          { class: "policy-group", "aria-labelledby": `policy-group-${group}` },
          h("h3", { id: `policy-group-${group}` }, group),
          list.map((sw) => this.#row(sw)),
        ),
      ),
    );
    this.el = h("div", {}, this.body);
  }

  #row(sw) {
    const id = domId(sw.key);
    const docId = `${id}-doc`;
    let control;
    if (sw.kind === "bool") {
      control = h("input", {
        type: "checkbox",
        class: "toggle",
        role: "switch",
        id,
        checked: Boolean(sw.value),
        "aria-describedby": docId,
        "data-key": sw.key,
        onchange: () => this.onSet(sw.key, control.checked),
      });
    } else {
      control = h("input", {
        type: "number",
        class: "policy-int",
        id,
        min: "0",
        step: "1",
        value: String(sw.value),
        "aria-describedby": docId,
        "data-key": sw.key,
        onchange: () => this.onSet(sw.key, Number(control.value)),
      });
    }
    this.controls.set(sw.key, control);
    const row = h(
      "div",
      { class: `switch-row${sw.value === sw.hardened ? " on" : ""}`, "data-key": sw.key },
      h(
        "div",
        { class: "switch-head" },
        control,
        h("label", { for: id }, sw.key),
        h("span", { class: "tag" }, `${t("vulnerable")}: ${fmt(sw.vulnerable)} · ${t("hardened")}: ${fmt(sw.hardened)}`),
      ),
      h(
        "dl",
        { class: "switch-doc", id: docId },
        h("dt", {}, t("web.checks_what")),
        h("dd", { html: sw.checks_html }),
        h("dt", {}, t("web.mirrors")),
        h("dd", { html: sw.mirrors_html }),
        sw.cost ? [h("dt", {}, t("web.cost")), h("dd", { html: sw.cost_html })] : null,
      ),
    );
    row.hardenedValue = sw.hardened;
    this.rows.set(sw.key, row);
    return row;
  }

  measuring() {
    this.measured.textContent = t("measuring");
  }

  /** A measurement's figures in the student's words (or why there are none), with the caveat. */
  showMeasured(result) {
    if (!result.ok) {
      this.measured.textContent = result.error;
      return;
    }
    const m = result.measurement;
    const sign = m.overhead_percent >= 0 ? "+" : "";
    this.measured.textContent = t("measure_result", {
      policy: m.policy_us.toFixed(2),
      base: m.base_us.toFixed(2),
      overhead: `${sign}${m.overhead_percent.toFixed(1)} %`,
      spread: `${m.spread_percent.toFixed(1)} %`,
    });
    this.caveat.hidden = false;
  }

  /** Show the engine's values (after a set, a reset or a replay) without sending them back. */
  sync(policy) {
    this.preset.textContent = policy.preset;
    for (const [key, value] of Object.entries(policy.values)) {
      const control = this.controls.get(key);
      if (!control) continue;
      if (control.type === "checkbox") control.checked = Boolean(value);
      else if (document.activeElement !== control) control.value = String(value);
      const row = this.rows.get(key);
      row.classList.toggle("on", value === row.hardenedValue);
    }
  }
}

/** A switch's value as the lessons write it (`set hypercall.authorize on`): on/off for the
 * flags in every language, the number otherwise. */
export function fmt(value) {
  if (value === true) return "on";
  if (value === false) return "off";
  return String(value);
}
