// Changing one's password: both new entries must agree, the current one must be right, and
// afterwards only the new password opens the account (this browser stays logged in).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, PASSWORD, freshPage, heading, logIn, openBrowser, submitLogin } from './lib.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

async function send(page, current, fresh, repeat) {
    await page.fill('#f-current', current);
    await page.fill('#f-new', fresh);
    await page.fill('#f-repeat', repeat);
    const [response] = await Promise.all([
        page.waitForNavigation(),
        page.click('form[action="/account/password"] button[type="submit"]'),
    ]);
    return response;
}

test('a collector changes her password', async () => {
    const fresh = `${PASSWORD}-new`;
    const page = await freshPage(browser);
    await logIn(page, 'e2e.changer');
    await page.goto(`${BASE}/account/password`);
    assert.equal(await heading(page), 'Đổi mật khẩu');
    assert.equal(await page.getAttribute('#f-new', 'autocomplete'), 'new-password');

    let response = await send(page, PASSWORD, fresh, `${fresh}x`);
    assert.equal(response.status(), 422);
    assert.equal((await page.textContent('.msg-error')).trim(), 'hai mật khẩu mới không khớp nhau');

    response = await send(page, 'not my password at all', fresh, fresh);
    assert.equal(response.status(), 422);
    assert.equal((await page.textContent('.msg-error')).trim(), 'mật khẩu hiện tại không đúng');

    response = await send(page, PASSWORD, 'short', 'short');
    assert.equal(response.status(), 422);

    response = await send(page, PASSWORD, fresh, fresh);
    assert.equal(response.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/home');
    assert.equal((await page.textContent('.msg-ok')).trim(), 'Mật khẩu của bạn đã được thay đổi.');
    await page.goto(`${BASE}/home`);
    assert.equal(new URL(page.url()).pathname, '/home', 'the new session did not hold');

    await browser.context.clearCookies();
    await page.goto(`${BASE}/login`);
    response = await submitLogin(page, 'e2e.changer', PASSWORD);
    assert.equal(response.status(), 401);
    await logIn(page, 'e2e.changer', fresh);
    await page.close();
});
