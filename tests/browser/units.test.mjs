// Unit tests of the page's pure modules (no browser): node --test tests/browser/units.test.mjs
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  PRESETS, COMPARE_PRESETS, dataEnd, addMonths, financialYearStart, isoDay, parseDate, toInputValue, fromInputValue, windowText,
  defaultComparison, heldSpans, previousPeriod, lastWholeMonthEnd, wholeMonths, windowParam, parseWindowParam, windowDays,
} from '../../assets/dates.js';
import { trend, trendDirection, breaks, namedList, maybeJson, metres, int } from '../../assets/format.js';
import { buildQuery, errorFromBody } from '../../assets/client.js';
import { hotspotPopupHtml, parametersHtml, seriesSvg } from '../../assets/panels.js';
import {
  styleLayers, legendHtml, popupHtml, divergingColour, bandBreaks, byOrder, areaBreaks, areaShadeColours, areaFillPaint,
  areaShadeLegendHtml, monthsText, clickableIds,
} from '../../assets/layers.js';
import { createStore } from '../../assets/store.js';
import { stepsHeld, windowEndingAt, periodWords, barsHtml } from '../../assets/time.js';
import { resultHtml } from '../../assets/search.js';
import {
  compareApiQuery, changeTileQuery, comparisonHtml, targetHtml, wddText, compareNotes, changeMapText, compareStripHtml,
  changeDirection, compareParametersHtml,
} from '../../assets/compare.js';
import {
  parseWindowSpec, windowSpecText, taskingWindow, taskingQuery, taskingFromHash, taskingToHash, candidatesGeoJson, candidateBounds,
  candidatePlace, changeLine, candidateRowHtml, taskingHeadHtml, briefCommand, emptyListHtml, taskingParametersHtml,
} from '../../assets/tasking.js';
import {
  EMERGING_CLASSES, emergingColour, emergingColourExpr, emergingLegendHtml, emergingPopupRows, stepsText, periodFromHash,
} from '../../assets/emerging.js';

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
});

test('popup and list text: trend, streets, no earlier data', () => {
  const p = {
    id: 'h1', rank: 1, incidents: 48, previous_incidents: 40, harm: 120.5, hit_rate: 0.1, area_share: 0.005,
    categories: [{ name: 'Anti-social behaviour', count: 30 }], top_locations: [{ name: 'On or near High Street', count: 20 }],
  };
  const html = hotspotPopupHtml(p, { harm: false });
  assert.match(html, /48 \(was 40\): \+20% \(\+8\)/);
  assert.match(html, /High Street \(20\)/);
  assert.doesNotMatch(html, /On or near/);
  assert.match(hotspotPopupHtml({ ...p, name: 'Poole 015C, High Street' }, {}), /Hotspot 1: Poole 015C, High Street/);
  assert.match(html, /class="analyst-only"[^>]*><th scope="row">Concentration/);
  assert.match(hotspotPopupHtml({ ...p, previous_incidents: null }, {}), /no earlier data/);
  assert.match(parametersHtml({ from: '2024-01-01T00:00:00Z', to: '2024-04-01T00:00:00Z', categories: [], weight: 'count', bandwidth_m: 250, cell_m: 50 }), /250 m/);
  assert.match(seriesSvg([{ period: '2024-01', count: 3 }, { period: '2024-02', count: 5 }], 'month'), /<rect/);
});

// Layer descriptions as /api/meta gives them (abridged from the server's registry), and one the page never heard of.
const L = {
  density: { name: 'density', title: 'Concentration (heat map)', order: 10, mode: 'map', params: ['from', 'to', 'breaks'],
    style: { kind: 'bands', property: 'band', parameter: 'breaks', colours: ['rgba(255,237,160,0.35)', '#ffeda0', '#fed976', '#feb24c', '#fd8d3c', '#e31a1c', '#800026'],
      breaks_from: { field: 'density_threshold_per_km2', times: [0.1, 0.25, 0.5, 0.75, 1, 2], label: 'hotspot level', at: 4 },
      unit: 'incidents per km²', popup: [{ field: 'from', label: 'Incidents per km²', format: 'band' }] } },
  gistar: { name: 'gistar', title: 'Hot and cold spots', order: 20, mode: 'map', params: [],
    style: { kind: 'classes', property: 'bin', classes: [{ value: 3, colour: '#b2182b', label: 'Hot spot, 99% confidence' }, { value: -3, colour: '#2166ac', label: 'Cold spot, 99% confidence' }],
      popup: [{ field: 'count', label: 'Incidents in the square', format: 'int' }, { field: 'z', label: 'z-score', format: 'number2', analyst: true }] } },
  change: { name: 'change', title: 'Change', order: 40, mode: 'compare', params: ['before', 'after'],
    style: { kind: 'diverging', property: 'difference', significant: 'significant', fall: ['#2166ac', '#67a9cf', '#d1e5f0'], same: '#f2f2f2', rise: ['#fddbc7', '#ef8a62', '#b2182b'],
      outline: { rise: '#67001f', fall: '#053061' }, unit: 'after minus before',
      popup: [{ field: 'before', label: 'Incidents before', format: 'int' }, { field: 'after', label: 'Incidents after', format: 'int' }, { field: 'p', label: 'p-value', format: 'number4', analyst: true }] } },
  areas: { name: 'areas-wards', title: 'Areas: wards', order: 60, mode: 'map', params: ['from', 'to'],
    style: { kind: 'areas', property: 'count', colours: ['#3b3b3b'], shade: ['#edf8fb', '#b3cde3', '#8c96c6', '#8856a7', '#810f7c'],
      popup: [{ field: 'name', label: 'Name' }, { field: 'key', label: 'Code', analyst: true }, { field: 'count', label: 'Incidents in the window', format: 'int' }] } },
  hotspots: { name: 'hotspots', title: 'Hotspot outlines', order: 70, mode: 'map', params: [], style: { kind: 'outline', colours: ['#5b1a8c'], selected: '#00a0e0', legend: 'Hotspot (number = rank)' } },
  incidents: { name: 'incidents', title: 'Individual incidents', order: 80, mode: 'map', params: [],
    style: { kind: 'points', property: 'count', colours: ['#23395d'],
      popup: [{ field: 'location', label: 'Where', format: 'street' }, { field: 'count', label: 'Incidents', format: 'int' },
        { field: 'categories', label: 'Types', format: 'list' }, { field: 'months', label: 'Months', format: 'months' }],
      note: { field: 'points', one: 'All at one published map point.', many: 'Zoom in to see them.' } } },
  labels: { name: 'labels', title: 'Street names', help: 'Street names at their map points.', order: 90, mode: 'map', params: [], style: { kind: 'labels', property: 'name', rank: 'incidents', colours: ['#1d232b'] } },
  unknown: { name: 'footfall', title: 'Footfall (people counted)', help: 'People counted per square.', order: 15, mode: 'map', params: ['from'],
    style: { kind: 'sequential', property: 'people', colours: ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5'], unit: 'people per square',
      popup: [{ field: 'people', label: 'People counted', format: 'int' }] } },
};

