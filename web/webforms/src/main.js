/*
 * tincay's browser form filling: mounts ODK Web Forms on the page's #odk-form element.
 * The page (server/handlers/fill.c) gives, as data- attributes of that element, the URLs of
 * the form's XML, of its media and of tincay's OpenRosa submission endpoint (the status
 * line's data-text-* attributes hold the messages in the page's language); the CSRF token
 * of the session in <meta name="csrf-token">, and the nonce that the Content-Security-Policy
 * admits for <style> elements in <meta property="csp-nonce">. Nothing runs inline. The form
 * opens in the page's language when it has it; the package's own interface text is
 * translated through src/ui-text.js.
 */
import './ui-text.js'; /* first: the package's literals look their translations up */
import { createApp, h } from 'vue';
import { OdkWebForm, POST_SUBMIT__NEW_INSTANCE, webFormsPlugin } from '@getodk/web-forms';

const root = document.getElementById('odk-form');
const status = document.getElementById('fill-status');
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
const nonce = document.querySelector('meta[property="csp-nonce"]')?.nonce ?? '';
/* Messages in the page's language, from the data-text-* attributes of the status line. */
const text = {
  sending: status.dataset.textSending,
  sent: status.dataset.textSent,
  offline: status.dataset.textOffline,
  refused: status.dataset.textRefused,
  noForm: status.dataset.textNoForm,
};

function say(kind, message) {
  status.textContent = message;
  status.dataset.state = kind;
}

/* A media file of the form: the engine gives a URL whose last path segment is the file name. */
function fetchFormAttachment(url) {
  const href = typeof url === 'string' ? url : url.href;
  const name = decodeURIComponent(href.split('/').pop());
  const media = new URL(root.dataset.mediaUrl, location.href);
  media.pathname += '/' + encodeURIComponent(name);
  return fetch(media, { credentials: 'same-origin' });
}

/* The text of the OpenRosaResponse message, when the answer carries one. */
async function openRosaMessage(response) {
  /* Only XML is parsed: Chromium's report of a parse error carries a style attribute. */
  if (!/[/+]xml\b/.test(response.headers.get('Content-Type') ?? '')) return '';
  try {
    const doc = new DOMParser().parseFromString(await response.text(), 'application/xml');
    return doc.getElementsByTagNameNS('*', 'message')[0]?.textContent?.trim() ?? '';
  } catch {
    return '';
  }
}

async function submit(payload, callback) {
  const body = payload.data[0];
  let response;
  say('sending', text.sending);
  try {
    response = await fetch(root.dataset.submissionUrl, {
      method: 'POST',
      body,
      credentials: 'same-origin',
      headers: { 'X-OpenRosa-Version': '1.0', 'X-CSRF-Token': csrf },
    });
  } catch {
    say('error', text.offline);
    callback({ status: 'failure' });
    return;
  }
  const message = await openRosaMessage(response);
  if (response.status === 201 || response.status === 202) {
    say('sent', message || text.sent);
    callback({ next: POST_SUBMIT__NEW_INSTANCE });
    window.scrollTo(0, 0);
    return;
  }
  say('error', (message || text.refused) + ` (HTTP ${response.status})`);
  callback({ status: 'failure' });
}

/*
 * The form opens in the page's language when it has that translation ("Tiếng Việt (vi)",
 * "English (en)", or the bare code): it becomes the default one. Otherwise unchanged.
 */
function inPageLanguage(formXml) {
  const code = document.documentElement.lang;
  const doc = new DOMParser().parseFromString(formXml, 'application/xml');
  if (!code || doc.getElementsByTagName('parsererror').length > 0) return formXml;
  const translations = [...doc.getElementsByTagNameNS('*', 'translation')];
  const wanted = translations.find((t) => {
    const lang = (t.getAttribute('lang') ?? '').trim().toLowerCase();
    return lang === code || lang.endsWith(`(${code})`);
  });
  if (wanted === undefined || wanted.hasAttribute('default')) return formXml;
  translations.forEach((t) => t.removeAttribute('default'));
  wanted.setAttribute('default', 'true()');
  return new XMLSerializer().serializeToString(doc);
}

/*
 * PrimeVue's date picker in the page's language: day and month names from the browser's
 * own locale data (Intl), Monday first and day/month/year in Vietnamese.
 */
function dateLocale() {
  const lang = document.documentElement.lang || 'vi';
  const names = (options, dates) => dates.map((d) => new Intl.DateTimeFormat(lang, options).format(d));
  const months = [...Array(12).keys()].map((m) => new Date(2026, m, 1));
  const days = [...Array(7).keys()].map((d) => new Date(2026, 1, 1 + d)); /* from a Sunday */
  return {
    dayNames: names({ weekday: 'long' }, days),
    dayNamesShort: names({ weekday: 'short' }, days),
    dayNamesMin: names({ weekday: 'narrow' }, days),
    monthNames: names({ month: 'long' }, months),
    monthNamesShort: names({ month: 'short' }, months),
    firstDayOfWeek: lang === 'vi' ? 1 : 0,
    dateFormat: lang === 'vi' ? 'dd/mm/yy' : 'mm/dd/yy',
    today: globalThis.tincayText('Today'),
    clear: globalThis.tincayText('Clear'),
  };
}

async function start() {
  const response = await fetch(root.dataset.formUrl, { credentials: 'same-origin' });
  if (!response.ok) {
    say('error', `${text.noForm} (HTTP ${response.status})`);
    return;
  }
  const formXml = inPageLanguage(await response.text());
  const app = createApp({
    render: () => h(OdkWebForm, { formXml, fetchFormAttachment, onSubmit: submit }),
  });
  /*
   * The plugin installs PrimeVue, which writes its theme into <style> elements as soon as it
   * is installed: its options gain the page's nonce (the plugin takes no options of its own).
   */
  const use = app.use;
  app.use = (plugin, options, ...rest) =>
    use.call(
      app,
      plugin,
      options?.theme ? { ...options, csp: { nonce }, locale: dateLocale() } : options,
      ...rest,
    );
  app.use(webFormsPlugin);
  app.use = use;
  app.mount(root);
  root.dataset.ready = 'true';
}

start().catch(() => say('error', text.noForm));
