// The lesson screen: the lesson text on the left; on the right a console per VM over
// the panels (VMs, Timeline, Trace, Network, Grants, Detections, Editor, Policy); Run / Pause /
// Step, the speed in MIPS and the time in the top bar.
//
//   const screen = new LessonScreen(app, "control-api");
//   await screen.open();  main.append(screen.el);  bar.append(screen.bar);  screen.mounted();
//
// The screen draws the session's frames (docs/reference/protocol.md, Frame): while the
// guests run, the worker's run loop sends them; after each of the student's commands the
// screen asks for one. A frame says what changed: console output, timeline items, the
// network or grants (whichever panel is on show, `follow`), the checks, a step done, a
// reset (start the consoles and lists afresh). When to evaluate the checks, how much guest
// work a slice holds, the student's seat: the session decides, as for the terminal lab.
// A step that is done stays until the student moves on (Next step: `next_step`); answers
// to a step's questions go to the session (`answer`). Frames are drawn in the order they
// come, one at a time.

import { Consoles } from "./consoles.js";
import { Detections } from "./detections.js";
import { alertError, announce, confirmDialog, fmtInt, h, notify } from "./dom.js";
import { Editor } from "./editor.js";
import { Grants } from "./grants.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";
import { Network } from "./network.js";
import { fmt, Policy } from "./policy.js";
import { LessonText } from "./prose.js";
import { Tabs } from "./tabs.js";
import { Timeline } from "./timeline.js";
import { Trace } from "./trace.js";
import { VmTable } from "./vms.js";

// What each panel needs the frames to carry (Session.follow).
const FOLLOW = { timeline: ["timeline"], trace: ["timeline"], network: ["network"], grants: ["grants"], detections: ["detections"] };

export class LessonScreen {
  /** `attach`: the LessonView of the lesson already running (a preview's reload): draw it on
   *  the machine as it is instead of opening the lesson and building its machine. */
  constructor(app, lessonId, { attach = null } = {}) {
    this.app = app;
    this.lab = app.lab;
    this.lessonId = lessonId;
    this.attach = attach;
    this.lesson = null;
    this.state = null;
    this.mips = 0;
    this.closed = false;
    this.attached = false; // mounted: frames are drawn
    this.drawing = Promise.resolve(); // frames are drawn one after the other
    this.unsubscribe = [];
  }

  /** Open and start the lesson (resuming where the progress says), and build the screen. */
  async open() {
    const lab = this.lab;
    if (this.attach) {
      this.lesson = this.attach;
      this.state = await lab.call("state");
    } else {
      this.lesson = await lab.call("open_lesson", { lesson_id: this.lessonId, lang: this.app.lang });
      this.state = await lab.call("start", {});
    }
    this.seat = this.state.seat;
    this.#build(await lab.call("policy"));
  }

  #build(switches) {
    const lesson = this.lesson;
    this.text = new LessonText(lesson, {
      onHint: () => this.hint(),
      onCheck: () => this.check(),
      onAnswer: (number, value) => this.answer(number, value),
      onNext: () => this.nextStep(),
      onResetStep: () => this.resetStep(),
      onResetLesson: () => this.resetLesson(),
      onLeave: () => this.app.showPicker(),
    });
    this.consoles = new Consoles(lesson.vms, { seat: this.seat, onLine: (vm, line) => this.typed(vm, line) });

