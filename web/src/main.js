// hvlab's browser lab: the page. Boots the engine (Pyodide in a module worker, behind
// `Lab` from client.js), then shows the lesson picker or a lesson.
//
// The page is plain ES modules bundled by esbuild: main.js owns the top bar (language,
// theme), the crash banner and which screen is shown; each screen and panel lives
// in ui/. After boot, `window.hvlab = { lab, ui, offline }` lets tests and the curious reach in.
// Once the lab is up, a service worker keeps the build for offline use (offline.js); when a new
// build is deployed, a banner offers to reload into it.

import { Lab } from "./client.js";
import { keepOffline, noOffline } from "./offline.js";
import { alertError, clear, fill, h, notify } from "./ui/dom.js";
import { currentLanguage, languages, setLanguage, t } from "./ui/i18n.js";
import { LessonScreen } from "./ui/lesson.js";
import { Picker } from "./ui/picker.js";

const LANG_KEY = "hvlab.lang";
const THEME_KEY = "hvlab.theme";

class App {
  constructor() {
    this.lab = null;
    this.screen = null; // the Picker or the LessonScreen on show
    this.main = document.getElementById("main");
    this.middle = document.getElementById("topbar-middle");
  }

  async boot() {
    this.#initTheme();
    const status = document.getElementById("boot-status");
    try {
      this.lab = await Lab.boot({ onStatus: (text) => (status.textContent = text) });
    } catch (err) {
      document.getElementById("boot").classList.add("failed");
      status.textContent = `The lab could not start: ${err?.message ?? err}`;
      status.setAttribute("role", "alert");
      return;
    }
    status.textContent = "Loading the lessons…";
    this.lab.on("crash", (message) => this.#crashed(message));
    this.lab.on("progress", (progress) => this.screen?.progressChanged?.(progress));
    this.lab.on("reloaded", (reloaded) => this.#reloaded(reloaded));
    // Registered after boot: its copy of the site does not compete with the first load. A
    // preview's lessons change while it is served: no copy of them is kept.
    const offline = this.lab.preview
      ? noOffline()
      : keepOffline({ onUpdate: (reload) => this.#updateReady(reload) });
    window.hvlab = { lab: this.lab, ui: this, offline };
    const names = await languages();
    const saved = localStorage.getItem(LANG_KEY);
    const lang = saved in names ? saved : "en";
    await setLanguage(lang);
    this.#initLanguage(lang, names);
    this.#chrome();
    document.getElementById("brand").addEventListener("click", (e) => {
      e.preventDefault();
      this.showPicker();
    });
    await this.showPicker();
  }

  get lang() {
    return currentLanguage();
  }

  /** The lesson picker; leaves (and pauses) a lesson on show. */
  async showPicker() {
    await this.#leave();
    this.screen = new Picker(this);
    clear(this.middle);
    clear(this.main).append(this.screen.el);
    await this.screen.load();
    document.title = `hvlab: ${t("lessons")}`;
    this.main.focus();
  }

  /** A lesson's screen; `attach` (a LessonView): draw that lesson on the machine that runs. */
  async openLesson(id, { attach = null } = {}) {
    await this.#leave();
    const screen = new LessonScreen(this, id, { attach });
    this.screen = screen;
    clear(this.middle);
    // Building the machine (and replaying the steps already done) takes a moment.
    fill(this.main, h("div", { class: "opening", role: "status" }, h("div", { class: "spinner", "aria-hidden": "true" }), t("web.opening")));
    try {
      await screen.open();
    } catch (err) {
      if (this.screen !== screen) return;
      alertError(err.message ?? String(err));
      this.showPicker();
      return;
    }
    if (this.screen !== screen) return; // the student went elsewhere while it was building
    fill(this.main, screen.el);
    this.middle.append(screen.bar);
    screen.mounted();
    document.title = `hvlab: ${screen.lesson.title}`;
  }

  /** A preview's lessons were read again (worker.js): draw what changed, name what is wrong. */
  async #reloaded({ lesson, restarted, problems }) {
    for (const problem of problems) notify(`${t("preview_problem")}: ${problem}`, "error");
    if (this.screen instanceof Picker) {
      await this.screen.load();
    } else if (lesson && this.screen instanceof LessonScreen && this.screen.lessonId === lesson.id) {
      await this.openLesson(lesson.id, { attach: lesson });
      notify(t(restarted ? "preview_restarted" : "preview_kept", { title: lesson.title }));
    }
  }

  async #leave() {
    if (this.screen?.close) await this.screen.close();
    this.screen = null;
  }

  // -- language: the lesson AND the chrome switch together

  #initLanguage(lang, names) {
    const select = document.getElementById("lang");
    fill(select, ...Object.entries(names).map(([code, name]) => h("option", { value: code }, name)));
    select.value = lang;
    select.addEventListener("change", () => this.switchLanguage(select.value));
  }

  async switchLanguage(lang) {
    const select = document.getElementById("lang");
    if (this.screen?.confirmLeave && !(await this.screen.confirmLeave())) {
      select.value = this.lang;
      return;
    }
    localStorage.setItem(LANG_KEY, lang);
    await setLanguage(lang);
    select.value = lang;
    this.#chrome();
    if (this.screen instanceof LessonScreen) await this.openLesson(this.screen.lessonId);
    else await this.showPicker();
  }

  /** The words of the static page (index.html) in the current language. */
  #chrome() {
    document.getElementById("lang-label").textContent = t("language");
    document.getElementById("theme-label").textContent = t("theme");
    document.getElementById("theme").title = t("theme");
    document.querySelector(".skip-link").textContent = t("web.skip");
    document.getElementById("brand").setAttribute("aria-label", t("web.back_to_lessons"));
    document.getElementById("crash-reload").textContent = t("web.reload");
    document.getElementById("update-text").textContent = t("web.update_ready");
    document.getElementById("update-reload").textContent = t("web.reload");
  }

  /** A new build is ready: the banner's button lets it take over (the page then reloads). */
  #updateReady(reload) {
    document.getElementById("update").hidden = false;
    document.getElementById("update-reload").onclick = reload;
  }

  // -- theme: prefers-color-scheme until the student picks one

  #initTheme() {
    const root = document.documentElement;
    const saved = localStorage.getItem(THEME_KEY);
    if (saved === "light" || saved === "dark") root.dataset.theme = saved;
    const button = document.getElementById("theme");
    const dark = () =>
      root.dataset.theme ? root.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
    button.setAttribute("aria-pressed", String(dark()));
    button.addEventListener("click", () => {
      const next = dark() ? "light" : "dark";
      root.dataset.theme = next;
      localStorage.setItem(THEME_KEY, next);
      button.setAttribute("aria-pressed", String(next === "dark"));
      this.screen?.themeChanged?.();
    });
  }

  get dark() {
    const root = document.documentElement;
    return root.dataset.theme ? root.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  }

  #crashed(message) {
    const banner = document.getElementById("crash");
    document.getElementById("crash-text").textContent = `${t("web.crashed")} ${message ?? ""}`;
    banner.hidden = false;
    document.getElementById("crash-reload").onclick = () => location.reload();
    this.screen?.crashed?.();
  }
}

const app = new App();
app.boot();
