import cliProgress from 'cli-progress'

export interface Progress<P extends object> {
  update(value: number, payload: P): void
  setTotal(total: number): void
  stop(): void
}

/**
 * Progress on stderr, so stdout keeps only the summary a script may parse. On a terminal it is a live bar;
 * otherwise (CI logs, a pipe) one plain line every few seconds, which a log keeps readable.
 */
export function startProgress<P extends object> (options: {
  format: string
  total: number
  initial: P
  describe: (value: number, total: number, payload: P) => string
  intervalMs?: number
}): Progress<P> {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar({ format: options.format, stream: process.stderr }, cliProgress.Presets.shades_classic)
    bar.start(options.total, 0, options.initial)
    return {
      update: (value, payload) => bar.update(value, payload),
      setTotal: (total) => bar.setTotal(total),
      stop: () => bar.stop()
    }
  }
  let total = options.total
  let last = Date.now()
  const every = options.intervalMs ?? 5000
  return {
    update: (value, payload) => {
      if (Date.now() - last < every) return
      last = Date.now()
      process.stderr.write(`${options.describe(value, total, payload)}\n`)
    },
    setTotal: (t) => { total = t },
    stop: () => {}
  }
}

/** Items per second, rounded, with thousands separators: '12,345'. */
export function formatRate (count: number, ms: number): string {
  return ms > 0 ? Math.round(count / (ms / 1000)).toLocaleString('en-US') : '∞'
}