    this.vms = new VmTable({ onAction: (vm, action) => this.vmAction(vm, action) });
    this.timeline = new Timeline();
    this.trace = new Trace();
    this.network = new Network(this.lab, { onCommand: () => this.afterAction() });
    this.grants = new Grants();
    this.detections = new Detections(this.lab);
    this.editor = new Editor(this.lab, lesson.vms, { seat: this.seat, onChanged: () => this.afterAction(), program: lesson.program });
    this.policy = new Policy(switches, {
      onSet: (key, value) => this.setPolicy(key, value),
      onMeasure: () => this.measure(),
    });
    this.panels = new Tabs({ label: t("web.panels"), idPrefix: "panel", onSelect: () => this.#panelShown() });
    this.panels.add("vms", t("vms"), this.vms.el);
    this.panels.add("timeline", t("timeline"), this.timeline.el);
    this.panels.add("trace", t("trace"), this.trace.el);
    this.panels.add("network", t("network"), this.network.el);
    this.panels.add("grants", t("web.grants"), this.grants.el);
    this.panels.add("detections", t("detections"), this.detections.el);
    this.panels.add("editor", t("editor"), this.editor.el);
    this.panels.add("policy", t("policy"), this.policy.el);
    const panelPane = h("section", { class: "pane pane-panels", "aria-label": t("web.panels") }, this.panels.list, this.panels.panels);

    this.el = h("div", { class: "lesson-screen" }, this.text.el, this.consoles.el, panelPane);

    // The top bar: the lesson's title, then the machine's controls and meters.
    this.runButton = h("button", { type: "button", class: "btn btn-primary", id: "run-pause", onclick: () => this.toggleRun() });
    this.stepButton = h("button", { type: "button", class: "btn", id: "step-once", onclick: () => this.stepOnce() }, icon("step"), t("step_once"));
    this.runState = h("span", { class: "run-state", id: "run-state" });
    this.meter = h("span", { class: "meter", id: "meter", "aria-live": "off" });
    this.bar = h(
      "div",
      { style: "display:contents" },
      h("h1", { class: "lesson-title", title: lesson.title }, lesson.title),
      h("div", { class: "runbar", role: "group", "aria-label": t("web.machine") }, this.runState, this.runButton, this.stepButton, this.meter),
    );
  }

  /** In the document now: open the terminals, draw everything, start the guests. */
  async mounted() {
    this.attached = true;
    this.consoles.mounted();
    this.editor.mounted();
    this.#render(this.state);
    this.policy.sync(this.state.policy);
    this.#showRun();
    this.consoles.focus(this.seat);
    this.unsubscribe.push(this.lab.on("frame", (frame) => this.#queue(frame)));
    try {
      await this.lab.call("follow", { panels: FOLLOW[this.panels.current] ?? [] });
      this.#queue(await this.lab.call("frame", { full: true }));
      await this.play();
    } catch (err) {
      if (!this.closed) alertError(err.message ?? String(err));
    }
  }

  async close() {
    this.closed = true;
    for (const off of this.unsubscribe) off();
    await this.lab.pause().catch(() => {}); // (none running any more: nothing to pause)
    this.consoles?.dispose();
  }

  crashed() {
    this.closed = true;
    this.state = this.state && { ...this.state, running: false };
    this.#showRun();
    this.runState.textContent = t("web.stopped");
    for (const root of [this.el, this.bar]) {
      for (const control of root?.querySelectorAll("button, input, select") ?? []) control.disabled = true;
    }
  }

  confirmLeave() {
    return confirmDialog({ title: t("web.switch_language"), text: t("confirm_discard"), ok: t("web.continue"), cancel: t("web.cancel") });
  }

  progressChanged() {}

  // -- running

  async play() {
    if (this.closed) return;
    await this.lab.play();
    await this.afterAction();
  }

  async pause() {
    await this.lab.pause();
    await this.afterAction();
  }

  async toggleRun() {
    if (this.state?.running) await this.pause();
    else await this.play();
  }

  async stepOnce() {
    await this.#act(() => this.lab.call("step"));
    await this.afterAction();
  }

  #showRun() {
    const running = Boolean(this.state?.running) && !this.closed;
    this.runButton.replaceChildren(icon(running ? "pause" : "play"), running ? t("pause") : t("run"));
    this.runState.textContent = running ? t("web.running") : t("web.paused");
    this.runState.classList.toggle("running", running);
    const s = this.state;
    if (!s) return;
    const speed = this.mips > 0 ? `${this.mips.toFixed(2)} MIPS` : t("web.idle");
    this.meter.textContent = `${speed} · t=${fmtInt(s.time)}`;
    this.meter.title = `${t("speed")}: ${speed}; ${t("instructions")}: ${fmtInt(s.time)}`;
  }

  // -- drawing the session's frames

  #queue(frame) {
    this.drawing = this.drawing.then(() => {
      try {
        if (!this.closed) this.#draw(frame);
      } catch (err) {
        alertError(err.message ?? String(err));
      }
    });
    return this.drawing;
  }

  #draw(frame) {
    const state = frame.state;
    this.state = state;
    this.mips = frame.mips;
    if (frame.reset) {
      this.consoles.reset();
      this.timeline.reset();
      this.trace.reset();
      this.network.reset();
      this.grants.reset();
      this.detections.reset();
    }
    for (const out of frame.consoles) this.consoles.write(out.vm, out.text);
    if (
      frame.hints ||
      state.step !== this.text.step ||
      state.complete !== this.text.finished ||
      state.done !== this.text.done
    ) {
      this.#render(state, frame.hints);
    }
    const evaluation = frame.evaluation;
    if (evaluation) {
      if (evaluation.done_now && !evaluation.finished_now) {
        const msg = t("web.step_done", { n: evaluation.step + 1 });
        notify(`✓ ${msg}`, "ok");
        announce(msg);
        document.getElementById("next-step")?.focus({ preventScroll: true });
      }
      if (evaluation.finished_now) {
        notify(`✓ ${t("lesson_complete")}`, "ok", 8000);
        announce(t("lesson_complete"));
        document.getElementById("lesson-complete")?.focus();
      }
    }
    this.text.setChecks(state.checks, state.quizzes.some((q) => q.kind === "predict" && !q.answered));
    this.text.setQuizzes(state.quizzes);
    this.policy.sync(state.policy);
    this.timeline.setVms(state.vms);
    this.trace.setVms(state.vms);
    if (frame.timeline) {
      this.timeline.add(frame.timeline);
      this.trace.add(frame.timeline);
    }
    if (frame.network !== null || this.panels.current === "network") this.network.update(frame.network, state.time);
    if (frame.grants) this.grants.update(frame.grants);
    if (frame.detections) this.detections.update(frame.detections);
    if (this.panels.current === "vms") this.vms.update(state.vms);
    this.#showRun();
  }

