import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ConfigError } from '../config.js'
import { isDatabaseUnavailable } from './unavailable.js'

/** sysexits.h: a setting is wrong (EX_CONFIG) / a service the process needs is unreachable (EX_UNAVAILABLE). */
export const EXIT_CONFIG = 78
export const EXIT_UNAVAILABLE = 69

export interface StartupFailure {
  line: string
  exitCode: number
}

/** DATA_DIR must be a directory this process can write (embedded database, generated key). */
export function checkDataDir(dataDir: string): void {
  const dir = resolve(dataDir)
  const probe = join(dir, `.write-test-${process.pid}`)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    writeFileSync(probe, '')
    rmSync(probe)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new ConfigError(
      `Invalid configuration: DATA_DIR=${JSON.stringify(dataDir)} is not a writable directory (${code}); set DATA_DIR to a directory this user can write, or set DATABASE_URL.`
    )
  }
}

// Only host, port and database name: the URL may carry a password.
function where(databaseUrl: string | undefined): { server: string; name: string } {
  try {
    const url = new URL(databaseUrl ?? '')
    return { server: `${url.hostname}:${url.port || '5432'}`, name: decodeURIComponent(url.pathname.slice(1)) }
  } catch {
    return { server: '(unparsable URL)', name: '' }
  }
}

/** A failure on the DATABASE_DIRECT_URL connection, so the line names that setting and its server. */
export class DirectConnectionFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly url: string
  ) {
    super(cause instanceof Error ? cause.message : String(cause))
  }
}

/**
 * Turns what stopped the start into one line naming what is wrong and what to set, or undefined for
 * an error nobody foresaw (then the stack trace is the most useful thing to print).
 */
export function explainStartupFailure(
  error: unknown,
  databaseUrl: string | undefined,
  setting = 'DATABASE_URL'
): StartupFailure | undefined {
  if (error instanceof DirectConnectionFailure) return explainStartupFailure(error.cause, error.url, 'DATABASE_DIRECT_URL')
  if (error instanceof ConfigError) return { line: error.message, exitCode: EXIT_CONFIG }
  if (!(error instanceof Error)) return undefined
  const code = (error as { code?: unknown }).code
  const { server, name } = where(databaseUrl)
  if (code === '3D000') {
    return {
      line: `Invalid configuration: ${setting} names database "${name}", which does not exist on ${server}; create it (createdb ${name}) or set ${setting} to an existing database.`,
      exitCode: EXIT_CONFIG
    }
  }
  if (code === '28P01' || code === '28000') {
    return {
      line: `Invalid configuration: PostgreSQL at ${server} refused the credentials of ${setting} (${error.message}); set ${setting} with a valid user and password.`,
      exitCode: EXIT_CONFIG
    }
  }
  if (databaseUrl && isDatabaseUnavailable(error)) {
    const reason = typeof code === 'string' ? code : error.message
    return {
      line: `Database unavailable: PostgreSQL at ${server} (${setting}) cannot be reached (${reason}); start it or set ${setting} to a reachable server.`,
      exitCode: EXIT_UNAVAILABLE
    }
  }
  return undefined
}
