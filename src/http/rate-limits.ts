import { createRequire } from 'node:module'
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, onResponseHookHandler } from 'fastify'
import { ConfigError, type Config } from '../config.js'
import { sendProblem } from './error-handler.js'
import { ProblemError } from './problem.js'

// @fastify/rate-limit's counters: LocalStore (a fixed window per key in an LRU) and RedisStore (the
// same window in one Lua script, shared by every replica). Its route hook is async (a promise and
// several awaits per request); the resolve hot path cannot afford that, so the stores are driven from
// callback-style hooks here: with the memory store a check completes synchronously.
interface Counter {
  current: number
  ttl: number
}
type Done = (error: Error | null, result?: Counter) => void
interface Store {
  incr(key: string, done: Done, timeWindow: number, max: number): void
  read(key: string, done: Done, timeWindow: number, max: number): void
}
const require = createRequire(import.meta.url)
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as new (
  continueExceeding: boolean,
  backoff: boolean,
  cache: number
) => Store
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as new (
  continueExceeding: boolean,
  backoff: boolean,
  redis: Redis,
  prefix: string
) => Store

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A public route that checks a token itself (/metrics): no budget, but guessers are refused there too. */
    checksTokens?: boolean
  }
}

const WINDOW_MS = 60_000
// The plugin's IETF draft header names.
const LIMIT = 'ratelimit-limit'
const REMAINING = 'ratelimit-remaining'
const RESET = 'ratelimit-reset'

export type RouteClass = 'resolve' | 'read' | 'write'

/** Resolve (single and batch) by its tag, other GETs read, everything else write. */
export function routeClass(method: string | string[], tags: readonly string[] | undefined): RouteClass {
  if (tags?.includes('resolve')) return 'resolve'
  const methods = Array.isArray(method) ? method : [method]
  return methods.every((m) => m === 'GET' || m === 'HEAD') ? 'read' : 'write'
}

const SETTING: Record<RouteClass | 'auth', keyof Config> = {
  resolve: 'RATE_LIMIT_RESOLVE_PER_MINUTE',
  read: 'RATE_LIMIT_READ_PER_MINUTE',
  write: 'RATE_LIMIT_WRITE_PER_MINUTE',
  auth: 'RATE_LIMIT_AUTH_FAILURES_PER_MINUTE'
}

function tooMany(request: FastifyRequest, reply: FastifyReply, max: number, ttl: number, detail: string): void {
  const reset = String(Math.max(1, Math.ceil(ttl / 1000)))
  const headers = { 'retry-after': reset, [LIMIT]: String(max), [REMAINING]: '0', [RESET]: reset }
  sendProblem(request, reply, new ProblemError({ status: 429, code: 'RATE_LIMITED', detail: `${detail} Retry after ${reset} s.`, headers }))
}

async function openStore(app: FastifyInstance, url: string | undefined): Promise<Store> {
  if (url === undefined) return new LocalStore(false, false, 50_000)
  // Commands fail at once while Redis is away (no offline queue) and the request is let through:
  // an outage of the counters must not become an outage of resolve.
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 })
  let warned = false
  redis.on('error', (error: Error) => {
    if (!warned) app.log.warn({ err: { message: error.message } }, 'rate limits: Redis unreachable; requests are not counted meanwhile')
    warned = true
  })
  redis.on('ready', () => (warned = false))
  try {
    await redis.connect()
  } catch (error) {
    redis.disconnect()
    const { host, port } = redis.options
    throw new ConfigError(
      `Cannot reach Redis at REDIS_URL (${host}:${port}): ${(error as Error).message}; start it, fix REDIS_URL, or unset REDIS_URL to count rate limits in memory`
    )
  }
  app.addHook('onClose', async () => {
    await redis.quit().catch(() => redis.disconnect())
  })
  return new RedisStore(false, false, redis, 'ci-image-store:rate-limit:')
}

export default fp(
  async function rateLimits(app: FastifyInstance) {
    const { config } = app
    if (!config.RATE_LIMIT_ENABLED) return
    const store = await openStore(app, config.REDIS_URL)
    const failures = config.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE

    // Addresses this replica answered 401 recently: only their requests read the failure counter
    // before authentication, so a known token's request costs one Map look-up, not a store call.
    // With Redis the count is shared, so a guesser spread over replicas is refused on each of them
    // once it has failed there once.
    const suspects = new Map<string, number>()
    const countFailure: onResponseHookHandler = (request, reply, done) => {
      if (reply.statusCode !== 401) return done()
      const ip = request.ip
      if (suspects.size >= 100_000) suspects.clear()
      suspects.set(ip, Date.now() + WINDOW_MS)
      store.incr(`auth:${ip}`, () => done(), WINDOW_MS, failures)
    }
    app.addHook('onResponse', countFailure)

    const refuseGuessers: onRequestHookHandler = (request, reply, done) => {
      const ip = request.ip
      const until = suspects.get(ip)
      if (until === undefined) return done()
      if (until <= Date.now()) {
        suspects.delete(ip)
        return done()
      }
      store.read(
        `auth:${ip}`,
        (error, counter) => {
          if (error || !counter || counter.current < failures) return done()
          tooMany(
            request,
            reply,
            failures,
            counter.ttl,
            `Too many failed authentications from this address (RATE_LIMIT_AUTH_FAILURES_PER_MINUTE=${failures}); tokens are not checked meanwhile.`
          )
        },
        WINDOW_MS,
        failures
      )
    }

    const limitFor = (kind: RouteClass): onRequestHookHandler => {
      const max = config[SETTING[kind]] as number
      const detail = `This token used its ${kind} budget (${SETTING[kind]}=${max} per minute).`
      const prefix = `${kind}:`
      return (request, reply, done) => {
        // Authentication ran first: the token is the key; a public route's caller has its address.
        const key = prefix + (request.principal === null ? request.ip : request.principal.tokenId)
        store.incr(
          key,
          (error, counter) => {
            if (error || !counter || counter.current <= max) return done()
            tooMany(request, reply, max, counter.ttl, detail)
          },
          WINDOW_MS,
          max
        )
      }
    }
    const limits = { resolve: limitFor('resolve'), read: limitFor('read'), write: limitFor('write') }

    // Registered after authentication, so its hook is already on each route: the guesser check goes
    // before it, the budget after it. Public routes (health probes, the contract, the docs) are free.
    app.addHook('onRoute', (route) => {
      const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
      if (route.config?.public) {
        if (route.config.checksTokens) route.onRequest = [refuseGuessers, ...existing]
        return
      }
      const tags = (route.schema as { tags?: string[] } | undefined)?.tags
      route.onRequest = [refuseGuessers, ...existing, limits[routeClass(route.method, tags)]]
    })
  },
  { name: 'rate-limits', dependencies: ['auth'] }
)
