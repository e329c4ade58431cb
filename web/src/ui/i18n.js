// The UI chrome's words: loaded from the engine (lab.i18n.strings) once per language.
//
//   await setLanguage(lab, "de");  t("run") -> "Ausführen";  t("steps_done", {done: 2, total: 5})
//
// lab/i18n.py is the one table both front ends use; a key missing there shows as
// the key itself, so a gap is visible rather than silently English.

let words = {};
let lang = "en";

export async function setLanguage(lab, next) {
  words = await lab.strings(next);
  lang = next;
  document.documentElement.lang = next;
}

export const currentLanguage = () => lang;

export function t(key, fields) {
  let s = words[key] ?? key;
  if (fields) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in fields ? String(fields[name]) : m));
  return s;
}
