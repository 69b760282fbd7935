// The "When" panel (hour of day x day of week) in Debian's Chromium (run by .ci/browser-test after views.test.mjs):
//   (m) police.uk months (Dorset): the panel says the data have no times of day, and draws no table;
//   (t) exact times (Chicago 2017 burglaries) at 1440x900: a 7 x 24 heat table whose figures are /api/when's for the
//       window on screen, the sentence or "nothing stands out" as the API says; the chosen hotspot and the map view
//       as scopes, each the API's answer for that place;
//   (p) the same on a phone (390x844): the table fits the screen's width, cells at least 10 px wide.
// Usage: node tests/browser/when.test.mjs http://127.0.0.1:PORT/ (police.uk) http://127.0.0.1:PORT2/ (exact times)
// Screenshots: target/browser/when-months.png, when-desktop.png, when-hotspot.png, when-phone.png.

import { chromium } from 'playwright-core';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { int, num } from '../../assets/format.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, '..', '..', 'target', 'browser');
const [baseMonths, baseTimes] = process.argv.slice(2);
const WAIT = Number(process.env.BROWSER_TEST_TIMEOUT_MS || 90000);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader', '--use-angle=swiftshader'];

const results = [];
class CheckFailed extends Error {}
function check(name, ok, detail) {
  results.push({ name, ok });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (!ok) throw new CheckFailed(`${name}: ${detail}`);
}

async function open(context, url, viewport) {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/GL Driver Message/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url, { waitUntil: 'load', timeout: WAIT });
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: WAIT });
  const state = await page.evaluate(() => document.body.dataset.state);
  check(`page ready at ${viewport.width}x${viewport.height} (${new URL(url).port})`, state === 'ready', state);
  return { page, errors };
}

/** Open the panel (on a phone: the list's sheet first) and wait for its answer. */
async function openPanel(page, phone = false) {
  if (phone) await page.click('#sheet-toggle');
  await page.locator('#when-panel > summary').scrollIntoViewIfNeeded();
  await page.click('#when-panel > summary');
  await waitAnswer(page);
}

async function waitAnswer(page) {
  await page.waitForFunction(() => {
    const w = window.hotspotsApp.store.get('when');
    const body = document.getElementById('when-body');
    return w && !w.loading && (w.answer || w.error) && !body.hasAttribute('aria-busy') && body.children.length > 0;
  }, null, { timeout: WAIT, polling: 200 });
}

/** What the panel shows: its figures (read from the table's cells), the sentence, the note. */
function shown(page) {
  return page.evaluate(() => {
    const rows = [...document.querySelectorAll('#when-body .when-table tbody tr')];
    const w = window.hotspotsApp.store.get('when');
    return {
      rows: rows.length,
      cells: rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim())),
      sentence: document.querySelector('#when-body [data-testid=when-sentence]')?.textContent.replace(/\s+/g, ' ').trim() || '',
      note: document.querySelector('#when-body [data-testid=when-note]')?.textContent.replace(/\s+/g, ' ').trim() || '',
      query: window.hotspotsApp.query,
      answer: w.answer,
      error: w.error,
      scope: w.scope,
      msgs: [...document.querySelectorAll('#messages p span')].map((s) => s.textContent),
    };
  });
}

/** The figure a cell shows for a value (whole numbers without decimals, else one decimal). */
function figures(cells) {
  const whole = cells.flat().every((v) => Math.abs(v - Math.round(v)) < 1e-9);
  return cells.map((row) => row.map((v) => (whole ? int(v) : num(v, 1))));
}

async function api(base, q) {
  const r = await fetch(new URL(`api/when?${q}`, base));
  return r.json();
}

async function monthsChecks(context) {
  const { page, errors } = await open(context, baseMonths, { width: 1440, height: 900 });
  await openPanel(page);
  const s = await shown(page);
  check('(m) police.uk months: the panel says there are no times of day, and draws no table',
    s.rows === 0 && /No times of day in these data/.test(s.note) && /known only to the month/.test(s.note) && s.answer.precision === 'month',
    s.note.slice(0, 160));
  await page.locator('#when-panel').screenshot({ path: path.join(outDir, 'when-months.png') });
  check('    no console errors', errors.length === 0, errors.slice(0, 3).join(' | ') || 'none');
  await page.close();
}

