// The lesson picker: every lesson as a card (title, summary, minutes, language,
// "2 of 5 steps", a finished mark), and the progress file's export and import.
//
//   const picker = new Picker(app);  main.append(picker.el);  await picker.load();
//
// Progress lives in localStorage (the client keeps it there); export downloads the
// same progress.json the TUI reads, import loads one and shows why if it is malformed.

import { alertError, clear, download, h, notify } from "./dom.js";
import { t } from "./i18n.js";

export class Picker {
  constructor(app) {
    this.app = app;
    this.lab = app.lab;
    this.list = h("ul", { class: "lesson-grid", "aria-labelledby": "picker-title" });
    this.error = h("p", { class: "import-error", role: "alert", hidden: true });
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
            h(
              "button",
              { type: "button", class: "btn", id: "import-progress", onclick: () => this.fileInput.click() },
              t("web.import_progress"),
            ),
            this.fileInput,
          ),
        ),
        this.error,
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
