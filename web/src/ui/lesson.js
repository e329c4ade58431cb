// The lesson screen: the lesson text on the left; on the right a console per VM over
// the panels (VMs, Timeline, Trace, Network, Grants, Editor, Policy); Run / Pause /
// Step, the speed in MIPS and the time in the top bar.
//
//   const screen = new LessonScreen(app, "control-api");
//   await screen.open();  main.append(screen.el);  bar.append(screen.bar);  screen.mounted();
//
// The worker runs the guests in slices and sends a tick with the machine's state
// (at most ~10 a second). Each tick (and each student action) starts one `sync`:
// new console output, the visible panel, and, at most twice a second while time
// moves, `evaluate` for the step's checks. Syncs never overlap: a tick that comes
// during one only marks that another is due, so a slow page drops ticks, not work.

import { Consoles } from "./consoles.js";
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

const SLICE = 20_000; // instructions per worker slice
const EVALUATE_MS = 450; // while guests run, the checks are evaluated at most this often

export class LessonScreen {
  constructor(app, lessonId) {
    this.app = app;
    this.lab = app.lab;
    this.lessonId = lessonId;
    this.lesson = null;
    this.state = null;
    this.playing = false;
    this.mips = 0;
    this.closed = false;
    this.syncing = null; // the sync in flight
    this.again = false; // another sync is due when it ends
    this.nextState = null; // the newest tick's state, for that sync
    this.lastEvaluate = 0;
    this.evaluatedTime = -1;
    this.mustEvaluate = false; // a student action happened: evaluate on the next pass whatever the clock says
    this.unsubscribe = [];
  }

