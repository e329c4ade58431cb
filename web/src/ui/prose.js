// The lesson text: the intro, then each step as a disclosure; earlier steps are
// marked done and folded, the current one is open and highlighted with its checks
// (done / not yet, updated live) and its Hint button, later ones are dimmed and folded.
//
//   const text = new LessonText(lesson, { onHint, onCheck, onResetStep, onResetLesson, onLeave });
//   text.render(state.step, state.finished);   text.setChecks(state.checks);   text.addHint(hint)
//   text.restoreHints(hints)                    // Session.hints_shown(): the ones revealed before
//
// Step HTML comes from the engine (markdown-it-py, raw HTML escaped) and goes in as is.

import { announce, clear, h, fill } from "./dom.js";
import { t } from "./i18n.js";
import { icon } from "./icons.js";

export class LessonText {
  constructor(lesson, handlers, hintsUsed = {}) {
    this.lesson = lesson;
    this.handlers = handlers;
    this.hintsUsed = hintsUsed; // step index -> hints revealed so far (from the progress record)
    this.step = -1;
    this.finished = false;
    this.checkState = new Map(); // check text -> done, to announce only what changed
    this.scroll = h("div", { class: "prose-scroll", tabindex: "0", "aria-label": t("web.lesson_text") });
    this.foot = h(
      "div",
      { class: "prose-foot" },
      h("button", { type: "button", class: "btn", id: "check-now", onclick: () => handlers.onCheck() }, t("web.check_now")),
      h("span", { class: "spacer" }),
      h("button", { type: "button", class: "btn", id: "reset-step", onclick: () => handlers.onResetStep() }, t("reset_step")),
      h(
        "button",
        { type: "button", class: "btn btn-danger", id: "reset-lesson", onclick: () => handlers.onResetLesson() },
        t("reset_lesson"),
      ),
    );
    this.el = h(
      "section",
      { class: "pane pane-prose", "aria-labelledby": "lesson-heading" },
      this.scroll,
      this.foot,
    );
  }

