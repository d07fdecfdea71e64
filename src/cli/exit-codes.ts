// What `cis` exits with, so scripts and CI jobs can tell a refusal from an outage.
export const EXIT = {
  ok: 0,
  problem: 1,
  usage: 2,
  checkFailed: 3,
  unreachable: 4,
  timeout: 5
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export const EXIT_CODES_HELP = `Exit codes:
  0  done
  1  the service answered with a problem (4xx/5xx): its title, code and detail are printed on stderr
  2  usage error (unknown command or option, missing argument, no token)
  3  the version did not become testing (check_failed, with its reason; or cancelled while waiting)
  4  the service cannot be reached (connection refused, DNS, TLS)
  5  --wait gave up after --timeout seconds; the version is still checking

Environment:
  CIS_URL    the service's root URL (--url), default http://127.0.0.1:3000
  CIS_TOKEN  the API token (--token); prefer the variable: a flag shows in the process list`

/** A failure with its exit code and the message for stderr (and the HTTP status of a problem). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly status?: number
  ) {
    super(message)
  }
}
