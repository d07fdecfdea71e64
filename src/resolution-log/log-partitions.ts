/**
 * The resolution log and the pull-secret grants are range-partitioned by time, one partition per UTC
 * day named <table>_pYYYYMMDD (see the migration 20261206100000_partitioned_log). Which days should
 * exist and which may go. Pure: the repository does the I/O.
 */

export type LogTable = 'resolutions' | 'pull_secret_grants'
export const LOG_TABLES: readonly LogTable[] = ['resolutions', 'pull_secret_grants']

export const DAY_MS = 86_400_000
/**
 * Days created ahead of today: a week of failed maintenance (database away, every replica down)
 * before a write finds no partition, and a writer that does creates the one it needs (see
 * ensurePartitionsFor).
 */
export const PARTITIONS_AHEAD_DAYS = 7

export interface DayPartition {
  table: LogTable
  name: string
  /** Inclusive, a UTC midnight. */
  from: Date
  /** Exclusive, the next UTC midnight. */
  to: Date
}

const startOfDay = (time: Date): number => Math.floor(time.getTime() / DAY_MS) * DAY_MS

/** The partition that holds rows of this time. */
export function dayPartition(table: LogTable, time: Date): DayPartition {
  const from = startOfDay(time)
  const day = new Date(from).toISOString().slice(0, 10).replaceAll('-', '')
  return { table, name: `${table}_p${day}`, from: new Date(from), to: new Date(from + DAY_MS) }
}

/** The day a partition's name stands for, or undefined for a name that is not one of ours. */
export function partitionDay(table: LogTable, name: string): DayPartition | undefined {
  const match = new RegExp(`^${table}_p(\\d{4})(\\d{2})(\\d{2})$`).exec(name)
  if (!match) return undefined
  const time = new Date(`${match[1]}-${match[2]}-${match[3]}T00:00:00.000Z`)
  if (Number.isNaN(time.getTime())) return undefined
  // A day past the month's end (20260230) parses as a later day: not a name we made.
  const partition = dayPartition(table, time)
  return partition.name === name ? partition : undefined
}

/** Today's partition and the next PARTITIONS_AHEAD_DAYS that do not exist yet. */
export function partitionsToCreate(table: LogTable, existing: ReadonlySet<string>, now: Date): DayPartition[] {
  const wanted: DayPartition[] = []
  for (let day = 0; day <= PARTITIONS_AHEAD_DAYS; day++) {
    const partition = dayPartition(table, new Date(startOfDay(now) + day * DAY_MS))
    if (!existing.has(partition.name)) wanted.push(partition)
  }
  return wanted
}

/**
 * The partitions whose every row is older than the retention: a day goes once its end is
 * `retentionDays` behind now, so at least `retentionDays` of log are always kept. Oldest first.
 */
export function partitionsToDrop(table: LogTable, existing: Iterable<string>, now: Date, retentionDays: number): DayPartition[] {
  const cutoff = now.getTime() - retentionDays * DAY_MS
  return [...existing]
    .map((name) => partitionDay(table, name))
    .filter((p): p is DayPartition => p !== undefined && p.to.getTime() <= cutoff)
    .sort((a, b) => a.from.getTime() - b.from.getTime())
}

/** The distinct day partitions that rows of these times need. */
export function partitionsFor(table: LogTable, times: Iterable<Date>): DayPartition[] {
  const byName = new Map<string, DayPartition>()
  for (const time of times) {
    const partition = dayPartition(table, time)
    byName.set(partition.name, partition)
  }
  return [...byName.values()]
}