  render(step, finished) {
    const moved = step !== this.step;
    this.step = step;
    this.finished = finished;
    const lesson = this.lesson;
    fill(this.scroll, 
      h("h2", { id: "lesson-heading" }, lesson.title),
      h(
        "div",
        { class: "prose-meta" },
        h("span", {}, `${lesson.minutes} ${t("minutes")}`),
        h("span", {}, t("steps_done", { done: finished ? lesson.steps.length : step, total: lesson.steps.length })),
        lesson.incident ? h("span", {}, lesson.incident) : null,
      ),
      h("div", { class: "lesson-intro", html: lesson.intro_html }),
      lesson.steps.map((s) => this.#step(s)),
      finished ? this.#complete() : null,
    );
    this.checkState.clear();
    if (moved) {
      // Scroll only the lesson pane (scrollIntoView would also move the page under the top bar).
      const current = this.scroll.querySelector(finished ? ".complete" : ".step.current");
      if (current) {
        this.scroll.scrollTop += current.getBoundingClientRect().top - this.scroll.getBoundingClientRect().top - 8;
      }
    }
  }

  #step(s) {
    const done = s.index < this.step || (this.finished && s.index <= this.step);
    const current = s.index === this.step && !this.finished;
    const state = done ? "done" : current ? "current" : "later";
    const label = done ? "✓" : String(s.index + 1);
    const details = h(
      "details",
      { class: `step ${state}`, "data-step": String(s.index), open: current },
      h(
        "summary",
        {},
        h("span", { class: "step-badge", "aria-hidden": "true" }, label),
        h(
          "h3",
          {},
          h("span", { class: "visually-hidden" }, `${t("step")} ${s.index + 1}${done ? ` (${t("check_done")})` : ""}: `),
          s.title,
        ),
      ),
    );
    const body = h("div", { class: "step-body", html: s.html });
    details.append(body);
    if (current) {
      this.checkList = h("ul", { class: "check-list", id: "checks" });
      this.checkList.append(...s.checks.map((text) => this.#checkItem({ check: text, done: false })));
      const used = this.hintsUsed[s.index] ?? 0;
      this.hintButton = h(
        "button",
        { type: "button", class: "btn", id: "hint", onclick: () => this.handlers.onHint(), disabled: s.hints === 0 },
        icon("hint"),
        t("hint"),
      );
      this.hintCount = h("span", { class: "hint-count", "aria-live": "polite" }, this.#hintCountText(used, s.hints));
      this.hintBox = h("div", { class: "hints" });
      body.append(
        h(
          "div",
          { class: "checks", role: "group", "aria-labelledby": "checks-title" },
          h("h4", { id: "checks-title" }, t("checks")),
          this.checkList,
        ),
        h("div", { class: "step-actions" }, this.hintButton, this.hintCount),
        this.hintBox,
      );
    }
    return details;
  }

  #hintCountText(used, total) {
    return total ? t("web.hints_used", { used, total }) : t("web.no_hints");
  }

  #checkItem(c) {
    const item = h(
      "li",
      { class: `check${c.done ? " done" : ""}` },
      h("span", { class: "mark", "aria-hidden": "true" }, c.done ? "✓" : "○"),
      h("code", {}, c.check),
      h("span", { class: "state" }, c.done ? t("check_done") : t("check_pending")),
    );
    if (c.error) item.append(h("span", { class: "err" }, c.error));
    return item;
  }

  #complete() {
    return h(
      "section",
      { class: "complete", id: "lesson-complete", tabindex: "-1", "aria-labelledby": "complete-title" },
      h("h3", { id: "complete-title" }, `✓ ${t("lesson_complete")}`),
      // A lesson with an attack step ends with the attack blocked; a tour just ends.
      h("p", {}, t(this.lesson.steps.some((s) => s.attack) ? "web.complete_text_attack" : "web.complete_text")),
      h("button", { type: "button", class: "btn btn-primary", onclick: () => this.handlers.onLeave() }, t("web.back_to_lessons")),
    );
  }

  /** The current step's checks as last evaluated: redraw them, announce the ones that changed. */
  setChecks(checks) {
    if (!this.checkList || this.finished) return;
    const items = this.checkList.children;
    const changed = [];
    checks.forEach((c, i) => {
      const before = this.checkState.get(c.check);
      if (before !== undefined && before !== c.done) changed.push(c);
      this.checkState.set(c.check, c.done);
      const fresh = this.#checkItem(c);
      if (items[i]) {
        if (items[i].outerHTML !== fresh.outerHTML) items[i].replaceWith(fresh);
      } else this.checkList.append(fresh);
    });
    if (changed.length) {
      announce(changed.map((c) => `${c.check}: ${c.done ? t("check_done") : t("check_pending")}`).join(". "));
    }
  }

  /** The hints revealed before (a reload, a resumed lesson): shown again, not announced. */
  restoreHints(hints) {
    for (const hint of hints) this.addHint(hint, { quiet: true });
  }

  addHint(hint, { quiet = false } = {}) {
    if (!this.hintBox || hint.index < 0) {
      if (!quiet) announce(t("no_more_hints"));
      return;
    }
    const s = this.lesson.steps[this.step];
    this.hintsUsed[this.step] = hint.index + 1;
    this.hintCount.textContent = this.#hintCountText(hint.index + 1, s.hints);
    if (this.hintBox.querySelector(`[data-hint="${hint.index}"]`)) {
      if (!quiet) this.hintCount.textContent += ` · ${t("no_more_hints")}`;
      return;
    }
    this.hintBox.append(
      h(
        "div",
        { class: "hint", "data-hint": String(hint.index), role: "note" },
        h("span", { class: "hint-label" }, `${t("hint")} ${hint.index + 1}`),
        h("div", { html: hint.html }),
      ),
    );
    if (!quiet) announce(`${t("hint")} ${hint.index + 1}: ${hint.text}`);
  }
}
