// The lesson text: the intro, then each step as a disclosure; earlier steps are
// marked done and folded, the current one is open and highlighted with its questions,
// its checks (in words, done / not yet, updated live) and its Hint button, later ones
// are dimmed and folded. A current step that is done stays open, done, with what was
// achieved and a Next step button: nothing moves on until the student does.
//
//   const text = new LessonText(lesson, { onHint, onCheck, onAnswer, onNext, onResetStep, onResetLesson, onLeave });
//   text.render(state.step, state.complete, state.done);   text.setChecks(state.checks, waiting)
//   text.setQuizzes(state.quizzes);   text.addHint(hint);   text.restoreHints(hints)
//
// Step, question and explanation HTML come from the engine (markdown-it-py, raw HTML
// escaped) and go in as is. A question is a fieldset: radio buttons (pick one), checkboxes
// (select all that apply) or a text field, and an Answer button; Enter in the field answers.

import { announce, h, fill } from "./dom.js";
import { t } from "./i18n.js";
import { icon } from "./icons.js";

export class LessonText {
  constructor(lesson, handlers, hintsUsed = {}) {
    this.lesson = lesson;
    this.handlers = handlers;
    this.hintsUsed = hintsUsed; // step index -> hints revealed so far (from the progress record)
    this.step = -1;
    this.finished = false;
    this.done = false;
    this.quizzes = new Map(); // question number -> its elements (current step)
    this.checkState = new Map(); // check sentence -> done, to announce only what changed
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

  render(step, finished, done = false) {
    const moved = step !== this.step;
    const doneNow = done && !this.done && !moved;
    this.step = step;
    this.finished = finished;
    this.done = done;
    const lesson = this.lesson;
    this.quizzes.clear();
    fill(this.scroll,
      h("h2", { id: "lesson-heading" }, lesson.title),
      h(
        "div",
        { class: "prose-meta" },
        h("span", {}, `${lesson.minutes} ${t("minutes")}`),
        h("span", {}, t("steps_done", { done: finished ? lesson.steps.length : step + (done ? 1 : 0), total: lesson.steps.length })),
        lesson.incident ? h("span", {}, lesson.incident) : null,
      ),
      h("div", { class: "lesson-intro", html: lesson.intro_html }),
      lesson.steps.map((s) => this.#step(s)),
      finished ? this.#complete() : null,
    );
    this.checkState.clear();
    if (moved || doneNow) {
      // Scroll only the lesson pane (scrollIntoView would also move the page under the top bar).
      const current = this.scroll.querySelector(finished ? ".complete" : done ? "#step-done" : ".step.current");
      if (current) {
        this.scroll.scrollTop += current.getBoundingClientRect().top - this.scroll.getBoundingClientRect().top - 8;
      }
    }
  }

  #step(s) {
    // The step the student is on stays open, done or not, until they move on (or the lesson ends).
    const current = s.index === this.step;
    const done = s.index < this.step || (current && (this.done || this.finished));
    const state = current ? (done ? "current done" : "current") : done ? "done" : "later";
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
      body.append(...s.quizzes.map((q) => this.#quiz(q)));
      this.checkList = h("ul", { class: "check-list", id: "checks" });
      this.checkList.append(...s.checks.map((sentence) => this.#checkItem({ sentence, done: false, legit: false })));
      this.waitNote = h("p", { class: "predict-first", id: "predict-first", hidden: true }, t("predict_first"));
      const used = this.hintsUsed[s.index] ?? 0;
      this.hintButton = h(
        "button",
        { type: "button", class: "btn", id: "hint", onclick: () => this.handlers.onHint(), disabled: s.hints === 0 },
        icon("hint"),
        t("hint"),
      );
      this.hintCount = h("span", { class: "hint-count", "aria-live": "polite" }, this.#hintCountText(used, s.hints));
      this.hintBox = h("div", { class: "hints" });
      const checks = s.checks.length
        ? h(
            "div",
            { class: "checks", role: "group", "aria-labelledby": "checks-title" },
            h("h4", { id: "checks-title" }, t("checks")),
            this.waitNote,
            this.checkList,
          )
        : h("p", { class: "answer-questions", hidden: this.done || this.finished }, t("answer_questions"));
      body.append(checks, h("div", { class: "step-actions" }, this.hintButton, this.hintCount), this.hintBox);
      if (this.done && !this.finished) body.append(this.#doneBanner(s));
    }
    return details;
  }

  /** The step is done: say so, and offer the next one (the last step: the lesson is complete). */
  #doneBanner(s) {
    const last = s.index >= this.lesson.steps.length - 1;
    return h(
      "section",
      { class: "step-done", id: "step-done", tabindex: "-1", "aria-labelledby": "step-done-title" },
      h("h4", { id: "step-done-title" }, t("step_done_title")),
      h("p", {}, t("step_done_text")),
      last
        ? null
        : h("button", { type: "button", class: "btn btn-primary", id: "next-step", onclick: () => this.handlers.onNext() }, `${t("next_step")} →`),
    );
  }

  /** A question: its words, its choices or text field, an Answer button, what the answer got. */
  #quiz(q) {
    const id = `quiz-${q.number}`;
    const legend = q.kind === "predict" ? t("predict") : `${t("quiz")} ${q.number}`;
    const form = h("form", { class: `quiz ${q.kind}`, id, "data-quiz": String(q.number), novalidate: true });
    let inputs;
    if (q.choices_html.length) {
      const type = q.multiple ? "checkbox" : "radio";
      inputs = q.choices_html.map((html, i) =>
        h("input", { type, name: `${id}-choice`, value: String(i + 1), id: `${id}-choice-${i + 1}` }),
      );
      form.append(
        h(
          "fieldset",
          {},
          h("legend", {}, legend, q.multiple ? h("span", { class: "quiz-all" }, ` (${t("select_all")})`) : null),
          h("div", { class: "quiz-question", html: q.question_html }),
          h(
            "ul",
            { class: "quiz-choices" },
            q.choices_html.map((html, i) =>
              h("li", {}, h("label", { for: `${id}-choice-${i + 1}` }, inputs[i], h("span", { html }))),
            ),
          ),
        ),
      );
    } else {
      const field = h("input", { type: "text", class: "quiz-input", id: `${id}-input`, autocomplete: "off", spellcheck: false });
      inputs = [field];
      form.append(
        h(
          "fieldset",
          {},
          h("legend", {}, legend),
          h("div", { class: "quiz-question", html: q.question_html }),
          h("label", { class: "visually-hidden", for: `${id}-input` }, t("your_answer")),
          field,
        ),
      );
    }
    const button = h("button", { type: "submit", class: "btn", id: `${id}-answer` }, t("answer"));
    const feedback = h("p", { class: "quiz-feedback", id: `${id}-feedback`, "aria-live": "polite" });
    const explanation = h("div", { class: "quiz-explanation", id: `${id}-explanation`, hidden: true });
    form.append(h("div", { class: "quiz-actions" }, button, feedback), explanation);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = q.choices_html.length
        ? inputs.filter((input) => input.checked).map((input) => input.value).join(",")
        : inputs[0].value.trim();
      if (!value) {
        this.#feedback(this.quizzes.get(q.number), t("choose_first"), "wrong");
        return;
      }
      this.handlers.onAnswer(q.number, value);
    });
    this.quizzes.set(q.number, { form, inputs, button, feedback, explanation, state: null });
    return form;
  }

  #feedback(quiz, text, kind) {
    quiz.feedback.textContent = text;
    quiz.feedback.className = `quiz-feedback${kind ? ` ${kind}` : ""}`;
  }

  /** Where the student is with each question of the step (after an answer, a frame, a resume). */
  setQuizzes(states) {
    for (const state of states) {
      const quiz = this.quizzes.get(state.number);
      if (!quiz || JSON.stringify(quiz.state) === JSON.stringify(state)) continue;
      const before = quiz.state;
      quiz.state = state;
      quiz.form.classList.toggle("answered", state.answered);
      for (const input of [...quiz.inputs, quiz.button]) input.disabled = state.answered;
      if (state.answered && state.answer) this.#showAnswer(quiz, state.answer);
      let text = "";
      let kind = "";
      if (state.kind === "predict" && state.answered) {
        if (state.right === null) text = t("prediction_taken");
        else [text, kind] = state.right ? [`✓ ${t("prediction_right")}`, "right"] : [`✗ ${t("prediction_wrong", { answer: state.answer })}`, "wrong"];
      } else if (state.answered) [text, kind] = [`✓ ${t("answer_right")}`, "right"];
      else if (state.right === false) [text, kind] = [`✗ ${t("answer_wrong")}`, "wrong"];
      this.#feedback(quiz, text, kind);
      quiz.explanation.innerHTML = state.explanation_html;
      quiz.explanation.hidden = !state.explanation_html;
      if (before && text && (before.attempts !== state.attempts || before.right !== state.right)) announce(text);
    }
  }

  /** An answer that counted, shown in its controls (after a reload the form starts empty). */
  #showAnswer(quiz, answer) {
    if (quiz.inputs.length === 1 && quiz.inputs[0].type === "text") {
      quiz.inputs[0].value = answer;
      return;
    }
    const picked = new Set(answer.split(/[\s,;]+/));
    for (const input of quiz.inputs) input.checked = picked.has(input.value);
  }

