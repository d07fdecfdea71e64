// The benchmark's servers run in child processes, apart from the load generator's event loop.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface Child<T> {
  process: ChildProcess
  /** The JSON line the child printed when ready. */
  ready: T
  stop(): Promise<void>
}

// BENCH_CPU_PROF=<dir>: each server writes a V8 CPU profile there when it stops (where the time went).
const profiling = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []

/** Starts one of bench/*.ts with tsx and waits for the JSON line it prints when ready. */
export async function startChild<T>(script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<Child<T>> {
  const child = spawn(process.execPath, [...profiling, ...nodeArgs, '--import', 'tsx', new URL(script, import.meta.url).pathname], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve)
      child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)))
    })
    return { process: child, ready: JSON.parse(line) as T, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
