/**
 * One replica of the service as a child process (`node server.js`, src/server.ts compiled), as a
 * Deployment runs it: started, sent SIGTERM or SIGKILL, started again on the same port. Every
 * process still running when the test ends is killed in its teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { request } from 'undici'
import { compiledEntry } from '../helpers/compiled-entry.js'
import { freePort } from '../helpers/registry/free-port.js'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SERVER = await compiledEntry('src/server.ts')
const START_LIMIT_MS = 90_000
const EXIT_LIMIT_MS = 30_000

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  /** From the signal to the exit. */
  ms: number
}

export interface Replica {
  name: string
  url: string
  /** The running process's pid (check_jobs.locked_by holds hostname:pid:…). */
  pid: number | undefined
  running: boolean
  /** Starts the process and waits until /readyz answers 200; returns the milliseconds that took. */
  start(): Promise<number>
  /** SIGTERM, then waits for the exit. */
  terminate(): Promise<Exit>
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<Exit>
  /** What the process wrote on stdout and stderr, across restarts (the latest part). */
  output(): string
}

async function readyz(url: string): Promise<number | undefined> {
  try {
    const res = await request(`${url}/readyz`, { headersTimeout: 1000, bodyTimeout: 1000, reset: true })
    await res.body.dump()
    return res.statusCode
  } catch {
    return undefined
  }
}

const running = new Set<ChildProcess>()
let exitHookInstalled = false
function track(child: ChildProcess): void {
  running.add(child)
  child.once('exit', () => running.delete(child))
  if (exitHookInstalled) return
  exitHookInstalled = true
  const killAll = () => {
    for (const c of running) c.kill('SIGKILL')
  }
  process.once('exit', killAll)
  // tap's timeout: SIGALRM, then SIGKILL, which runs no 'exit' listener.
  process.once('SIGALRM', killAll)
}

/** A replica named `name` with its own port and `env`; not started yet. */
export async function createReplica(t: Test, name: string, env: Record<string, string>): Promise<Replica> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  let exited: Promise<Exit> | undefined
  let signalledAt = 0
  let log = ''

  const collect = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-2_000_000)
  }

  const replica: Replica = {
    name,
    url,
    get pid() {
      return child?.pid
    },
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null
    },
    async start() {
      if (replica.running) throw new Error(`replica ${name} is already running`)
      const startedAt = Date.now()
      signalledAt = 0
      // Only what the service reads: nothing of the test runner's environment leaks into it.
      const proc = spawn(process.execPath, [SERVER], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', HOST: '127.0.0.1', PORT: String(port), ...env },
        stdio: ['ignore', 'pipe', 'pipe']
      })
      child = proc
      track(proc)
      proc.stdout?.on('data', collect)
      proc.stderr?.on('data', collect)
      exited = new Promise<Exit>((resolve) =>
        proc.once('exit', (code, signal) => resolve({ code, signal, ms: signalledAt ? Date.now() - signalledAt : 0 }))
      )
      const deadline = Date.now() + START_LIMIT_MS
      while ((await readyz(url)) !== 200) {
        if (!replica.running) throw new Error(`replica ${name} exited while starting: ${log.slice(-2000)}`)
        if (Date.now() > deadline) throw new Error(`replica ${name} not ready within ${START_LIMIT_MS} ms: ${log.slice(-2000)}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      return Date.now() - startedAt
    },
    terminate: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
    output: () => log
  }

  async function stopWith(signal: NodeJS.Signals): Promise<Exit> {
    if (!child || !exited) throw new Error(`replica ${name} was never started`)
    if (!replica.running) return exited
    signalledAt = Date.now()
    child.kill(signal)
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<Exit>((resolve) => {
      timer = setTimeout(() => {
        child?.kill('SIGKILL')
        resolve({ code: null, signal: 'SIGKILL', ms: EXIT_LIMIT_MS })
      }, EXIT_LIMIT_MS)
    })
    const exit = await Promise.race([exited, late])
    clearTimeout(timer)
    return exit
  }

  t.teardown(async () => {
    if (replica.running) await replica.kill()
  })
  return replica
}

/** The replica's log lines counted by level and message, with anything that is not a JSON line as it came. */
export function summarizeLog(output: string): string[] {
  const counts = new Map<string, number>()
  const other: string[] = []
  for (const line of output.split('\n')) {
    if (!line.trim()) continue
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } }
      const key = `level ${entry.level} "${entry.msg}"${entry.err?.message ? ` (${entry.err.message})` : ''}`
      counts.set(key, (counts.get(key) ?? 0) + 1)
    } catch {
      other.push(line)
    }
  }
  return [...[...counts].map(([key, n]) => `${n} × ${key}`), ...other.slice(0, 10)]
}
