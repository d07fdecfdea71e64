/**
 * build(t): a fresh app on a fresh (migrated) database per call, closed in teardown (fastify/demo's helper).
 * Every log line is kept in `logs` so tests can assert what was (and was not) logged.
 */
import { Writable } from 'node:stream'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import type { Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import type { DatabaseHandle } from '../../src/db/database.js'
import { migratedDatabaseUrl } from './database.js'
import { responseValidator } from './contract/response-validator.js'

export const ADMIN_TOKEN = 'cis_test-admin-token-0123456789abcdefghijklmnop'
/** A fixed 32-byte key for registry credentials (tests only). */
export const TEST_CREDENTIALS_KEY = Buffer.alloc(32, 7).toString('base64')

export interface TestApp {
  app: FastifyInstance
  config: Config
  logs: string[]
  databaseUrl: string
  /** Inject with the admin token unless `token` is given (null = no Authorization header). */
  call(options: CallOptions): Promise<LightMyRequestResponse>
  /** Creates a token through the API and returns its secret. */
  token(body: { name: string; scopes: string[]; projects?: string[] | null; expiresAt?: string }): Promise<string>
}

export interface CallOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS'
  url: string
  payload?: unknown
  token?: string | null
  headers?: Record<string, string>
}

export interface BuildTestOptions {
  env?: Record<string, string>
  databaseUrl?: string
  database?: DatabaseHandle
  /** Turns tracing on and hands every span to it. */
  spanExporter?: SpanExporter
}

export async function build(t: Test, options: BuildTestOptions = {}): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? (await migratedDatabaseUrl(t))
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    ADMIN_TOKEN,
    CREDENTIALS_KEY: TEST_CREDENTIALS_KEY,
    LOG_LEVEL: 'info',
    ...options.env
  })
  const logs: string[] = []
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString())
      done()
    }
  })
  const app = await buildApp({
    config,
    logStream,
    ...(options.database ? { database: options.database } : {}),
    ...(options.spanExporter ? { spanExporter: options.spanExporter } : {})
  })
  t.teardown(() => app.close())
  // Every route of the service is declared by now; one declared later is a test's own.
  const testRoutes: string[] = []
  app.addHook('onRoute', (route) => {
    testRoutes.push(route.url)
  })

  const call = async (o: CallOptions) => {
    const token = o.token === undefined ? ADMIN_TOKEN : o.token
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...o.headers }
    const res = await app.inject({
      method: o.method,
      url: o.url,
      headers,
      ...(o.payload !== undefined ? { payload: o.payload as object } : {})
    })
    // Every answer a test sees must be one the committed contract allows (throws otherwise).
    responseValidator().check(
      { method: o.method, url: o.url, statusCode: res.statusCode, headers: res.headers, body: res.body },
      testRoutes
    )
    return res
  }
  const token: TestApp['token'] = async (body) => {
    const res = await call({ method: 'POST', url: '/v1/tokens', payload: body })
    if (res.statusCode !== 201) throw new Error(`token creation failed: ${res.statusCode} ${res.body}`)
    return res.json<{ token: string }>().token
  }
  return { app, config, logs, databaseUrl, call, token }
}
