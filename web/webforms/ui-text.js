/*
 * ODK Web Forms 0.22 has no way to translate its own interface (buttons, the count of
 * questions with errors, the engine's fallback messages): its strings are literals in the
 * published bundle. This build step rewrites each of those literals into a lookup,
 * `globalThis.tincayText(...)` (src/ui-text.js), which answers from the translations the
 * fill page carries in the page's language (server/handlers/fill.c: `data-ui`); without
 * one, the English literal stays. Every literal must be found exactly as often as listed:
 * a new version of the package that changed one fails the build instead of silently
 * showing English. The msgids are the same strings, trimmed, in po/vi.po.
 */
const BUNDLE = /@getodk\/web-forms\/dist\/index-[^/]*\.js$/;

/* Literal (with its quotes' content exactly as in the bundle) → occurrences expected. */
const LITERALS = new Map([
  ['Send', 1],
  [' Add ', 1],
  ['Remove', 1],
  [' Okay ', 1],
  ['Cancel', 2],
  ['Repeat Item', 1],
  ['Powered by', 1],
  ['change language', 1],
  ['1 question with error.', 1],
  ['Condition not satisfied: required', 1],
  ['Condition not satisfied: constraint', 1],
  ['An error occurred while loading this form', 1],
  ['Technical error details', 1],
  ['Take picture', 1],
  ['Choose image', 1],
  ['Get location', 1],
  ['Finding your location', 1],
  ['Save location', 1],
  ['Try again', 1],
]);

/* `${n} questions with errors.` → the translated "%d questions with errors." with n in it. */
const COUNT = /`\$\{(\w+)\} questions with errors\.`/g;

const lookup = (text) => `(globalThis.tincayText?.(${text}) ?? ${text})`;

export function translatableUiText() {
  let seen = false;
  return {
    name: 'tincay-ui-text',
    enforce: 'pre',
    buildEnd(error) {
      if (!error && !seen) this.error('ODK Web Forms: no dist/index-*.js met: its interface text is not translated');
    },
    transform(code, id) {
      if (!BUNDLE.test(id)) return null;
      seen = true;
      let out = code;
      for (const [literal, expected] of LITERALS) {
        const quoted = JSON.stringify(literal);
        const found = out.split(quoted).length - 1;
        if (found !== expected)
          this.error(`ODK Web Forms: "${literal}" found ${found} times, expected ${expected}`);
        out = out.split(quoted).join(lookup(quoted));
      }
      const counts = [...out.matchAll(COUNT)].length;
      if (counts !== 1)
        this.error(`ODK Web Forms: "\${n} questions with errors." found ${counts} times, expected 1`);
      out = out.replace(COUNT, (_, n) => `${lookup('"%d questions with errors."')}.replace("%d", ${n})`);
      return { code: out, map: null };
    },
  };
}