async function timesChecks(context) {
  const { page, errors } = await open(context, baseTimes, { width: 1440, height: 900 });
  await openPanel(page);
  let s = await shown(page);
  const ref = await api(baseTimes, s.query);
  check('(t) exact times: a 7 x 24 heat table', s.rows === 7 && s.cells.every((r) => r.length === 24), `${s.rows} rows`);
  check('    its figures are /api/when\'s for the window and types on screen',
    JSON.stringify(s.cells) === JSON.stringify(figures(ref.cells)) && ref.incidents > 0, `${ref.incidents} incidents, query ${s.query}`);
  const c = ref.concentration;
  const says = ref.sentence
    ? s.sentence.toLowerCase().includes(ref.sentence.toLowerCase())
    : c.p <= c.alpha ? /No time stands out enough to single out/.test(s.sentence) : /No time of the week stands out beyond chance/.test(s.sentence);
  check('    the sentence is the API\'s (or why there is none: not beyond chance, or not by enough)', says, `p = ${c.p}: ${s.sentence}`);
  await page.locator('#when-panel').screenshot({ path: path.join(outDir, 'when-desktop.png') });
  await page.screenshot({ path: path.join(outDir, 'when-desktop-page.png') });

  // The chosen hotspot as the scope.
  await page.click('#hotspot-list li button.row');
  await page.evaluate(() => window.hotspotsApp.popup && window.hotspotsApp.popup.remove());
  await page.selectOption('#when-scope', 'hotspot');
  await page.waitForFunction(() => new URLSearchParams(window.hotspotsApp.store.get('when').answer?.settings || '').has('hotspot'), null, { timeout: WAIT });
  await waitAnswer(page);
  s = await shown(page);
  const id = await page.evaluate(() => window.hotspotsApp.selectedId);
  const listed = await page.evaluate(() => window.hotspotsApp.hotspots[0].properties);
  const refH = await api(baseTimes, `${s.query}&hotspot=${encodeURIComponent(id)}`);
  check('    the chosen hotspot: its incidents, as many as the list says it holds',
    refH.incidents === listed.incidents && s.answer.incidents === listed.incidents && JSON.stringify(s.cells) === JSON.stringify(figures(refH.cells)),
    `${s.answer.incidents} in ${s.answer.place}; the list: ${listed.incidents}`);
  await page.locator('#when-panel').screenshot({ path: path.join(outDir, 'when-hotspot.png') });

  // The map view as the scope: fewer incidents than everywhere once zoomed in on the hotspot.
  await page.selectOption('#when-scope', 'view');
  await page.waitForFunction(() => new URLSearchParams(window.hotspotsApp.store.get('when').answer?.settings || '').has('bbox'), null, { timeout: WAIT });
  await waitAnswer(page);
  s = await shown(page);
  const bbox = new URLSearchParams(s.answer.settings).get('bbox');
  const refV = await api(baseTimes, `${s.query}&bbox=${bbox}`);
  check('    the map view: the incidents in the box on screen', s.answer.incidents === refV.incidents && s.answer.incidents < ref.incidents && s.answer.place === "the map's view",
    `${s.answer.incidents} in view of ${ref.incidents} (bbox ${bbox})`);
  check('    no console errors, no messages', errors.length === 0 && s.msgs.length === 0, [...errors, ...s.msgs].slice(0, 3).join(' | ') || 'none');
  await page.close();
}

async function phoneChecks(context) {
  const { page, errors } = await open(context, baseTimes, { width: 390, height: 844 });
  await openPanel(page, true);
  const s = await shown(page);
  const fit = await page.evaluate(() => {
    const t = document.querySelector('#when-body .when-table').getBoundingClientRect();
    const td = document.querySelector('#when-body .when-table td').getBoundingClientRect();
    return { left: t.left, right: t.right, cell: td.width, height: td.height };
  });
  check('(p) the phone (390x844): the table fits the screen, cells at least 10 px wide',
    s.rows === 7 && fit.left >= 0 && fit.right <= 390 && fit.cell >= 10, `table ${Math.round(fit.left)}..${Math.round(fit.right)} px, cells ${fit.cell.toFixed(1)} x ${fit.height.toFixed(1)} px`);
  await page.locator('#when-panel').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(outDir, 'when-phone.png') });
  check('    no console errors', errors.length === 0, errors.slice(0, 3).join(' | ') || 'none');
  await page.close();
}

async function main() {
  await fs.mkdir(outDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotspots-chromium-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: ARGS, deviceScaleFactor: 1 });
  try {
    await monthsChecks(context);
    await timesChecks(context);
    await phoneChecks(context);
  } finally {
    await context.close().catch(() => {});
    await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

main()
  .then(() => console.log(`when: ${results.length} passed, 0 failed`))
  .catch((e) => {
    console.error(`\nwhen test FAILED: ${e instanceof CheckFailed ? e.message : e && e.stack ? e.stack : e}`);
    console.log(`when: ${results.filter((r) => r.ok).length} passed, 1 failed`);
    process.exit(1);
  });
