// Review and reports on the demonstration data (tincay demo load, run by run.sh): a reviewer
// opens the ranked queue of Bình Lư, reads a group's score breakdown and proposes support
// (an amount over the norm's ceiling is refused in the page first); the approver approves it;
// the public list then shows the group, and its CSV too. The reports page draws its charts as
// SVG, one bar per figure; a Trusted Address host reaches neither page.
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, freshPage, heading, logIn, openBrowser, screenshot } from './lib.mjs';

// "  demo.reviewer   reviewer   post2025:03390  xxxxx-xxxxx-xxxxx-xxxxx": the last word.
function demoPassword(login) {
    const file = process.env.TINCAY_DEMO_ACCOUNTS;
    assert.ok(file, 'run.sh loads the demonstration data (TINCAY_DEMO_ACCOUNTS unset)');
    const line = readFileSync(file, 'utf8').split('\n')
        .find((l) => l.trim().split(/\s+/)[0] === login);
    assert.ok(line, `${login} is not among the demonstration accounts`);
    return line.trim().split(/\s+/).pop();
}

const COMMUNE = 'post2025:03390';
let browser;
let groupPath;
let groupName;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

async function post(page, selector) {
    const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
    return response;
}

test('a reviewer reads the ranked queue and a group\'s score, and proposes support', async () => {
    const page = await freshPage(browser);
    await logIn(page, 'demo.reviewer', demoPassword('demo.reviewer'));
    await page.click('nav.main-nav a[href="/review"]');
    assert.equal(await heading(page), 'Rà soát');
    // The reviewer's own commune is shown without asking.
    assert.equal(await page.inputValue('#f-commune'), COMMUNE);
    const rows = await page.$$eval('table.queue tbody tr', (trs) => trs.map((tr) =>
        [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())));
    assert.equal(rows.length, 6);
    assert.deepEqual(rows.map((r) => r[0]), ['1', '2', '3', '4', '5', '6']);
    for (const r of rows) {
        assert.match(r[4], /^\d+(,\d+)?$/, 'a total score written the Vietnamese way');
        assert.equal(r[5], 'đạt tất cả');
        assert.match(r[6], /^\d{1,3}(\.\d{3})*\s₫$/, 'amounts in đồng with Vietnamese grouping');
        assert.equal(r[7], 'chờ xét');
    }
    const scores = rows.map((r) => Number(r[4].replace(',', '.')));
    assert.deepEqual([...scores].sort((a, b) => b - a), scores, 'ranked by total score');
    // The allocation bar: an SVG drawn on the server, with the figures beside it.
    assert.ok(await page.$('.allocation svg.share-bar title'));
    assert.match(await page.textContent('dl.figures'), /300\.000\.000/);
    await screenshot(page, 'review-queue.png');

    groupName = rows[0][1];
    await Promise.all([page.waitForNavigation(), page.click('table.queue tbody tr:first-child a.group')]);
    groupPath = new URL(page.url()).pathname;
    assert.match(groupPath, /^\/review\/groups\/\d+$/);
    assert.equal(await heading(page), groupName);
    // Every gate, every criterion with the ruleset's reasons in the page's language, the terms.
    const gates = await page.locator('table:has(caption:text-is("Các điều kiện của bộ quy tắc")) tbody tr')
        .count();
    assert.ok(gates >= 5, `gates listed: ${gates}`);
    assert.match(await page.textContent('main'), /Tỷ lệ phụ nữ DTTS trong thành viên/);
    assert.match(await page.textContent('tfoot'), new RegExp(rows[0][4]));
    assert.match(await page.textContent('dl.terms'), /80\.000\.000\s₫/);
    assert.equal(await page.inputValue('#f-amount'), rows[0][6].replace(/\D/g, ''));
    await screenshot(page, 'review-group.png');

    // Over the norm's ceiling: refused in the page, with the message and what was typed.
    await page.fill('#f-amount', '90.000.000');
    const refused = await post(page, 'section.decide:first-of-type button[type="submit"]');
    assert.equal(refused.status(), 422);
    assert.match(await page.textContent('.msg-error'), /80000000/);
    assert.equal(await page.inputValue('#f-amount'), '90.000.000');

    await page.fill('#f-amount', rows[0][6]);
    const proposed = await post(page, 'section.decide:first-of-type button[type="submit"]');
    assert.equal(proposed.status(), 200);
    assert.equal(new URL(page.url()).pathname, groupPath);
    assert.equal((await page.textContent('.msg-ok')).trim(), 'Quyết định đã được ghi nhận.');
    assert.match(await page.textContent('#history ~ .table-wrap'), /đã đề xuất/);
    // The next level is the approver's: no form for the reviewer any more.
    assert.equal(await page.$('#f-amount'), null);
    await page.close();
});

