import Fastify, { LogController, type FastifyBodyParser, type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import type { Config } from './config.js'
import { openDatabase, type DatabaseHandle } from './db/database.js'
import databasePlugin from './db/database.plugin.js'
import authPlugin from './tokens/authentication.plugin.js'
import changesPlugin from './changes/changes.plugin.js'
import openapiPlugin from './http/openapi.plugin.js'
import corsPlugin from './http/cors.js'
import compressionPlugin from './http/compression.js'
import { installConditionalGet } from './http/conditional-get.js'
import rateLimitsPlugin from './http/rate-limits.js'
import { installErrorHandler } from './http/error-handler.js'
import { installNotFound } from './http/not-found.js'
import { answerClientError, answerFrameworkError } from './http/client-errors.js'
import { installCommonResponses } from './http/common-responses.js'
import { installStrictRequests } from './http/strict-requests.js'
import { hostRequired } from './http/host-required.js'
import { nodeServerOptions } from './http/node-server-options.js'
import { validatorsByPart } from './http/validators.js'
import { serializersBySchema } from './http/serializers.js'
import { loggerOptions, requestLogger } from './http/logging.js'
import { REQUEST_ID_HEADER, requestIdFrom } from './http/request-id.js'
import healthRoutes from './health/health.routes.js'
import metricsPlugin from './metrics/metrics.plugin.js'
import registryClientPlugin from './registry/registry-client.plugin.js'
import metricsRoutes from './metrics/metrics.routes.js'
import type { Feature } from './http/feature.js'
import { tokensFeature } from './tokens/index.js'
import { credentialsFeature } from './credentials/index.js'
import { imagesFeature } from './images/index.js'
import { credentialUsers, imageVersions, versionsFeature } from './versions/index.js'
import { checkJobsQueue, checksFeature } from './checks/index.js'
import { resolveFeature } from './resolve/index.js'
import { feedFeature } from './feed/index.js'
import { webhooksFeature } from './webhooks/index.js'
import { verificationFeature } from './verification/index.js'
import { releaseRollouts, rolloutsFeature } from './rollouts/index.js'
import { announceAdminToken, ensureAdminToken } from './tokens/bootstrap.js'
import { createTracing } from './telemetry/tracing.js'
import tracingPlugin from './telemetry/tracing.plugin.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The validated configuration the app was built with. */
    config: Config
  }
}

export interface BuildOptions {
  config: Config
  /** Share an open database (tests running two apps on one database); otherwise one is opened. */
  database?: DatabaseHandle
  /** Where log lines go (tests capture them); default stdout. */
  logStream?: NodeJS.WritableStream
  /** Called once with a freshly generated admin token; default prints it to the console. */
  onAdminTokenCreated?: (token: string) => void
  /** Also hand every span to this exporter as it ends (tests); tracing is on with it even without a collector. */
  spanExporter?: SpanExporter
}

// Lower features declare what they need of higher ones (images of versions, versions of the check
// queue) and the app hands them the implementation, so no two features import each other.
const FEATURES: Feature[] = [
  tokensFeature,
  credentialsFeature(credentialUsers),
  imagesFeature(imageVersions),
  checksFeature,
  versionsFeature(checkJobsQueue, releaseRollouts),
  verificationFeature,
  rolloutsFeature,
  resolveFeature,
  feedFeature,
  webhooksFeature
]

/** Builds the whole service without listening: server.ts listens, tests inject. */
export async function buildApp(options: BuildOptions): Promise<FastifyInstance> {
  const { config } = options
  const tracing = createTracing({ config, spanExporter: options.spanExporter, requestIdLogLabel: 'requestId' })
  const app = Fastify({
    logger: loggerOptions(config.LOG_LEVEL, options.logStream),
    genReqId: requestIdFrom,
    childLoggerFactory: requestLogger,
    logController: tracing?.logController ?? new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: config.BODY_LIMIT,
    // Opening the embedded database and migrating it can take longer than Fastify's default 10 s
    // on a busy two-core machine.
    pluginTimeout: 60_000,
    trustProxy: config.TRUST_PROXY,
    // A request that reaches a closing server on a keep-alive connection is still answered (with
    // Connection: close, see health.routes.ts), not refused with 503: the client did nothing wrong.
    return503OnClosing: false,
    ...nodeServerOptions(config),
    ajv: { customOptions: { removeAdditional: false, useDefaults: true } },
    schemaController: { compilersFactory: { buildValidator: validatorsByPart(), buildSerializer: serializersBySchema() } },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.decorate('config', config)
  // Off unless configured: no plugin, no hook, nothing on the request path.
  if (tracing) await app.register(tracingPlugin, { tracing })
  installErrorHandler(app)
  installNotFound(app)
  installStrictRequests(app)
  installCommonResponses(app)
  installConditionalGet(app)
  // Hooks without I/O are callback-style: an async hook costs a promise and a microtask turn on
  // every request, which the resolve benchmark measures.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id)
    // Node's own check answers an empty 400 before the app sees the request (see nodeServerOptions).
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') return hostRequired(request, reply)
    done()
  })

  // JSON only: text/plain bodies would otherwise reach validation as strings. JSON variants such
  // as application/merge-patch+json are parsed as JSON.
  // An empty body counts as no body: operators' curl sends Content-Type: application/json on
  // body-less actions (release, cancel, recheck) too. A route that needs a body still says so.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser(['text/plain', 'application/json'])
  const parseJsonOrNothing: FastifyBodyParser<string> = (request, body, done) => {
    if (body === '') return done(null, undefined)
    parseJson(request, body, done)
  }
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonOrNothing)
  app.addContentTypeParser(/^application\/[a-z0-9.+-]+\+json$/, { parseAs: 'string' }, parseJsonOrNothing)

  const handle =
    options.database ??
    openDatabase({
      databaseUrl: config.DATABASE_URL,
      directUrl: config.DATABASE_DIRECT_URL,
      dataDir: config.DATA_DIR,
      poolMax: config.DATABASE_POOL_MAX
    })
  await app.register(databasePlugin, { handle, owned: !options.database, migrate: true })
  // Before any route, so its per-route hooks see every one; /metrics itself comes after auth.
  await app.register(metricsPlugin)
  await app.register(registryClientPlugin)
  // Before authentication and rate limits: the preflight route CORS declares is public by
  // construction, and preflights are answered before either runs.
  await app.register(corsPlugin)
  await app.register(compressionPlugin)
  await app.register(openapiPlugin)
  for (const feature of FEATURES) for (const schema of feature.schemas) app.addSchema(schema)
  await app.register(authPlugin)
  await app.register(rateLimitsPlugin)
  await app.register(changesPlugin)

  await app.register(healthRoutes)
  await app.register(metricsRoutes)
  // In dependency order: later features use what earlier ones decorate (e.g. credential secrets).
  for (const feature of FEATURES) await app.register(feature.plugin)

  const bootstrap = await ensureAdminToken(app.db, config.ADMIN_TOKEN)
  if (bootstrap.kind === 'generated') (options.onAdminTokenCreated ?? announceAdminToken)(bootstrap.token)
  return app
}
