// Inline SVG icons: the system fonts of a school's machines may lack the media
// symbols (⏸ ⏭), so the controls draw their own. Decorative: hidden from screen
// readers, the button's text says what it does.
//
//   h("button", {}, icon("play"), t("run"))

const PATHS = {
  play: "M4 2.5v11l9-5.5z",
  pause: "M4 2.5h3v11H4zM9 2.5h3v11H9z",
  step: "M3 2.5v11l7-5.5zM11 2.5h2.5v11H11z",
  download: "M7 1.5h2v7h2.5L8 12 4.5 8.5H7zM2.5 13h11v1.5h-11z",
  hint: "M8 1.5a4.5 4.5 0 0 0-2.6 8.2V11h5.2V9.7A4.5 4.5 0 0 0 8 1.5zM5.5 12.2h5v1.3h-5zM6.5 14.2h3v.8h-3z",
};

export function icon(name) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "14");
  svg.setAttribute("height", "14");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", PATHS[name]);
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}
