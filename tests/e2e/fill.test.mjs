/*
 * Browser form filling (ODK Web Forms served by tincay): a collector logs in, opens
 * /fill/<form>, answers every required question, sends it to tincay's own POST /submission,
 * and the submission is in the database with those answers: the shipped livelihood survey
 * (forms/livelihood_needs.xml, with its media, personal fields sealed on arrival) and a
 * small form without protected fields (fixtures/market_group.xml). The page's
 * Content-Security-Policy is exactly the intended one and nothing on the page breaks it; a
 * cookie-authenticated POST /submission without the CSRF token is refused.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';

import {
  createDatabase,
  launchBrowser,
  psql,
  screenshot,
  sourceDir,
  startServer,
  tincay,
} from './harness.mjs';

const LOGIN = 'lan.collector';
const PASSWORD = 'Chi-Lan-khao-sat-2026';
const GROUP_NAME = 'Tổ hợp tác dệt thổ cẩm Bản Hon';
const EXPECTED_CSP = new RegExp(
  '^' +
    [
      "default-src 'none'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self' 'nonce-[A-Za-z0-9+/]{24}'",
      "img-src 'self' data: blob:",
      "font-src 'self' data:",
      "media-src 'self' blob:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ]
      .join('; ')
      .replace(/[+]/g, '\\+') +
    '$',
);

/*
 * Answers by the start of a question's label (Vietnamese, the form's default language). A
 * required question not listed gets the first choice, or "1", or a text: the values below
 * are the ones the form's constraints and the test's checks need.
 */
const ANSWERS = [
  ['Họ và tên cán bộ khảo sát', 'Nguyễn Thị Lan'],
  ['Đơn vị của cán bộ khảo sát', 'Hội LHPN xã Bản Hon'],
  ['Đại diện nhóm đã được giải thích', 'Có'],
  ['Họ và tên người trả lời', 'Nguyễn Thị Hằng'],
  ['Tên tổ nhóm, THT hoặc HTX', GROUP_NAME],
  ['Hình thức tổ chức', 'Tổ hợp tác (THT)'],
  ['Nhóm đã đăng ký hoặc được chứng thực chưa?', 'Không'],
  ['Năm nhóm bắt đầu hoạt động', '2019'],
  ['Nhóm có người đồng lãnh đạo', 'Không'],
  ['Số người trong ban quản lý', '3'],
  ['Trong đó: số nữ người dân tộc thiểu số', '1'],
  ['Trong đó: số nữ', '3'],
  ['Trong đó: số người dân tộc thiểu số', '2'],
  ['Tổng số thành viên', '14'],
  ['Số thành viên nữ người dân tộc thiểu số', '9'],
  ['Số thành viên nữ', '12'],
  ['Số thành viên thuộc hộ nghèo', '4'],
  ['Số thành viên thuộc hộ cận nghèo', '3'],
  ['Năm của danh sách hộ nghèo', '2025'],
  ['Số thành viên là nữ chủ hộ', '5'],
  ['Số thành viên là người khuyết tật', '0'],
  ['Tổng vốn góp của các thành viên nữ', '60000000'],
  ['Tổng vốn góp của các thành viên nam', '10000000'],
  ['Doanh thu của nhóm năm trước', '250000000'],
  ['Nhóm đang bán sản phẩm qua những kênh nào?', 'Chợ địa phương'],
  ['Số thành viên có điện thoại thông minh', '10'],
  ['Chi phí dự kiến', '80000000'],
  ['Phần vốn đối ứng nhóm tự đóng góp', '20000000'],
  ['Trong 5 năm qua nhóm đã nhận hỗ trợ', 'Không'],
  ['Các thành viên đồng ý cung cấp họ tên', 'Không'],
  /* fixtures/market_group.xml */
  ['Tên tổ nhóm', 'Tổ dệt Nậm Cuổi'],
  ['Số thành viên', '23'],
  ['Lĩnh vực chính', 'Dệt thổ cẩm'],
];

function answerFor(label) {
  const hit = ANSWERS.find(([start]) => label.startsWith(start));
  return hit ? hit[1] : null;
}

let db;
let server;
let browser;

before(async () => {
  db = createDatabase();
  tincay(db.env, ['user', 'add', LOGIN, '--role', 'collector', '--province', '02', '--name', 'Lan'], `${PASSWORD}\n`);
  tincay(db.env, ['form', 'add', join(sourceDir, 'forms/livelihood_needs.xml')]);
  tincay(db.env, [
    'form',
    'media',
    'livelihood_needs',
    ...['communes.csv', 'villages.csv', 'ethnic_groups.csv'].map((f) =>
      join(sourceDir, 'forms/media/livelihood_needs', f),
    ),
  ]);
  tincay(db.env, ['form', 'add', join(sourceDir, 'tests/e2e/fixtures/market_group.xml')]);
  server = await startServer(db.env);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  const code = server ? await server.stop() : 0;
  db?.drop();
  assert.equal(code, 0, 'tincay serve exits cleanly');
});

