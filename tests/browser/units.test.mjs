// Unit tests of the page's pure modules (no browser): node --test tests/browser/units.test.mjs
import test from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS, dataEnd, addMonths, financialYearStart, isoDay, parseDate, toInputValue, fromInputValue, windowText } from '../../assets/dates.js';
import { trend, trendDirection, breaks, namedList, maybeJson, metres, int } from '../../assets/format.js';
import { buildQuery, errorFromBody } from '../../assets/client.js';
import { hotspotPopupHtml, parametersHtml, seriesSvg } from '../../assets/panels.js';
import { densityBreaksFromThreshold, styleLayers, legendHtml } from '../../assets/layers.js';

const day = (s) => parseDate(s);
const win = (w) => [isoDay(w.from), isoDay(w.to)];

test('presets count back from the end of the data, not from today', () => {
  const end = dataEnd('2024-04-01T00:00:00Z');
  assert.deepEqual(win(PRESETS.last28.window(end)), ['2024-03-04', '2024-04-01']);
  assert.deepEqual(win(PRESETS.last3m.window(end)), ['2024-01-01', '2024-04-01']);
  assert.deepEqual(win(PRESETS.fytd.window(end)), ['2023-04-01', '2024-04-01']);
  const current = { from: day('2024-01-01'), to: day('2024-04-01') };
  assert.deepEqual(win(PRESETS.lastYear.window(end, current)), ['2023-01-01', '2023-04-01']);
});

test('financial year: 1 April of the year containing the last day of data', () => {
  assert.equal(isoDay(financialYearStart(day('2024-04-01'))), '2023-04-01'); // data ends 31 March 2024
  assert.equal(isoDay(financialYearStart(day('2024-04-02'))), '2024-04-01'); // data includes 1 April 2024
  assert.equal(isoDay(financialYearStart(day('2024-01-01'))), '2023-04-01');
  assert.equal(isoDay(financialYearStart(day('2023-12-01'))), '2023-04-01');
});

test('a data end part-way through a day rounds up to the next midnight', () => {
  assert.equal(isoDay(dataEnd('2024-03-31T17:45:00Z')), '2024-04-01');
  assert.equal(dataEnd(null), null);
});

test('months: a day past the end of the target month becomes its last day', () => {
  assert.equal(isoDay(addMonths(day('2024-03-31'), -1)), '2024-02-29');
  assert.equal(isoDay(addMonths(day('2024-02-29'), -12)), '2023-02-28');
  assert.equal(isoDay(addMonths(day('2024-01-15'), -3)), '2023-10-15');
});

test('the "to" date input is the last day included; the API gets the day after', () => {
  assert.equal(toInputValue(day('2024-04-01')), '2024-03-31');
  assert.equal(isoDay(fromInputValue('2024-03-31')), '2024-04-01');
  assert.equal(windowText(day('2024-01-01'), day('2024-04-01')), '1 Jan 2024 to 31 Mar 2024');
});

test('trend: raw counts first, then the change', () => {
  assert.equal(trend(48, 40), '48 (was 40): +20% (+8)');
  assert.equal(trend(30, 40), '30 (was 40): -25% (-10)');
  assert.equal(trend(40, 40), '40 (was 40): no change');
  assert.equal(trend(5, 0), '5 (was 0): new (+5)');
  assert.equal(trend(1690, 1600), '1,690 (was 1,600): +5.6% (+90)');
  assert.equal(trend(48, null), '48 (no earlier data)');
  assert.equal(trend(48, undefined), '48 (no earlier data)');
  assert.equal(trendDirection(48, 40), 'up');
  assert.equal(trendDirection(48, null), 'unknown');
});

test('query: categories repeated, left out for all; harm weighting also ranks by harm', () => {
  const base = { from: day('2024-01-01'), to: day('2024-04-01'), categories: null, harm: false };
  assert.equal(buildQuery(base), 'from=2024-01-01&to=2024-04-01');
  const q = new URLSearchParams(buildQuery({ ...base, categories: ['Anti-social behaviour', 'Drugs'], harm: true }));
  assert.deepEqual(q.getAll('category'), ['Anti-social behaviour', 'Drugs']);
  assert.equal(q.get('weight'), 'harm');
  assert.equal(q.get('rank_by'), 'harm');
});

test('API errors keep the message and the parameter', () => {
  const e = errorFromBody(400, 'Bad Request', '{"error":"from=2024-13: bad month","parameter":"from"}', '/api/summary');
  assert.equal(e.message, 'from=2024-13: bad month');
  assert.equal(e.parameter, 'from');
  assert.match(errorFromBody(401, 'Unauthorized', '{"error":"token required"}', '/api/meta').message, /\?token=/);
  assert.equal(errorFromBody(500, 'Internal Server Error', '', '/x').message, '500 Internal Server Error');
});

test('formatting helpers', () => {
  assert.equal(int(14428), '14,428');
  assert.equal(metres(250), '250 m');
  assert.equal(metres(1947.99), '1,948 m');
  assert.equal(metres(2500), '2.5 km');
  assert.equal(namedList([{ name: 'A', count: 3 }, { name: 'B', count: 2 }]), 'A (3), B (2)');
  assert.deepEqual(maybeJson('[1,2]'), [1, 2]);
  assert.equal(maybeJson('On or near X'), 'On or near X');
  const b = breaks([1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144], 5);
  assert.ok(b.length >= 3 && b.every((x, i) => i === 0 || x > b[i - 1]));
  assert.deepEqual(breaks([0, 0]), []);
  assert.deepEqual(densityBreaksFromThreshold(100), [10, 25, 50, 75, 100, 200]);
});

test('popup and list text: trend, streets, no earlier data', () => {
  const p = {
    id: 'h1', rank: 1, incidents: 48, previous_incidents: 40, harm: 120.5, hit_rate: 0.1, area_share: 0.005,
    categories: [{ name: 'Anti-social behaviour', count: 30 }], top_locations: [{ name: 'On or near High Street', count: 20 }],
  };
  const html = hotspotPopupHtml(p, { harm: false });
  assert.match(html, /48 \(was 40\): \+20% \(\+8\)/);
  assert.match(html, /On or near High Street \(20\)/);
  assert.match(hotspotPopupHtml({ ...p, previous_incidents: null }, {}), /no earlier data/);
  assert.match(parametersHtml({ from: '2024-01-01T00:00:00Z', to: '2024-04-01T00:00:00Z', categories: [], weight: 'count', bandwidth_m: 250, cell_m: 50 }), /250 m/);
  assert.match(seriesSvg([{ period: '2024-01', count: 3 }, { period: '2024-02', count: 5 }], 'month'), /<rect/);
});

test('every layer has style layers named after it and a legend', () => {
  for (const layer of ['incidents', 'density', 'hotspots', 'hex', 'gistar', 'areas-wards']) {
    const specs = styleLayers(layer, { breaks: [1, 2, 3] });
    assert.ok(specs.length > 0);
    for (const s of specs) {
      assert.equal(s.source, layer);
      assert.equal(s['source-layer'], layer);
      assert.ok(s.id.startsWith(`${layer}:`));
    }
    assert.ok(legendHtml(layer, { breaks: [1, 2, 3] }).length > 0);
  }
  assert.match(legendHtml('gistar'), /99%/);
});
