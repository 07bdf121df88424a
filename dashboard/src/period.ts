/**
 * @module The period picker: a named period → `from`/`to` (whole days of the site's zone) and
 * the chart's interval (hours for two days or less, months for a year, else days).
 */
export const PERIODS = {
  today: 'Today',
  yesterday: 'Yesterday',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  month: 'This month',
  '12mo': 'Last 12 months',
  custom: 'Custom range',
} as const;
export type Period = keyof typeof PERIODS;

export interface DayRange {
  from: string;
  to: string;
  interval: 'hour' | 'day' | 'month';
}

/** Today's date in `zone`, as `YYYY-MM-DD`. */
export function todayIn(zone: string, now: number): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(now));
}

const DAY_MS = 86_400_000;
const toMs = (date: string) => Date.parse(`${date}T00:00:00Z`);
const toDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const addDays = (date: string, days: number) => toDate(toMs(date) + days * DAY_MS);

/** A `YYYY-MM-DD` that is a real date. */
export const isDate = (text: string): boolean =>
  /^\d{4}-\d{2}-\d{2}$/.test(text) && toDate(toMs(text)) === text;

/**
 * The days of `period`, counted back from `today`. A custom range takes `from`/`to` as given
 * (swapped if reversed); without valid dates it is today.
 */
export function rangeOf(
  period: Period,
  today: string,
  custom: { from?: string; to?: string } = {},
): DayRange {
  const days = (from: string, to: string): DayRange => {
    const span = (toMs(to) - toMs(from)) / DAY_MS + 1;
    return { from, to, interval: span <= 2 ? 'hour' : 'day' };
  };
  switch (period) {
    case 'today':
      return days(today, today);
    case 'yesterday':
      return days(addDays(today, -1), addDays(today, -1));
    case '7d':
      return days(addDays(today, -6), today);
    case '30d':
      return days(addDays(today, -29), today);
    case 'month':
      return days(`${today.slice(0, 8)}01`, today);
    case '12mo': {
      const [year, month] = today.split('-').map(Number);
      const first = new Date(Date.UTC(year ?? 1970, (month ?? 1) - 12, 1));
      return { from: toDate(first.getTime()), to: today, interval: 'month' };
    }
    case 'custom': {
      const from = custom.from && isDate(custom.from) ? custom.from : today;
      const to = custom.to && isDate(custom.to) ? custom.to : from;
      return from <= to ? days(from, to) : days(to, from);
    }
  }
}
