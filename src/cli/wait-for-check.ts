// --wait: polls a checking version until the check has spoken, reporting every status it passes
// through; the outcome decides the exit code (testing 0, anything else 3, still checking 5).
import type { Schemas } from '../client/index.js'
import { answer, type Context } from './context.js'
import { CliError, EXIT } from './exit-codes.js'

type Version = Schemas['Version']

export interface WaitOptions {
  intervalMs: number
  timeoutMs: number
  onChange(version: Version): void
}

// A CI job waiting for its check must not fail because the service restarts or is briefly
// overloaded: such polls are tried again until the timeout, and said once per outage on stderr.
const TRANSIENT_STATUSES = new Set([429, 502, 503, 504])
const isTransient = (error: unknown): error is CliError =>
  error instanceof CliError && (error.exitCode === EXIT.unreachable || TRANSIENT_STATUSES.has(error.status ?? 0))

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function waitForCheck(context: Context, submitted: Version, options: WaitOptions): Promise<Version> {
  const deadline = Date.now() + options.timeoutMs
  const path = { code: submitted.imageCode, version: submitted.version }
  let version = submitted
  let outage: CliError | undefined
  while (version.status === 'checking') {
    if (Date.now() >= deadline) {
      const waited = `${version.imageCode} ${version.version} is still checking after ${options.timeoutMs / 1000} s`
      throw new CliError(outage ? `${waited} (last poll: ${outage.message})` : waited, EXIT.timeout)
    }
    await sleep(Math.min(options.intervalMs, Math.max(0, deadline - Date.now())))
    let next: Version
    try {
      next = await answer(context, context.client.GET('/v1/images/{code}/versions/{version}', { params: { path } }))
    } catch (error) {
      if (!isTransient(error)) throw error
      if (!outage) process.stderr.write(`cis: ${error.message}; still waiting\n`)
      outage = error
      continue
    }
    outage = undefined
    if (next.status !== version.status) options.onChange(next)
    version = next
  }
  if (version.status === 'testing') return version
  const why =
    version.status === 'check_failed' ? ` (${version.checkClass ?? 'unclassified'}): ${version.statusReason ?? 'no reason given'}` : ''
  throw new CliError(`${version.imageCode} ${version.version} is ${version.status}${why}`, EXIT.checkFailed)
}
