// The UI chrome's words (uitext/<lang>.toml), which `hvlab web build` ships as uitext/<lang>.json.
//
//   await setLanguage("de");  t("run") -> "Ausführen";  t("steps_done", {done: 2, total: 5})
//   await languages()          // {en: "English", de: "Deutsch"}: one per file, for the switch
//
// The words come straight from the site, not through the engine: the page can speak before
// Python has started. Both front ends read the same files; a message id missing there shows
// as the id itself, so a gap is visible rather than silently English.

let words = {};
let lang = "en";

async function fetchJson(name) {
  const response = await fetch(new URL(`uitext/${name}.json`, document.baseURI));
  if (!response.ok) throw new Error(`uitext/${name}.json: HTTP ${response.status}`);
  return response.json();
}

export const languages = () => fetchJson("languages");

export async function setLanguage(next) {
  words = await fetchJson(next);
  lang = next;
  document.documentElement.lang = next;
}

export const currentLanguage = () => lang;

export function t(key, fields) {
  let s = words[key] ?? key;
  if (fields) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in fields ? String(fields[name]) : m));
  return s;
}
