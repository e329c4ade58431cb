// The lesson picker: every lesson as a card (title, summary, minutes, language,
// "2 of 5 steps", a finished mark), the progress file's export and import, the student's
// course seed and the export of their record.
//
//   const picker = new Picker(app);  main.append(picker.el);  await picker.load();
//
// Progress lives in localStorage (the client keeps it there); export downloads the
// same progress.json the TUI reads, import loads one and shows why if it is malformed.
// The course seed (with the name it was made for) comes from the instructor (`hvlab class
// seeds`); the record of what the student did downloads as the file they hand in, which
// `hvlab verify` replays. Nothing is sent anywhere: the student saves the file themselves.

import { alertError, clear, download, h, notify } from "./dom.js";
import { t } from "./i18n.js";

export class Picker {
  constructor(app) {
    this.app = app;
    this.lab = app.lab;
    this.list = h("ul", { class: "lesson-grid", "aria-labelledby": "picker-title" });
    this.error = h("p", { class: "import-error", role: "alert", hidden: true });
    this.student = new StudentForm(app);
    this.fileInput = h("input", {
      type: "file",
      accept: ".json,application/json",
      class: "visually-hidden",
      tabindex: "-1",
      "aria-hidden": "true",
      onchange: () => this.#import(),
    });
    this.el = h(
      "section",
      { class: "picker", "aria-labelledby": "picker-title" },
      h(
        "div",
        { class: "picker-inner" },
        h(
          "div",
          { class: "picker-head" },
          h(
            "div",
            {},
            h("h1", { id: "picker-title" }, t("lessons")),
            h("p", { class: "picker-intro" }, t("web.picker_intro")),
          ),
          h(
            "div",
            { class: "progress-tools", role: "group", "aria-label": t("progress") },
            h("button", { type: "button", class: "btn", id: "export-progress", onclick: () => this.#export() }, t("web.export_progress")),
            h("button", { type: "button", class: "btn", id: "export-record", onclick: () => this.#exportRecord() }, t("web.export_record")),
            h(
              "button",
              { type: "button", class: "btn", id: "import-progress", onclick: () => this.fileInput.click() },
              t("web.import_progress"),
            ),
            this.fileInput,
          ),
        ),
        this.error,
        this.student.el,
        this.list,
      ),
    );
  }

  async load() {
    let lessons;
    try {
      lessons = await this.lab.call("list_lessons", { lang: this.app.lang });
    } catch (err) {
      alertError(err.message);
      return;
    }
    this.student.load();
    clear(this.list);
    const titles = new Map(lessons.map((lesson) => [lesson.id, lesson.title]));
    lessons.forEach((lesson, i) => this.list.append(this.#card(lesson, i + 1, titles)));
  }

  #card(lesson, number, titles) {
    const total = lesson.steps;
    const done = Math.min(lesson.done_steps, total);
    const titleId = `lesson-title-${lesson.id}`;
    const progressText = lesson.finished ? t("finished") : t("steps_done", { done, total });
    return h(
      "li",
      { class: `lesson-card${lesson.finished ? " finished" : ""}`, "data-lesson": lesson.id },
      h("h2", { id: titleId }, h("span", { class: "num", "aria-hidden": "true" }, `${number}.`), lesson.title),
      h(
        "div",
        { class: "lesson-meta" },
        h("span", {}, `${lesson.minutes} ${t("minutes")}`),
        h("span", { class: "pill", title: t("language") }, lesson.lang.toUpperCase()),
        lesson.finished ? h("span", { class: "pill ok" }, `✓ ${t("finished")}`) : null,
      ),
      h("p", { class: "summary" }, lesson.summary),
      lesson.requires.length
        ? h("p", { class: "requires" }, t("after", { lessons: lesson.requires.map((id) => titles.get(id) ?? id).join(", ") }))
        : null,
      h(
        "div",
        {
          class: "meter-bar",
          role: "progressbar",
          "aria-label": t("progress"),
          "aria-valuemin": "0",
          "aria-valuemax": String(total),
          "aria-valuenow": String(lesson.finished ? total : done),
          "aria-valuetext": progressText,
        },
        h("span", { style: `width:${((lesson.finished ? total : done) / Math.max(total, 1)) * 100}%` }),
      ),
      h(
        "div",
        { class: "card-foot" },
        h("span", { class: "lesson-progress" }, t("steps_done", { done: lesson.finished ? total : done, total })),
        h(
          "button",
          {
            type: "button",
            class: "btn btn-primary",
            "aria-describedby": titleId,
            onclick: () => this.app.openLesson(lesson.id),
          },
          t("open"),
        ),
      ),
    );
  }

  #export() {
    const text = this.lab.exportProgress();
    download(new Blob([text], { type: "application/json" }), "progress.json");
  }

  async #exportRecord() {
    try {
      const record = await this.lab.exportRecord();
      download(new Blob([record.text], { type: "application/json" }), record.filename);
      notify(t("web.record_exported", { runs: record.runs, events: record.events }), "ok");
    } catch (err) {
      alertError(err.message);
    }
  }

  async #import() {
    const file = this.fileInput.files?.[0];
    this.fileInput.value = "";
    if (!file) return;
    const result = await this.lab.importProgress(await file.text());
    if (result.ok) {
      this.error.hidden = true;
      notify(t("web.progress_imported"), "ok");
      await this.load();
    } else {
      this.error.textContent = `${t("web.import_failed")} ${result.error}`;
      this.error.hidden = false;
    }
  }

  /** The progress changed elsewhere (an import, another tab's lesson): show it. */
  progressChanged() {
    this.load();
  }
}

/** The course seed the instructor gave, and the name or id it was made for (Session.set_student). */
class StudentForm {
  constructor(app) {
    this.lab = app.lab;
    this.edited = false; // the student typed here: the session's values no longer overwrite theirs
    const edited = () => (this.edited = true);
    this.name = h("input", { id: "student-name", type: "text", maxlength: "80", autocomplete: "name", oninput: edited });
    this.seed = h("input", { id: "student-seed", type: "text", inputmode: "numeric", pattern: "[0-9]*", maxlength: "10", oninput: edited });
    this.status = h("p", { class: "student-status", role: "status" });
    this.error = h("p", { class: "form-error", id: "student-error", role: "alert", hidden: true });
    this.el = h(
      "form",
      { class: "student-form", "aria-labelledby": "student-title", novalidate: true, onsubmit: (e) => this.#save(e) },
      h("h2", { id: "student-title" }, t("web.course_seed")),
      h("p", { class: "picker-intro" }, t("web.course_seed_intro")),
      h(
        "div",
        { class: "student-fields" },
        h("label", { for: "student-name" }, t("web.student_name")),
        this.name,
        h("label", { for: "student-seed" }, t("web.student_seed")),
        this.seed,
        h("button", { type: "submit", class: "btn", id: "student-save" }, t("web.save_seed")),
      ),
      this.error,
      this.status,
    );
  }

  async load() {
    const student = await this.lab.call("student");
    if (!this.edited) {
      this.name.value = student.name;
      this.seed.value = student.name ? String(student.seed) : "";
    }
    this.status.textContent = student.name
      ? t("web.recording_as", { name: student.name, seed: student.seed, events: student.events })
      : t("web.no_course_seed");
  }

  async #save(event) {
    event.preventDefault();
    const seed = Number(this.seed.value.trim());
    if (!/^[0-9]{1,10}$/.test(this.seed.value.trim()) || seed >= 2 ** 32) {
      this.#problem(t("web.seed_invalid"));
      return;
    }
    const result = await this.lab.call("set_student", { name: this.name.value.trim(), seed });
    if (result.ok === false) {
      this.#problem(result.error);
      return;
    }
    this.error.hidden = true;
    this.edited = false;
    notify(t("web.seed_saved"), "ok");
    await this.load();
  }

  #problem(text) {
    this.error.textContent = text;
    this.error.hidden = false;
  }
}
