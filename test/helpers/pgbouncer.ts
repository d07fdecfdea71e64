/**
 * Debian's PgBouncer as a child process on 127.0.0.1, in transaction pooling, in front of one test
 * database: what a replica meets behind a CloudNativePG Pooler. `auth_type = any` is trust for
 * loopback only; config and socket stay in a temp dir of its own. Stopped in the test's teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { Test } from 'tap'
import { freePort } from './registry/free-port.js'

export const PGBOUNCER_BINARY = '/usr/sbin/pgbouncer'

export interface PgBouncer {
  /** The database URL through PgBouncer (same database name and user as the direct one). */
  url: string
  port: number
  /** The last lines PgBouncer logged, for failure messages. */
  output(): string
  stop(): Promise<void>
}

export interface PgBouncerOptions {
  /** Server connections per database and user; replicas share them. */
  poolSize?: number
}

function configIni(direct: URL, port: number, dir: string, options: PgBouncerOptions): string {
  const database = direct.pathname.replace(/^\//, '')
  const user = decodeURIComponent(direct.username) || 'postgres'
  return [
    '[databases]',
    `${database} = host=${direct.hostname} port=${direct.port || '5432'} dbname=${database} user=${user}`,
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    `unix_socket_dir = ${dir}`,
    'auth_type = any',
    'pool_mode = transaction',
    'max_client_conn = 500',
    `default_pool_size = ${options.poolSize ?? 20}`,
    // node-pg and psql may send these; PgBouncer cannot keep per-session settings in transaction mode.
    'ignore_startup_parameters = extra_float_digits,options',
    // Hundreds of short connections per test; what is left in output() should be the errors.
    'log_connections = 0',
    'log_disconnections = 0',
    ''
  ].join('\n')
}

async function waitForPgBouncer(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000
  let last: unknown
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}: ${output()}`)
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.query('select 1')
      return
    } catch (error) {
      last = error
      await new Promise((resolve) => setTimeout(resolve, 50))
    } finally {
      await client.end().catch(() => {})
    }
  }
  throw new Error(`pgbouncer did not serve ${url} within 10 s (${String(last)}): ${output()}`)
}

const running = new Set<ChildProcess>()
let exitHookInstalled = false
function track(child: ChildProcess): void {
  running.add(child)
  child.once('exit', () => running.delete(child))
  if (exitHookInstalled) return
  exitHookInstalled = true
  // A crashed test must not leave poolers behind.
  const killAll = () => {
    for (const c of running) c.kill('SIGKILL')
  }
  process.once('exit', killAll)
  // tap's timeout: SIGALRM, then SIGKILL, which runs no 'exit' listener.
  process.once('SIGALRM', killAll)
}

/** Starts PgBouncer in front of `directUrl`'s database; stopped in `t`'s teardown. */
export async function startPgBouncer(t: Test, directUrl: string, options: PgBouncerOptions = {}): Promise<PgBouncer> {
  const direct = new URL(directUrl)
  const dir = await mkdtemp(join(tmpdir(), 'pgbouncer-rig-'))
  // PgBouncer refuses to run as root; as `-u postgres` it must still read its config and own its socket dir.
  await chmod(dir, 0o777)
  const removeDir = () => rm(dir, { recursive: true, force: true })

  for (let attempt = 1; ; attempt++) {
    // The free port can be taken between probing and binding; try again on another one.
    const port = await freePort()
    const configPath = join(dir, 'pgbouncer.ini')
    await writeFile(configPath, configIni(direct, port, dir, options), { mode: 0o644 })
    const asRoot = process.getuid?.() === 0
    const child = spawn(PGBOUNCER_BINARY, [...(asRoot ? ['-u', 'postgres'] : []), configPath], { stdio: ['ignore', 'pipe', 'pipe'] })
    track(child)
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    let log = ''
    const collect = (chunk: Buffer): void => {
      log = (log + chunk.toString()).slice(-4000)
    }
    child.stdout?.on('data', collect)
    child.stderr?.on('data', collect)

    const pooled = new URL(directUrl)
    pooled.hostname = '127.0.0.1'
    pooled.port = String(port)
    const url = pooled.toString()
    try {
      await waitForPgBouncer(url, child, () => log)
    } catch (error) {
      child.kill('SIGKILL')
      await exited
      if (attempt >= 3) {
        await removeDir()
        throw error
      }
      continue
    }

    let stopping: Promise<void> | undefined
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          // SIGTERM is PgBouncer's immediate shutdown: clients still connected are cut, as in teardown they should be.
          child.kill('SIGTERM')
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
          await exited
          clearTimeout(timer)
        }
        await removeDir()
      })()
      return stopping
    }
    t.teardown(stop)
    return { url, port, output: () => log, stop }
  }
}
