// The survey side: an admin uploads and publishes a form (and sees why a broken one is
// refused), adds its media, creates an app user and gets the QR code for ODK Collect, whose
// URL takes a survey as a phone sends it; a reviewer finds that submission in the table,
// reads it (its personal answer decrypted and audited) and changes its review state.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE, freshPage, heading, logIn, openBrowser, screenshot } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// A version of our own, so a server that already loaded the shipped form still takes it.
const VERSION = `e2e${Date.now()}`;
const FORM_ID = 'livelihood_needs';

let browser;
let files;
let submissionId;
before(async () => {
    browser = await openBrowser();
    files = mkdtempSync(path.join(tmpdir(), 'tincay-forms-'));
});
after(async () => {
    await browser?.close();
    rmSync(files, { recursive: true, force: true });
});

function file(name, text) {
    const p = path.join(files, name);
    writeFileSync(p, text);
    return p;
}

async function upload(page, action, filePath) {
    await page.setInputFiles(`form[action="${action}"] input[type="file"]`, filePath);
    const [response] = await Promise.all([
        page.waitForNavigation(),
        page.click(`form[action="${action}"] button[type="submit"]`),
    ]);
    return response;
}

async function post(page, selector) {
    const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
    return response;
}

const INSTANCE = `uuid:e2e-${VERSION}`;

// A livelihood survey of the reviewer's commune, sent to an app user's URL. The respondent's
// name is a personal field: sealed on arrival, readable only by roles that may.
async function submit(url, instance = INSTANCE) {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<data xmlns:orx="http://openrosa.org/xforms" id="${FORM_ID}" version="${VERSION}">
  <survey_date>2026-11-20</survey_date><collector_name>Lò Văn Khánh</collector_name>
  <collector_unit>Hội LHPN xã</collector_unit><consent>yes</consent>
  <respondent><respondent_name>Lò Thị Nga</respondent_name><respondent_role>head</respondent_role></respondent>
  <location><admin_era>post2025</admin_era><commune>post2025:03388</commune></location>
  <identity><group_name>Tổ nhóm dệt thổ cẩm Nà Sang</group_name></identity>
  <orx:meta><orx:instanceID>${instance}</orx:instanceID></orx:meta>
</data>`;
    const body = new FormData();
    body.append('xml_submission_file', new Blob([xml], { type: 'text/xml' }), 'submission.xml');
    return fetch(`${url}/submission`, {
        method: 'POST', body, headers: { 'X-OpenRosa-Version': '1.0' },
    });
}

function psql(sql) {
    return execFileSync('psql', ['-XqAt', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
        encoding: 'utf8',
    }).trim();
}

test('an admin uploads a form, sees a refused one\'s precise error, adds media, publishes', async () => {
    const page = await freshPage(browser);
    await logIn(page, 'e2e.admin');
    await page.goto(`${BASE}/admin/forms`);
    assert.equal(await heading(page), 'Biểu mẫu');

    // Not well-formed: refused with what and where, and nothing stored.
    const broken = file('broken.xml', '<?xml version="1.0"?>\n<h:html xmlns:h="http://www.w3.org/1999/xhtml">\n'
        + '<h:head>\n<h:title>Hỏng</h:title>\n</h:html>\n');
    const refused = await upload(page, '/admin/forms', broken);
    assert.equal(refused.status(), 422);
    const error = (await page.textContent('.msg-error')).trim();
    assert.match(error, /5/, `the message names the line: ${error}`);
    assert.match(error, /head|html|tag|thẻ/i, `the message names the fault: ${error}`);

    const xml = readFileSync(path.join(ROOT, 'forms/livelihood_needs.xml'), 'utf8')
        .replace(/(<data id="livelihood_needs" version=")[^"]*"/, `$1${VERSION}"`);
    const stored = await upload(page, '/admin/forms', file('livelihood_needs.xml', xml));
    assert.equal(stored.status(), 200);
    assert.match(new URL(page.url()).pathname, /^\/admin\/forms\/\d+$/);
    assert.equal(await page.textContent('#form-id'), FORM_ID);
    assert.equal(await page.textContent('#form-state'), 'nháp');
    assert.ok(await page.$('.msg-ok'));
    const versionPath = new URL(page.url()).pathname;

    // A media file of the draft, listed with its md5.
    const csv = 'name,label\nnasang,Nà Sang\n';
    await upload(page, `${versionPath}/media`, file('villages.csv', csv));
    const media = await page.$$eval('tbody tr', (rows) => rows
        .map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim())));
    const md5 = (await import('node:crypto')).createHash('md5').update(csv).digest('hex');
    assert.deepEqual(media.find((cells) => cells[0] === 'villages.csv')?.[3], md5);

    const published = await post(page, `form[action="${versionPath}/publish"] button`);
    assert.equal(published.status(), 200);
    assert.equal(await page.textContent('#form-state'), 'đã phát hành');

    await page.goto(`${BASE}/admin/forms`);
    const row = await page.$$eval('tbody tr', (rows) => rows
        .map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim())));
    const mine = row.find((cells) => cells[0] === FORM_ID && cells[1] === VERSION);
    assert.ok(mine, 'the version is listed');
    assert.equal(mine[3], 'đã phát hành');
    assert.equal(mine[4], '1');
    assert.match(mine[5], /^[0-9a-f]{32}$/);
    await screenshot(page, 'admin-forms.png');
    await page.close();
});