/* A new tab of a collector who logged in through the login page. */
async function loggedIn() {
  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/login`);
  await page.fill('#f-login', LOGIN);
  await page.fill('#f-password', PASSWORD);
  await Promise.all([page.waitForURL(`${server.url}/home`), page.click('form[action="/login"] button[type="submit"]')]);
  return page;
}

/* Required questions shown and still unanswered, with what kind of control they have. */
async function unanswered(page) {
  return page.evaluate(() => {
    const out = [];
    document.querySelectorAll('.question-container').forEach((q, index) => {
      const label = q.querySelector(':scope > .control-text > label.required');
      if (label === null || q.offsetParent === null) return;
      const radios = q.querySelectorAll('input[type=radio]');
      const boxes = q.querySelectorAll('input[type=checkbox]');
      const select = q.querySelector('.p-select');
      const input = q.querySelector('input.p-inputtext, textarea');
      let kind = null;
      if (radios.length > 0) kind = [...radios].some((r) => r.checked) ? null : 'radio';
      else if (boxes.length > 0) kind = [...boxes].some((b) => b.checked) ? null : 'checkbox';
      else if (select !== null) kind = select.classList.contains('p-inputwrapper-filled') ? null : 'select';
      else if (input !== null) kind = input.value === '' ? 'text' : null;
      if (kind !== null) out.push({ index, kind, label: label.textContent.trim() });
    });
    return out;
  });
}

async function answer(page, { index, kind, label }) {
  const q = page.locator('.question-container').nth(index);
  const value = answerFor(label);
  if (kind === 'radio' || kind === 'checkbox') {
    const options = q.locator('label.value-option');
    await (value ? options.filter({ hasText: value }).first() : options.first()).click();
  } else if (kind === 'select') {
    await q.locator('.p-select').click();
    const options = page.locator('.p-select-overlay [role=option]');
    await (value ? options.filter({ hasText: value }).first() : options.first()).click();
  } else {
    const input = q.locator('input.p-inputtext, textarea').first();
    const numeric = (await input.getAttribute('role')) === 'spinbutton';
    const text = value ?? (numeric ? '1' : 'Thử nghiệm');
    /* Number fields take keystrokes (PrimeVue's InputNumber formats as one types). */
    if (numeric) await input.pressSequentially(text);
    else await input.fill(text);
    await input.press('Tab');
  }
}

/*
 * Open /fill/<formId> logged in, by its link on the home page, check the page's headers,
 * answer what the form asks (as relevance reveals more) until nothing required is left, send
 * it, and wait for the answer.
 * Returns the status line's state and text, and what broke the page's CSP.
 */
async function fillAndSend(formId, shot) {
  const page = await loggedIn();
  const violations = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  page.on('pageerror', (e) => violations.push(`page error: ${e.message}`));

  /* from the home page's list of forms this user may fill */
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${server.url}/fill/${formId}`),
    page.click(`ul.fill-links a[href="/fill/${formId}"]`),
  ]);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-security-policy'], EXPECTED_CSP);
  assert.equal(response.headers()['cache-control'], 'no-store');
  await page.waitForSelector('#odk-form[data-ready=true] .question-container');
  if (shot) await screenshot(page, shot);

  for (let round = 0; round < 200; round++) {
    const left = await unanswered(page);
    if (left.length === 0) break;
    await answer(page, left[0]);
  }
  assert.deepEqual(await unanswered(page), []);
  /* the page is in Vietnamese (the collector's default): so is Web Forms' own button */
  assert.equal(await page.getByRole('button', { name: 'Send' }).count(), 0);
  await page.getByRole('button', { name: 'Gửi' }).click();
  await page.waitForSelector('#fill-status[data-state=sent], #fill-status[data-state=error]');
  const result = {
    state: await page.getAttribute('#fill-status', 'data-state'),
    text: await page.textContent('#fill-status'),
    violations,
  };
  await page.close();
  return result;
}

test('a form without protected fields, filled in the browser, is stored with its answers', async () => {
  const sent = await fillAndSend('market_group', null);
  assert.equal(sent.state, 'sent', sent.text);
  assert.deepEqual(sent.violations, [], 'nothing on the page breaks its CSP');
  const row = psql(
    db.name,
    `SELECT u.login, s.form_version, s.values->'group'->>'group_name',
            s.values->'group'->>'members', s.values->'group'->>'activity',
            s.instance_id LIKE 'uuid:%', s.review_state
       FROM submissions s JOIN users u ON u.id = s.submitter_id
      WHERE s.form_id = 'market_group'`,
  );
  assert.equal(row, `${LOGIN}|2026112901|Tổ dệt Nậm Cuổi|23|weaving|t|received`);
});

