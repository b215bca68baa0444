// The pages obey their Content-Security-Policy (no inline script, handler or style, and
// the static script still runs), link assets by content hash, and fit a 360 px phone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, PASSWORD, freshPage, logIn, openBrowser, submitLogin } from './lib.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

test('a page sends a strict CSP, has no inline script or style, and its script works', async () => {
    const page = await freshPage(browser);
    const violations = [];
    page.on('console', (msg) => {
        if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
    });
    const response = await page.goto(`${BASE}/login`);
    const csp = response.headers()['content-security-policy'];
    assert.ok(csp, 'no Content-Security-Policy header');
    for (const directive of ["script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
        "form-action 'self'", "object-src 'none'", "base-uri 'none'"]) {
        assert.ok(csp.includes(directive), `CSP lacks ${directive}: ${csp}`);
    }
    assert.equal(/unsafe-inline|unsafe-eval/.test(csp), false);
    const inline = await page.evaluate(() => {
        const found = [];
        for (const s of document.querySelectorAll('script')) {
            if (!s.src || s.textContent.trim() !== '') found.push('inline <script>');
        }
        for (const el of document.querySelectorAll('*')) {
            for (const attr of el.getAttributeNames()) {
                if (attr === 'style' || attr.startsWith('on')) found.push(`${el.tagName} ${attr}`);
            }
        }
        if (document.querySelector('style')) found.push('<style>');
        return found;
    });
    assert.deepEqual(inline, []);

    // Assets by content hash, cached for a year; the stylesheet applied (CSP let it in).
    const href = await page.getAttribute('link[rel="stylesheet"]', 'href');
    assert.match(href, /^\/static\/app\.[0-9a-f]{12}\.css$/);
    const asset = await page.request.get(`${BASE}${href}`);
    assert.equal(asset.status(), 200);
    assert.equal(asset.headers()['cache-control'], 'public, max-age=31536000, immutable');
    const bg = await page.$eval('header.site', (h) => getComputedStyle(h).backgroundColor);
    assert.equal(bg, 'rgb(138, 21, 56)');

    // app.js ran: after a failed login it moves the focus to the error message.
    const failed = await submitLogin(page, 'e2e.reviewer', 'wrong password again');
    assert.equal(failed.status(), 401);
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('msg-error')),
        true);
    assert.deepEqual(violations, []);
    await page.close();
});

test('posts without the session\'s CSRF token are refused', async () => {
    const page = await freshPage(browser);
    await logIn(page, 'e2e.admin');
    // A post without the CSRF token, as another site's form would send it.
    const forged = await page.request.post(`${BASE}/admin/users`, {
        form: { login: 'intruder', role: 'admin' },
    });
    assert.equal(forged.status(), 403);
    const logout = await page.request.post(`${BASE}/logout`, { form: { csrf: 'guess' } });
    assert.equal(logout.status(), 403);
    await page.goto(`${BASE}/home`);
    assert.equal(new URL(page.url()).pathname, '/home'); // still logged in
    await page.close();
});

test('at 360 px the main pages scroll only vertically', async () => {
    const page = await freshPage(browser);
    await page.setViewportSize({ width: 360, height: 740 });
    const fits = async () => page.evaluate(
        () => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
    await page.goto(`${BASE}/login`);
    assert.equal(await fits(), true, 'login overflows');
    await logIn(page, 'e2e.admin');
    for (const path of ['/home', '/admin/users', '/admin/audit', '/account/password']) {
        await page.goto(`${BASE}${path}`);
        assert.equal(await fits(), true, `${path} overflows at 360 px`);
    }
    // Every visible input has a label, and the skip link is the first thing a Tab reaches.
    const unlabelled = await page.$$eval('input:not([type="hidden"]), select', (els) => els
        .filter((el) => !el.labels || el.labels.length === 0).map((el) => el.name));
    assert.deepEqual(unlabelled, []);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
    await page.close();
});

test('a login posted from another site is refused, one from this site goes through', async () => {
    const page = await freshPage(browser);
    const api = page.request;
    // A new login form each time: a refusal hands out a new double-submit token.
    const token = async () => {
        const html = await (await api.get(`${BASE}/login`)).text();
        return html.match(/name="login_csrf" value="([^"]+)"/)[1];
    };
    const post = async (headers, login_csrf) => api.post(`${BASE}/login`, {
        headers,
        form: { login_csrf, login: 'e2e.reader', password: PASSWORD },
        maxRedirects: 0,
    });
    assert.equal((await post({ 'Sec-Fetch-Site': 'cross-site' }, await token())).status(), 403);
    assert.equal((await post({ Origin: 'http://evil.example' }, await token())).status(), 403);
    await token();
    assert.equal((await post({}, 'a-token-of-another-browser')).status(), 403);
    const ok = await post({ 'Sec-Fetch-Site': 'same-origin' }, await token());
    assert.equal(ok.status(), 303);
    assert.equal(ok.headers().location, '/home');
    await page.close();
});

test('behind a TLS-terminating proxy the session cookie is Secure', async () => {
    const page = await freshPage(browser);
    const api = page.request;
    const html = await (await api.get(`${BASE}/login`)).text();
    const response = await api.post(`${BASE}/login`, {
        headers: { 'X-Forwarded-Proto': 'https', 'Sec-Fetch-Site': 'same-origin' },
        form: {
            login_csrf: html.match(/name="login_csrf" value="([^"]+)"/)[1],
            login: 'e2e.reader',
            password: PASSWORD,
        },
        maxRedirects: 0,
    });
    assert.equal(response.status(), 303);
    const session = response.headersArray()
        .filter((h) => h.name.toLowerCase() === 'set-cookie' && h.value.startsWith('tincay_session='))
        .map((h) => h.value);
    assert.equal(session.length, 1);
    assert.match(session[0], /; HttpOnly; SameSite=Strict; Secure$/);
    await page.close();
});
