/**
 * A real Docker distribution 2.8 registry (`/usr/bin/docker-registry`) as a child process on
 * 127.0.0.1, with its own config and storage in a fresh temp dir. `auth` picks no auth, htpasswd
 * (bcrypt) Basic auth, or Bearer tokens from the rig's token server. Always `t.teardown(rig.stop)`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.js'
import { authConfig, configYaml } from './registry-config.js'
import type { RigUser, TokenServer } from './token-server.js'

export { TOKEN_ISSUER, TOKEN_SERVICE } from './registry-config.js'
export const REGISTRY_BINARY = '/usr/bin/docker-registry'

export type RigAuth = 'none' | 'basic' | 'token'

export interface StartRegistryOptions {
  auth: RigAuth
  /** Users for basic/token auth; defaults to one user `rig-user`. */
  users?: RigUser[]
  /** Token mode: repositories anonymous callers may pull (all others are private). */
  anonymousPull?: string[]
}

export interface RigRegistry {
  /** `127.0.0.1:PORT`, the registry host as it appears in image references. */
  host: string
  /** `http://127.0.0.1:PORT` */
  url: string
  auth: RigAuth
  users: RigUser[]
  /** Token mode only: the token server (its own port on 127.0.0.1). */
  tokenServer?: TokenServer
  /** Every host:port the rig serves, for a client's insecureHosts / allowedPrivateHosts. */
  hosts: string[]
  stop(): Promise<void>
}

const DEFAULT_USERS: RigUser[] = [{ username: 'rig-user', password: 'rig-password' }]

async function waitForRegistry(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${output()}`)
    try {
      await (await fetch(`${url}/v2/`)).arrayBuffer() // any HTTP answer, 200 or 401, means it is up
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  throw new Error(`docker-registry did not answer on ${url} within 15 s: ${output()}`)
}

// A crashed test must not leave registries behind; one process listener for all of them.
const running = new Set<ChildProcess>()
let exitHookInstalled = false
function track(child: ChildProcess): void {
  running.add(child)
  child.once('exit', () => running.delete(child))
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL')
  })
}

interface Launched {
  host: string
  child: ChildProcess
  exited: Promise<void>
}

async function launch(dir: string, authBlock: string): Promise<Launched> {
  // The free port can be taken between probing and binding; try again on another one.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    await writeFile(join(dir, 'config.yml'), configYaml(port, dir, authBlock))
    const child = spawn(REGISTRY_BINARY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] })
    track(child)
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    let output = ''
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000)
    }
    child.stdout?.on('data', collect)
    child.stderr?.on('data', collect)
    const host = `127.0.0.1:${port}`
    try {
      await waitForRegistry(`http://${host}`, child, () => output)
      return { host, child, exited }
    } catch (error) {
      child.kill('SIGKILL')
      await exited
      if (attempt >= 3) throw error
    }
  }
}

export async function startRegistry(options: StartRegistryOptions): Promise<RigRegistry> {
  const users = options.users ?? DEFAULT_USERS
  const dir = await mkdtemp(join(tmpdir(), 'registry-rig-'))
  let tokenServer: TokenServer | undefined
  let launched: Launched
  try {
    const auth = await authConfig(options, users, dir)
    tokenServer = auth.tokenServer
    launched = await launch(dir, auth.block)
  } catch (error) {
    await tokenServer?.close()
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  const { host, child, exited } = launched

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      await tokenServer?.close()
      await rm(dir, { recursive: true, force: true })
    })()
    return stopping
  }

  return {
    host,
    url: `http://${host}`,
    auth: options.auth,
    users,
    tokenServer,
    hosts: tokenServer === undefined ? [host] : [host, tokenServer.host],
    stop
  }
}
