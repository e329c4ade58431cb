// Detections: the detection rules watching the machine, which rule fired on what (live),
// and the rules' score against the lab's recorded runs on request.
//
//   const det = new Detections(lab);   det.update(frame.detections);   // a DetectionsView
//
// The rules are written in the editor (its Detection rules mode) and loaded there; this
// panel only shows what they find. A line a detection: when, how serious, which rule,
// about which VM, and the rule's own words about it (its output).

import { clear, fill, fmtInt, h } from "./dom.js";
import { t } from "./i18n.js";

const KEEP = 1500;
// Levels in four letters, as the terminal lab shows them: the rule's own words get the room.
const LEVELS = { informational: "INFO", low: "LOW", medium: "MED", high: "HIGH", critical: "CRIT" };

export class Detections {
  constructor(lab) {
    this.lab = lab;
    this.rules = h("p", { class: "sub", id: "det-rules" }, t("rules_none"));
    this.list = h("ol", { class: "log", id: "det-log", tabindex: "0", "aria-label": t("detections") });
    this.scoreButton = h("button", { type: "button", class: "btn", id: "det-score-button", onclick: () => this.score() }, t("score_rules"));
    this.result = h("div", { class: "editor-result", id: "det-score", "aria-live": "polite" });
    this.el = h("div", { class: "detections" }, h("div", { class: "panel-bar" }, this.rules, h("span", { class: "spacer" }), this.scoreButton), this.list, this.result);
    this.last = "";
  }

  /** A frame's DetectionsView: the rules' counts and the detections new since the last frame. */
  update(view) {
    const counts = view.loaded ? view.rules.map((r) => t("rules_fired", { rule: r.id, n: fmtInt(r.fired) })).join(" · ") : t("rules_none");
    const lost = view.lost ? ` ${t("detections_lost", { n: fmtInt(view.lost) })}` : "";
    if (counts + lost !== this.last) {
      this.last = counts + lost;
      this.rules.textContent = counts + lost;
    }
    let rows = view.items.map((d) => this.#row(d));
    if (view.dropped) rows = [h("li", { class: "gap" }, `… ${t("detections_more", { n: fmtInt(view.dropped) })}`), ...rows];
    if (!rows.length) return;
    const follow = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.list.append(...rows.slice(-KEEP));
    while (this.list.children.length > KEEP) this.list.firstElementChild.remove();
    if (follow) this.list.scrollTop = this.list.scrollHeight;
  }

  #row(d) {
    return h(
      "li",
      { class: `level-${d.level}`, title: `${d.title}\n${d.text}` },
      h("span", { class: "t" }, `[${String(d.time).padStart(9)}] `),
      h("span", { class: "level" }, `${(LEVELS[d.level] ?? d.level).padEnd(4)} `),
      h("span", { class: "who" }, d.rule),
      " ",
      h("span", { class: "vm" }, d.vm),
      ": ",
      h("span", { class: "what" }, d.output),
    );
  }

  /** Score the loaded rules against the recorded runs (the first time, they are recorded). */
  async score() {
    this.result.className = "editor-result";
    fill(this.result, h("p", {}, t("scoring")));
    this.scoreButton.disabled = true;
    try {
      const r = await this.lab.call("score_rules", {});
      this.showScore(r);
    } catch (err) {
      fill(this.result, h("p", {}, err.message ?? String(err)));
    } finally {
      this.scoreButton.disabled = false;
    }
  }

  showScore(r) {
    if (!r.ok) {
      this.result.className = "editor-result";
      fill(this.result, h("p", {}, r.error));
      return;
    }
    this.result.className = `editor-result${r.missed.length || r.false_positives.length ? "" : " ok"}`;
    const runs = (label, list) => (list.length ? h("p", {}, `${label}: ${list.map((x) => x.id).join(", ")}`) : null);
    fill(
      this.result,
      h("p", { class: "score-summary" }, r.summary),
      runs(t("score_missed"), r.missed),
      runs(t("score_false"), r.false_positives),
      h(
        "ul",
        { role: "list" },
        r.rules.map((s) =>
          h(
            "li",
            {},
            t("score_rule", { rule: s.rule, detected: s.detected.join(", ") || "–", false: s.false_positives.length }),
            s.false_example ? h("div", { class: "sub" }, `${s.false_positives[0]}: ${s.false_example}`) : null,
          ),
        ),
      ),
    );
  }

  reset() {
    clear(this.list);
  }
}
