export interface Loop {
  wake(): void
  stop(): Promise<void>
}

export interface LoopLogger { error(obj: unknown, msg: string): void }

/**
 * Runs `tick` again and again: immediately while it reports more work, otherwise after `intervalMs` or
 * when woken. Errors are logged and retried at the next interval; `stop` waits for the running tick.
 */
export function startLoop (name: string, intervalMs: number, tick: () => Promise<boolean>, log: LoopLogger): Loop {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let wakeRequested = false

  const schedule = (delay: number) => {
    if (stopped) return
    clearTimeout(timer)
    timer = setTimeout(run, delay)
    timer.unref?.()
  }
  function run (): void {
    if (running || stopped) { wakeRequested = true; return }
    wakeRequested = false
    running = (async () => {
      let more = false
      try {
        more = await tick()
      } catch (err) {
        log.error({ err, loop: name }, 'background job failed')
      } finally {
        running = undefined
      }
      schedule(more || wakeRequested ? 0 : intervalMs)
    })()
  }
  schedule(0)
  return {
    wake: () => { if (running) wakeRequested = true; else schedule(0) },
    stop: async () => {
      stopped = true
      clearTimeout(timer)
      await running
    }
  }
}
