import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'
import type { Bindings, ChildLoggerOptions } from 'pino'
import pino from 'pino'

// Anything that can hold a secret is censored wherever it appears in a log object, at any of the
// depths our log lines use. Request bodies are never logged, but a feature that logs an object
// containing one of these keys is still safe.
const SECRET_KEYS = ['password', 'token', 'secret', 'pullSecret', 'authorization', 'cookie', 'adminToken', 'credentialsKey', 'key']

const paths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`])
]

export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths, censor: '[redacted]' },
    ...(stream ? { stream } : {})
  }
}

const LEVEL_VALUES: Record<string, number> = pino.levels.values

/**
 * The per-request logger (Fastify's `childLoggerFactory`), made on the first line actually written.
 * Fastify makes one child per request to bind its request id, and with redaction configured pino
 * passes those bindings through the redactor: a visible share of every resolve request in the
 * profile, though resolve logs at warn and almost never writes a line. The real child, with the
 * request id, is still the one that writes every line, so every line carries the id.
 */
class RequestLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined
  private threshold: number

  constructor(
    private readonly parent: FastifyBaseLogger,
    private bindings: Bindings,
    private options: ChildLoggerOptions
  ) {
    this.threshold = LEVEL_VALUES[options.level ?? parent.level] ?? 0
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level
  }

  set level(level: string) {
    this.threshold = LEVEL_VALUES[level] ?? Infinity // 'silent'
    if (this.made) this.made.level = level
    else this.options = { ...this.options, level }
  }

  // Methods on the prototype, not arrow properties: nothing to allocate per request.
  fatal(...args: unknown[]): void {
    this.write(60, 'fatal', args)
  }
  error(...args: unknown[]): void {
    this.write(50, 'error', args)
  }
  warn(...args: unknown[]): void {
    this.write(40, 'warn', args)
  }
  info(...args: unknown[]): void {
    this.write(30, 'info', args)
  }
  debug(...args: unknown[]): void {
    this.write(20, 'debug', args)
  }
  trace(...args: unknown[]): void {
    this.write(10, 'trace', args)
  }
  silent(): void {}

  /** Adds fields to every line written from now on. */
  bind(bindings: Bindings): void {
    if (this.made) this.made = this.made.child(bindings)
    else this.bindings = { ...this.bindings, ...bindings }
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(bindings, options)
  }

  private real(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options)
    return this.made
  }

  private write(value: number, method: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', args: unknown[]): void {
    if (value < this.threshold) return
    ;(this.real()[method] as (...a: unknown[]) => void)(...args)
  }
}

export function requestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLogger(logger, bindings, options)
}

/**
 * Adds fields to the later lines of a request's logger (its trace, known only once the request's
 * span has started, after Fastify made the logger).
 */
export function bindRequestLog(log: FastifyBaseLogger, bindings: Bindings): void {
  if (log instanceof RequestLogger) log.bind(bindings)
}