test('an admin creates an app user and gets the QR code of the settings for ODK Collect', async () => {
    const page = await freshPage(browser);
    await logIn(page, 'e2e.admin');
    await page.goto(`${BASE}/admin/appusers`);
    assert.equal(await heading(page), 'Người dùng ứng dụng');
    await page.fill('#f-name', 'Tổ truyền thông bản Nà Sang');
    await page.check(`input[name="form"][value="${FORM_ID}"]`);
    const created = await post(page, 'form[action="/admin/appusers"] button[type="submit"]');
    assert.equal(created.status(), 200);
    assert.equal(await heading(page), 'Đã tạo người dùng ứng dụng');
    assert.ok(await page.$('#qr svg.qr path'), 'the QR code is drawn inline as SVG');
    const url = (await page.textContent('#server-url')).trim();
    assert.match(url, new RegExp(`^${BASE.replace(/[.]/g, '\\.')}/key/[A-Za-z0-9_-]{43}$`));
    await screenshot(page, 'appuser-qr.png');

    // The phone sends a survey to that URL, as ODK Collect does (OpenRosa, multipart).
    const sent = await submit(url);
    assert.equal(sent.status, 201, await sent.text());

    // The list shows it with its form; revoking it asks first and then takes effect.
    await page.goto(`${BASE}/admin/appusers`);
    const cells = await page.$$eval('tbody tr', (rows) => rows
        .map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim()))
        .find((c) => c[0] === 'Tổ truyền thông bản Nà Sang'));
    assert.equal(cells[1], FORM_ID);
    assert.equal(cells[4], 'đang hoạt động');
    page.once('dialog', (dialog) => dialog.accept());
    await post(page, 'tbody form[action$="/revoke"] button');
    assert.ok(await page.$('.msg-ok'));
    const after = await page.$$eval('tbody tr', (rows) => rows
        .map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim()))
        .find((c) => c[0] === 'Tổ truyền thông bản Nà Sang'));
    assert.equal(after[4], 'đã thu hồi');
    assert.equal((await submit(url, 'uuid:e2e-after-revoke')).status, 403);
    await page.close();
});