test('every layer, known or not, gets style layers named after it, a legend and a popup from its description', () => {
  for (const l of Object.values(L)) {
    const specs = styleLayers(l, { breaks: [1, 2, 3] });
    assert.ok(specs.length > 0, l.name);
    for (const s of specs) {
      assert.equal(s.source, l.name);
      assert.equal(s['source-layer'], l.name);
      assert.ok(s.id.startsWith(`${l.name}:`));
    }
    assert.ok(legendHtml(l, { breaks: [1, 2, 3] }).includes(`data-testid="legend-${l.name}"`), l.name);
    assert.ok(popupHtml(l, {}).startsWith('<h3>'));
  }
  assert.deepEqual(byOrder(Object.values(L)).map((l) => l.name), ['density', 'footfall', 'gistar', 'change', 'areas-wards', 'hotspots', 'incidents', 'labels']);
  // A kind the page has never heard of still draws (a line) and has a legend row with its title.
  const odd = { name: 'odd', title: 'Something new', params: [], style: { kind: 'sparkles' } };
  assert.equal(styleLayers(odd)[0].type, 'line');
  assert.match(legendHtml(odd), /Something new/);
});

test('a layer the page never heard of: its colours, legend and popup come from its description alone', () => {
  const [fill] = styleLayers(L.unknown, { breaks: [10, 100] });
  assert.deepEqual(fill.paint['fill-color'], ['step', ['to-number', ['get', 'people'], 0], '#f7fbff', 10, '#c6dbef', 100, '#6baed6']);
  const legend = legendHtml(L.unknown, { breaks: [10, 100], period: 'in these 3 months' });
  assert.match(legend, /people per square in these 3 months/);
  assert.match(legend, /100 and over/);
  assert.match(popupHtml(L.unknown, { people: 1234 }), /People counted<\/th><td>1,234/);
  assert.deepEqual(clickableIds(L.unknown), ['footfall:fill']);
});

test('bands (the heat map): edges from the hotspot level, a fixed legend marking that level, the band in words', () => {
  const b = bandBreaks(L.density.style, { density_threshold_per_km2: 1234 });
  assert.deepEqual(b, [120, 300, 600, 900, 1200, 2500]);
  // Round steps: "25 to 50", not "25 to 51".
  assert.deepEqual(bandBreaks(L.density.style, { density_threshold_per_km2: 101.5 }), [10, 25, 50, 75, 100, 200]);
  assert.deepEqual(bandBreaks(L.density.style, {}), []);
  const legend = legendHtml(L.density, { breaks: b, period: 'in these 3 months' });
  assert.match(legend, /incidents per km² in these 3 months/);
  assert.match(legend, /1,200 to 2,500 <strong>\(hotspot level\)<\/strong>/);
  assert.match(legend, /under 120/);
  assert.equal(styleLayers(L.density)[0].paint['fill-color'][0], 'match');
  assert.match(popupHtml(L.density, { band: 2, from: 310, to: 620 }, { period: 'in these 3 months' }), /310 to 620 in these 3 months/);
  assert.match(popupHtml(L.density, { band: 6, from: 2500 }, {}), /2,500 or more/);
});

test('popups: plain words by default, statistics only with analyst detail; incidents at a point list types and months', () => {
  assert.doesNotMatch(popupHtml(L.gistar, { bin: 3, count: 12, z: 3.3 }), /z-score/);
  assert.match(popupHtml(L.gistar, { bin: 3, count: 12, z: 3.3 }, { analyst: true }), /z-score/);
  assert.match(popupHtml(L.gistar, { bin: 3, count: 12 }), /<h3>Hot spot, 99% confidence<\/h3>/);
  const pt = popupHtml(L.incidents, { count: 7, points: 1, location: 'On or near High Street', categories: 'Burglary (4); Drugs (3)', months: '2024-01 (5); 2024-03 (2)' });
  assert.match(pt, /7 incidents here/);
  assert.match(pt, /High Street/);
  assert.doesNotMatch(pt, /On or near/);
  assert.match(pt, /Burglary \(4\), Drugs \(3\)/);
  assert.match(pt, /Jan 2024 \(5\), Mar 2024 \(2\)/);
  assert.match(pt, /All at one published map point/);
  assert.doesNotMatch(pt, /Zoom in/);
  assert.equal(monthsText('2018-10 (1)'), 'Oct 2018 (1)');
  assert.match(popupHtml(L.areas, { name: 'Poole 001A', key: 'E01', count: 5 }), /<h3>Poole 001A<\/h3>/);
});

test('store: subscribers hear the keys they asked for, once per change; a module writes only its own keys', () => {
  const store = createStore({ a: 1, b: 2 });
  const heard = [];
  store.subscribe(['a'], (st, changed) => heard.push(['a', st.a, changed]));
  store.subscribe(null, (st, changed) => heard.push(['any', changed]));
  store.set({ a: 1 }); // no change: nobody called
  store.set({ a: 5, b: 3 });
  store.set({ b: 4 });
  assert.deepEqual(heard, [['a', 5, ['a', 'b']], ['any', ['a', 'b']], ['any', ['b']]]);
  const time = store.as('time', ['window']);
  const list = store.as('list', ['selected']);
  time.set({ window: 'w' });
  assert.equal(store.get('window'), 'w');
  assert.throws(() => list.set({ window: 'x' }), /list may not write 'window' \(time owns it\)/);
  assert.throws(() => store.as('other', ['window']), /'window' belongs to time/);
  const off = store.subscribe(['selected'], () => heard.push('sel'));
  off();
  list.set({ selected: 'h1' });
  assert.ok(!heard.includes('sel'));
});