test('a collector fills the livelihood survey in the browser and it is stored', async () => {
  const sent = await fillAndSend('livelihood_needs', 'fill-livelihood');
  assert.equal(sent.state, 'sent', sent.text);
  assert.deepEqual(sent.violations, [], 'nothing on the page breaks its CSP');
  const row = psql(
    db.name,
    `SELECT u.login, s.values->'identity'->>'group_name',
            s.values->'membership'->>'members_total', s.values->'identity'->>'legal_form',
            s.instance_id LIKE 'uuid:%', s.xml IS NULL AND s.xml_sealed IS NOT NULL,
            s.values::text LIKE '%Nguyễn Thị Hằng%'
              OR position(convert_to('Nguyễn Thị Hằng', 'UTF8') IN s.xml_sealed) > 0
       FROM submissions s JOIN users u ON u.id = s.submitter_id
      WHERE s.form_id = 'livelihood_needs'`,
  );
  /* The respondent's name is personal: sealed with the XML, nowhere in plain text. */
  assert.equal(row, `${LOGIN}|${GROUP_NAME}|14|tht|t|t|f`);
});

test('the form and Web Forms\' own text follow the page\'s language', async () => {
  const page = await loggedIn();
  /* the language chosen on any page (here the home page's switch) is the account's */
  await page.goto(`${server.url}/home?lang=en`);
  await page.goto(`${server.url}/fill/livelihood_needs`);
  await page.waitForSelector('#odk-form[data-ready=true] .question-container');
  /* the form's English translation, though Vietnamese is its default */
  await page.getByText('Full name of the collector').first().waitFor();
  assert.equal(await page.getByText('Họ và tên cán bộ khảo sát').count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Send' }).count(), 1);
  assert.equal(await page.getByRole('button', { name: 'Gửi' }).count(), 0);

  const today = new Date();
  const [dd, mm, yyyy] = [today.getDate(), today.getMonth() + 1, today.getFullYear()].map((n) =>
    String(n).padStart(2, '0'),
  );
  const dateInput = (label) => page.locator('.question-container', { hasText: label }).locator('input').first();
  /* the survey date (today) as English writes it */
  assert.equal(await dateInput('Date of the survey').inputValue(), `${mm}/${dd}/${yyyy}`);

  await page.goto(`${server.url}/home?lang=vi`);
  await page.goto(`${server.url}/fill/livelihood_needs`);
  await page.waitForSelector('#odk-form[data-ready=true] .question-container');
  await page.getByText('Họ và tên cán bộ khảo sát').first().waitFor();
  assert.equal(await page.getByRole('button', { name: 'Gửi' }).count(), 1);
  /* and as Vietnamese does, with the picker's month names in Vietnamese */
  assert.equal(await dateInput('Ngày khảo sát').inputValue(), `${dd}/${mm}/${yyyy}`);
  await dateInput('Ngày khảo sát').click();
  await page.locator('.p-datepicker-panel').first().waitFor();
  assert.match(await page.locator('.p-datepicker-panel').first().textContent(), /tháng|Tháng/);
  await page.keyboard.press('Escape');
  /* sending it empty: the count of questions with errors, in Vietnamese */
  await page.getByRole('button', { name: 'Gửi' }).click();
  await page.getByText(/^\d+ câu hỏi có lỗi\.$/).first().waitFor();
  assert.equal(await page.getByText(/questions? with errors?/).count(), 0);
  await page.close();
});

test('a cookie-authenticated POST /submission needs the CSRF token', async () => {
  const page = await loggedIn();
  await page.goto(`${server.url}/fill/market_group`);
  const csrf = await page.getAttribute('meta[name="csrf-token"]', 'content');
  assert.match(csrf, /^[A-Za-z0-9_-]{43}$/);
  const xml = Buffer.from(
    '<data id="market_group" version="2026112901"><group><group_name>Tổ rau an toàn</group_name>' +
      '<members>7</members><activity>crop</activity></group>' +
      '<meta><instanceID>uuid:6f1c1b1e-2b8e-4e55-9a41-0c7d2f2a9d10</instanceID></meta></data>',
  );
  /* page.request shares the tab's cookies: the session cookie goes with every request. */
  const post = (headers) =>
    page.request.post(`${server.url}/submission`, {
      headers: { 'X-OpenRosa-Version': '1.0', ...headers },
      multipart: { xml_submission_file: { name: 'submission.xml', mimeType: 'text/xml', buffer: xml } },
    });
  const stored = () =>
    psql(db.name, "SELECT count(*) FROM submissions WHERE instance_id = 'uuid:6f1c1b1e-2b8e-4e55-9a41-0c7d2f2a9d10'");

  const without = await post({});
  assert.equal(without.status(), 403, await without.text());
  const wrong = await post({ 'X-CSRF-Token': 'A'.repeat(43) });
  assert.equal(wrong.status(), 403, await wrong.text());
  assert.equal(stored(), '0');

  const right = await post({ 'X-CSRF-Token': csrf });
  assert.equal(right.status(), 201, await right.text());
  assert.equal(stored(), '1');
  await page.close();
});
