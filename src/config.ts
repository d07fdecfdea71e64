import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

// Every setting the service reads, in one schema: validation, defaults, the TypeScript type and the
// README's configuration table all come from here. Environment values are strings; Convert turns
// numbers and booleans into their types before the check.
const CommaList = Type.String({ default: '', description: 'Comma-separated list' })

export const ConfigSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Interface to listen on (0.0.0.0 in containers)' }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535, description: 'TCP port' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    {
      default: 'info',
      description: 'pino log level'
    }
  ),
  DATABASE_URL: Type.Optional(
    Type.String({ secret: true, pattern: '^postgres(ql)?://', description: 'PostgreSQL URL; unset = embedded PGlite under DATA_DIR' })
  ),
  DATABASE_DIRECT_URL: Type.Optional(
    Type.String({
      secret: true,
      pattern: '^postgres(ql)?://',
      description:
        'PostgreSQL URL reached directly, not through a transaction pooler such as PgBouncer: used for LISTEN and migrations; unset = DATABASE_URL'
    })
  ),
  DATABASE_POOL_MAX: Type.Integer({ default: 10, minimum: 1, maximum: 200, description: 'PostgreSQL connection pool size' }),
  DATA_DIR: Type.String({
    default: './data',
    minLength: 1,
    description: 'Where the embedded database and the generated credentials key live'
  }),
  ADMIN_TOKEN: Type.Optional(
    Type.String({
      secret: true,
      minLength: 32,
      maxLength: 256,
      pattern: '^[A-Za-z0-9_\\-.~]+$',
      description:
        'Known admin token to install at start (≥ 32 URL-safe characters); unset = one is generated on the first start and printed once'
    })
  ),
  BODY_LIMIT: Type.Integer({ default: 1048576, minimum: 1024, description: 'Largest accepted request body, bytes' }),
  CORS_ORIGINS: {
    ...CommaList,
    description: 'Origins (scheme://host[:port], comma-separated) whose browser pages may call the API (CORS); empty = none'
  },
  TRUST_PROXY: Type.Boolean({ default: false, description: 'Trust X-Forwarded-* headers from a reverse proxy' }),
  REQUEST_TIMEOUT_MS: Type.Integer({
    default: 30000,
    minimum: 100,
    maximum: 3600000,
    description: 'Time a client has to send a whole request (headers and body); later it is answered 408 and the connection closed'
  }),
  HEADERS_TIMEOUT_MS: Type.Integer({
    default: 10000,
    minimum: 100,
    maximum: 3600000,
    description: 'Time a client has to send the headers of a request; at most REQUEST_TIMEOUT_MS'
  }),
  KEEP_ALIVE_TIMEOUT_MS: Type.Integer({
    default: 72000,
    minimum: 100,
    maximum: 3600000,
    description: 'How long an idle keep-alive connection stays open; above the idle timeout of a load balancer in front'
  }),
  DRAIN_DELAY_MS: Type.Integer({
    default: 5000,
    minimum: 0,
    maximum: 600000,
    description:
      'On SIGTERM, how long the replica keeps serving while /readyz answers 503, so load balancers take it out before it stops accepting'
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Optional(
    Type.Integer({
      minimum: 100,
      description:
        'Time after the drain delay for in-flight requests, checks and the log flush; unset = derived from the other timeouts (never shorter than them)'
    })
  ),
  CREDENTIALS_KEY: Type.Optional(
    Type.String({
      secret: true,
      description:
        'Registry credentials encryption key: 32 bytes as base64 or 64 hex characters; unset with the embedded database = generated into DATA_DIR'
    })
  ),
  CREDENTIALS_OLD_KEYS: {
    ...CommaList,
    secret: true,
    description: 'Previous CREDENTIALS_KEY values, comma-separated, still accepted for decryption during a rotation'
  },
  REGISTRY_INSECURE_HOSTS: { ...CommaList, description: 'Registry hosts (host[:port]) reached over plain http' },
  REGISTRY_ALLOWED_PRIVATE_HOSTS: {
    ...CommaList,
    description: 'Registry hosts (host[:port]) allowed although they resolve to loopback/private addresses'
  },
  REGISTRY_CONNECT_TIMEOUT_MS: Type.Integer({ default: 5000, minimum: 100, description: 'Connect timeout towards registries' }),
  REGISTRY_TIMEOUT_MS: Type.Integer({ default: 15000, minimum: 100, description: 'Total time one registry request may take' }),
  CHECK_CONCURRENCY: Type.Integer({ default: 4, minimum: 1, maximum: 64, description: 'Pullability checks run at once by this replica' }),
  CHECK_MAX_ATTEMPTS: Type.Integer({
    default: 5,
    minimum: 1,
    maximum: 50,
    description: 'Attempts for a check that meets a transient failure before it ends in check_failed'
  }),
  CHECK_POLL_INTERVAL_MS: Type.Integer({
    default: 1000,
    minimum: 10,
    description: 'How often the check worker looks for due jobs when not woken by a notification'
  }),
  WEBHOOK_ALLOWED_PRIVATE_HOSTS: {
    ...CommaList,
    description:
      'Webhook receiver hosts (host[:port]) allowed although they resolve to loopback/private addresses; only these may be plain http'
  },
  WEBHOOK_TIMEOUT_MS: Type.Integer({
    default: 15000,
    minimum: 100,
    maximum: 120000,
    description: 'Time one webhook delivery attempt may take'
  }),
  WEBHOOK_CONCURRENCY: Type.Integer({
    default: 8,
    minimum: 1,
    maximum: 256,
    description: 'Webhook deliveries made at once by this replica (one at a time per subscription, in event order)'
  }),
  WEBHOOK_DELIVERY_RETENTION_DAYS: Type.Integer({
    default: 30,
    minimum: 1,
    description: 'Finished webhook deliveries and their attempts older than this are pruned'
  }),
  VERIFY_ENABLED: Type.Boolean({
    default: true,
    description: 'Re-verify testing and released versions against their registry on a schedule (drift, vanished digests, signatures)'
  }),
  VERIFY_INTERVAL: Type.String({
    default: '4h',
    pattern: '^[1-9][0-9]*(ms|s|m|h|d)$',
    description:
      'How often each testing or released version is re-verified (e.g. 90s, 30m, 4h, 1d); each run is jittered by up to a quarter either way so versions spread out'
  }),
  VERIFY_CONCURRENCY_PER_REGISTRY: Type.Integer({
    default: 2,
    minimum: 1,
    maximum: 32,
    description: 'Verifications this replica runs at once against one registry'
  }),
  VERIFY_REQUESTS_PER_MINUTE: Type.Integer({
    default: 60,
    minimum: 1,
    maximum: 100000,
    description:
      'Requests verifications may send to one registry per minute, shared by every replica (a verification costs a few HEAD requests; a 429 pauses the registry until its Retry-After)'
  }),
  VERIFY_CONFIRM_DELAY_MS: Type.Integer({
    default: 60000,
    minimum: 0,
    maximum: 86400000,
    description: 'After a verification finds the pinned digest gone, how long until the second look that confirms it'
  }),
  ROLLOUT_POLL_INTERVAL_MS: Type.Integer({
    default: 30000,
    minimum: 100,
    maximum: 3600000,
    description:
      'How often a replica looks for staged rollouts whose stage has lasted advanceAfter and advances them (one replica advances each, under a row lock)'
  }),
  RESOLVE_CACHE: Type.Boolean({ default: true, description: 'Serve resolve from the in-process cache (false only for benchmarks)' }),
  RESOLVE_CACHE_MAX_IMAGES: Type.Integer({
    default: 10000,
    minimum: 1,
    description: 'How many images the resolve cache holds at most (least recently used go first)'
  }),
  RESOLUTION_RETENTION_DAYS: Type.Integer({
    default: 90,
    minimum: 1,
    description: 'Days of resolution log and pull-secret grants kept; older days are dropped whole (one partition per UTC day)'
  }),
  RATE_LIMIT_ENABLED: Type.Boolean({
    default: true,
    description: 'Refuse requests over the RATE_LIMIT_* budgets with 429 (false: no limits)'
  }),
  RATE_LIMIT_RESOLVE_PER_MINUTE: Type.Integer({
    default: 600000,
    minimum: 1,
    description: 'Resolve requests (single and batch) per token per minute; generous so the pipeline engine is never throttled by surprise'
  }),
  RATE_LIMIT_READ_PER_MINUTE: Type.Integer({ default: 6000, minimum: 1, description: 'Other GET requests per token per minute' }),
  RATE_LIMIT_WRITE_PER_MINUTE: Type.Integer({ default: 1200, minimum: 1, description: 'POST/PATCH/DELETE requests per token per minute' }),
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: Type.Integer({
    default: 300,
    minimum: 1,
    description:
      '401 answers per client address per minute; past it the address gets 429 before its token is even checked (TRUST_PROXY decides the address)'
  }),
  METRICS_PUBLIC: Type.Boolean({
    default: false,
    description: 'Serve /metrics to anyone who reaches the port (false: an admin token or METRICS_TOKEN is needed)'
  }),
  METRICS_TOKEN: Type.Optional(
    Type.String({
      secret: true,
      minLength: 32,
      maxLength: 256,
      pattern: '^[A-Za-z0-9_\\-.~]+$',
      description: 'Bearer token a Prometheus scraper sends to read /metrics (≥ 32 URL-safe characters); admin tokens always may'
    })
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(
    Type.String({
      // A collector URL may carry credentials.
      secret: true,
      pattern: '^https?://',
      description: 'OTLP/HTTP collector base URL (traces go to <url>/v1/traces); unset = no tracing'
    })
  ),
  OTEL_SERVICE_NAME: Type.String({ default: 'ci-image-store', minLength: 1, description: 'service.name of the traces' }),
  REDIS_URL: Type.Optional(
    Type.String({
      secret: true,
      pattern: '^rediss?://',
      description: 'Redis URL: rate-limit counters shared by every replica; unset = counted in memory by each replica'
    })
  )
})

export type Config = Static<typeof ConfigSchema>

export class ConfigError extends Error {}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)

