/*
 * Vite plugin: turn the style elements that @getodk/web-forms injects at run time into
 * CSS modules, so they end up in the emitted style sheet. The build fails when the package's
 * code no longer has the expected shape (a new version must be looked at, not guessed at).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const CSS_ID = 'virtual:odk-web-forms.css';
const RESET_ID = 'virtual:odk-web-forms-reset.css';

/* dist/index.js starts with vite-plugin-css-injected-by-js's IIFE holding one string literal. */
const INJECTED = /^\(function\(\)\{"use strict";try\{if\(typeof document<"u"\)\{var r=document\.createElement\("style"\);r\.appendChild\(document\.createTextNode\(('(?:[^'\\]|\\[\s\S])*')\)\),document\.head\.appendChild\(r\)\}\}catch\(t\)\{console\.error\("vite-plugin-css-injected-by-js",t\)\}\}\)\(\);/;

/* The plugin's install() prepends a <style> holding `resetStyles`, a template literal. */
const RESET_DEF = /resetStyles = `([^`$\\]*)`/;
const RESET_USE = /const (\w+) = document\.createElement\("style"\);\s*\1\.textContent = resetStyles, document\.head\.prepend\(\1\),\s*/;

function stringLiteral(literal) {
  /* A JavaScript string literal from the package, read as data (no code runs). */
  return JSON.parse(
    '"' +
      literal
        .slice(1, -1)
        .replace(/\\'/g, "'")
        .replace(/"/g, '\\"') +
      '"',
  );
}

/* The reset styles, from whichever chunk of the package defines them. */
function findResetStyles(ctx, dir) {
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.js'))) {
    const def = RESET_DEF.exec(readFileSync(join(dir, name), 'utf8'));
    if (def !== null) return def[1];
  }
  ctx.error('@getodk/web-forms: the reset styles were not found');
}

export function odkStylesToFiles() {
  let componentCss = null;
  let resetCss = null;
  return {
    name: 'tincay-odk-styles-to-files',
    enforce: 'pre',
    resolveId(id) {
      if (id === CSS_ID || id === RESET_ID) return id;
      return null;
    },
    load(id) {
      if (id === CSS_ID) return componentCss;
      if (id === RESET_ID) return resetCss;
      return null;
    },
    transform(code, id) {
      if (!/@getodk[\\/]web-forms[\\/]dist[\\/]/.test(id)) return null;
      if (/[\\/]dist[\\/]index\.js$/.test(id)) {
        const m = INJECTED.exec(code);
        if (m === null) this.error('@getodk/web-forms dist/index.js: injected CSS not found');
        componentCss = stringLiteral(m[1]);
        resetCss = findResetStyles(this, dirname(id));
        /* The reset comes first, as the plugin prepends it to <head>. */
        const imports = `import ${JSON.stringify(RESET_ID)};\nimport ${JSON.stringify(CSS_ID)};\n`;
        return { code: imports + code.slice(m[0].length), map: null };
      }
      if (code.includes('resetStyles')) {
        if (!RESET_USE.test(code)) this.error(`${id}: the plugin's reset style element was not found`);
        return { code: code.replace(RESET_USE, ''), map: null };
      }
      return null;
    },
  };
}
