/** The p-th percentile (nearest rank) of the values; NaN for none. */
export function percentile (values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN
}

/** A growable list of latencies (ms) that does not allocate one object per sample. */
export class Samples {
  private data = new Float64Array(1 << 16)
  length = 0

  push (value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2)
      bigger.set(this.data)
      this.data = bigger
    }
    this.data[this.length++] = value
  }

  values (): Float64Array {
    return this.data.subarray(0, this.length)
  }
}
