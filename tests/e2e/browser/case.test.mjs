// The case log in a browser: a Trusted Address host (who joined the unit through an
// invitation, run.sh) files a case through the JSON API with the session's CSRF token, finds it
// in the case log, sees no content before giving a purpose, then reads it decrypted with the
// notice that the read was audited; a reviewer has no link to the case log and gets 403.
// Every name is made up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, freshPage, heading, logIn, openBrowser, screenshot } from './lib.mjs';

const VICTIM = 'Hoàng Thị Giả Định';
const STORY = 'Nội dung minh hoạ, không có thật';
let browser;
let code;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

function caseXml() {
    const uuid = crypto.randomUUID();
    return '<data xmlns:jr="http://openrosa.org/javarosa" id="dctc_case" version="2026112901">'
        + '<start>2026-11-20T08:00:00.000+07:00</start><end>2026-11-20T08:30:00.000+07:00</end>'
        + '<today>2026-11-20</today><deviceid>browser</deviceid>'
        + '<case_code>DC-00000000</case_code><intake_date>2026-11-20</intake_date>'
        + '<intake_month>2026-11</intake_month>'
        + '<location><admin_era>post2025</admin_era><commune>post2025:03390</commune></location>'
        + '<intake><came_via>self</came_via><contact_mode>in_person</contact_mode></intake>'
        + '<reporter><reporter_name></reporter_name><reporter_phone></reporter_phone></reporter>'
        + '<consent_record>yes</consent_record>'
        + `<victim_identity><victim_name>${VICTIM}</victim_name>`
        + '<victim_birth_year>1991</victim_birth_year><victim_phone>0900000002</victim_phone>'
        + '<victim_village>Thôn Minh Hoạ</victim_village><victim_address>Số 0</victim_address>'
        + '</victim_identity>'
        + '<victim><victim_sex>female</victim_sex><victim_age>35</victim_age>'
        + '<age_band_asked>16_59</age_band_asked><age_band>16_59</age_band>'
        + '<victim_ethnicity>01</victim_ethnicity><victim_em>no</victim_em>'
        + '<victim_disability>no</victim_disability><victim_pregnant>no</victim_pregnant></victim>'
        + '<violence><violence_forms>mental economic</violence_forms>'
        + '<violence_repeated>yes</violence_repeated><children_present>no</children_present>'
        + `<violence_desc>${STORY}</violence_desc></violence>`
        + '<perpetrator><perp_relation>husband</perp_relation><perp_sex>male</perp_sex></perpetrator>'
        + '<risk><risk_factors>threats</risk_factors><risk_level>medium</risk_level></risk>'
        + '<services_given><services>counselling</services><referral_notes></referral_notes>'
        + '</services_given><notes></notes>'
        + `<meta><instanceID>uuid:${uuid}</instanceID></meta></data>`;
}

test('a host files a case, finds it in the log and opens it after giving a purpose', async () => {
    const page = await freshPage(browser);
    await logIn(page, 'e2e.host');
    await page.click('nav.main-nav a[href="/cases"]');
    assert.equal(await heading(page), 'Sổ vụ việc');
    const csrf = await page.locator('input[name="csrf"]').first().getAttribute('value');
    const filed = await page.request.post(`${BASE}/api/v1/cases`, {
        headers: { 'Content-Type': 'application/xml', 'X-CSRF-Token': csrf },
        data: caseXml(),
    });
    assert.equal(filed.status(), 201, await filed.text());
    code = (await filed.json()).case_code;

    await page.reload();
    const link = page.locator(`table a[href="/cases/${code}"]`);
    assert.equal(await link.count(), 1);
    assert.ok(!(await page.content()).includes(VICTIM), 'the list shows metadata only');
    await Promise.all([page.waitForNavigation(), link.click()]);
    assert.ok(!(await page.content()).includes(STORY), 'no content before a purpose');
    await page.selectOption('select[name="purpose"]', 'referral');
    const [response] = await Promise.all([
        page.waitForNavigation(),
        page.click('main form[action^="/cases/"] button[type="submit"]'),
    ]);
    assert.equal(response.status(), 200);
    const text = await page.textContent('main');
    assert.ok(text.includes('Lần xem này đã được ghi vào nhật ký kiểm tra'));
    assert.ok(text.includes(VICTIM));
    assert.ok(text.includes(STORY));
    await screenshot(page, 'case.png');
});

test('a reviewer has no case log', async () => {
    assert.ok(code, 'the first test filed a case');
    const page = await freshPage(browser);
    await logIn(page, 'e2e.reviewer');
    assert.equal(await page.locator('nav.main-nav a[href="/cases"]').count(), 0);
    const response = await page.goto(`${BASE}/cases/${code}`);
    assert.equal(response.status(), 403);
    assert.ok(!(await page.content()).includes(VICTIM));
});
