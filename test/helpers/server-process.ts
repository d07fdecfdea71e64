/**
 * The service as operators run it: src/server.ts compiled to JavaScript (see compiled-entry.ts) and
 * run by plain `node` in a child process, with only the environment given.
 * Output is kept so tests can read log lines; the process is killed in teardown if still running.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import type { Test } from 'tap'
import { compiledEntry } from './compiled-entry.js'

const SERVER = await compiledEntry('src/server.ts')

export interface ServerProcess {
  child: ChildProcess
  exited: Promise<[number | null, NodeJS.Signals | null]>
  out(): string
  err(): string
  /** Resolves once "Server listening" was logged; rejects after `ms`. */
  listening(ms?: number): Promise<void>
}

export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

export function startServer(env: Record<string, string>, t?: Test): ServerProcess {
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  t?.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const listening = async (ms = 30_000) => {
    const deadline = Date.now() + ms
    while (!stdout.includes('Server listening')) {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${stderr}`)
      if (Date.now() > deadline) throw new Error(`the server did not listen within ${ms} ms: ${stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return { child, exited, out: () => stdout, err: () => stderr, listening }
}
