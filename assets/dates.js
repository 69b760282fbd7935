// Dates for the time window. Pure functions, no DOM, so node can test them (tests/browser/units.test.mjs).
//
// Every window is [from, to): `to` is exclusive, as the API expects. All arithmetic is in UTC days, because the
// data's months and days are UTC (the server reports meta.time.from/to as UTC instants). Presets count back from
// the data's END (meta.time.to), never from today: a map of last year's data should not go blank next year.

const DAY_MS = 86400000;

/** Parse `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or an ISO 8601 date-time into a Date (UTC); null if it is not one. */
export function parseDate(text) {
  if (text == null) return null;
  const s = String(text).trim();
  let m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(s);
  if (m) {
    const d = new Date(Date.UTC(Number(m[1]), m[2] ? Number(m[2]) - 1 : 0, m[3] ? Number(m[3]) : 1));
    return Number.isNaN(d.getTime()) ? null : d;
  }
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** `YYYY-MM-DD` of a Date, in UTC. */
export function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

/** Midnight UTC at or before `d`. */
export function floorDay(d) {
  return new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
}

/** Midnight UTC at or after `d`. */
export function ceilDay(d) {
  return new Date(Math.ceil(d.getTime() / DAY_MS) * DAY_MS);
}

export function addDays(d, n) {
  return new Date(d.getTime() + n * DAY_MS);
}

/** Add calendar months in UTC; a day past the end of the target month becomes its last day (31 Mar - 1 month = 29 Feb). */
export function addMonths(d, n) {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + n;
  const target = new Date(Date.UTC(y, m, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return new Date(target.getTime() + (d.getTime() % DAY_MS + DAY_MS) % DAY_MS);
}

/** The data's end as the midnight after its last instant (meta.time.to is exclusive; a mid-day end rounds up). */
export function dataEnd(metaTo) {
  const d = parseDate(metaTo);
  return d ? ceilDay(d) : null;
}

/** The UK financial year (1 April to 31 March) containing the day before `end`: returns its 1 April. */
export function financialYearStart(end) {
  const last = addDays(end, -1);
  const y = last.getUTCMonth() >= 3 ? last.getUTCFullYear() : last.getUTCFullYear() - 1;
  return new Date(Date.UTC(y, 3, 1));
}

/** The preset windows. `end` is the data's exclusive end; `current` the window on screen (for "same period last year"). */
export const PRESETS = {
  last28: {
    label: 'Last 28 days of data',
    window: (end) => ({ from: addDays(end, -28), to: end }),
  },
  last3m: {
    label: 'Last 3 months',
    window: (end) => ({ from: addMonths(end, -3), to: end }),
  },
  fytd: {
    label: 'Financial year to date',
    window: (end) => ({ from: financialYearStart(end), to: end }),
  },
  lastYear: {
    label: 'Same period last year',
    window: (end, current) => ({ from: addMonths(current.from, -12), to: addMonths(current.to, -12) }),
  },
};

/** The date inputs show the LAST day included; the API wants the exclusive end. */
export function toInputValue(exclusiveTo) {
  return isoDay(addDays(exclusiveTo, -1));
}

export function fromInputValue(lastDayIncluded) {
  const d = parseDate(lastDayIncluded);
  return d ? addDays(d, 1) : null;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "1 Jan 2024" (UTC). */
export function longDay(d) {
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** A window in words: "1 Jan 2024 to 31 Mar 2024" (the last day included). */
export function windowText(from, to) {
  return `${longDay(from)} to ${longDay(addDays(to, -1))}`;
}

/** A series period label ("2024-01" or "2024-01-08" or an instant) in short words: "Jan 2024" / "8 Jan 2024". */
export function periodLabel(period, interval) {
  const d = parseDate(period);
  if (!d) return String(period);
  return interval === 'month' ? `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}` : `w/c ${longDay(d)}`;
}

// ---------------------------------------------------------------- compare mode: two windows, before and after

/** The first of the month (UTC) at or before `d`. */
export function monthStart(d) {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
}

function isMonthStart(d) {
  return d.getTime() === monthStart(d).getTime();
}

/** Whole calendar months from `a` to `b` when both are firsts of the month; otherwise null. */
export function wholeMonths(a, b) {
  if (!isMonthStart(a) || !isMonthStart(b)) return null;
  return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth();
}

/**
 * The end of the last whole month of data: the first of the month at or before the data's (exclusive) end, unless
 * that would leave the data with no whole month at all (then the end itself).
 */
export function lastWholeMonthEnd(end, start = null) {
  const m = monthStart(end);
  return start && m <= start ? end : m;
}

/** The window of the same length just before `w` (whole months stay whole months: Jan-Mar before Apr-Jun). */
export function previousPeriod(w) {
  const months = wholeMonths(w.from, w.to);
  if (months && months > 0) return { from: addMonths(w.from, -months), to: w.from };
  return { from: new Date(w.from.getTime() - (w.to.getTime() - w.from.getTime())), to: w.from };
}

/**
 * Compare presets: each gives `{before, after}` from the data's exclusive `end`, its `start` (or null) and the
 * comparison on screen (`current`, for those that keep the after window). Counted back from the data, not today.
 */
export const COMPARE_PRESETS = {
  last3m: {
    label: 'Last 3 months vs the 3 before',
    window: (end, start) => {
      const to = lastWholeMonthEnd(end, start);
      const after = { from: addMonths(to, -3), to };
      return { before: previousPeriod(after), after };
    },
  },
  lastMonth: {
    label: 'Last month vs the month before',
    window: (end, start) => {
      const to = lastWholeMonthEnd(end, start);
      const after = { from: addMonths(to, -1), to };
      return { before: previousPeriod(after), after };
    },
  },
  previous: {
    label: 'After vs the period just before it',
    window: (end, start, current) => ({ before: previousPeriod(current.after), after: current.after }),
  },
  lastYear: {
    label: 'After vs the same period last year',
    window: (end, start, current) => ({
      before: { from: addMonths(current.after.from, -12), to: addMonths(current.after.to, -12) },
      after: current.after,
    }),
  },
};

/**
 * The comparison the page opens with: the last 3 whole months of data against the 3 months before them, or, when the
 * store does not hold both (`held`: the spans `/api/meta`'s `coverage.held` lists, as `{from, to}` dates; a gap
 * between years of monthly data), the last month against the month before if the store holds those. Otherwise the
 * 3 months anyway, and the API says what is missing. Returns `{before, after, preset}`.
 */
export function defaultComparison(end, start = null, held = null) {
  const inside = (w) => !held || held.some((h) => h.from <= w.before.from && w.after.to <= h.to);
  for (const preset of ['last3m', 'lastMonth']) {
    const w = COMPARE_PRESETS[preset].window(end, start);
    if (inside(w)) return { ...w, preset };
  }
  return { ...COMPARE_PRESETS.last3m.window(end, start), preset: 'last3m' };
}

/** `/api/meta`'s `coverage.held` (spans in seconds) as `{from, to}` dates; null when the API gives none. */
export function heldSpans(coverage) {
  const held = coverage?.held;
  if (!Array.isArray(held)) return null;
  return held
    .filter((h) => Number.isFinite(h?.from_s) && Number.isFinite(h?.to_s))
    .map((h) => ({ from: new Date(h.from_s * 1000), to: new Date(h.to_s * 1000) }));
}

/** A window as the API's `before=`/`after=` value: `2024-01-01..2024-04-01` (the end exclusive). */
export function windowParam(w) {
  return `${isoDay(w.from)}..${isoDay(w.to)}`;
}

/** Parse `FROM..TO` (dates or months, TO exclusive) into a window; null unless FROM < TO. */
export function parseWindowParam(text) {
  if (typeof text !== 'string') return null;
  const parts = text.split('..');
  if (parts.length !== 2) return null;
  const from = parseDate(parts[0]);
  const to = parseDate(parts[1]);
  return from && to && from < to ? { from, to } : null;
}

/** Days in a window (for "31 days" labels). */
export function windowDays(w) {
  return Math.round((w.to.getTime() - w.from.getTime()) / DAY_MS);
}
