// What every command needs: the client built from --url/--token (or CIS_URL/CIS_TOKEN), and one way
// to turn an answer into its data or into a CliError with the right exit code.
import type { Command } from 'commander'
import { createCisClient, type CisClient } from '../client/index.js'
import { CliError, EXIT } from './exit-codes.js'
import { problemText } from './problem-text.js'

export interface GlobalOptions {
  url: string
  token?: string
}

export interface Context {
  client: CisClient
  url: string
}

export function contextOf(command: Command): Context {
  const { url, token } = command.optsWithGlobals<GlobalOptions>()
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new CliError(`--url (or CIS_URL) is not a URL: ${url}`, EXIT.usage)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliError(`--url must be http or https: ${url}`, EXIT.usage)
  if (!token) throw new CliError('no token: set CIS_TOKEN (or pass --token)', EXIT.usage)
  return { client: createCisClient({ baseUrl: url, token }), url }
}

interface Answer<D> {
  data?: D
  error?: unknown
  response: Response
}

/** The data of a successful answer; a problem, or a service that cannot be reached, becomes a CliError. */
export async function answer<D>(context: Context, pending: Promise<Answer<D>>): Promise<D> {
  let result: Answer<D>
  try {
    result = await pending
  } catch (error) {
    throw unreachable(context.url, error)
  }
  if (!result.response.ok) throw new CliError(problemText(result.response.status, result.error), EXIT.problem, result.response.status)
  // A 204 has no body: its data is undefined, as its type says.
  return result.data as D
}

// undici's fetch fails with "fetch failed" and the network error as its cause.
function unreachable(url: string, error: unknown): CliError {
  if (error instanceof TypeError && error.cause instanceof Error) {
    const cause = error.cause as Error & { code?: string }
    return new CliError(`cannot reach ${url}: ${cause.code ?? cause.message}`, EXIT.unreachable)
  }
  const message = error instanceof Error ? error.message : String(error)
  return new CliError(`unexpected answer from ${url}: ${message}`, EXIT.problem)
}
