import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { parseArgs } from 'node:util'
import { ROOT } from './processes.ts'

/**
 * Reads `node --cpu-prof` profiles and prints where the time went: the functions with the most self time,
 * and the same time summed per package (or per file of this repository).
 *
 *   node --import tsx bench/profile-top.ts .bench/profiles/import-sqlite-*.cpuprofile [--top 30]
 */
interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

function where (url: string): string {
  if (url === '') return '(native)'
  const path = url.replace(/^file:\/\//, '')
  const nm = path.lastIndexOf('/node_modules/')
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/')
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : rest[0] ?? path
  }
  if (path.startsWith('node:')) return path
  return relative(ROOT, path)
}

function addTo (map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us)
}

function printTop (title: string, map: Map<string, number>, total: number, top: number): void {
  console.log(`\n${title}`)
  for (const [key, us] of [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(us / 1000).toFixed(0).padStart(9)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`)
  }
}

/** Time of each function of this repository with everything it called (a recursive call counts once). */
function inclusiveTimes (profile: CpuProfile, byId: Map<number, ProfileNode>): Map<string, number> {
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const out = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame
      if (!frame || !frame.url.includes('/src/') || frame.url.includes('/node_modules/')) continue
      const key = `${frame.functionName || '(anonymous)'}  ${where(frame.url)}`
      if (seen.has(key)) continue
      seen.add(key)
      addTo(out, key, us)
    }
  })
  return out
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } })
const top = Number(values.top)
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const byFunction = new Map<string, number>()
  const byPlace = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0
    const frame = byId.get(id)?.callFrame
    if (!frame) return
    total += us
    const place = where(frame.url)
    addTo(byFunction, `${frame.functionName || '(anonymous)'}  ${place}${frame.url ? `:${frame.lineNumber + 1}` : ''}`, us)
    addTo(byPlace, place, us)
  })
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`)
  printTop('self time by function', byFunction, total, top)
  printTop('self time by package or file', byPlace, total, top)
  printTop('total time (self and callees) of this repository\'s functions', inclusiveTimes(profile, byId), total, top)
}
