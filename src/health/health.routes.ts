import { sql } from 'kysely'
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { migrationsApplied } from '../db/migrator.js'
import { ProblemError } from '../http/problem.js'
import { problemResponses } from '../http/schemas.js'

const Status = Type.Object({ status: Type.Literal('ok') }, { description: 'The process is alive', examples: [{ status: 'ok' }] })

const Readiness = Type.Object(
  { status: Type.Literal('ready'), database: Type.Union([Type.Literal('postgres'), Type.Literal('embedded')]) },
  { description: 'Ready to serve', examples: [{ status: 'ready', database: 'postgres' }] }
)

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    {
      config: { public: true },
      logLevel: 'warn',
      schema: { operationId: 'getHealth', tags: ['health'], summary: 'The process is alive', security: [], response: { 200: Status } }
    },
    async () => ({ status: 'ok' as const })
  )

  app.get(
    '/readyz',
    {
      config: { public: true },
      logLevel: 'warn',
      schema: {
        operationId: 'getReadiness',
        tags: ['health'],
        summary: 'The database is reachable and every migration is applied',
        security: [],
        response: { 200: Readiness, ...problemResponses(503) }
      }
    },
    async () => {
      try {
        await sql`select 1`.execute(app.db)
        if (!(await migrationsApplied(app.db))) throw new Error('pending migrations')
      } catch (error) {
        app.log.warn({ err: error }, 'not ready')
        throw new ProblemError({
          status: 503,
          code: 'NOT_READY',
          detail: 'The database is unreachable or has pending migrations; see the service log.',
          headers: { 'retry-after': '5' }
        })
      }
      return { status: 'ready' as const, database: app.database.kind }
    }
  )
}

export default healthRoutes