export const splitList = list

/** Reads and validates the configuration; throws ConfigError with one line naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') raw[key] = value
  }
  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, raw))
  const first = Value.Errors(ConfigSchema, withDefaults).First()
  if (first) {
    const name = first.path.replace(/^\//, '') || '(environment)'
    const schema = first.schema as { description?: string; secret?: boolean; anyOf?: { const: string }[] }
    // Secrets are never echoed back, not even when they are wrong.
    const shown = schema.secret ? '(hidden)' : JSON.stringify(env[name] ?? '')
    const problem = schema.anyOf ? `must be one of ${schema.anyOf.map((s) => s.const).join(', ')}` : first.message.toLowerCase()
    throw new ConfigError(`Invalid configuration: ${name}=${shown} ${problem}${schema.description ? ` (${schema.description})` : ''}`)
  }
  const config = withDefaults as Config
  if (config.HEADERS_TIMEOUT_MS > config.REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      `Invalid configuration: HEADERS_TIMEOUT_MS=${config.HEADERS_TIMEOUT_MS} must not exceed REQUEST_TIMEOUT_MS=${config.REQUEST_TIMEOUT_MS} (the headers are part of the request)`
    )
  }
  const minimumShutdown = derivedShutdownTimeout(config)
  if (config.SHUTDOWN_TIMEOUT_MS !== undefined && config.SHUTDOWN_TIMEOUT_MS < minimumShutdown) {
    throw new ConfigError(
      `Invalid configuration: SHUTDOWN_TIMEOUT_MS=${config.SHUTDOWN_TIMEOUT_MS} is shorter than what a shutdown may need (${minimumShutdown} ms: the longer of REQUEST_TIMEOUT_MS and REGISTRY_TIMEOUT_MS, plus ${CLOSE_MARGIN_MS} ms to flush and close); raise it or leave it unset`
    )
  }
  return config
}

// After the last request and check: the resolution log's final flush and closing the pool, each
// bounded by the pool's connection timeout.
const CLOSE_MARGIN_MS = 10_000

/**
 * The least time shutdown may need after the drain delay: a request still arriving may take
 * REQUEST_TIMEOUT_MS, a request or check talking to a registry REGISTRY_TIMEOUT_MS.
 */
export function derivedShutdownTimeout(config: Pick<Config, 'REQUEST_TIMEOUT_MS' | 'REGISTRY_TIMEOUT_MS'>): number {
  return Math.max(config.REQUEST_TIMEOUT_MS, config.REGISTRY_TIMEOUT_MS) + CLOSE_MARGIN_MS
}

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** A duration as the config writes it ("90s", "4h"), in milliseconds; the schema's pattern was checked. */
export function durationMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text)
  if (!match) throw new ConfigError(`Invalid duration ${JSON.stringify(text)}: write a whole number and a unit (ms, s, m, h, d)`)
  return Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS]
}

/** SHUTDOWN_TIMEOUT_MS as set, or derived from the other timeouts. */
export function shutdownTimeout(config: Config): number {
  return config.SHUTDOWN_TIMEOUT_MS ?? derivedShutdownTimeout(config)
}