  #hintCountText(used, total) {
    return total ? t("web.hints_used", { used, total }) : t("web.no_hints");
  }

  #checkItem(c) {
    const item = h(
      "li",
      { class: `check${c.done ? " done" : ""}${c.legit ? " legit" : ""}` },
      h("span", { class: "mark", "aria-hidden": "true" }, c.done ? "✓" : "○"),
      h("span", { class: "sentence" }, c.sentence, c.legit ? h("span", { class: "legit-tag" }, ` (${t("legit")})`) : null),
      h("span", { class: "state" }, c.done ? t("check_done") : t("check_pending")),
    );
    const note = c.error || (c.detail && c.detail.toLowerCase() !== c.sentence.toLowerCase() ? c.detail : "");
    if (note) item.append(h("span", { class: c.error ? "err" : "note" }, note));
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

  /** The current step's checks as last evaluated: redraw them, announce the ones that changed.
   * `waiting`: a prediction of the step is unanswered, so they do not count yet. */
  setChecks(checks, waiting = false) {
    if (!this.checkList) return;
    if (this.waitNote) this.waitNote.hidden = !waiting;
    const items = this.checkList.children;
    const changed = [];
    checks.forEach((c, i) => {
      const before = this.checkState.get(c.sentence);
      if (before !== undefined && before !== c.done) changed.push(c);
      this.checkState.set(c.sentence, c.done);
      const fresh = this.#checkItem(c);
      if (items[i]) {
        if (items[i].outerHTML !== fresh.outerHTML) items[i].replaceWith(fresh);
      } else this.checkList.append(fresh);
    });
    if (changed.length) {
      announce(changed.map((c) => `${c.sentence}: ${c.done ? t("check_done") : t("check_pending")}`).join(". "));
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
