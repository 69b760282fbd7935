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
