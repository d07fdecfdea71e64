/**
 * Runs `cis` as a user does: `node main.js …` (src/cli compiled to JavaScript, as the package's bin)
 * in a child process, configured by CIS_URL and CIS_TOKEN only, and a service from build(t)
 * listening on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { Test } from 'tap'
import { build, type BuildTestOptions, type TestApp } from '../helpers/app.js'
import { compiledEntry } from '../helpers/compiled-entry.js'

const MAIN = await compiledEntry('src/cli/main.ts')

export interface CisRun {
  code: number | null
  stdout: string
  stderr: string
}

/** The environment of the test run without any CIS_ setting of the developer's, then `cis`. */
function environment(cis: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) if (name.startsWith('CIS_')) delete env[name]
  return { ...env, ...cis }
}

export function spawnCis(args: string[], cis: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [MAIN, ...args], { env: environment(cis), stdio: ['ignore', 'pipe', 'pipe'] })
}

export function runCis(args: string[], cis: Record<string, string>): Promise<CisRun> {
  const child = spawnCis(args, cis)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`cis ${args.join(' ')} did not finish within 60 s: ${stderr}`))
    }, 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** A fresh service listening on a free loopback port, and its URL. */
export async function listeningApp(t: Test, options: BuildTestOptions = {}): Promise<{ app: TestApp; url: string }> {
  const app = await build(t, options)
  const address = await app.app.listen({ host: '127.0.0.1', port: 0 })
  return { app, url: address }
}
