// A console per VM: an xterm.js terminal each, tabs to switch between them.
//
//   const consoles = new Consoles(vmNames, { label, onLine: (vm, line) => … });
//   consoles.write("tenant", text);   consoles.reset()   // a frame's output; a frame's reset
//
// The guest's serial port is line-oriented (the monitors read a line, then echo it),
// so typing is edited locally: printable keys echo, Backspace deletes, Up/Down walk
// the history, Ctrl+U clears the line, Enter sends the line with `type`. The local
// echo is wiped before the guest's own echo arrives so a command shows once.

import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { Tabs } from "./tabs.js";

const HISTORY = 100;

const THEME = {
  background: "#0f172a",
  foreground: "#e2e8f0",
  cursor: "#fbbf24",
  selectionBackground: "#334155",
};

class VmConsole {
  constructor(vm, onLine) {
    this.vm = vm;
    this.onLine = onLine;
    this.line = "";
    this.history = [];
    this.back = -1; // position while walking the history, -1 = the line being typed
    this.host = h("div", { class: "console-term" });
    this.term = new Terminal({
      convertEol: true,
      cursorBlink: true,
      fontFamily: '"DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: THEME,
      screenReaderMode: true, // xterm mirrors the output into a live region for screen readers
    });
    this.fit = new FitAddon();
    this.term.loadAddon(this.fit);
    this.opened = false;
    this.term.onData((data) => this.#input(data));
    // Tab leaves the terminal (the guests' monitors do not complete): keyboard users must not be trapped.
    this.term.attachCustomKeyEventHandler((e) => e.key !== "Tab");
  }

  open() {
    if (this.opened) return;
    this.opened = true;
    this.term.open(this.host);
    this.term.textarea?.setAttribute("aria-label", `${t("console")} ${this.vm}`);
    this.term.textarea?.setAttribute("data-vm", this.vm);
  }

  resize() {
    if (!this.opened || !this.host.isConnected || this.host.offsetParent === null) return;
    try {
      this.fit.fit();
    } catch {
      // A hidden host has no size to fit to; the next resize fixes it.
    }
  }

  /** Guest output: lifted above the line being typed, which is drawn again after it. */
  write(text) {
    if (!text) return;
    const typed = this.line;
    if (typed) this.#erase(typed.length);
    this.term.write(text);
    if (typed) this.term.write(typed);
  }

  reset() {
    this.line = "";
    // Through the write queue (ESC c, a full reset), not term.reset(): output written just
    // before and not yet parsed must not land after the reset.
    this.term.write("\x1bc");
  }

  #erase(n) {
    if (n > 0) this.term.write("\b \b".repeat(n));
  }

  #replace(text) {
    this.#erase(this.line.length);
    this.line = text;
    this.term.write(text);
  }

  #input(data) {
    // Arrow keys arrive as escape sequences; anything else is handled a character at a time (a paste too).
    if (data === "\x1b[A") {
      if (this.history.length && this.back < this.history.length - 1) {
        this.back += 1;
        this.#replace(this.history[this.history.length - 1 - this.back]);
      }
      return;
    }
    if (data === "\x1b[B") {
      if (this.back > 0) {
        this.back -= 1;
        this.#replace(this.history[this.history.length - 1 - this.back]);
      } else if (this.back === 0) {
        this.back = -1;
        this.#replace("");
      }
      return;
    }
    if (data.startsWith("\x1b")) return; // other keys (left/right, function keys) do nothing here
    for (const ch of data) {
      if (ch === "\r" || ch === "\n") {
        const line = this.line;
        this.#erase(line.length); // the guest echoes the line itself
        this.line = "";
        this.back = -1;
        if (line && this.history[this.history.length - 1] !== line) {
          this.history.push(line);
          if (this.history.length > HISTORY) this.history.shift();
        }
        this.onLine(this.vm, line);
      } else if (ch === "\x7f" || ch === "\b") {
        if (this.line) {
          this.line = this.line.slice(0, -1);
          this.term.write("\b \b");
        }
      } else if (ch === "\x15") {
        this.#replace("");
      } else if (ch === "\x03") {
        this.term.write("^C\r\n");
        this.line = "";
      } else if (ch >= " ") {
        this.line += ch;
        this.term.write(ch);
      }
    }
  }
}

export class Consoles {
  constructor(vms, { onLine, seat }) {
    this.consoles = new Map(vms.map((vm) => [vm, new VmConsole(vm, onLine)]));
    this.tabs = new Tabs({ label: t("console"), idPrefix: "console", onSelect: (vm) => this.#shown(vm) });
    for (const [vm, c] of this.consoles) {
      const panel = h("div", { class: "console-host", "data-vm": vm }, c.host);
      this.tabs.add(vm, vm, panel);
    }
    this.help = h("div", { class: "console-help", id: "console-help" }, t("web.console_help"));
    this.el = h(
      "section",
      { class: "pane pane-console", "aria-label": t("console") },
      this.tabs.list,
      this.tabs.panels,
      this.help,
    );
    this.seat = seat;
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(this.el);
  }

  /** Open the terminals (they need to be in the document) and show the student's seat. */
  mounted() {
    for (const c of this.consoles.values()) c.open();
    this.tabs.select(this.seat);
    this.#shown(this.seat);
  }

  #shown(vm) {
    const c = this.consoles.get(vm);
    if (!c) return;
    c.open();
    requestAnimationFrame(() => c.resize());
  }

  get(vm) {
    return this.consoles.get(vm);
  }

  get names() {
    return [...this.consoles.keys()];
  }

  write(vm, text) {
    const c = this.consoles.get(vm);
    if (!c || !text) return;
    c.write(text);
    this.tabs.mark(vm, true);
  }

  focus(vm = this.tabs.current) {
    this.tabs.select(vm);
    this.consoles.get(vm)?.term.focus();
  }

  resize() {
    this.consoles.get(this.tabs.current)?.resize();
  }

  reset() {
    for (const c of this.consoles.values()) c.reset();
  }

  dispose() {
    this.observer.disconnect();
    for (const c of this.consoles.values()) c.term.dispose();
  }
}
