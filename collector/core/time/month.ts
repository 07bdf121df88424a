/**
 * @module Months as numbers (year * 12 + month - 1) and the local days they span.
 */

export function monthOfDay(day: number): number {
  const date = new Date(day * 86_400_000);
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

export function firstDayOfMonth(month: number): number {
  return Date.UTC(Math.floor(month / 12), month % 12, 1) / 86_400_000;
}

export function lastDayOfMonth(month: number): number {
  return firstDayOfMonth(month + 1) - 1;
}

/** The first month that lies wholly on or after `day`. */
export function firstWholeMonth(day: number): number {
  const month = monthOfDay(day);
  return firstDayOfMonth(month) === day ? month : month + 1;
}

/**
 * Splits whole days [from, to] into month rows and runs of days, whichever reads fewer rows.
 * A folded month row (`folded`: month → last day folded) holds its month's days up to that
 * day. Every counter adds up over days, visitors too (distinct (day, hash) pairs), so a range
 * that covers part of a folded month reads its month row, plus the days after the folded day,
 * minus (`minus`) the month's days outside the range: the last 12 months ending the day before
 * yesterday read one row per month, not 25 days of rows. Day rows serve the rest.
 */
export function splitByMonths(
  from: number,
  to: number,
  folded: ReadonlyMap<number, number>,
  /** The first day that has rows at all: days before it cost nothing to leave out (a new site's first month). */
  dataFrom = Number.NEGATIVE_INFINITY,
): { months: number[]; days: [number, number][]; minus: [number, number][] } {
  const months: number[] = [];
  const days: [number, number][] = [];
  const minus: [number, number][] = [];
  const addRun = (runs: [number, number][], first: number, last: number) => {
    if (last < first) return;
    const previous = runs[runs.length - 1];
    if (previous && previous[1] === first - 1) previous[1] = last;
    else runs.push([first, last]);
  };
  let day = from;
  while (day <= to) {
    const month = monthOfDay(day);
    const first = firstDayOfMonth(month);
    const last = Math.min(lastDayOfMonth(month), to);
    const through = folded.get(month);
    const direct = last - day + 1;
    // The month's days before the range that hold rows: only those must be taken off again.
    const holding = Math.max(first, dataFrom);
    const viaMonth =
      through === undefined || through < first
        ? Number.POSITIVE_INFINITY
        : 1 + Math.max(0, last - through) + Math.max(0, day - holding) + Math.max(0, through - last);
    if (viaMonth < direct) {
      months.push(month);
      addRun(days, (through as number) + 1, last);
      addRun(minus, holding, day - 1);
      addRun(minus, last + 1, through as number);
    } else {
      addRun(days, day, last);
    }
    day = last + 1;
  }
  return { months, days, minus };
}
