// Administration: an admin adds an account (whose one-time password then works), disables
// another, and checks the audit log's hash chain.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
    BASE, freshPage, heading, logIn, openBrowser, screenshot, submitLogin,
} from './lib.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

test('an admin adds a reviewer, who logs in with the password shown once', async () => {
    const page = await freshPage(browser);
    await logIn(page, 'e2e.admin');
    await page.goto(`${BASE}/admin/users`);
    assert.equal(await heading(page), 'Người dùng');
    await page.fill('#f-login', 'lan.reviewer');
    await page.fill('#f-display_name', 'Lò Thị Lan');
    await page.selectOption('#f-role', 'reviewer');
    await page.fill('#f-commune', '03388');
    const [created] = await Promise.all([
        page.waitForNavigation(),
        page.click('form[action="/admin/users"] button[type="submit"]'),
    ]);
    assert.equal(created.status(), 200);
    assert.equal(await heading(page), 'Đã tạo tài khoản');
    const password = (await page.textContent('#new-password')).trim();
    assert.match(password, /^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$/);

    await page.goto(`${BASE}/admin/users`);
    const row = await page.$$eval('tbody tr', (rows) => rows
        .map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim()))
        .find((cells) => cells[0] === 'lan.reviewer'));
    assert.deepEqual(row.slice(0, 4), ['lan.reviewer', 'Lò Thị Lan', 'Người rà soát', '03388']);
    assert.match(row[4], /^\d{2}\/\d{2}\/\d{4}$/);
    assert.equal(row[5], 'đang hoạt động');
    await screenshot(page, 'admin-users.png');

    // The same login again is refused with a message, and what was typed stays.
    await page.fill('#f-login', 'lan.reviewer');
    const [conflict] = await Promise.all([
        page.waitForNavigation(),
        page.click('form[action="/admin/users"] button[type="submit"]'),
    ]);
    assert.equal(conflict.status(), 409);
    assert.ok(await page.$('.msg-error'));
    assert.equal(await page.inputValue('#f-login'), 'lan.reviewer');
    await page.close();

    const newcomer = await freshPage(browser);
    await newcomer.goto(`${BASE}/login`);
    await submitLogin(newcomer, 'lan.reviewer', password);
    assert.equal(await heading(newcomer), 'Trang chủ');
    assert.equal(await newcomer.textContent('.who-role'), 'Người rà soát');
    // A reviewer has no user administration: not in the menu, and refused at the URL.
    const nav = await newcomer.$$eval('nav.main-nav a', (links) => links.map((a) => a.textContent));
    assert.equal(nav.includes('Người dùng'), false);
    const refused = await newcomer.goto(`${BASE}/admin/users`);
    assert.equal(refused.status(), 403);
    await newcomer.close();
});

test('an admin disables an account; its holder can no longer log in', async () => {
    const page = await freshPage(browser);
    await logIn(page, 'e2e.admin');
    await page.goto(`${BASE}/admin/users`);
    // app.js asks first; dismissing the question sends nothing.
    const questions = [];
    page.once('dialog', (dialog) => { questions.push(dialog.message()); dialog.dismiss(); });
    await page.click('form[action="/admin/users/e2e.leaver/disable"] button');
    assert.deepEqual(questions,
        ['Khóa tài khoản "e2e.leaver"? Các phiên đăng nhập của tài khoản sẽ kết thúc ngay.']);
    assert.equal(await page.$('.msg-ok'), null);
    page.once('dialog', (dialog) => dialog.accept());
    await Promise.all([
        page.waitForNavigation(),
        page.click('form[action="/admin/users/e2e.leaver/disable"] button'),
    ]);
    assert.equal(new URL(page.url()).pathname, '/admin/users');
    assert.equal((await page.textContent('.msg-ok')).trim(),
        'Tài khoản đã bị khóa và các phiên đăng nhập của tài khoản đã kết thúc.');
    const status = await page.$$eval('tbody tr', (rows) => rows
        .map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim()))
        .find((cells) => cells[0] === 'e2e.leaver')[5]);
    assert.equal(status, 'đã khóa');
    await page.close();

    const holder = await freshPage(browser);
    await holder.goto(`${BASE}/login`);
    const response = await submitLogin(holder, 'e2e.leaver');
    assert.equal(response.status(), 401);
    await holder.close();
});

test('the audit page lists the events and finds the chain intact', async () => {
    const page = await freshPage(browser);
    await logIn(page, 'e2e.admin');
    await page.goto(`${BASE}/admin/audit`);
    assert.equal(await heading(page), 'Nhật ký kiểm toán');
    const actions = await page.$$eval('tbody tr td:nth-child(4)', (tds) => tds.map((td) => td.textContent));
    assert.ok(actions.includes('login.ok'), `no login.ok among ${actions}`);
    assert.ok(actions.includes('user.create'), `no user.create among ${actions}`);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/admin/audit/verify"] button')]);
    const result = (await page.textContent('#chain')).trim();
    assert.match(result, /^Chuỗi còn nguyên vẹn\. \d+ mục đã kiểm tra, 0 mục chưa được nối chuỗi\.$/);
    const checked = Number(result.match(/(\d+) mục đã kiểm tra/)[1]);
    assert.ok(checked >= actions.length, `only ${checked} rows checked`);
    await screenshot(page, 'audit.png');
    await page.close();
});

test('an escrow officer needs a province, and gets her key pair with the account', async () => {
    const page = await freshPage(browser);
    await logIn(page, 'e2e.admin');
    await page.goto(`${BASE}/admin/users`);
    const add = async (province) => {
        await page.fill('#f-login', 'escrow.lc');
        await page.selectOption('#f-role', 'escrow');
        await page.fill('#f-province', province);
        const [response] = await Promise.all([
            page.waitForNavigation(),
            page.click('form[action="/admin/users"] button[type="submit"]'),
        ]);
        return response;
    };
    const refused = await add('');
    assert.equal(refused.status(), 422);
    assert.equal((await page.textContent('.msg-error')).trim(),
        'cán bộ giữ khóa dự phòng cần có mã tỉnh');
    const created = await add('12');
    assert.equal(created.status(), 200);
    const password = (await page.textContent('#new-password')).trim();
    await page.close();

    const officer = await freshPage(browser);
    await officer.goto(`${BASE}/login`);
    await submitLogin(officer, 'escrow.lc', password);
    assert.equal(await officer.textContent('.who-role'), 'Cán bộ giữ khóa dự phòng');
    const cards = await officer.$$eval('.card', (els) => els.map((e) => e.textContent));
    assert.deepEqual(cards, ['0 Vụ việc không có tin mới trong 30 ngày: cần theo dõi tiếp',
        '0 Vụ việc bạn đang phụ trách']);
    // Her password change re-wraps her escrow key: it works, and only the new one opens.
    await officer.goto(`${BASE}/account/password`);
    await officer.fill('#f-current', password);
    await officer.fill('#f-new', `${password}-2026`);
    await officer.fill('#f-repeat', `${password}-2026`);
    await Promise.all([
        officer.waitForNavigation(),
        officer.click('form[action="/account/password"] button[type="submit"]'),
    ]);
    assert.equal((await officer.textContent('.msg-ok')).trim(), 'Mật khẩu của bạn đã được thay đổi.');
    await officer.close();
});