test('time slider: the months held (the gap left out), windows of whole months, bars to click, the period in words', () => {
  const series = [{ period: '2018-10', count: 6440 }, { period: '2018-11', count: 5898 }, { period: '2019-01', count: 0 }, { period: '2024-01', count: 4802 }, { period: '2024-03', count: 5047 }];
  const steps = stepsHeld(series);
  assert.deepEqual(steps.map((s) => s.period), ['2018-10', '2018-11', '2024-01', '2024-03']);
  assert.deepEqual(win(windowEndingAt(day('2024-03-01'), 3, 'month')), ['2024-01-01', '2024-04-01']);
  assert.deepEqual(win(windowEndingAt(day('2024-03-04'), 2, 'week')), ['2024-02-26', '2024-03-11']);
  assert.equal(periodWords({ from: day('2024-01-01'), to: day('2024-04-01') }), 'in these 3 months');
  assert.equal(periodWords({ from: day('2024-03-01'), to: day('2024-04-01') }), 'in this month');
  assert.equal(periodWords({ from: day('2024-03-04'), to: day('2024-03-18') }, 'week'), 'in these 2 weeks');
  assert.equal(periodWords({ from: day('2024-03-04'), to: day('2024-03-09') }), 'in these 5 days');
  const bars = barsHtml(steps, 'month', { from: day('2024-01-01'), to: day('2024-04-01') });
  assert.equal((bars.match(/<button/g) || []).length, 4);
  assert.equal((bars.match(/class="bar in"/g) || []).length, 2);
  assert.match(bars, /Show up to Oct 2018 \(6,440 incidents\)/);
  assert.match(resultHtml({ name: 'High Street', kind: 'street', incidents: 42 }, 0), /High Street<\/strong> <span class="what">street, 42 incidents/);
});

test('boundary shading breaks: none for no counts, one class for one value or identical values', () => {
  assert.deepEqual(areaBreaks([]), []);
  assert.deepEqual(areaBreaks([0, 0, NaN, -3, undefined]), []);
  assert.deepEqual(areaBreaks([7]), [7]);
  assert.deepEqual(areaBreaks([0, 7]), [7]);
  assert.deepEqual(areaBreaks([1234]), [1234]);
  assert.deepEqual(areaBreaks([4, 4, 4, 4]), [4]);
  assert.deepEqual(areaBreaks([250, 250, 250]), [250]);
});

test('boundary shading breaks: quantiles of a typical spread as nice, increasing whole numbers', () => {
  const counts = [3, 8, 12, 17, 23, 31, 38, 46, 57, 64, 88, 120, 143, 190, 260, 410, 0, 0];
  const b = areaBreaks(counts);
  assert.deepEqual(b, [3, 15, 40, 65, 150]);
  assert.equal(b[0], Math.min(...counts.filter((x) => x > 0))); // every area with incidents is in a class
  assert.ok(b.every((x, i) => Number.isInteger(x) && (i === 0 || x > b[i - 1])));
  assert.ok(b.every((x) => x <= 410));
  // Order does not matter; fewer classes when asked; small counts stay whole numbers.
  assert.deepEqual(areaBreaks([...counts].reverse()), b);
  assert.equal(areaBreaks(counts, 3).length, 3);
  assert.deepEqual(areaBreaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), [1, 3, 5, 7, 9]);
  // Two distinct values: two classes, the larger its own.
  assert.deepEqual(areaBreaks([5, 5, 5, 90]), [5, 90]);
  // Strings from tile properties count too.
  assert.deepEqual(areaBreaks(['7', '7']), [7]);
});

test('boundary shading: outlines only by default, a sequential fill by class when shaded, areas with 0 left clear', () => {
  const [fill, line] = styleLayers(L.areas);
  assert.equal(fill.id, 'areas-wards:fill');
  assert.equal(fill.paint['fill-opacity'], 0);
  assert.equal(line.type, 'line');
  assert.deepEqual(areaFillPaint(false, [1, 5]), fill.paint);
  const shaded = styleLayers(L.areas, { shade: true, breaks: [1, 10, 40] })[0].paint;
  assert.equal(shaded['fill-opacity'], 0.7);
  const [kase, test0, step, clear] = shaded['fill-color'];
  assert.equal(kase, 'case');
  assert.deepEqual(test0, ['>', ['to-number', ['get', 'count'], 0], 0]);
  assert.equal(clear, 'rgba(0,0,0,0)');
  const colours = areaShadeColours(3);
  assert.deepEqual(step, ['step', ['to-number', ['get', 'count'], 0], colours[0], 10, colours[1], 40, colours[2]]);
  assert.deepEqual(colours, [L.areas.style.shade[0], L.areas.style.shade[2], L.areas.style.shade[4]]);
  // One class (or none worked out yet): one colour for every area with incidents.
  assert.equal(areaFillPaint(true, [7])['fill-color'][2], areaShadeColours(1)[0]);
  assert.equal(typeof areaFillPaint(true, [])['fill-color'][2], 'string');
  assert.equal(areaShadeColours(5).length, 5);
  assert.deepEqual(areaShadeColours(0), []);
});

test('boundary shading legend: a row per class up to the largest count, and the areas left clear', () => {
  const plain = legendHtml(L.areas, { breaks: [1, 10], shade: false });
  assert.match(plain, /Areas: wards/);
  assert.doesNotMatch(plain, /area-shade-legend/);
  const html = legendHtml(L.areas, { breaks: [1, 10, 40], max: 1234, shade: true });
  assert.match(html, /Areas: wards/);
  const rows = [...html.matchAll(/<li[^>]*>(.*?)<\/li>/g)].map((m) => m[1].replace(/<[^>]+>/g, ''));
  assert.deepEqual(rows.slice(1), ['1 to 9', '10 to 39', '40 to 1,234', 'No incidents (not shaded)']);
  assert.match(areaShadeLegendHtml([7], 7), />7<\/li>/);
  assert.match(areaShadeLegendHtml([5, 6]), /5<\/li>.*6 or more/);
  assert.match(areaShadeLegendHtml(null), /appears when the map has loaded/);
  assert.match(areaShadeLegendHtml([]), /No area/);
});