test('a reviewer filters the submissions, opens one and changes its review state', async () => {
    const page = await freshPage(browser);
    await logIn(page, 'e2e.reviewer');
    // The home page's counts lead to the work; the menu too.
    assert.equal((await page.$$('.card a[href="/submissions"]')).length, 2);
    await page.click('nav.main-nav a[href="/submissions"]');
    await post(page, `a[href="/forms/${FORM_ID}/submissions"]`);
    assert.match(await heading(page), /Khảo sát nhu cầu/);
    let rows = await page.$$eval('tbody tr', (trs) => trs
        .map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim())));
    const row = rows.find((cells) => cells[6] === 'Hội LHPN xã');
    assert.ok(row, 'the submission sent by the phone is listed');
    const id = row[0].slice(1);
    submissionId = id;
    const state = await page.getAttribute(`a[href="/submissions/${id}"] >> xpath=../..//span[@data-state]`,
        'data-state');
    const stateLabel = row[2];
    assert.ok(['received', 'hasIssues'].includes(state), state);
    assert.equal(row[3], '03388');
    // The form's first answers, a date as dd/mm/yyyy and a choice by its label.
    assert.deepEqual(row.slice(4, 8), ['20/11/2026', 'Lò Văn Khánh', 'Hội LHPN xã', 'Có']);

    // Filtering by another state hides it; by its state and dates keeps it.
    await page.selectOption('#f-state', 'approved');
    await post(page, 'form.filters button[type="submit"]');
    rows = await page.$$eval('tbody tr', (trs) => trs.map((r) => r.textContent));
    assert.equal(rows.some((text) => text.includes(`#${id}`)), false);
    await page.selectOption('#f-state', state);
    await page.fill('#f-from', '2020-01-01');
    await page.fill('#f-to', '2099-12-31');
    await post(page, 'form.filters button[type="submit"]');
    assert.ok(await page.$(`a[href="/submissions/${id}"]`));
    // The whole table as CSV through the export API, with the reviewer's session.
    const csvHref = await page.getAttribute('p.exports a[href$="format=csv"]', 'href');
    const csv = await page.context().request.get(`${BASE}${csvHref}`);
    assert.equal(csv.status(), 200);
    assert.match(await csv.text(), /Lò Văn Khánh/);
    assert.ok(await page.$('p.exports a[href$="format=xlsx"]'));
    await screenshot(page, 'submissions.png');

    await post(page, `a[href="/submissions/${id}"]`);
    assert.equal(await page.textContent('#review-state'), stateLabel);
    const answers = await page.$$eval('table tbody tr', (trs) => trs
        .map((r) => [r.querySelector('th')?.textContent.trim(), r.querySelector('td')?.textContent.trim()]));
    assert.ok(answers.some(([, v]) => v === 'Tổ nhóm dệt thổ cẩm Nà Sang'));
    // A reviewer of the commune may read personal values: opened, said so, and audited.
    assert.ok(answers.some(([, v]) => v === 'Lò Thị Nga'), 'the personal answer is decrypted');
    assert.ok(answers.some(([, v]) => v === '[được bảo vệ / protected]'),
        'a personal field left empty stays marked');
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE action = 'submission.read_personal'
        AND actor_login = 'e2e.reviewer'`), '1');

    await page.selectOption('#f-state', 'approved');
    await page.fill('#f-comment', 'Đủ điều kiện, đã xác minh tại bản.');
    const saved = await post(page, `form[action="/submissions/${id}/review"] button[type="submit"]`);
    assert.equal(saved.status(), 200);
    assert.equal(await page.textContent('#review-state'), 'đã phê duyệt');
    const history = await page.$$eval('#review-history tbody tr', (trs) => trs
        .map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim())));
    const last = history[history.length - 1];
    assert.deepEqual(last.slice(1), ['e2e.reviewer', stateLabel, 'đã phê duyệt',
        'Đủ điều kiện, đã xác minh tại bản.']);

    // Without a state or a comment there is nothing to save.
    const empty = await post(page, `form[action="/submissions/${id}/review"] button[type="submit"]`);
    assert.equal(empty.status(), 422);
    assert.ok(await page.$('.msg-error'));
    await page.close();

    // A viewer of the same commune reads scores and reports, not submissions: refused (and
    // the refusal is audited), with no menu entry leading there.
    const other = await freshPage(browser);
    await logIn(other, 'e2e.reader');
    assert.equal(await other.$('nav.main-nav a[href="/submissions"]'), null);
    assert.equal(await other.$('.card a'), null);
    const denied = await other.goto(`${BASE}/submissions/${id}`);
    assert.equal(denied.status(), 403);
    await other.close();
    assert.equal(psql(`SELECT count(*) FROM audit_log WHERE action = 'submission.read'
        AND outcome = 'denied' AND actor_login = 'e2e.reader'`), '1');
});

// At 360 px nothing scrolls sideways (wide tables scroll in their own box), every visible
// input has a label, and no element carries inline style or script (the QR code included).
async function assertPhoneFriendly(page, path) {
    const response = await page.goto(`${BASE}${path}`);
    assert.equal(response.status(), 200, path);
    const report = await page.evaluate(() => {
        const found = [];
        const width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth > width) {
            // Name the outermost elements that stick out, to say what to fix.
            const out = [...document.querySelectorAll('body *')].filter((el) =>
                el.getBoundingClientRect().right > width + 1
                && !el.closest('.table-wrap') && el.parentElement.getBoundingClientRect().right <= width + 1);
            found.push(`overflows: ${out.map((el) => `${el.tagName}.${el.className}`).join(', ')}`);
        }
        for (const el of document.querySelectorAll('input:not([type="hidden"]), select, textarea')) {
            if (!el.labels || el.labels.length === 0) found.push(`unlabelled ${el.name}`);
        }
        for (const el of document.querySelectorAll('*')) {
            for (const attr of el.getAttributeNames()) {
                if (attr === 'style' || attr.startsWith('on')) found.push(`${el.tagName} ${attr}`);
            }
        }
        if (document.querySelector('style, script:not([src])')) found.push('inline style or script');
        return found;
    });
    assert.deepEqual(report, [], path);
}

test('the survey pages fit a 360 px phone, label every input, and carry no inline style', async () => {
    assert.ok(submissionId, 'the reviewer test ran first');
    const page = await freshPage(browser);
    await page.setViewportSize({ width: 360, height: 740 });
    await logIn(page, 'e2e.admin');
    await page.goto(`${BASE}/admin/forms`);
    const version = await page.getAttribute('tbody a[href^="/admin/forms/"]', 'href');
    for (const path of ['/admin/forms', version, '/admin/appusers']) {
        await assertPhoneFriendly(page, path);
    }
    await page.fill('#f-name', 'Điện thoại dự phòng');
    await post(page, 'form[action="/admin/appusers"] button[type="submit"]');
    const svg = await page.$eval('#qr svg', (el) => el.getBoundingClientRect().width);
    assert.ok(svg > 0 && svg <= 360, `the QR code fits the screen (${svg} px)`);
    await page.close();

    const reviewer = await freshPage(browser);
    await reviewer.setViewportSize({ width: 360, height: 740 });
    await logIn(reviewer, 'e2e.reviewer');
    for (const path of ['/submissions', `/forms/${FORM_ID}/submissions`,
        `/submissions/${submissionId}`]) {
        await assertPhoneFriendly(reviewer, path);
    }
    await reviewer.close();
});
