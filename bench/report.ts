// How the benchmark prints its figures: tables aligned in columns, ratios with their intervals and
// a verdict against each target.
import { medianInterval, type Measured } from './measure.js'

export type Interval = { median: number; low: number; high: number }

export const ms = (v: number): string => `${v.toFixed(2)} ms`

export const verdict = (ok: boolean, what = 'target'): string => (ok ? `meets ${what}` : `MISSES ${what}`)

export const intervalText = ({ low, high }: Interval): string => `95 % interval ${low.toFixed(2)}–${high.toFixed(2)}`

/** A ratio that must reach `target`, judged with the run's own precision (its interval). */
export function intervalVerdict(ratio: Interval, target: number, what = 'target'): string {
  if (ratio.low >= target) return `meets ${what}, the whole interval above it`
  if (ratio.high < target) return `MISSES ${what}, the whole interval below it`
  return `${verdict(ratio.median >= target, what)}, though the interval spans the ${what}`
}

/**
 * The median of the per-round ratios a / base with its interval. Each round's ratio compares
 * figures measured seconds apart, so the machine's slower drifts cancel out of it.
 */
export const pairedRatio = (a: Measured, base: Measured): Interval =>
  medianInterval(a.rounds.map((round, i) => round.rps / (base.rounds[i] as Measured['rounds'][number]).rps))

export function table(rows: string[][]): string {
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')).join('\n')
}

/** req/s of every target in every round, one row per target. */
export function perRound(measured: Map<string, Measured>): string[][] {
  const rounds = [...measured.values()][0]?.rounds.length ?? 0
  return [
    ['req/s in each round', ...Array.from({ length: rounds }, (_, i) => String(i + 1))],
    ...[...measured].map(([label, m]) => [label, ...m.rounds.map((f) => f.rps.toFixed(0))])
  ]
}

/** The median round's req/s, p50 and p99 of each target, and its errors over all rounds. */
export function medians(measured: Iterable<[string, Measured]>): string[][] {
  return [
    ['median round', 'req/s', 'p50', 'p99', 'errors'],
    ...[...measured].map(([label, f]) => [label, f.rps.toFixed(0), ms(f.p50), ms(f.p99), String(f.errors)])
  ]
}
