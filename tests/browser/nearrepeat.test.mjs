// Near-repeat zones in tasking mode, on Chicago 2017 burglary (exact times): the tasking panel lists the zones (how
// many, the expiry dates) and the `nearrepeat` tile layer comes on and draws them, on a desktop (1440x900) and a
// phone (390x844). Screenshots: target/browser/nearrepeat-1440x900.png, nearrepeat-390x844.png.
// Usage: node tests/browser/nearrepeat.test.mjs URL (a `hotspots serve` of a store holding the Chicago burglaries)

import { chromium } from 'playwright-core';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { idle as idleFor } from './map-idle.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(path.resolve(here, '..', '..'), 'target', 'browser');
const base = process.argv[2];
const WAIT = 90_000;
if (!base) {
  console.error('usage: node tests/browser/nearrepeat.test.mjs URL');
  process.exit(2);
}

function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (!ok) process.exitCode = 1;
  return ok;
}

const idle = (page) => idleFor(page, WAIT);

await fs.mkdir(outDir, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--use-gl=swiftshader', '--enable-unsafe-swiftshader'],
});
try {
  for (const viewport of [{ width: 1440, height: 900 }, { width: 390, height: 844 }]) {
    const size = `${viewport.width}x${viewport.height}`;
    const page = await browser.newPage({ viewport });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}#mode=tasking&at=2017-07-01&category=BURGLARY`, { waitUntil: 'load', timeout: WAIT });
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: WAIT });
    await page.locator('[data-testid=nr-count]').first().waitFor({ timeout: WAIT });
    const text = await page.locator('#nr-section').innerText();
    const n = Number((text.match(/(\d+) zones?/) || [])[1] || 0);
    check(`${size}: the tasking panel lists the near-repeat zones`, n > 0, (text.match(/\d+ zones?[^\n]*/) || [''])[0]);
    check(`${size}: with their expiry`, /First expiry 2017-07-\d\d/.test(text) && /until 2017-07-\d\d/.test(text), '');
    check(`${size}: and the record against random placement`, /placed at random/.test(text), '');
    await idle(page);
    const map = await page.evaluate(() => {
      const app = window.hotspotsApp;
      return {
        on: app.state.visible.has('nearrepeat'),
        query: app.sourceQuery.nearrepeat || '',
        rendered: app.map.getLayer('nearrepeat:fill') ? app.map.queryRenderedFeatures({ layers: ['nearrepeat:fill'] }).length : -1,
      };
    });
    check(`${size}: the nearrepeat layer is on, as of the list's date`, map.on && /at=2017-07-01/.test(map.query), JSON.stringify(map));
    check(`${size}: and draws zones`, map.rendered > 0, `${map.rendered} features rendered`);
    check(`${size}: no page errors`, errors.length === 0, errors.join('; '));
    // The panel's section in view, then the whole window.
    await page.locator('#nr-section').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(outDir, `nearrepeat-${size}.png`) });
    await page.close();
  }
} finally {
  await browser.close();
}
