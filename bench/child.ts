// The benchmark's servers run in child processes, apart from the load generator's event loop.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface Child<T> {
  process: ChildProcess
  /** The JSON line the child printed when ready. */
  ready: T
  stop(): Promise<void>
}

/** Starts one of bench/*.ts with tsx and waits for the JSON line it prints when ready. */
export async function startChild<T>(script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<Child<T>> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', new URL(script, import.meta.url).pathname], {
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
