/**
 * The resolution log and the pull-secret grants are range-partitioned by time, one partition per UTC
 * day named <table>_pYYYYMMDD (see the migration 20261206100000_partitioned_log). Which days should
 * exist and which may go. Pure: the repository does the I/O.
 */

export type LogTable = 'resolutions' | 'pull_secret_grants' | 'resolution_usage_days'
/** The log, the grants, and the log's daily usage summary (usage-rollup.ts): each kept for the same retention. */
export const LOG_TABLES: readonly LogTable[] = ['resolutions', 'pull_secret_grants', 'resolution_usage_days']

export const DAY_MS = 86_400_000
/**
 * Days created ahead of today: a week of failed maintenance (database away, every replica down)
 * before a write finds no partition, and a writer that does creates the one it needs (see
 * ensurePartitionsFor).
 */
export const PARTITIONS_AHEAD_DAYS = 7
/**
 * A day counts as closed an hour after it ends: a batch of its rows written late (a replica that
 * kept it through a short database outage) is in by then. Closed days get their remaining indexes
 * and are summed for usage.
 */
export const CLOSED_AFTER_MS = 3_600_000

/** An index that each closed day of the resolution log gets (see CLOSED_DAY_INDEXES). */
export interface DayIndex {
  /** The index is named <partition>_<suffix>. */
  suffix: string
  columns: string
}

/**
 * The indexes a day of the resolution log gets once it has closed, each serving one read: by
 * project, by version (usage, impact of a released version: index only) and by spec (impact of a
 * release). The day being written keeps only the whole table's index on (image_id, resolved_at
 * desc, id desc), which serves every read of an image (filtered, on one day's rows): most of
 * PostgreSQL's CPU per logged row went to keeping the others up row by row, and building them once
 * over the closed day, in one sorted pass, costs a fraction of that (docs/benchmarks.md).
 */
export const CLOSED_DAY_INDEXES: readonly DayIndex[] = [
  { suffix: 'image_project_time_idx', columns: '(image_id, project, resolved_at desc, id desc)' },
  { suffix: 'image_version_time_idx', columns: '(image_id, version, resolved_at desc, id desc) include (project, count)' },
  { suffix: 'image_spec_time_idx', columns: '(image_id, spec, resolved_at desc) include (project, pipeline, count)' }
]

export const dayIndexName = (partition: string, index: DayIndex): string => `${partition}_${index.suffix}`

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

/** The indexes a day of the log still lacks: none until it has closed, then CLOSED_DAY_INDEXES. */
export function indexesToBuild(partition: DayPartition, existing: ReadonlySet<string>, now: Date): DayIndex[] {
  if (partition.table !== 'resolutions' || partition.to.getTime() + CLOSED_AFTER_MS > now.getTime()) return []
  return CLOSED_DAY_INDEXES.filter((index) => !existing.has(dayIndexName(partition.name, index)))
}
