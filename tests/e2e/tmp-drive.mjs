import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
const GROUP_NAME='Tổ hợp tác dệt thổ cẩm Bản Hon';
const ANSWERS = [
  ['Họ và tên cán bộ khảo sát', 'Nguyễn Thị Lan'],
  ['Đơn vị của cán bộ khảo sát', 'Hội LHPN xã Bản Hon'],
  ['Đại diện nhóm đã được giải thích', 'Có'],
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
];

function answerFor(label) {
  const hit = ANSWERS.find(([start]) => label.startsWith(start));
  return hit ? hit[1] : null;
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
    await input.fill(value ?? (numeric ? '1' : 'Thử nghiệm'));
    await input.press('Tab');
  }
}


const base = process.argv[2];
const ctx = await chromium.launchPersistentContext(mkdtempSync('/tmp/wf-chr-'), { executablePath: '/usr/bin/chromium', headless: true, args: ['--headless','--no-sandbox','--disable-gpu'], viewport: {width: 1000, height: 900} });
const page = await ctx.newPage();
page.on('console', (m) => { if (m.type() === 'error') console.log('console', m.text().slice(0,200)); });
await page.addInitScript(() => { document.addEventListener('securitypolicyviolation', (e) => console.error('VIOLATION', e.violatedDirective, e.sourceFile, e.lineNumber, e.columnNumber, JSON.stringify(e.sample))); });
page.on('response', (r) => { if (r.status() >= 400) console.log('HTTP', r.status(), r.url()); });
await page.request.post(base + '/api/v1/session', { data: { login: 'lan', password: 'Secret-pass-123' } });
await page.goto(base + '/fill/livelihood_needs');
await page.waitForSelector('#odk-form[data-ready=true] .question-container');
for (let round = 0; round < 200; round++) {
  const left = await unanswered(page);
  if (left.length === 0) { console.log('done after', round); break; }
  console.log(round, left[0].kind, left[0].label.slice(0, 50), '| left', left.length);
  await answer(page, left[0]);
}
await page.getByRole('button', { name: 'Send' }).click();
await page.waitForTimeout(3000);
console.log('status', await page.getAttribute('#fill-status', 'data-state'), await page.textContent('#fill-status'));
const msgs = await page.evaluate(() => [...document.querySelectorAll('.validation-message')].filter(e => e.offsetParent && e.textContent.trim()).map(e => e.closest('.question-container')?.querySelector('label')?.textContent.trim().slice(0,40) + ': ' + e.textContent.trim()));
console.log(msgs.join('\n'));
await page.screenshot({ path: '/tmp/wf-shot2.png' });
await ctx.close();