  async #panelShown() {
    if (!this.attached || this.closed) return;
    if (this.panels.current === "vms") this.vms.update(this.state.vms);
    await this.#act(() => this.lab.call("follow", { panels: FOLLOW[this.panels.current] ?? [] }));
    await this.afterAction();
  }

  // -- what the student does

  async #act(fn) {
    try {
      return await fn();
    } catch (err) {
      alertError(err.message ?? String(err));
      return null;
    }
  }

  /** After a command: draw what it did (the session evaluates the checks it was a try at). */
  async afterAction() {
    if (this.closed) return;
    const frame = await this.#act(() => this.lab.call("frame"));
    if (frame) await this.#queue(frame);
  }

  /** A console line: `type` runs the guests until they wait again; the frame shows the output. */
  async typed(vm, line) {
    await this.#act(() => this.lab.call("type", { vm, text: line }));
    await this.afterAction();
  }

  async setPolicy(key, value) {
    const r = await this.#act(() => this.lab.call("set_policy", { key, value }));
    if (r && !r.ok) alertError(r.error);
    else if (r) notify(`${r.key}: ${fmt(r.value)}`, "ok"); // on/off, as the lessons write it
    await this.afterAction();
  }

  async vmAction(vm, action) {
    if (action === "destroy" || action === "reboot") {
      const ok = await confirmDialog({
        title: `${t(action)} ${vm}`,
        text: t(`web.confirm_${action}`, { vm }),
        ok: t(action),
        cancel: t("web.cancel"),
      });
      if (!ok) return;
    }
    const r = await this.#act(() => this.lab.call("vm_control", { vm, action }));
    if (r && !r.ok) alertError(r.error);
    await this.afterAction();
  }

  /** Show a step, with the hints the student revealed for it (a frame brings them when it is new). */
  #render(state, hints = null) {
    this.text.render(state.step, state.complete, state.done);
    if (hints && !state.complete) this.text.restoreHints(hints);
    this.text.setChecks(state.checks, state.quizzes.some((q) => q.kind === "predict" && !q.answered));
    this.text.setQuizzes(state.quizzes);
  }

  /** An answer to one of the step's questions: judged by the session, shown at once. */
  async answer(number, value) {
    const r = await this.#act(() => this.lab.call("answer", { quiz: number, value }));
    if (r && !r.ok) alertError(r.error);
    else if (r) this.text.setQuizzes([r.quiz]);
    await this.afterAction();
  }

  /** On to the next step, once this one is done (the student decides when). */
  async nextStep() {
    const r = await this.#act(() => this.lab.call("next_step"));
    if (r && r.ok === false) alertError(r.error);
    await this.afterAction();
    document.querySelector(".step.current summary")?.focus({ preventScroll: true });
  }

  /** What the hardening in force costs, measured on this machine. */
  async measure() {
    this.policy.measuring();
    const r = await this.#act(() => this.lab.call("measure", {}));
    if (r) this.policy.showMeasured(r);
    await this.afterAction();
  }

  async hint() {
    const r = await this.#act(() => this.lab.call("hint"));
    if (r) this.text.addHint(r);
  }

  async check() {
    const r = await this.#act(() => this.lab.call("evaluate"));
    await this.afterAction();
    if (r && !r.done) {
      const missing = r.checks.filter((c) => !c.done).length;
      notify(t("web.checks_missing", { n: missing }));
    }
  }

  async resetStep() {
    const ok = await confirmDialog({ title: t("reset_step"), text: t("confirm_discard"), ok: t("reset_step"), cancel: t("web.cancel") });
    if (!ok) return;
    await this.#act(() => this.lab.call("reset_step"));
    await this.afterAction();
    notify(t("web.step_reset"));
  }

  async resetLesson() {
    const ok = await confirmDialog({
      title: t("reset_lesson"),
      text: t("web.confirm_reset_lesson"),
      ok: t("reset_lesson"),
      cancel: t("web.cancel"),
    });
    if (!ok) return;
    await this.#act(() => this.lab.call("reset_lesson"));
    await this.afterAction();
    notify(t("web.lesson_reset"));
  }
}