// ---------------------------------------------------------------- compare mode

const cmpWin = (c) => [windowParam(c.before), windowParam(c.after)];

test('default comparison: the last 3 whole months of data against the 3 months before them, inside the months held', () => {
  // Data to the end of March 2024 (exclusive end 1 April).
  assert.deepEqual(cmpWin(defaultComparison(dataEnd('2024-04-01T00:00:00Z'), day('2018-12-01'))), [
    '2023-10-01..2024-01-01',
    '2024-01-01..2024-04-01',
  ]);
  // Data ending part-way through April: April is not a whole month, so the windows end on 1 April.
  assert.deepEqual(cmpWin(defaultComparison(dataEnd('2024-04-17T09:30:00Z'), day('2023-01-01'))), [
    '2023-10-01..2024-01-01',
    '2024-01-01..2024-04-01',
  ]);
  // A gap (the API's coverage): Oct 2018-Feb 2019 and Jan-Mar 2024 held, so 3 months against the 3 before do not
  // fit; the last month against the month before does.
  const held = heldSpans({ held: [{ from_s: Date.UTC(2018, 9, 1) / 1000, to_s: Date.UTC(2019, 2, 1) / 1000 }, { from_s: Date.UTC(2024, 0, 1) / 1000, to_s: Date.UTC(2024, 3, 1) / 1000 }] });
  const gap = defaultComparison(dataEnd('2024-04-01T00:00:00Z'), day('2018-10-01'), held);
  assert.deepEqual([...cmpWin(gap), gap.preset], ['2024-02-01..2024-03-01', '2024-03-01..2024-04-01', 'lastMonth']);
  // Six months held: the 3 months again; nothing held that fits: the 3 months anyway (the API says what is missing).
  const six = heldSpans({ held: [{ from_s: Date.UTC(2023, 9, 1) / 1000, to_s: Date.UTC(2024, 3, 1) / 1000 }] });
  assert.equal(defaultComparison(dataEnd('2024-04-01T00:00:00Z'), null, six).preset, 'last3m');
  const one = heldSpans({ held: [{ from_s: Date.UTC(2024, 2, 1) / 1000, to_s: Date.UTC(2024, 3, 1) / 1000 }] });
  assert.deepEqual(cmpWin(defaultComparison(dataEnd('2024-04-01T00:00:00Z'), null, one)), ['2023-10-01..2024-01-01', '2024-01-01..2024-04-01']);
  assert.equal(heldSpans(undefined), null);
  // Less than one whole month of data: the windows end at the data's end.
  assert.equal(isoDay(lastWholeMonthEnd(day('2024-03-21'), day('2024-03-05'))), '2024-03-21');
  assert.equal(isoDay(lastWholeMonthEnd(day('2024-03-21'), day('2024-02-05'))), '2024-03-01');
  assert.equal(isoDay(lastWholeMonthEnd(day('2024-03-21'))), '2024-03-01');
});

test('compare presets: last month, previous period, same period last year', () => {
  const end = dataEnd('2024-04-01T00:00:00Z');
  const last = COMPARE_PRESETS.lastMonth.window(end, null);
  assert.deepEqual(cmpWin(last), ['2024-02-01..2024-03-01', '2024-03-01..2024-04-01']);
  const current = { before: { from: day('2020-01-01'), to: day('2020-02-01') }, after: { from: day('2024-01-01'), to: day('2024-04-01') } };
  assert.deepEqual(cmpWin(COMPARE_PRESETS.previous.window(end, null, current)), ['2023-10-01..2024-01-01', '2024-01-01..2024-04-01']);
  assert.deepEqual(cmpWin(COMPARE_PRESETS.lastYear.window(end, null, current)), ['2023-01-01..2023-04-01', '2024-01-01..2024-04-01']);
  // Leap day: the same period last year ends on the last day of February.
  const leap = { after: { from: day('2024-02-01'), to: day('2024-02-29') } };
  assert.equal(windowParam(COMPARE_PRESETS.lastYear.window(end, null, leap).before), '2023-02-01..2023-02-28');
});

test('previous period: whole months stay whole months, other windows keep their length in days', () => {
  assert.equal(windowParam(previousPeriod({ from: day('2024-03-01'), to: day('2024-04-01') })), '2024-02-01..2024-03-01');
  assert.equal(windowParam(previousPeriod({ from: day('2024-01-01'), to: day('2024-04-01') })), '2023-10-01..2024-01-01');
  assert.equal(windowParam(previousPeriod({ from: day('2024-03-04'), to: day('2024-04-01') })), '2024-02-05..2024-03-04');
  assert.equal(wholeMonths(day('2024-01-01'), day('2024-04-01')), 3);
  assert.equal(wholeMonths(day('2024-01-02'), day('2024-04-01')), null);
  assert.equal(windowDays({ from: day('2024-02-01'), to: day('2024-03-01') }), 29);
});

test('window parameters: FROM..TO both ways, TO exclusive, bad ones refused', () => {
  const w = { from: day('2024-01-01'), to: day('2024-04-01') };
  assert.equal(windowParam(w), '2024-01-01..2024-04-01');
  assert.deepEqual(win(parseWindowParam('2024-01-01..2024-04-01')), ['2024-01-01', '2024-04-01']);
  assert.deepEqual(win(parseWindowParam('2024-01..2024-04')), ['2024-01-01', '2024-04-01']);
  assert.equal(parseWindowParam('2024-04..2024-01'), null);
  assert.equal(parseWindowParam('2024-01'), null);
  assert.equal(parseWindowParam(null), null);
  assert.equal(parseWindowParam('x..y'), null);
});

const cmp = { before: { from: day('2024-02-01'), to: day('2024-03-01') }, after: { from: day('2024-03-01'), to: day('2024-04-01') }, target: null };

