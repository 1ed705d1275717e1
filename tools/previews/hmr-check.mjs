// Drives Debian's chromium (headless) through playwright-core to prove Vite HMR works through a preview URL.
// Usage: node hmr-check.mjs <url> <expected-before> <expected-after>
// Prints "LOADED" once the page shows <expected-before> (the caller then edits the source file), then
// "HMR-OK {json}" once the page shows <expected-after> without a full reload, or exits 1 with the reason.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, before, after] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), 'whim-chromium-'));
// Playwright passes the new temporary profile as --user-data-dir itself.
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let code = 0;
try {
  const page = await browser.newPage();
  const sockets = [];
  let connected = false;
  page.on('websocket', ws => {
    sockets.push(ws.url());
    ws.on('framereceived', f => { if (String(f.payload).includes('"connected"')) connected = true; });
  });
  page.on('console', m => console.error('console:', m.text()));
  await page.goto(url, { waitUntil: 'load', timeout: 30000 });
  await page.waitForFunction(t => document.querySelector('#app')?.textContent === t, before, { timeout: 30000 });
  for (let waited = 0; !connected; waited += 50) {
    if (waited > 30000) throw new Error('the HMR WebSocket never connected: ' + JSON.stringify(sockets));
    await new Promise(r => setTimeout(r, 50));
  }
  const marker = await page.evaluate(() => window.__marker);
  console.log('LOADED');
  await page.waitForFunction(t => document.querySelector('#app')?.textContent === t, after, { timeout: 30000 });
  const markerAfter = await page.evaluate(() => window.__marker);
  console.log('HMR-OK ' + JSON.stringify({ sockets, reloaded: marker !== markerAfter }));
} catch (e) {
  console.error('HMR check failed: ' + e.message);
  code = 1;
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
