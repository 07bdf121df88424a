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
 * Splits whole days [from, to] into month rows and runs of days. A month is read from its
 * month row when the range covers it from its first day through the day it is folded to
 * (`folded`: month → last day folded); the range's other days come from day rows.
 */
export function splitByMonths(
  from: number,
  to: number,
  folded: ReadonlyMap<number, number>,
): { months: number[]; days: [number, number][] } {
  const months: number[] = [];
  const days: [number, number][] = [];
  const addDays = (first: number, last: number) => {
    if (last < first) return;
    const previous = days[days.length - 1];
    if (previous && previous[1] === first - 1) previous[1] = last;
    else days.push([first, last]);
  };
  let day = from;
  while (day <= to) {
    const month = monthOfDay(day);
    const last = Math.min(lastDayOfMonth(month), to);
    const through = folded.get(month);
    if (day === firstDayOfMonth(month) && through !== undefined && through <= last) {
      months.push(month);
      addDays(through + 1, last);
    } else {
      addDays(day, last);
    }
    day = last + 1;
  }
  return { months, days };
}
