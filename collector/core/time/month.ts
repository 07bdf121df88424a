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
 * Splits whole days [from, to] into the months it covers entirely and that are folded,
 * and the runs of days left over.
 */
export function splitByMonths(
  from: number,
  to: number,
  folded: ReadonlySet<number>,
): { months: number[]; days: [number, number][] } {
  const months: number[] = [];
  const days: [number, number][] = [];
  let day = from;
  while (day <= to) {
    const month = monthOfDay(day);
    const last = Math.min(lastDayOfMonth(month), to);
    if (day === firstDayOfMonth(month) && last === lastDayOfMonth(month) && folded.has(month)) {
      months.push(month);
    } else {
      const previous = days[days.length - 1];
      if (previous && previous[1] === day - 1) previous[1] = last;
      else days.push([day, last]);
    }
    day = last + 1;
  }
  return { months, days };
}
