// The printable tasking brief in Debian's Chromium: printed to A4 PDF, it has one page per candidate plus the
// cover, and every candidate page holds a map image that loaded.
// Usage: node tests/browser/brief.test.mjs path/to/brief.html
// Writes target/browser/brief.pdf and target/browser/brief.png (the first pages, for a person to look at).

import { chromium } from 'playwright-core';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(path.resolve(here, '..', '..'), 'target', 'browser');
const file = process.argv[2];
if (!file) {
  console.error('usage: node tests/browser/brief.test.mjs BRIEF.html');
  process.exit(2);
}

function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (!ok) process.exitCode = 1;
  return ok;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
  await page.goto(pathToFileURL(path.resolve(file)).href, { waitUntil: 'load' });
  const rows = await page.locator('section.cover table tr').count() - 1; // less the header row
  const sections = await page.locator('section.candidate').count();
  check('the cover lists the candidates', rows >= 1, `${rows} rows`);
  check('one page section per candidate', sections === rows, `${sections} sections for ${rows} rows`);
  const maps = await page.$$eval('section.candidate img.map', (imgs) =>
    imgs.map((i) => ({ complete: i.complete, w: i.naturalWidth, h: i.naturalHeight })),
  );
  check('every candidate page has a map image', maps.length === sections, `${maps.length} images`);
  check('every map image loaded', maps.every((m) => m.complete && m.w > 0 && m.h > 0), JSON.stringify(maps));
  await fs.mkdir(outDir, { recursive: true });
  await page.screenshot({ path: path.join(outDir, 'brief.png') });
  const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  await fs.writeFile(path.join(outDir, 'brief.pdf'), pdf);
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g) || []).length;
  // Near-repeat zones, when there are any, have a page of their own after the cover.
  const nr = await page.locator('section.nearrepeat').count();
  check('the PDF has the cover plus one page per candidate', pages === rows + 1 + nr, `${pages} pages for ${rows} candidates and ${nr} near-repeat pages`);
  // A4 portrait: 595 x 842 points.
  const box = pdf.toString('latin1').match(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/);
  check('the pages are A4', box && Math.abs(Number(box[1]) - 595) < 2 && Math.abs(Number(box[2]) - 842) < 2, box && box[0]);
} finally {
  await browser.close();
}