test('compare queries: both windows, types repeated; the API also gets the weighting, the tiles do not', () => {
  const q = new URLSearchParams(compareApiQuery(cmp, { categories: ['Drugs', 'Robbery'], harm: true }));
  assert.equal(q.get('before'), '2024-02-01..2024-03-01');
  assert.equal(q.get('after'), '2024-03-01..2024-04-01');
  assert.deepEqual(q.getAll('category'), ['Drugs', 'Robbery']);
  assert.equal(q.get('weight'), 'harm');
  assert.equal(q.get('rank_by'), 'harm');
  assert.equal(compareApiQuery(cmp, { categories: null, harm: false }), 'before=2024-02-01..2024-03-01&after=2024-03-01..2024-04-01');
  const t = new URLSearchParams(changeTileQuery(cmp, { categories: ['Drugs'], harm: true }));
  assert.deepEqual([...t.keys()], ['before', 'after', 'category']);
});

const change = (before, after, text) => ({ before, after, absolute: after - before, relative: before ? (after - before) / before : null, text });
const answer = {
  length_ratio: 1,
  total: change(4607, 5033, '+9.2% (+426)'),
  harm: change(373381.2, 389937.4, '+4.4% (+16,556.2)'),
  categories: [{ category: 'Anti-social behaviour', change: change(1012, 1257, '+24.2% (+245)') }, { category: 'Drugs', change: change(69, 69, '0% (0)') }],
  warnings: ['the windows differ in length (29.0 days before, 31.0 after): counts are compared per day'],
  change_map: { cell_m: 800, fdr_q: 0.05, p_threshold: 0.001, cells_with_incidents: 748, cells_fell: 1, cells_rose: 0 },
  areas: null,
};

test('comparison table: totals, harm, one row per type, the change map and the warnings', () => {
  const html = comparisonHtml(answer, cmp);
  assert.match(html, /data-testid="compare-total"[\s\S]*4,607[\s\S]*5,033[\s\S]*\+9\.2% \(\+426\)/);
  assert.match(html, /Harm[\s\S]*373,381[\s\S]*389,937/);
  assert.match(html, /Anti-social behaviour[\s\S]*\+24\.2% \(\+245\)/);
  assert.equal((html.match(/<tr class="cat"/g) || []).length, 2);
  assert.match(html, /the windows differ in length/);
  assert.match(html, /1 Feb 2024 to 29 Feb 2024 \(29 days\)/);
  assert.equal(changeMapText(answer.change_map), 'Of 748 map squares of 800 m with incidents in either window, 1 fell and 0 rose significantly (exact test per square, false discovery rate q = 0.05).');
  assert.match(changeMapText(null), /No change map/);
  assert.match(compareStripHtml(answer, cmp), /4,607[\s\S]*5,033[\s\S]*\+9\.2%/);
  assert.equal(changeDirection(answer.total), 'up');
  assert.equal(changeDirection(change(5, 3, '')), 'down');
  assert.equal(changeDirection(change(3, 3, '')), 'same');
  assert.match(compareParametersHtml(cmp, answer), /before=2024-02-01\.\.2024-03-01, after=2024-03-01\.\.2024-04-01/);
  assert.equal(compareParametersHtml({ before: null, after: null }, null), '');
});

test('page notes: an empty before window, windows outside the data', () => {
  const empty = { ...answer, total: change(0, 14428, 'new (+14,428)') };
  const notes = compareNotes(empty, cmp, { from: day('2024-03-01'), to: day('2024-04-01') });
  assert.match(notes[0], /before window \(1 Feb 2024 to 29 Feb 2024\) has no incidents/);
  assert.match(notes[1], /before window reaches outside the data held/);
  assert.deepEqual(compareNotes(answer, cmp, { from: day('2018-12-01'), to: day('2024-04-01') }), []);
});

const areas = {
  description: 'hotspot h200-1-2', buffer_m: 250,
  target: { before: 1318, after: 1375 }, buffer: { before: 70, after: 79 }, control: { before: 3219, after: 3579 },
  gross_effect: change(1318, 1375, '+4.3% (+57)'),
  net_effect: change(1465.4, 1375, '-6.2% (-90.4)'), net_effect_reason: null,
  wdq: { wdq: -0.012, reading: 'some displacement, less than the benefit', success_measure: -0.02, buffer_displacement_measure: 0.0002 },
  wdd: { total: -294, local: -303, displacement: 9, se: 98, z: -2.99, p: 0.0028, low95: -486.4, high95: -101.6 },
};

test('target table: target, buffer, control; gross and net effect; WDQ with its reading; WDD with z, p and 95% interval', () => {
  const html = targetHtml(areas, { place: 'hotspot 1, On or near Supermarket' });
  assert.match(html, /Target: hotspot 1, On or near Supermarket/);
  assert.match(html, /Buffer \(250 m around it\)[\s\S]*70[\s\S]*79/);
  assert.match(html, /Control[\s\S]*3,219[\s\S]*3,579/);
  assert.match(html, /\+4\.3% \(\+57\)/);
  assert.match(html, /-6\.2% \(-90\.4\)/);
  assert.match(html, /-0\.01: some displacement, less than the benefit/);
  assert.equal(
    wddText(areas.wdd),
    "-294 (local -303, displacement +9); z = -2.99, p = 0.003; 95% interval -486.4 to -101.6: a fall beyond the control area's trend",
  );
  assert.match(wddText({ ...areas.wdd, low95: -10, high95: 12 }), /not distinguishable/);
  assert.match(wddText({ ...areas.wdd, z: null, p: null }), /z and p undefined/);
  assert.match(wddText({ ...areas.wdd, z: -3.77, p: 0.00016 }), /z = -3\.77, p < 0\.001;/);
});

test('target table: undefined effects say why', () => {
  const html = targetHtml({
    ...areas,
    net_effect: null,
    net_effect_reason: 'the control area has no incidents before',
    wdq: { wdq: null, reading: 'undefined: the control area has no incidents in one of the windows' },
  });
  assert.match(html, /undefined: the control area has no incidents before/);
  assert.match(html, /undefined: the control area has no incidents in one of the windows/);
  assert.doesNotMatch(html, /undefined: undefined/);
});

