// Shared pieces of the browser tests: the browser (Debian's Chromium through playwright-core,
// never a downloaded one), the server's address and accounts (set by run.sh), logging in,
// and screenshots for docs/screenshots/ (only when TINCAY_SCREENSHOTS=1).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const BASE = process.env.TINCAY_URL;
export const PASSWORD = process.env.TINCAY_E2E_PASSWORD;
if (!BASE || !PASSWORD) {
    throw new Error('run the browser tests through tests/e2e/browser/run.sh (TINCAY_URL unset)');
}

const ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// A fresh browser with its own profile directory; close() removes it.
export async function openBrowser(options = {}) {
    const profile = mkdtempSync(path.join(tmpdir(), 'tincay-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: process.env.TINCAY_CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ARGS,
        locale: 'vi-VN',
        viewport: { width: 1280, height: 800 },
        ...options,
    });
    context.setDefaultTimeout(20000);
    return {
        context,
        async close() {
            await context.close();
            rmSync(profile, { recursive: true, force: true });
        },
    };
}

// A new tab with no cookies of earlier tests.
export async function freshPage(browser) {
    await browser.context.clearCookies();
    return browser.context.newPage();
}

// Fill the login form on the current page and send it; resolves to the response.
export async function submitLogin(page, login, password = PASSWORD) {
    await page.fill('#f-login', login);
    await page.fill('#f-password', password);
    const [response] = await Promise.all([
        page.waitForNavigation(),
        page.click('form[action="/login"] button[type="submit"]'),
    ]);
    return response;
}

export async function logIn(page, login, password = PASSWORD) {
    await page.goto(`${BASE}/login`);
    await submitLogin(page, login, password);
    assert.equal(new URL(page.url()).pathname, '/home', `${login} did not reach /home`);
}

export async function heading(page) {
    return (await page.textContent('h1')).trim();
}

export async function screenshot(page, name) {
    if (process.env.TINCAY_SCREENSHOTS !== '1') {
        return;
    }
    const dir = process.env.TINCAY_SCREENSHOT_DIR;
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, name), fullPage: true });
}
