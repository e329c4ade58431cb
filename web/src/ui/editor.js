// The editor (CodeMirror 6), in three modes.
//   Program: RISC-V assembly (GNU as, highlighted by the legacy `gas` mode); "Assemble"
//     marks each error at its line, "Load into" boots the program in the chosen VM.
//   Patch: pick a hypercall handler, load its Python source, edit, Apply or Roll back;
//     a patch that does not compile or fails its trial shows its error at its line.
//   Detection rules: TOML (lesson 11); "Check rules" marks each problem at its line, "Load
//     rules" lets them watch the machine (the Detections panel shows what they find).
//
//   const editor = new Editor(lab, vms, { seat, onChanged: () => …, program: lesson.program });   editor.mounted()
//
// Errors are line decorations plus a gutter marker (a StateField fed by an effect),
// and a list under the editor whose entries jump to their line.

import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { HighlightStyle, StreamLanguage, syntaxHighlighting, defaultHighlightStyle, indentUnit } from "@codemirror/language";
import { gas } from "@codemirror/legacy-modes/mode/gas";
import { toml } from "@codemirror/legacy-modes/mode/toml";
import { Compartment, EditorState, RangeSet, StateEffect, StateField } from "@codemirror/state";
import {
  Decoration,
  EditorView,
  GutterMarker,
  gutter,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { tags } from "@lezer/highlight";
import { alertError, clear, h, notify, fill } from "./dom.js";
import { t } from "./i18n.js";

const SAMPLE = `# A guest program: RV32IM, GNU as syntax. It starts at _start (0x80000000).
# This one prints a line through the SBI debug console, then waits for input.

.equ DBCN, 0x4442434E

.text
.globl _start
_start:
    la   s0, message
print:
    lbu  a0, 0(s0)
    beqz a0, idle
    li   a7, DBCN
    li   a6, 2              # console_write_byte(a0)
    ecall
    addi s0, s0, 1
    j    print
idle:
    wfi
    j    idle

.data
message:
    .string "hello from the editor\\n"
`;

// -- error marks: a set of 1-based line numbers, shown as tinted lines and a gutter mark

const setErrors = StateEffect.define();

class ErrorMarker extends GutterMarker {
  toDOM() {
    return h("span", { class: "cm-error-marker", "aria-hidden": "true" }, "●");
  }
}
const marker = new ErrorMarker();
const lineDeco = Decoration.line({ class: "cm-error-line" });

const errorField = StateField.define({
  create: () => ({ lines: RangeSet.empty, marks: RangeSet.empty }),
  update(value, tr) {
    let { lines, marks } = value;
    if (tr.docChanged) {
      lines = lines.map(tr.changes);
      marks = marks.map(tr.changes);
    }
    for (const e of tr.effects) {
      if (!e.is(setErrors)) continue;
      const doc = tr.state.doc;
      const at = [...new Set(e.value)]
        .filter((n) => n >= 1 && n <= doc.lines)
        .sort((a, b) => a - b)
        .map((n) => doc.line(n).from);
      lines = Decoration.set(at.map((pos) => lineDeco.range(pos)));
      marks = RangeSet.of(at.map((pos) => marker.range(pos)));
    }
    return { lines, marks };
  },
  provide: (f) => [
    EditorView.decorations.from(f, (v) => v.lines),
    gutter({ class: "cm-error-gutter", markers: (view) => view.state.field(f).marks }),
  ],
});

// Readable in both themes: colours come from the page's tokens.
const highlight = HighlightStyle.define([
  { tag: tags.comment, color: "var(--muted)", fontStyle: "italic" },
  { tag: [tags.keyword, tags.definitionKeyword], color: "var(--accent)", fontWeight: "600" },
  { tag: [tags.number, tags.string], color: "var(--ok)" },
  { tag: [tags.variableName, tags.labelName], color: "var(--text)" },
  { tag: [tags.standard(tags.variableName), tags.atom], color: "var(--warn)" },
]);

const theme = EditorView.theme({
  "&": { backgroundColor: "var(--surface)", color: "var(--text)" },
  ".cm-gutters": { backgroundColor: "var(--surface-2)", color: "var(--muted)", borderRight: "1px solid var(--border)" },
  ".cm-activeLine": { backgroundColor: "color-mix(in srgb, var(--accent-soft) 45%, transparent)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--accent-soft)" },
  "&.cm-focused": { outline: "3px solid var(--focus)", outlineOffset: "-3px" },
  ".cm-cursor": { borderLeftColor: "var(--text)" },
});

export class Editor {
  constructor(lab, vms, { seat, onChanged, program = "" }) {
    this.lab = lab;
    this.onChanged = onChanged;
    this.mode = "program";
    // The lesson's own program (one the student finishes), else the sample.
    this.sources = { program: program || SAMPLE, patch: "", rules: "" };
    this.language = new Compartment();
    this.view = new EditorView({
      state: EditorState.create({
        doc: this.sources.program,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          highlightActiveLine(),
          history(),
          indentUnit.of("    "),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          this.language.of(StreamLanguage.define(gas)),
          syntaxHighlighting(highlight),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          errorField,
          theme,
          EditorView.contentAttributes.of({ "aria-label": t("web.editor_text") }),
        ],
      }),
    });
    // Tab indents inside the editor; Escape then Tab leaves it (CodeMirror's own rule), said here for everyone.
    this.result = h("div", { class: "editor-result", id: "editor-result", "aria-live": "polite" });

    const modeButton = (mode, label) =>
      h("button", { type: "button", "aria-pressed": String(mode === "program"), "data-mode": mode, onclick: () => this.setMode(mode) }, label);
    this.modeButtons = h(
      "div",
      { class: "segmented", role: "group", "aria-label": t("web.editor_mode") },
      modeButton("program", t("web.program")),
      modeButton("patch", t("web.patch")),
      modeButton("rules", t("detection_rules")),
    );

    this.vmSelect = h("select", { id: "editor-vm" }, vms.map((vm) => h("option", { value: vm, selected: vm === seat }, vm)));
    this.programBar = h(
      "span",
      { class: "editor-program", style: "display:contents" },
      h("button", { type: "button", class: "btn", id: "editor-assemble", onclick: () => this.assemble() }, t("assemble")),
      h("label", { for: "editor-vm" }, t("load_into")),
      this.vmSelect,
      h("button", { type: "button", class: "btn btn-primary", id: "editor-load", onclick: () => this.load() }, t("web.load")),
    );

    this.handlerSelect = h("select", { id: "editor-handler" });
    this.patchBar = h(
      "span",
      { class: "editor-patch", style: "display:none" },
      h("label", { for: "editor-handler" }, t("web.handler")),
      this.handlerSelect,
      h("button", { type: "button", class: "btn", id: "editor-source", onclick: () => this.loadSource() }, t("web.load_source")),
      h("button", { type: "button", class: "btn btn-primary", id: "editor-apply", onclick: () => this.apply() }, t("apply_patch")),
      h("button", { type: "button", class: "btn", id: "editor-revert", onclick: () => this.revert() }, t("revert_patch")),
    );

    this.rulesBar = h(
      "span",
      { class: "editor-rules", style: "display:none" },
      h("button", { type: "button", class: "btn", id: "editor-check-rules", onclick: () => this.checkRules() }, t("web.check_rules")),
      h("button", { type: "button", class: "btn btn-primary", id: "editor-load-rules", onclick: () => this.loadRules() }, t("web.load_rules")),
      h("button", { type: "button", class: "btn", id: "editor-rules-template", onclick: () => this.rulesTemplate() }, t("web.rules_new")),
    );

    this.host = h("div", { class: "editor-host" }, this.view.dom);
    this.el = h("div", {}, h("div", { class: "panel-bar" }, this.modeButtons, this.programBar, this.patchBar, this.rulesBar), this.host, this.result);
    this.handlersLoaded = false;
  }

  async setMode(mode) {
    if (mode === this.mode) return;
    this.sources[this.mode] = this.view.state.doc.toString();
    this.mode = mode;
    for (const b of this.modeButtons.children) b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
    this.programBar.style.display = mode === "program" ? "contents" : "none";
    this.patchBar.style.display = mode === "patch" ? "contents" : "none";
    this.rulesBar.style.display = mode === "rules" ? "contents" : "none";
    const language = { program: StreamLanguage.define(gas), patch: python(), rules: StreamLanguage.define(toml) }[mode];
    this.view.dispatch({
      changes: { from: 0, to: this.view.state.doc.length, insert: this.sources[mode] },
      effects: [this.language.reconfigure(language), setErrors.of([])],
    });
    clear(this.result);
    if (mode === "patch") {
      await this.#loadHandlers();
      if (!this.sources.patch) await this.loadSource();
    }
    if (mode === "rules" && !this.sources.rules) {
      const r = await this.#run(() => this.lab.call("rules_source", {}));
      if (r) this.#replace((this.sources.rules = r.text));
    }
  }

  async #loadHandlers() {
    if (this.handlersLoaded) return;
    const names = await this.lab.call("handlers");
    fill(this.handlerSelect, ...names.map((n) => h("option", { value: n }, n)));
    this.handlerSelect.value = names.includes("dbcn.console_write") ? "dbcn.console_write" : names[0];
    this.handlersLoaded = true;
  }

  /** Show a result line, and each error with a button that jumps to its line. */
  #show(ok, text, errors = []) {
    this.view.dispatch({ effects: setErrors.of(errors.map((e) => e.line)) });
    this.result.className = `editor-result${ok ? " ok" : ""}`;
    fill(this.result, h("p", { style: "margin:2px 0" }, text));
    if (errors.length) {
      this.result.append(
        h(
          "ul",
          { role: "list" },
          errors.map((e) =>
            h(
              "li",
              {},
              h(
                "button",
                { type: "button", class: "linkish", onclick: () => this.#goto(e.line, e.col) },
                e.line ? `${t("web.line")} ${e.line}${e.col ? `:${e.col}` : ""}: ${e.message}` : e.message,
              ),
            ),
          ),
        ),
      );
      // Errors must be heard, not only seen.
      document.getElementById("alerts").textContent = `${text} ${errors[0].line ? `${t("web.line")} ${errors[0].line}: ` : ""}${errors[0].message}`;
    }
  }

  #goto(line, col = 0) {
    const doc = this.view.state.doc;
    if (!line || line > doc.lines) return;
    const at = doc.line(line);
    const pos = Math.min(at.from + Math.max(col - 1, 0), at.to);
    this.view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
    this.view.focus();
  }

  get text() {
    return this.view.state.doc.toString();
  }

  async #run(fn) {
    try {
      return await fn();
    } catch (err) {
      alertError(err.message);
      return null;
    }
  }

  async assemble() {
    const r = await this.#run(() => this.lab.call("assemble", { source: this.text }));
    if (!r) return;
    if (r.ok) this.#show(true, t("web.assembled", { size: r.size, entry: `0x${(r.entry >>> 0).toString(16)}` }));
    else this.#show(false, t("web.asm_errors", { n: r.errors.length }), r.errors);
  }

  async load() {
    const vm = this.vmSelect.value;
    const r = await this.#run(() => this.lab.call("load_source", { vm, source: this.text }));
    if (!r) return;
    if (r.ok) {
      this.#show(true, t("web.loaded", { vm, size: r.size }));
      notify(t("web.loaded", { vm, size: r.size }), "ok");
      this.onChanged({ vm });
    } else this.#show(false, t("web.asm_errors", { n: r.errors.length }), r.errors);
  }

  async loadSource() {
    const handler = this.handlerSelect.value;
    const r = await this.#run(() => this.lab.call("patch_source", { handler }));
    if (!r) return;
    this.sources.patch = r.source;
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: r.source }, effects: setErrors.of([]) });
    this.#show(true, r.patched ? t("web.patch_active", { handler }) : t("web.patch_original", { handler, params: r.params.join(", ") }));
  }

  async apply() {
    const handler = this.handlerSelect.value;
    const r = await this.#run(() => this.lab.call("apply_patch", { handler, source: this.text }));
    if (!r) return;
    if (r.ok) {
      this.#show(true, t("web.patch_applied", { handler }));
      notify(t("web.patch_applied", { handler }), "ok");
      this.onChanged({ handler });
    } else {
      this.#show(false, t("web.patch_failed"), [{ line: r.line ?? 0, col: 0, message: r.error }]);
    }
  }

  async revert() {
    const handler = this.handlerSelect.value;
    const r = await this.#run(() => this.lab.call("revert_patch", { handler }));
    if (!r) return;
    this.#show(true, t("web.patch_reverted", { handler }));
    this.onChanged({ handler });
    await this.loadSource();
  }

  #replace(text) {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text }, effects: setErrors.of([]) });
  }

  async checkRules() {
    const r = await this.#run(() => this.lab.call("check_rules", { source: this.text }));
    if (!r) return;
    if (r.ok) this.#show(true, t("rules_valid", { n: r.rules }));
    else this.#show(false, t("web.rules_errors", { n: r.errors.length }), r.errors);
  }

  async loadRules() {
    const r = await this.#run(() => this.lab.call("load_rules", { source: this.text }));
    if (!r) return;
    if (r.ok) {
      this.#show(true, t("rules_loaded", { n: r.rules }));
      notify(t("rules_loaded", { n: r.rules }), "ok");
      this.onChanged({ rules: r.rules });
      return;
    }
    const checked = await this.#run(() => this.lab.call("check_rules", { source: this.text }));
    const errors = checked?.errors?.length ? checked.errors : [{ line: r.line ?? 0, col: 0, message: r.error }];
    this.#show(false, t("web.rules_errors", { n: errors.length }), errors);
  }

  async rulesTemplate() {
    const r = await this.#run(() => this.lab.call("rules_source", { template: true }));
    if (!r) return;
    this.sources.rules = r.text;
    this.#replace(r.text);
    this.#show(true, t("rules_template"));
  }

  mounted() {
    this.view.requestMeasure();
  }
}
