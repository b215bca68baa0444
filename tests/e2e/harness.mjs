/*
 * What tincay's browser tests share: a throw-away database in the PostgreSQL that
 * pg_virtualenv (scripts/test) provides through PG*, the `tincay` binary under test (its CLI
 * and `tincay serve` on a free loopback port), and Debian's chromium driven by
 * playwright-core with a fresh profile. A test that cannot have one of them exits 77
 * (skipped) or, with TINCAY_TEST_REQUIRE_DB=1, fails.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const sourceDir =
  process.env.TINCAY_SOURCE_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const tincayBin = process.env.TINCAY_BIN ?? join(sourceDir, 'build/ci/tincay');
export const chromiumPath = process.env.TINCAY_CHROMIUM ?? '/usr/bin/chromium';
export const screenshots = process.env.TINCAY_SCREENSHOTS === '1';

/* Exit now: skipped (77), or failed when the database and browser are required. */
export function unavailable(reason) {
  if (process.env.TINCAY_TEST_REQUIRE_DB === '1') {
    console.error(`# cannot run: ${reason}`);
    process.exit(1);
  }
  console.log(`# skipped: ${reason}`);
  process.exit(77);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/* One row per line, columns separated by '|', from psql on database `db`. */
export function psql(db, sql) {
  return run('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sql]).trim();
}

/* A fresh database, migrated by `tincay migrate`; drop() removes it. */
export function createDatabase() {
  const probe = spawnSync('psql', ['-X', '-A', '-t', '-q', '-c', 'SELECT 1'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) unavailable('no PostgreSQL reachable through PG*');
  const name = `tc_e2e_${randomBytes(6).toString('hex')}`;
  run('createdb', [name]);
  const env = { ...process.env, PGDATABASE: name };
  delete env.TINCAY_DATABASE_URL;
  tincay(env, ['migrate']);
  return { name, env, drop: () => run('dropdb', ['--if-exists', '--force', name]) };
}

/* Run the CLI; its standard output, or an exception naming its error output. */
export function tincay(env, args, input) {
  if (!existsSync(tincayBin)) unavailable(`no tincay binary at ${tincayBin}`);
  return run(tincayBin, args, { env, input });
}

/* `tincay serve` on a free loopback port until stop(). */
export async function startServer(env) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tincay-e2e-'));
  const child = spawn(tincayBin, ['serve'], {
    env: { ...env, TINCAY_LISTEN: '127.0.0.1:0', TINCAY_DATA_DIR: dataDir, TINCAY_LOG_LEVEL: 'warning' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const m = /listening on \S+ port (\d+)/.exec(line);
      if (m) ok(`http://127.0.0.1:${m[1]}`);
    });
    child.on('exit', (code) => fail(new Error(`tincay serve exited ${code} before listening`)));
  });
  const stop = async () => {
    const exited = new Promise((ok) => child.on('exit', ok));
    child.kill('SIGTERM');
    const code = await exited;
    rmSync(dataDir, { recursive: true, force: true });
    return code;
  };
  return { url, stop };
}

/* Chromium with a fresh profile; close() removes the profile. */
export async function launchBrowser() {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    unavailable('playwright-core is not installed (npm ci in tests/e2e)');
  }
  if (!existsSync(chromiumPath)) unavailable(`no chromium at ${chromiumPath}`);
  const profile = mkdtempSync(join(tmpdir(), 'tincay-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1000, height: 900 },
    locale: 'vi-VN',
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

/* docs/screenshots/<name>.png when TINCAY_SCREENSHOTS=1. */
export async function screenshot(page, name) {
  if (!screenshots) return;
  const dir = join(sourceDir, 'docs/screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
}