test('the approver approves, and the public list shows the group', async () => {
    assert.ok(groupPath, 'the previous test chose a group');
    const page = await freshPage(browser);
    await logIn(page, 'demo.approver', demoPassword('demo.approver'));
    await page.goto(`${BASE}${groupPath}`);
    assert.equal(await heading(page), groupName);
    const approved = await post(page, 'section.decide:first-of-type button[type="submit"]');
    assert.equal(approved.status(), 200);
    assert.match(await page.textContent('dl.summary'), /đã phê duyệt: \d{1,3}(\.\d{3})*\s₫/);
    assert.match(await page.textContent('main'), /Quy trình quyết định của nhóm này đã kết thúc/);

    await page.goto(`${BASE}/review?commune=${COMMUNE}`);
    // What was approved is committed of the allocation.
    assert.match(await page.textContent('dl.figures dd:nth-of-type(2)'), /^[1-9]\d{0,2}(\.\d{3})+\s₫$/);
    assert.match(await page.textContent('table.queue'), /đã phê duyệt/);

    await page.goto(`${BASE}/review/public-list?commune=${COMMUNE}`);
    assert.equal(await heading(page), 'Danh sách công khai');
    const listed = await page.$$eval('tbody tr', (trs) => trs.map((tr) =>
        [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())));
    assert.equal(listed.length, 1);
    assert.equal(listed[0][3], groupName);
    const csvHref = await page.getAttribute('ul.downloads a[href*="format=csv"]', 'href');
    const csv = await page.request.get(`${BASE}${csvHref}`);
    assert.equal(csv.status(), 200);
    assert.match(await csv.text(), new RegExp(groupName.replace(/[()]/g, '\\$&')));
    await page.close();
});

test('the reports page draws its charts as SVG beside the table', async () => {
    const page = await freshPage(browser);
    await logIn(page, 'demo.viewer', demoPassword('demo.viewer'));
    await page.click('nav.main-nav a[href="/reports"]');
    assert.equal(await heading(page), 'Báo cáo');
    const communes = new Set(await page.$$eval('table tbody tr', (trs) =>
        trs.map((tr) => tr.querySelector('td').textContent.trim())));
    assert.equal(communes.size, 6, 'the six demonstration communes');
    assert.equal(await page.locator('figure.chart svg[role="img"]').count(), 4);
    // Three bars (surveyed, eligible, approved) per commune; two amounts per commune.
    assert.equal(await page.locator('svg[aria-labelledby^="groups-by-commune"] rect.bar').count(),
        3 * communes.size);
    assert.equal(await page.locator('svg[aria-labelledby^="amounts-by-commune"] rect.bar').count(),
        2 * communes.size);
    assert.match(await page.textContent('svg[aria-labelledby^="groups-by-commune"] title'),
        /Nhóm sinh kế theo xã/);
    // The approval of the previous test is counted.
    const approved = await page.$$eval('table tbody tr', (trs) => trs
        .map((tr) => Number(tr.querySelectorAll('td')[4].textContent.trim()))
        .reduce((a, b) => a + b, 0));
    assert.equal(approved, 1);
    assert.ok(await page.$('a[href*="/api/v1/reports/indicators"][href*="format=xlsx"]'));
    await screenshot(page, 'reports.png');
    await page.close();

    // Neither page is a Trusted Address host's.
    const host = await freshPage(browser);
    await logIn(host, 'demo.host', demoPassword('demo.host'));
    assert.equal((await host.goto(`${BASE}/reports`)).status(), 403);
    assert.equal((await host.goto(`${BASE}/review`)).status(), 403);
    await host.close();
});

test('on a 360 px phone the review and report pages scroll only vertically, in English too', async () => {
    const page = await freshPage(browser);
    const violations = [];
    page.on('console', (msg) => {
        if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
    });
    await page.setViewportSize({ width: 360, height: 740 });
    await logIn(page, 'demo.viewer', demoPassword('demo.viewer'));
    const fits = async () => page.evaluate(
        () => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
    for (const path of [`/review?commune=${COMMUNE}`, groupPath, `/review/public-list?commune=${COMMUNE}`,
        '/reports']) {
        await page.goto(`${BASE}${path}`);
        const wide = await page.evaluate(() => [...document.querySelectorAll('main *')]
            .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth)
            .filter((el) => !el.closest('.table-wrap, figure.chart'))
            .map((el) => `${el.tagName}.${el.className?.baseVal ?? el.className}`).slice(0, 5));
        assert.equal(await fits(), true, `${path} overflows at 360 px: ${wide.join(', ')}`);
        const unlabelled = await page.$$eval('input:not([type="hidden"]), select', (els) => els
            .filter((el) => !el.labels || el.labels.length === 0).map((el) => el.name));
        assert.deepEqual(unlabelled, [], `${path} has inputs without a label`);
    }
    await page.goto(`${BASE}/reports?lang=en`);
    assert.equal(await heading(page), 'Reports');
    assert.match(await page.textContent('svg[aria-labelledby^="groups-by-commune"] title'),
        /Livelihood groups by commune/);
    assert.deepEqual(violations, []);
    await page.close();
});
