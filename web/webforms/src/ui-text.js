/*
 * The lookup that the build puts in place of ODK Web Forms' interface literals
 * (ui-text.js at the top of this package): their translations in the page's language,
 * from the `data-ui` attribute of #odk-form (a JSON object, English text → translation).
 * Imported before the package, so that its module-level messages see it too. Spaces
 * around a literal (" Add ") are kept; text without a translation stays as it is.
 */
let translations = {};
try {
  translations = JSON.parse(document.getElementById('odk-form')?.dataset.ui ?? '{}');
} catch {
  translations = {};
}

globalThis.tincayText = (text) => {
  const key = text.trim();
  const translated = Object.hasOwn(translations, key) ? translations[key] : null;
  return typeof translated === 'string' && translated !== '' ? text.replace(key, translated) : text;
};
