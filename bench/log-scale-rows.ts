// Synthetic resolution-log rows for the log-scale benchmark, as COPY text, generated in time order
// a day at a time so nothing holds more than one chunk in memory. Deterministic (a seeded generator
// per day), so two runs load the same log and a day can be generated on any connection.
import { DAY_MS } from '../src/resolution-log/log-partitions.js'

export const LOG_COLUMNS =
  'id, image_id, spec, version, status, digest, project, pipeline, build, token_id, count, first_resolved_at, resolved_at'

export interface LogShape {
  rows: number
  /** Image ids by popularity: the first is the hot one. */
  imageIds: readonly string[]
  projects: number
  /** Inclusive, a UTC midnight. */
  from: number
  /** Exclusive. */
  to: number
  tokenId: string
  /** Versions 1.0.0 … 1.(versions-1).0; `1.latest` moves to the next one every span / versions. */
  versions: number
}

/** The rows of one UTC day: ids [firstRow, endRow) of the whole load, in time order. */
export interface DaySlice {
  day: number
  firstRow: number
  endRow: number
}

/** Rows spread evenly over [from, to): the slice of each UTC day. */
export function daySlices(shape: LogShape): DaySlice[] {
  const slices: DaySlice[] = []
  const step = (shape.to - shape.from) / shape.rows
  for (let day = shape.from; day < shape.to; day += DAY_MS) {
    const firstRow = Math.ceil((day - shape.from) / step)
    const endRow = Math.min(shape.rows, Math.ceil((day + DAY_MS - shape.from) / step))
    if (endRow > firstRow) slices.push({ day, firstRow, endRow })
  }
  return slices
}

// mulberry32: small, fast, and good enough for a benchmark's shape.
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A Zipf(s = 1) sampler over ranks 0 … n-1: rank k is drawn in proportion to 1 / (k + 1). */
export function zipf(n: number): (u: number) => number {
  const cdf = new Float64Array(n)
  let sum = 0
  for (let k = 0; k < n; k++) cdf[k] = sum += 1 / (k + 1)
  for (let k = 0; k < n; k++) cdf[k] = (cdf[k] as number) / sum
  return (u) => {
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((cdf[mid] as number) < u) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

export const projectName = (rank: number): string => `proj-${rank}`
export const versionName = (minor: number): string => `1.${minor}.0`
export const versionDigest = (minor: number): string => `sha256:${String(minor).repeat(64)}`

/** How many rows of the hot image each version got, filled in while generating. */
export type VersionCounts = number[]

const ROWS_PER_CHUNK = 2000
// Room for a row with the longest names this shape makes (about 260 bytes).
const MAX_ROW_BYTES = 512

/**
 * ISO text of times that mostly share their minute with the previous one: toISOString per row was
 * most of the generator's time.
 */
const SECONDS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'))
const MILLIS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'))

function isoTimes(): (ms: number) => string {
  let minute = -1
  let prefix = ''
  return (ms) => {
    const m = Math.floor(ms / 60_000)
    if (m !== minute) {
      minute = m
      prefix = new Date(m * 60_000).toISOString().slice(0, 17)
    }
    const msOfMinute = ms - m * 60_000
    return `${prefix}${SECONDS[Math.floor(msOfMinute / 1000)]}.${MILLIS[msOfMinute % 1000]}Z`
  }
}

/**
 * One day's rows as COPY text chunks. Each row: an image (Zipf over images), a project (Zipf over
 * projects, the same ranks busy on every image), one of the project's pipelines (a few, skewed), a
 * build shared by a few jobs, a spec (60 % `1.latest`, 25 % `1.M.latest`, 15 % exact) and the
 * version it gave then, a count (mostly 1), and times in order.
 */
export function* dayRows(shape: LogShape, slice: DaySlice, hotVersions: VersionCounts): Generator<Buffer> {
  const rand = random(slice.day / DAY_MS)
  const pickImage = zipf(shape.imageIds.length)
  const pickProject = zipf(shape.projects)
  const step = (shape.to - shape.from) / shape.rows
  const versionSpan = (shape.to - shape.from) / shape.versions
  const iso = isoTimes()
  // Names built once: per row they cost as much as the rest of the row.
  const projects = Array.from({ length: shape.projects }, (_, p) => projectName(p))
  const pipelines = projects.map((p) => Array.from({ length: 8 }, (_, k) => `${p}-pl-${k}`))
  const versions = Array.from({ length: shape.versions }, (_, m) => `${versionName(m)}\treleased\t${versionDigest(m)}`)
  // Rows are written into a buffer as they are made: appending them to one string left ropes that
  // cost more garbage collection than the rows themselves.
  let chunk = Buffer.allocUnsafe(ROWS_PER_CHUNK * MAX_ROW_BYTES)
  let used = 0
  const lastOfDay = Math.min(slice.day + DAY_MS, shape.to) - 1
  for (let row = slice.firstRow; row < slice.endRow; row++) {
    // Each row is copied into its day's partition: the last one may not spill into the next day.
    const at = Math.min(lastOfDay, Math.floor(shape.from + (row + rand()) * step))
    const image = pickImage(rand())
    const project = pickProject(rand())
    const pipelineRoll = rand()
    const pipeline = pipelineRoll < 0.05 ? '\\N' : pipelines[project]?.[Math.floor(pipelineRoll * pipelineRoll * 8)]
    const current = Math.min(shape.versions - 1, Math.floor((at - shape.from) / versionSpan))
    const specRoll = rand()
    // Pinned specs lag behind: a minor at or below the current one, the current one most often.
    const pinned = Math.max(0, current - Math.floor(rand() * rand() * (current + 1)))
    const [spec, minor] =
      specRoll < 0.6 ? ['1.latest', current] : specRoll < 0.85 ? [`1.${pinned}.latest`, pinned] : [versionName(pinned), pinned]
    const countRoll = rand()
    const count = countRoll < 0.9 ? 1 : countRoll < 0.98 ? 2 + Math.floor(rand() * 2) : 4 + Math.floor(rand() * 7)
    const first = count > 1 ? at - Math.floor(rand() * 1000) : at
    const atText = iso(at)
    if (image === 0) hotVersions[minor] = (hotVersions[minor] ?? 0) + 1
    used += chunk.write(
      `${row + 1}\t${shape.imageIds[image]}\t${spec}\t${versions[minor]}\t${projects[project]}\t${pipeline}\tb-${row >> 2}\t${shape.tokenId}\t${count}\t${first === at ? atText : iso(first)}\t${atText}\n`,
      used,
      'latin1'
    )
    if ((row - slice.firstRow) % ROWS_PER_CHUNK === ROWS_PER_CHUNK - 1) {
      yield chunk.subarray(0, used)
      chunk = Buffer.allocUnsafe(ROWS_PER_CHUNK * MAX_ROW_BYTES)
      used = 0
    }
  }
  if (used > 0) yield chunk.subarray(0, used)
}