  /** Open and start the lesson (resuming where the progress says), and build the screen. */
  async open() {
    const lab = this.lab;
    this.lesson = await lab.call("open_lesson", { lesson_id: this.lessonId, lang: this.app.lang });
    this.state = await lab.call("start", {});
    const [switches, progress] = await Promise.all([lab.call("policy"), lab.call("progress")]);
    const hintsUsed = {};
    for (const [i, sp] of Object.entries(progress.lessons?.[this.lessonId]?.steps ?? {})) hintsUsed[i] = sp.hints;
    const seats = this.state.vms.filter((vm) => !vm.control).map((vm) => vm.name);
    this.seat = seats[0] ?? this.lesson.vms[0];
    this.#build(switches, hintsUsed);
    this.unsubscribe.push(lab.on("tick", (tick) => this.#tick(tick)));
  }

  #build(switches, hintsUsed) {
    const lesson = this.lesson;
    this.text = new LessonText(lesson, {
      onHint: () => this.hint(),
      onCheck: () => this.check(),
      onResetStep: () => this.resetStep(),
      onResetLesson: () => this.resetLesson(),
      onLeave: () => this.app.showPicker(),
    }, hintsUsed);
    this.consoles = new Consoles(lesson.vms, { seat: this.seat, onLine: (vm, line) => this.typed(vm, line) });

    this.vms = new VmTable({ onAction: (vm, action) => this.vmAction(vm, action) });
    this.timeline = new Timeline(this.lab);
    this.trace = new Trace(this.lab);
    this.network = new Network(this.lab);
    this.grants = new Grants(this.lab);
    this.editor = new Editor(this.lab, lesson.vms, { seat: this.seat, onChanged: () => this.afterAction() });
    this.policy = new Policy(switches, { onSet: (key, value) => this.setPolicy(key, value) });
    this.panels = new Tabs({ label: t("web.panels"), idPrefix: "panel", onSelect: () => this.#panelShown() });
    this.panels.add("vms", t("vms"), this.vms.el);
    this.panels.add("timeline", t("timeline"), this.timeline.el);
    this.panels.add("trace", t("trace"), this.trace.el);
    this.panels.add("network", t("network"), this.network.el);
    this.panels.add("grants", t("web.grants"), this.grants.el);
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

  /** In the document now: open the terminals, show the state, start the guests. */
  mounted() {
    this.consoles.mounted();
    this.editor.mounted();
    this.#render(this.state.step, complete(this.state));
    this.text.setChecks(this.state.checks);
    this.policy.sync(this.state.policy);
    this.#showRun();
    this.play();
    this.sync(this.state);
    this.consoles.focus(this.seat);
  }

  async close() {
    this.closed = true;
    for (const off of this.unsubscribe) off();
    if (this.playing) {
      this.playing = false;
      await this.lab.pause().catch(() => {});
    }
    this.consoles?.dispose();
  }

  crashed() {
    this.playing = false;
    this.closed = true;
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

  play() {
    if (this.playing || this.closed) return;
    this.playing = true;
    this.lab.play({ slice: SLICE });
    this.#showRun();
  }

  async pause() {
    if (!this.playing) return;
    this.playing = false;
    this.mips = 0;
    this.#showRun();
    await this.lab.pause();
  }

  async toggleRun() {
    if (this.playing) await this.pause();
    else this.play();
    await this.sync();
  }

  async stepOnce() {
    await this.pause();
    await this.#act(() => this.lab.call("step"));
    await this.sync();
  }

  #showRun() {
    const running = this.playing;
    this.runButton.replaceChildren(icon(running ? "pause" : "play"), running ? t("pause") : t("run"));
    this.runState.textContent = running ? t("web.running") : t("web.paused");
    this.runState.classList.toggle("running", running);
    const s = this.state;
    if (!s) return;
    const speed = this.mips > 0 ? `${this.mips.toFixed(2)} MIPS` : t("web.idle");
    this.meter.textContent = `${speed} · t=${fmtInt(s.time)}`;
    this.meter.title = `${t("speed")}: ${speed}; ${t("instructions")}: ${fmtInt(s.time)}`;
  }

  #tick({ state, mips }) {
    if (this.closed) return;
    this.mips = mips ?? 0;
    this.nextState = state;
    this.sync(state);
  }

  // -- keeping the screen in step with the machine

  /** One pass over what the student sees; overlapping calls fold into one more pass. */
  sync(state = null) {
    if (state) this.nextState = state;
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      try {
        do {
          this.again = false;
          const next = this.nextState;
          this.nextState = null;
          await this.#syncOnce(next);
        } while (this.again && !this.closed);
      } catch (err) {
        if (!this.closed) alertError(err.message ?? String(err));
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  async #syncOnce(given) {
    if (this.closed) return;
    const state = given ?? (await this.lab.call("state"));
    this.state = state;
    this.#showRun();
    for (const vm of state.vms) {
      const view = this.consoles.get(vm.name);
      if (!view || vm.console_seq === view.seq) continue;
      if (vm.console_seq < view.seq) view.reset(); // the machine went back (a reset)
      const chunk = await this.lab.call("console", { vm: vm.name, since: view.seq });
      this.consoles.write(vm.name, chunk.text);
      view.seq = chunk.seq;
    }
    if (state.step !== this.text.step || complete(state) !== this.text.finished) {
      this.#render(state.step, complete(state));
    }
    this.text.setChecks(state.checks);
    this.policy.sync(state.policy);
    await this.#refreshPanel(state);
    const now = performance.now();
    const due = state.time !== this.evaluatedTime && now - this.lastEvaluate >= EVALUATE_MS;
    if (this.mustEvaluate || due) {
      const attempt = this.mustEvaluate; // a student's action is an attempt; the clock's look is not
      this.mustEvaluate = false;
      await this.evaluate({ attempt });
    }
  }

  async #refreshPanel(state) {
    switch (this.panels.current) {
      case "vms":
        this.vms.update(state.vms);
        break;
      case "timeline":
        await this.timeline.refresh(state);
        break;
      case "trace":
        await this.trace.refresh(state);
        break;
      case "network":
        await this.network.refresh(state);
        break;
      case "grants":
        await this.grants.refresh();
        break;
      default:
        break;
    }
  }

  #panelShown() {
    if (this.state) this.sync();
  }

  /** Evaluate the step's checks; say so when a step or the whole lesson is done. */
  async evaluate({ attempt = true } = {}) {
    if (this.closed) return null;
    const r = await this.lab.call("evaluate", { attempt });
    this.lastEvaluate = performance.now();
    this.evaluatedTime = this.state?.time ?? -1;
    this.text.setChecks(r.checks);
    if (r.advanced) {
      const msg = t("web.step_done", { n: r.step + 1 });
      notify(`✓ ${msg}`, "ok");
      announce(msg);
      this.state = await this.lab.call("state");
      this.#render(this.state.step, complete(this.state));
      this.text.setChecks(this.state.checks);
    } else if (r.finished && r.done && !this.text.finished) {
      this.#render(r.step, true);
      notify(`✓ ${t("lesson_complete")}`, "ok", 8000);
      announce(t("lesson_complete"));
      document.getElementById("lesson-complete")?.focus();
    }
    return r;
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

  /** After any change the checks might see: show it and evaluate at once. */
  async afterAction() {
    // Any pass that starts its evaluation from now on sees the action's effect (evaluate
    // asks the session, not our copy of the state), so the first one to get there does it.
    this.mustEvaluate = true;
    await this.sync();
  }

  /** A console line: `type` runs the guests until they wait again; the sync shows the output. */
  async typed(vm, line) {
    await this.#act(() => this.lab.call("type", { vm, text: line }));
    await this.afterAction();
  }

  async setPolicy(key, value) {
    const r = await this.#act(() => this.lab.call("set_policy", { key, value }));
    if (r && !r.ok) alertError(r.error);
    else if (r) notify(`${r.key}: ${fmt(r.value)}`, "ok");
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

  /** Show a step, with the hints the student revealed for it before (a reload, a resumed lesson). */
  #render(step, finished) {
    this.text.render(step, finished);
    if ((this.text.hintsUsed[step] ?? 0) > 0 && !finished) {
      this.lab.call("hints_shown").then((hints) => {
        if (this.text.step === step) this.text.restoreHints(hints);
      }, (err) => alertError(err.message ?? String(err)));
    }
  }

  async hint() {
    const r = await this.#act(() => this.lab.call("hint"));
    if (r) this.text.addHint(r);
  }

  async check() {
    this.lastEvaluate = 0;
    this.evaluatedTime = -1;
    const r = await this.evaluate();
    if (r && !r.done) {
      const missing = r.checks.filter((c) => !c.done).length;
      notify(t("web.checks_missing", { n: missing }));
    }
  }

  async resetStep() {
    const ok = await confirmDialog({ title: t("reset_step"), text: t("confirm_discard"), ok: t("reset_step"), cancel: t("web.cancel") });
    if (!ok) return;
    await this.#reset("reset_step");
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
    await this.#reset("reset_lesson");
    notify(t("web.lesson_reset"));
  }

  async #reset(method) {
    const wasPlaying = this.playing;
    await this.pause();
    await this.syncing;
    const state = await this.#act(() => this.lab.call(method));
    if (!state) return;
    this.consoles.reset();
    this.timeline.reset();
    this.trace.reset();
    this.network.reset();
    this.grants.reset();
    this.state = state;
    this.#render(state.step, complete(state));
    this.evaluatedTime = -1;
    await this.sync(state);
    if (wasPlaying) this.play();
  }
}

/** The lesson shows as complete on its last step once finished; after a reset to an
 * earlier step the progress record still says finished, but the student is back at work. */
function complete(state) {
  return state.finished && state.step >= state.steps - 1;
}
