import fp from 'fastify-plugin'
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ProblemError } from '../http/problem.js'
import { problemResponses } from '../http/schemas.js'
import { Readiness, type ReadinessState } from './readiness.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** This replica's readiness: `state()` for metrics, `draining()` for shutdown. */
    readiness: Readiness
  }
}

const Status = Type.Object({ status: Type.Literal('ok') }, { description: 'The process is alive', examples: [{ status: 'ok' }] })

const ReadinessBody = Type.Object(
  {
    status: Type.Literal('ready'),
    mode: Type.Union([Type.Literal('normal'), Type.Literal('degraded')], {
      description: 'degraded: the database is away and resolve answers from what this replica knows (marked stale)'
    }),
    database: Type.Union([Type.Literal('reachable'), Type.Literal('unreachable')]),
    backend: Type.Union([Type.Literal('postgres'), Type.Literal('embedded')])
  },
  {
    description: 'This replica can serve resolve',
    examples: [
      { status: 'ready', mode: 'normal', database: 'reachable', backend: 'postgres' },
      { status: 'ready', mode: 'degraded', database: 'unreachable', backend: 'postgres' }
    ]
  }
)

function notReadyDetail(state: ReadinessState): string {
  if (!state.started) return 'Start-up has not completed (migrations).'
  if (state.draining) return 'This replica is shutting down.'
  if (state.database === 'migrations_pending') return 'The database has pending migrations; run `npm run migrate`.'
  return 'The database is unreachable and the resolve cache is off (RESOLVE_CACHE=false), so nothing can be served.'
}

// Wrapped with fastify-plugin so `app.readiness` is visible to the whole app (metrics, server.ts).
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const readiness = new Readiness({ db: app.db, servesFromMemory: app.config.RESOLVE_CACHE })
  app.decorate('readiness', readiness)
  app.addHook('onReady', async () => readiness.started())
  app.addHook('preClose', async () => readiness.draining())
  // From the start of the drain, every answer closes its keep-alive connection: the client opens a
  // new one, which the load balancer sends to a replica that is staying.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (readiness.isDraining) reply.header('connection', 'close')
    done(null, payload)
  })

  app.get(
    '/healthz',
    {
      config: { public: true },
      logLevel: 'warn',
      schema: {
        operationId: 'getHealth',
        tags: ['health'],
        summary: 'Liveness: the process works',
        description:
          'Answers as long as the event loop turns; it never touches the database, so an outage does not get replicas restarted. Use it as the liveness probe.',
        security: [],
        response: { 200: Status }
      }
    },
    async () => ({ status: 'ok' as const })
  )

  let wasReady: boolean | undefined
  app.get(
    '/readyz',
    {
      config: { public: true },
      logLevel: 'warn',
      schema: {
        operationId: 'getReadiness',
        tags: ['health'],
        summary: 'Readiness: this replica can serve resolve',
        description:
          'Ready (200) once start-up completed and while resolve can be answered — also with the database away, then `mode: degraded` (stale answers from memory). ' +
          'Not ready (503) before start-up completed, while shutting down, with pending migrations, or with the database away and RESOLVE_CACHE=false. ' +
          'The database check waits at most 0.5 s and its answer is reused for 1 s. Use it as the readiness and the startup probe.',
        security: [],
        response: { 200: ReadinessBody, ...problemResponses(503) }
      }
    },
    async () => {
      const state = await readiness.check()
      // Logged when readiness changes, not on every probe.
      if (state.ready !== wasReady) {
        wasReady = state.ready
        if (state.ready) app.log.info({ readiness: state }, 'ready')
        else app.log.warn({ readiness: state }, 'not ready')
      }
      if (!state.ready) {
        throw new ProblemError({ status: 503, code: 'NOT_READY', detail: notReadyDetail(state), headers: { 'retry-after': '5' } })
      }
      return {
        status: 'ready' as const,
        mode: state.mode,
        database: state.database === 'unreachable' ? ('unreachable' as const) : ('reachable' as const),
        backend: app.database.kind
      }
    }
  )
}

export default fp(healthRoutes, { name: 'health', dependencies: ['database'] })
