// Login and logout in both languages: Vietnamese by default, English through the language
// switch and through Accept-Language; a wrong password is refused with a message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
    BASE, freshPage, heading, logIn, openBrowser, screenshot, submitLogin,
} from './lib.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

test('the start page leads to a Vietnamese login form, and the admin reaches home', async () => {
    const page = await freshPage(browser);
    await page.goto(`${BASE}/`);
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(await page.getAttribute('html', 'lang'), 'vi');
    assert.equal(await heading(page), 'Đăng nhập');
    assert.equal(await page.textContent('label[for="f-login"]'), 'Tên đăng nhập *');
    assert.equal(await page.textContent('label[for="f-password"]'), 'Mật khẩu *');
    await screenshot(page, 'login-vi.png');

    const response = await submitLogin(page, 'e2e.admin');
    assert.equal(response.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/home');
    assert.equal(await heading(page), 'Trang chủ');
    assert.equal(await page.textContent('.who-name'), 'Nguyễn Thị Hoa');
    assert.equal(await page.textContent('.who-role'), 'Quản trị viên');
    const nav = await page.$$eval('nav.main-nav a', (links) => links.map((a) => a.textContent));
    assert.deepEqual(nav, ['Trang chủ', 'Biểu mẫu', 'Người dùng ứng dụng', 'Người dùng',
        'Định mức', 'Địa bàn', 'Đơn vị', 'Công việc chạy nền', 'Nhật ký kiểm toán', 'Đổi mật khẩu']);
    const cookies = await browser.context.cookies();
    const session = cookies.find((c) => c.name === 'tincay_session');
    assert.ok(session, 'no session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    await screenshot(page, 'home-admin.png');
    await page.close();
});

test('a wrong password shows the error again on the form, with status 401', async () => {
    const page = await freshPage(browser);
    await page.goto(`${BASE}/login`);
    const response = await submitLogin(page, 'e2e.reviewer', 'not the right password');
    assert.equal(response.status(), 401);
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal((await page.textContent('.msg-error')).trim(), 'sai tên đăng nhập hoặc mật khẩu');
    assert.equal(await page.inputValue('#f-login'), 'e2e.reviewer');
    assert.equal(await page.inputValue('#f-password'), '');
    assert.equal((await browser.context.cookies()).some((c) => c.name === 'tincay_session'), false);
    await page.close();
});

test('the language switch turns the login page and the account to English', async () => {
    const page = await freshPage(browser);
    await page.goto(`${BASE}/login`);
    await Promise.all([page.waitForNavigation(), page.click('nav.lang a[hreflang="en"]')]);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await heading(page), 'Log in');
    assert.equal(await page.textContent('label[for="f-login"]'), 'Login *');

    await submitLogin(page, 'e2e.english');
    assert.equal(await heading(page), 'Home');
    assert.equal(await page.textContent('.who-role'), 'Administrator');

    // The choice was stored in the account: a new browser session still gets English.
    await browser.context.clearCookies();
    await logIn(page, 'e2e.english');
    assert.equal(await heading(page), 'Home');

    // And switching back while logged in changes the account again.
    await Promise.all([page.waitForNavigation(), page.click('nav.lang a[hreflang="vi"]')]);
    assert.equal(await heading(page), 'Trang chủ');
    await browser.context.clearCookies();
    await logIn(page, 'e2e.english');
    assert.equal(await heading(page), 'Trang chủ');

    // A language cookie left by someone else shows the login page in English but does not
    // change the account: only the switch, used on the page, does.
    await browser.context.clearCookies();
    await browser.context.addCookies([{ name: 'tincay_lang', value: 'en', url: BASE }]);
    await page.goto(`${BASE}/login`);
    assert.equal(await heading(page), 'Log in');
    await submitLogin(page, 'e2e.english');
    assert.equal(await heading(page), 'Trang chủ');
    await page.close();
});

test('Accept-Language: en gives an English login page; the account language then rules', async () => {
    // A browser whose language is English sends Accept-Language: en-GB,en.
    const english = await openBrowser({ locale: 'en-GB' });
    try {
        const page = await english.context.newPage();
        const response = await page.goto(`${BASE}/login`);
        assert.match(response.request().headers()['accept-language'], /^en-GB/);
        assert.equal(await page.getAttribute('html', 'lang'), 'en');
        assert.equal(await heading(page), 'Log in');
        await submitLogin(page, 'e2e.reader'); // an account set to English
        assert.equal(await heading(page), 'Home');
        assert.equal(await page.textContent('.who-role'), 'Viewer');

        await english.context.clearCookies();
        await logIn(page, 'e2e.reviewer'); // an account set to Vietnamese
        assert.equal(await heading(page), 'Trang chủ');
    } finally {
        await english.close();
    }
});

test('logout ends the session: a notice, and home is out of reach again', async () => {
    const page = await freshPage(browser);
    await logIn(page, 'e2e.reviewer');
    const cards = await page.$$eval('.card', (els) => els.map((e) => e.textContent));
    assert.equal(cards.length, 2);
    assert.match(cards[0], /^0 Phiếu có vấn đề trên địa bàn của bạn$/);
    await Promise.all([page.waitForNavigation(), page.click('.who button[type="submit"]')]);
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal((await page.textContent('.msg-ok')).trim(), 'Bạn đã đăng xuất.');
    await page.goto(`${BASE}/home`);
    assert.equal(new URL(page.url()).pathname, '/login');
    // The flash is shown once.
    assert.equal(await page.$('.msg-ok'), null);
    await page.close();
});
