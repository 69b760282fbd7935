// Numbers and words for people who are not analysts. Pure functions, no DOM (tested by tests/browser/units.test.mjs).

const nf = new Intl.NumberFormat('en-GB');

/** 14428 -> "14,428"; non-numbers -> "n/a". */
export function int(n) {
  return Number.isFinite(Number(n)) ? nf.format(Math.round(Number(n))) : 'n/a';
}

/** A number with at most `digits` decimals, thousands separated. */
export function num(n, digits = 1) {
  const v = Number(n);
  if (!Number.isFinite(v)) return 'n/a';
  return new Intl.NumberFormat('en-GB', { maximumFractionDigits: digits }).format(v);
}

/** Metres in words: 250 -> "250 m", 1948.0 -> "1,948 m", 2500 -> "2.5 km". */
export function metres(m) {
  const v = Number(m);
  if (!Number.isFinite(v)) return 'n/a';
  if (v >= 2000 && v % 100 === 0) return `${num(v / 1000, 1)} km`;
  return `${num(v, v < 10 ? 1 : 0)} m`;
}

function signed(v, text) {
  return v > 0 ? `+${text}` : v < 0 ? `-${text}` : text;
}

/**
 * Change since the earlier window, raw counts first then the change, as the users' reports write it:
 * trend(48, 40) -> "48 (was 40): +20% (+8)". No earlier figure -> "48 (no earlier data)".
 */
export function trend(now, previous) {
  const n = Number(now);
  if (previous === null || previous === undefined || !Number.isFinite(Number(previous))) {
    return `${int(n)} (no earlier data)`;
  }
  const p = Number(previous);
  const diff = n - p;
  const abs = signed(diff, int(Math.abs(diff)));
  let change;
  if (diff === 0) change = 'no change';
  else if (p === 0) change = `new (${abs})`;
  else {
    const pct = (Math.abs(diff) / p) * 100;
    const pctText = pct < 10 && Math.round(pct * 10) / 10 !== Math.round(pct) ? num(pct, 1) : int(pct);
    change = `${signed(diff, `${pctText}%`)} (${abs})`;
  }
  return `${int(n)} (was ${int(p)}): ${change}`;
}

/** Direction of a change, for styling: "up", "down", "same" or "unknown". */
export function trendDirection(now, previous) {
  if (previous === null || previous === undefined || !Number.isFinite(Number(previous))) return 'unknown';
  const d = Number(now) - Number(previous);
  return d > 0 ? 'up' : d < 0 ? 'down' : 'same';
}

/** Round to two significant figures: 1234 -> 1200, 0.0456 -> 0.046. */
export function round2sf(v) {
  if (!Number.isFinite(v) || v === 0) return v;
  const p = Math.pow(10, Math.floor(Math.log10(Math.abs(v))) - 1);
  return Math.round(v / p) * p;
}

/**
 * Class breaks for a colour ramp from a sample of values: `count` rounded quantiles, strictly increasing, all > 0
 * (with `integer`, whole numbers above 1, for counts).
 * Used where the data sets the scale (hexagon counts change with the zoom). Returns [] for no positive values.
 */
export function breaks(values, count = 5, { integer = false } = {}) {
  const v = values.filter((x) => Number.isFinite(x) && x > 0).sort((a, b) => a - b);
  if (v.length === 0) return [];
  const qs = [];
  for (let i = 0; i < count; i++) qs.push(0.35 + (0.64 * i) / Math.max(1, count - 1));
  const out = [];
  for (const q of qs) {
    let x = round2sf(v[Math.min(v.length - 1, Math.floor(q * (v.length - 1)))]);
    if (integer) x = Math.round(x);
    if (x > (integer ? 1 : 0) && (out.length === 0 || x > out[out.length - 1])) out.push(x);
  }
  return out;
}

/** "Anti-social behaviour (515)" lists: [{name,count}] -> "A (3), B (2)". Accepts [name,count] pairs and strings too. */
export function namedList(items, max = 5, sep = ', ') {
  if (!Array.isArray(items)) return '';
  return items
    .slice(0, max)
    .map((it) => {
      if (typeof it === 'string') return it;
      if (Array.isArray(it)) return `${it[0]} (${int(it[1])})`;
      return it && it.name !== undefined ? `${it.name} (${int(it.count)})` : String(it);
    })
    .join(sep);
}

/** Tile properties can carry lists as JSON text; turn them back into values (anything else is returned as is). */
export function maybeJson(v) {
  if (typeof v !== 'string') return v;
  const s = v.trim();
  if (!(s.startsWith('[') || s.startsWith('{'))) return v;
  try {
    return JSON.parse(s);
  } catch {
    return v;
  }
}

/** Text for HTML (element content and attribute values). */
export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
