/**
 * Bill cycles, all in UTC. A cycle on day N runs from day N of one month (00:00) to day N of the next.
 * NOTE: periods are [start, end) so a run on the 1st never double-counts the 31st; N is limited to 1–28 so
 * every month has the day.
 */
export interface Period { start: Date; end: Date }

function cycleDate (year: number, month: number, day: number): Date {
  return new Date(Date.UTC(year, month, day))
}

/** The last cycle period that has closed at `asOf`. */
export function lastClosedPeriod (asOf: Date, cycleDay: number): Period {
  const y = asOf.getUTCFullYear()
  const m = asOf.getUTCMonth()
  let end = cycleDate(y, m, cycleDay)
  if (end.getTime() > asOf.getTime()) end = cycleDate(y, m - 1, cycleDay)
  const start = cycleDate(end.getUTCFullYear(), end.getUTCMonth() - 1, cycleDay)
  return { start, end }
}

/** The cycle date after the period that closed last: when the next on-cycle bill is due. */
export function nextCycleDate (asOf: Date, cycleDay: number): Date {
  const { end } = lastClosedPeriod(asOf, cycleDay)
  return cycleDate(end.getUTCFullYear(), end.getUTCMonth() + 1, cycleDay)
}

export function addDays (d: Date, days: number): Date {
  return new Date(d.getTime() + days * 86_400_000)
}
