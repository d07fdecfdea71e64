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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function waitForCheck(context: Context, submitted: Version, options: WaitOptions): Promise<Version> {
  const deadline = Date.now() + options.timeoutMs
  let version = submitted
  while (version.status === 'checking') {
    if (Date.now() >= deadline)
      throw new CliError(`${version.imageCode} ${version.version} is still checking after ${options.timeoutMs / 1000} s`, EXIT.timeout)
    await sleep(Math.min(options.intervalMs, Math.max(0, deadline - Date.now())))
    const next = await answer(
      context,
      context.client.GET('/v1/images/{code}/versions/{version}', {
        params: { path: { code: version.imageCode, version: version.version } }
      })
    )
    if (next.status !== version.status) options.onChange(next)
    version = next
  }
  if (version.status === 'testing') return version
  const why =
    version.status === 'check_failed' ? ` (${version.checkClass ?? 'unclassified'}): ${version.statusReason ?? 'no reason given'}` : ''
  throw new CliError(`${version.imageCode} ${version.version} is ${version.status}${why}`, EXIT.checkFailed)
}