test('change layer: diverging colours by the size of the difference, significant cells outlined', () => {
  const expr = divergingColour(L.change.style, [2, 10, 40]);
  assert.equal(expr[0], 'step');
  assert.deepEqual(expr.filter((x) => typeof x === 'number'), [-40, -10, -2, 2, 10, 40]);
  assert.equal(expr[2], '#2166ac');
  assert.equal(expr[expr.length - 1], '#b2182b');
  const [fill, outline] = styleLayers(L.change, { breaks: [2, 10, 40] });
  assert.equal(fill.type, 'fill');
  assert.equal(outline.type, 'line');
  assert.deepEqual(outline.filter, ['!=', ['to-number', ['get', 'significant'], 0], 0]);
  const legend = legendHtml(L.change, { breaks: [2, 10, 40], fdrQ: 0.05 });
  assert.match(legend, /Rose by 40 or more/);
  assert.match(legend, /Fell by 2 to 10/);
  assert.doesNotMatch(legend, /false discovery rate/);
  assert.match(legendHtml(L.change, { breaks: [2, 10, 40], fdrQ: 0.05, analyst: true }), /false discovery rate correction, Benjamini-Hochberg, q = 0\.05/);
  const pop = popupHtml(L.change, { before: 3, after: 12, difference: 9, p: 0.0004, significant: 1 });
  assert.match(pop, /Rose, more than chance/);
  assert.doesNotMatch(pop, /p-value/);
  assert.match(popupHtml(L.change, { before: 5, after: 4, difference: -1, p: 0.9, significant: 0 }), /<h3>Fell<\/h3>/);
});

// ---------------------------------------------------------------- tasking and the emerging layer

const candidate = (over = {}) => ({
  rank: 1, id: 'h50-1-2', merged: [], centroid_lonlat: [-1.875, 50.721], streets: [{ name: 'On or near Parking Area', count: 250 }, { name: 'On or near Nightclub', count: 153 }, { name: 'High St', count: 9 }],
  area_codes: ['E01015288'], incidents: 1690, harm: 112514.28, previous_incidents: null, previous_harm: null, change: null,
  categories: [{ name: 'Anti-social behaviour', count: 515 }, { name: 'Violence and sexual offences', count: 436 }, { name: 'Vehicle crime', count: 155 }, { name: 'Shoplifting', count: 119 }],
  emerging_class: 'persistent_hot', emerging_name: 'Persistent hot spot', gistar_z: 147.2, pai: 23.81, hit_rate: 0.117, area_share: 0.0049, area_m2: 1457500,
  outline_lonlat: [[[[-1.89, 50.72], [-1.88, 50.72], [-1.88, 50.73], [-1.89, 50.72]]], [[[-1.87, 50.71], [-1.86, 50.71], [-1.86, 50.715], [-1.87, 50.71]]]],
  ...over,
});

test('tasking windows: Nd, Nw, Nm before the tasking date; months are calendar months', () => {
  assert.deepEqual(parseWindowSpec('28d'), { n: 28, unit: 'd' });
  assert.deepEqual(parseWindowSpec('3m'), { n: 3, unit: 'm' });
  for (const bad of ['0d', '28', 'd', '3y', '1000d', '', null]) assert.equal(parseWindowSpec(bad), null, String(bad));
  assert.equal(windowSpecText('28d'), '28 days');
  assert.equal(windowSpecText('1m'), '1 month');
  assert.equal(windowSpecText('4w'), '4 weeks');
  const at = day('2024-04-01');
  assert.deepEqual(win(taskingWindow(at, '28d')), ['2024-03-04', '2024-04-01']);
  assert.deepEqual(win(taskingWindow(at, '4w')), ['2024-03-04', '2024-04-01']);
  assert.deepEqual(win(taskingWindow(at, '3m')), ['2024-01-01', '2024-04-01']);
  assert.deepEqual(win(taskingWindow(day('2024-03-31'), '1m')), ['2024-02-29', '2024-03-31']);
  assert.equal(taskingWindow(null, '28d'), null);
});

test('tasking query: date, window, top, separation, weight always; types repeated, left out for all', () => {
  const t = { at: day('2024-04-01'), window: '3m', top: 10, separation: 400, weight: 'harm' };
  assert.equal(taskingQuery(t, null), 'at=2024-04-01&window=3m&top=10&min_separation_m=400&weight=harm');
  assert.equal(taskingQuery({ ...t, at: null, weight: 'count' }, ['Drugs', 'Public order']),
    'window=3m&top=10&min_separation_m=400&weight=count&category=Drugs&category=Public+order');
});

test('tasking settings in the address: both ways, bad values fall back to the defaults', () => {
  const t = { at: day('2024-03-15'), window: '6w', top: 5, separation: 250, weight: 'count', candidate: 'h50-1-2' };
  const h = taskingToHash(t, new URLSearchParams());
  assert.equal(h.toString(), 'at=2024-03-15&window=6w&top=5&separation=250&rank=count&candidate=h50-1-2');
  const back = taskingFromHash(h);
  assert.equal(isoDay(back.at), '2024-03-15');
  assert.deepEqual({ ...back, at: null }, { ...t, at: null });
  const bad = taskingFromHash(new URLSearchParams('at=2024-13-45&window=3y&top=0&separation=-5&rank=loud'));
  assert.deepEqual(bad, { at: null, window: '28d', top: 10, separation: 400, weight: 'harm', candidate: null });
});

test('candidates: outlines as MultiPolygons with rank and id, bounds, the place in words', () => {
  const fc = candidatesGeoJson({ candidates: [candidate(), candidate({ rank: 2, id: 'x', outline_lonlat: [] })] });
  assert.equal(fc.features.length, 1);
  assert.equal(fc.features[0].geometry.type, 'MultiPolygon');
  assert.deepEqual(fc.features[0].properties, { rank: 1, id: 'h50-1-2', place: 'On or near Parking Area; On or near Nightclub' });
  assert.deepEqual(candidatesGeoJson(null).features, []);
  assert.deepEqual(candidateBounds(candidate()), [[-1.89, 50.71], [-1.86, 50.73]]);
  assert.deepEqual(candidateBounds(candidate({ outline_lonlat: [] }))[0].map((v) => Number(v.toFixed(3))), [-1.877, 50.719]);
  // Public mode: no streets, so the areas; with neither, the rank.
  assert.equal(candidatePlace(candidate({ streets: undefined, area_codes: ['A', 'B', 'C'] })), 'Area A, B and 1 more');
  assert.equal(candidatePlace(candidate({ streets: [], area_codes: [] })), 'Candidate 1');
});

