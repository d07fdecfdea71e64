import type { FastifyInstance } from 'fastify'
import { Gauge, type Registry } from 'prom-client'

const flag = (on: boolean) => (on ? 1 : 0)

/**
 * The replica's own state, read when scraped: the database pool, the LISTEN connection and
 * readiness. The decorators they read are added by plugins that load after metrics, so each is
 * looked up at scrape time.
 */
export function registerReplicaMetrics(app: FastifyInstance, registry: Registry): void {
  const registers = [registry]
  const pool = app.database.pool
  // The embedded database has no pool: the families are left out rather than reported as zero.
  if (pool) {
    new Gauge({
      name: 'ci_image_store_database_pool_connections',
      help: 'PostgreSQL connections of the pool, by state (in_use, idle)',
      labelNames: ['state'],
      registers,
      collect() {
        this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount)
        this.set({ state: 'idle' }, pool.idleCount)
      }
    })
    new Gauge({
      name: 'ci_image_store_database_pool_waiting_queries',
      help: 'Queries waiting for a free pool connection',
      registers,
      collect() {
        this.set(pool.waitingCount)
      }
    })
    new Gauge({
      name: 'ci_image_store_database_pool_max_connections',
      help: 'Largest number of connections the pool opens (DATABASE_POOL_MAX)',
      registers,
      collect() {
        this.set(app.config.DATABASE_POOL_MAX)
      }
    })
  }
  new Gauge({
    name: 'ci_image_store_listen_connected',
    help: "1 while the LISTEN connection is up and other replicas' changes are heard at once (always 1 on the embedded database)",
    registers,
    collect() {
      this.set(flag(app.hasDecorator('notifications') && app.notifications.hearsOthers))
    }
  })
  const readiness = (name: string, help: string, read: (state: ReturnType<FastifyInstance['readiness']['state']>) => boolean) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        if (app.hasDecorator('readiness')) this.set(flag(read(app.readiness.state())))
      }
    })
  readiness('ci_image_store_ready', '1 while /readyz answers 200: load balancers should send this replica traffic', (s) => s.ready)
  readiness(
    'ci_image_store_degraded',
    '1 while the database is unreachable and resolve answers from what this replica knows (marked stale)',
    (s) => s.mode === 'degraded'
  )
  readiness('ci_image_store_draining', '1 once shutdown began: the replica is leaving the load balancer', (s) => s.draining)
}
