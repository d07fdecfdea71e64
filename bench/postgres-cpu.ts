// CPU time of the local PostgreSQL's processes, read from /proc: what the server spends on what the
// benchmark sends it, measured from outside, whatever the query.
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())

interface PostgresProcess {
  /** utime + stime, in clock ticks. */
  ticks: number
  /** The database a backend serves; undefined for the postmaster and background processes. */
  database: string | undefined
}

/** Every process whose comm is `postgres`, by pid. */
export type PostgresCpuSample = Map<number, PostgresProcess>

export function samplePostgresCpu(): PostgresCpuSample {
  const sample: PostgresCpuSample = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    let cmdline: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
    } catch {
      continue // exited meanwhile
    }
    // comm is in parentheses and may itself hold spaces or parentheses: the fields after it start
    // at the last ')'. utime and stime are fields 14 and 15, the 12th and 13th after comm.
    const close = stat.lastIndexOf(')')
    if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue
    const fields = stat.slice(close + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    // A backend's title: "postgres: <cluster>: <user> <database> <host>(<port>) <activity>".
    const title = cmdline.replace(/\0/g, ' ').match(/^postgres: (?:[^:]+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\])/)
    sample.set(Number(entry), { ticks, database: title?.[1] })
  }
  return sample
}

/**
 * CPU seconds spent between two samples: by every PostgreSQL process (an upper bound for what the
 * benchmark caused: other databases' backends count too), and by the backends of `database` plus
 * the processes serving no database (postmaster, WAL writer, checkpointer, autovacuum), and by those
 * backends alone (the statements themselves; the rest is background work they cause). A process
 * that started meanwhile counts whole; one that exited meanwhile is lost.
 */
export function postgresCpuBetween(
  before: PostgresCpuSample,
  after: PostgresCpuSample,
  database: string
): { all: number; ours: number; backends: number } {
  let all = 0
  let ours = 0
  let backends = 0
  for (const [pid, process] of after) {
    const spent = process.ticks - (before.get(pid)?.ticks ?? 0)
    all += spent
    if (process.database === undefined || process.database === database) ours += spent
    if (process.database === database) backends += spent
  }
  return { all: all / TICKS_PER_SECOND, ours: ours / TICKS_PER_SECOND, backends: backends / TICKS_PER_SECOND }
}