test('a tasking entry: harm first when ranked by harm, PAI, emerging class, top 3 types; change only when given', () => {
  const html = candidateRowHtml(candidate(), { weight: 'harm' });
  assert.match(html, /harm 112,514 · <span data-testid="cand-incidents">1,690<\/span> incidents<span class="analyst-only"> · PAI 23.8/);
  assert.match(html, /Persistent hot spot/);
  assert.match(html, /Anti-social behaviour \(515\) · Violence and sexual offences \(436\) · Vehicle crime \(155\)/);
  assert.doesNotMatch(html, /Shoplifting/);
  assert.doesNotMatch(html, /cand-change|%/); // no change: no fake 0%
  assert.match(candidateRowHtml(candidate(), { weight: 'count' }), /1,690<\/span> incidents · harm 112,514/);
  const ch = { before: 369, after: 386, absolute: 17, relative: 0.046, text: '+4.6% (+17)' };
  assert.deepEqual(changeLine(candidate({ change: ch })), { dir: 'up', text: '386 (was 369 in the previous window): +4.6% (+17)' });
  assert.match(candidateRowHtml(candidate({ change: ch })), /class="change up" data-testid="cand-change">Incidents 386 \(was 369/);
  assert.equal(changeLine(candidate()), null);
  const plain = candidateRowHtml(candidate({ emerging_class: null, emerging_name: null, merged: ['a', 'b'] }));
  assert.match(plain, /No emerging class/);
  assert.match(plain, /takes in 2 nearby/);
  assert.match(candidateRowHtml(candidate({ merged: ['a', 'b'] })), /takes in 2 nearby/);
  assert.match(candidateRowHtml(candidate({ id: '<x>' })), /data-id="&lt;x&gt;"/);
});

test('tasking head: the window, the ranking, the previous-window note once, the warnings', () => {
  const ans = {
    window: { from_s: 1704067200, to_s: 1711929600 }, rank_by: 'harm', min_separation_m: 400, selected_incidents: 14428,
    previous_note: 'the store has no data for the previous window (2023-10-01..2024-01-01), so no change is given',
    emerging_note: 'over 3 month steps', warnings: ['only 3 time steps'], candidates: [candidate(), candidate({ rank: 2 })],
  };
  const t = { at: day('2024-04-01'), window: '3m', top: 10, separation: 400, weight: 'harm' };
  const html = taskingHeadHtml(ans, t);
  assert.match(html, /3 months: 1 Jan 2024 to 31 Mar 2024/);
  assert.match(html, /2 places ranked by harm \(crime harm index\), at least 400 m apart, from 14,428 incidents/);
  assert.equal(html.split('data-testid="previous-note"').length, 2);
  assert.match(html, /No change given:<\/strong> the store has no data/);
  assert.match(html, /only 3 time steps/);
  const withPrev = taskingHeadHtml({ ...ans, previous_note: null, previous_window: { from_s: 1696118400, to_s: 1704067200 } }, t);
  assert.match(withPrev, /compare with the previous window, 1 Oct 2023 to 31 Dec 2023/);
  // The answer for an empty window carries only candidates and warnings: the settings asked for fill in.
  const empty = taskingHeadHtml({ candidates: [], warnings: ['no incidents in the window'] }, { ...t, window: '28d' });
  assert.match(empty, /28 days: 4 Mar 2024 to 31 Mar 2024/);
  assert.match(empty, /0 places/);
  const sentence = 'over 4 months tested (2018-12 to 2024-03), places chosen this way caught 81.1% of the next month\'s incidents';
  const withRecord = taskingHeadHtml({ ...ans, method_choice: { sentence } }, t);
  assert.match(withRecord, /data-testid="tasking-record"><strong>How well this works here:<\/strong> over 4 months tested/);
  assert.doesNotMatch(html, /tasking-record/);
  assert.match(emptyListHtml({ window: '28d' }), /dated to the month only[\s\S]*data-use-window="3m"/);
  assert.doesNotMatch(emptyListHtml({ window: '3m' }), /data-use-window/);
});

test('tasking: the CLI command for the printable brief, and the settings used', () => {
  const t = { at: day('2024-04-01'), window: '3m', top: 5, separation: 400, weight: 'count' };
  assert.equal(briefCommand(t, ['Anti-social behaviour']),
    'hotspots tasking --at 2024-04-01 --window 3m --top 5 --min-separation-m 400 --weight count --category "Anti-social behaviour" --format html --out brief.html');
  const html = taskingParametersHtml({ at: '2024-04-01T00:00:00Z', top: 5, min_separation_m: 400, rank_by: 'count', params: { cell_m: 50, bandwidth_m: 250, categories: [] },
    emerging_period: 'month', emerging_steps: [{}, {}, {}], candidates: [candidate()] }, t);
  assert.match(html, /2024-04-01/);
  assert.match(html, /top 5, centres at least 400 m apart/);
  assert.match(html, /50 m/);
  assert.match(html, /3 months/);
  assert.doesNotMatch(html, /outline_lonlat/); // the raw values leave the candidates out
});

test('emerging layer: warm hot classes (new and intensifying strongest), cool cold ones, a colour for every class', () => {
  const hot = EMERGING_CLASSES.filter((c) => c.code.endsWith('_hot'));
  const cold = EMERGING_CLASSES.filter((c) => c.code.endsWith('_cold'));
  assert.equal(hot.length, 8);
  assert.equal(cold.length, 8);
  assert.deepEqual(hot.slice(0, 2).map((c) => c.code), ['new_hot', 'intensifying_hot']);
  const rgb = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
  for (const c of hot) assert.ok(rgb(c.colour)[0] > rgb(c.colour)[2], `${c.code} is warm`);
  for (const c of cold) assert.ok(rgb(c.colour)[2] > rgb(c.colour)[0], `${c.code} is cool`);
  assert.equal(new Set(EMERGING_CLASSES.map((c) => c.colour)).size, 16);
  assert.equal(emergingColour('nonsense'), '#bdbdbd');
  const expr = emergingColourExpr();
  assert.equal(expr[0], 'match');
  assert.equal(expr.length, 2 + 32 + 1);
});

test('emerging legend: the classes present with their squares, the steps, warnings; or the API\'s refusal', () => {
  const answer = {
    period: 'month', cell_m: 800, band_m: 1200,
    steps: ['2024-01-01T00:00:00Z..2024-02-01T00:00:00Z', '2024-02-01T00:00:00Z..2024-03-01T00:00:00Z', '2024-03-01T00:00:00Z..2024-04-01T00:00:00Z'],
    classes: [{ class: 'persistent_hot', name: 'Persistent hot spot', cells: 153 }, { class: 'new_hot', name: 'New hot spot', cells: 1 }],
    warnings: ['only 3 time steps'],
  };
  assert.equal(stepsText(answer), '3 months: Jan 2024 to Mar 2024');
  const html = emergingLegendHtml({ answer });
  assert.ok(html.indexOf('New hot spot: 1 square') < html.indexOf('Persistent hot spot: 153 squares'), 'strongest first');
  assert.match(html, /squares of 800 m, neighbourhood 1,200 m/);
  assert.match(html, /only 3 time steps/);
  assert.doesNotMatch(html, /Sporadic/);
  const err = 'week steps would be invented; use --period month (the setting "period")';
  assert.match(emergingLegendHtml({ error: err }), /data-testid="emerging-error">week steps would be invented; use --period month \(the setting &quot;period&quot;\)/);
  assert.match(emergingLegendHtml({ answer: { ...answer, classes: [] } }), /No square is a hot or cold spot/);
});

test('emerging popup: class, hot steps of the steps, trend z with its direction, incidents', () => {
  const p = { class: 'intensifying_hot', name: 'Intensifying hot spot', hot_steps: 11, cold_steps: 0, mk_z: 2.345, incidents: 37 };
  assert.deepEqual(emergingPopupRows(p, 12), [['Hot steps', '11 of 12'], ['Trend z (Mann-Kendall)', '2.35 (getting hotter)'], ['Incidents (all steps)', '37']]);
  assert.deepEqual(emergingPopupRows({ ...p, cold_steps: 2, mk_z: -1 }, null)[1], ['Cold steps', '2']);
  const info = { name: 'emerging', title: 'Emerging', style: { kind: 'classes', property: 'class', classes: [{ value: 'intensifying_hot', colour: '#c4161c', label: 'Intensifying hot spot' }],
    popup: [{ field: 'hot_steps', label: 'Hot steps', format: 'of_steps' }, { field: 'mk_z', label: 'Trend z (Mann-Kendall)', format: 'number2', analyst: true }] } };
  const html = popupHtml(info, p, { steps: 12 });
  assert.match(html, /<h3>Intensifying hot spot<\/h3>/);
  assert.match(html, /11 of 12/);
  assert.doesNotMatch(html, /Trend z/);
  assert.equal(periodFromHash(new URLSearchParams('period=week')), 'week');
  assert.equal(periodFromHash(new URLSearchParams('period=fortnight')), 'month');
  assert.equal(periodFromHash(new URLSearchParams('')), 'month');
});

test('when panel: the query per scope, colours, the busiest hour, the table, the sentence, and a note for months', async () => {
  const { whenQuery, cellColour, hourText, busiestHour, blockText, whenHtml } = await import('../../assets/when-panel.js');
  const q = 'from=2024-01-01&to=2024-04-01&category=Burglary';
  assert.equal(whenQuery(q, 'all', { bbox: [1, 2, 3, 4], hotspot: 'h1' }), q);
  assert.equal(whenQuery(q, 'view', { bbox: [-1.234567, 50.1, -1.2, 50.2] }), `${q}&bbox=-1.23457%2C50.10000%2C-1.20000%2C50.20000`);
  assert.equal(whenQuery(q, 'hotspot', { hotspot: 'h1' }), `${q}&hotspot=h1`);
  assert.equal(cellColour(0, 10), '#ffffff');
  assert.equal(cellColour(10, 10), 'rgb(165,15,21)');
  assert.equal(hourText(4, 23), 'Fri 23:00-00:00');
  const cells = Array.from({ length: 7 }, () => Array(24).fill(0));
  cells[4][22] = 5;
  cells[5][1] = 2.5;
  assert.deepEqual(busiestHour(cells), { day: 4, hour: 22, value: 5 });
  assert.equal(busiestHour(Array.from({ length: 7 }, () => Array(24).fill(0))), null);
  const ans = {
    incidents: 7, spread: 1, timezone: 'UTC', days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'], cells,
    sentence: 'most incidents here happen Friday and Saturday 22:00-03:00',
    concentration: { block: { share: 0.8 }, time_share: 10 / 168, p: 0.005, alpha: 0.05, draws: 199 },
  };
  const html = whenHtml(ans);
  assert.equal((html.match(/<td /g) || []).length, 168);
  assert.match(html, /Most incidents here happen Friday and Saturday 22:00-03:00/);
  assert.match(html, /80% of incidents in 6% of the week's hours/);
  assert.ok(html.includes('title="Friday 22:00-23:00: 5"'), 'the cell says its hour and figure');
  assert.ok(html.includes('title="Saturday 01:00-02:00: 2.5"'), 'spread incidents give decimal figures');
  assert.ok(html.includes('Busiest: Friday 22:00-23:00 (5)'));
  assert.match(html, /1 known only to a time range are spread over it/);
  const none = whenHtml({ ...ans, sentence: null, concentration: { ...ans.concentration, p: 0.3, time_share: 0.4 } });
  assert.match(none, /No time of the week stands out beyond chance: half of the incidents need\s+40%/);
  const bunched = whenHtml({ ...ans, sentence: null, concentration: { ...ans.concentration, time_share: 0.4, block: { day: 0, days: 5, hour: 8, hours: 10, share: 0.5 } } });
  assert.match(bunched, /No time stands out enough to single out: half of the incidents fall\s+Monday to Friday 08:00-18:00 \(40% of the week's hours\)/);
  assert.equal(blockText({ day: 4, days: 2, hour: 22, hours: 5 }), 'Friday and Saturday 22:00-03:00');
  assert.equal(blockText({ day: 6, days: 1, hour: 0, hours: 24 }), 'Sunday, all day');
  assert.equal(blockText({ day: 0, days: 7, hour: 0, hours: 24 }), 'at any time');
  const month = whenHtml({ precision: 'month', coarse: 6012, incidents: 6012, cells: null, note: 'known only to the month' });
  assert.match(month, /No times of day in these data/);
  assert.match(month, /6,012 of the\s+incidents are known only to the month/);
  assert.doesNotMatch(month, /<table/);
});
