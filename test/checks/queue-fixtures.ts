/**
 * A migrated database with no app (so no worker of its own), and versions queued for checking, for
 * tests of the worker and of applying outcomes with an injected checker.
 */
import pino from 'pino'
import type { Test } from 'tap'
import type { FastifyBaseLogger } from 'fastify'
import { openDatabase, type Database } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrator.js'
import { enqueueCheck } from '../../src/checks/check-jobs.repository.js'
import { CheckWorker, type Checker, type CheckWorkerOptions } from '../../src/checks/check-worker.js'
import { ChangeBus } from '../../src/changes/change-bus.js'
import type { PullabilityOutcome } from '../../src/registry/index.js'
import { freshDatabaseUrl } from '../helpers/database.js'

export const silent = pino({ level: 'silent' }) as unknown as FastifyBaseLogger

export async function queueDatabase(t: Test): Promise<Database> {
  const handle = openDatabase({ databaseUrl: await freshDatabaseUrl(t), dataDir: '/nonexistent', poolMax: 10 })
  t.teardown(() => handle.close())
  await migrateToLatest(handle.db)
  return handle.db
}

let imageCount = 0

/** A version in `checking` with its job queued, as a submission leaves it. */
export async function queuedVersion(
  db: Database,
  options: { digest?: string; tag?: string } = {}
): Promise<{ imageId: string; versionId: string }> {
  const image = await db
    .insertInto('images')
    .values({ code: `queue-${++imageCount}`, name: 'Queue test', ownerProject: 'p1', debugProject: 'p1', createdBy: 'test' })
    .returning('id')
    .executeTakeFirstOrThrow()
  const version = await db
    .insertInto('imageVersions')
    .values({
      imageId: image.id,
      major: 1,
      minor: 0,
      patch: 0,
      status: 'checking',
      registry: 'registry.example.com',
      repository: 'team/app',
      tag: options.tag ?? 'v1',
      digest: options.digest ?? null,
      submittedBy: 'admin'
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await enqueueCheck(db, version.id)
  return { imageId: image.id, versionId: version.id }
}

export const pullable = (digest: string): PullabilityOutcome => ({
  ok: true,
  digest,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  platforms: [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' }
  ],
  size: 1234
})

export const digestOf = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`

/** A checker whose answers the test controls; records every call. */
export class ScriptedChecker implements Checker {
  readonly calls: string[] = []
  constructor(private readonly answer: (reference: string, call: number) => Promise<PullabilityOutcome> | PullabilityOutcome) {}
  async checkPullability(reference: string): Promise<PullabilityOutcome> {
    this.calls.push(reference)
    return this.answer(reference, this.calls.length)
  }
}

export function startWorker(t: Test, db: Database, checker: Checker, options: Partial<CheckWorkerOptions> = {}): CheckWorker {
  const worker = new CheckWorker({
    db,
    changes: new ChangeBus(silent),
    log: silent,
    checker,
    revealCredential: async () => ({ username: 'u', password: 'p', registries: ['registry.example.com'] }),
    concurrency: 4,
    pollIntervalMs: 20,
    maxAttempts: 3,
    leaseMs: 30_000,
    backoff: { baseMs: 40, maxMs: 200 },
    ...options
  })
  worker.start()
  t.teardown(() => worker.stop())
  return worker
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export async function versionRow(db: Database, id: string) {
  return db.selectFrom('imageVersions').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

export async function jobRow(db: Database, versionId: string) {
  return db.selectFrom('checkJobs').selectAll().where('versionId', '=', versionId).where('kind', '=', 'pullability').executeTakeFirst()
}

export async function checkEvents(db: Database, imageId: string) {
  return db.selectFrom('imageEvents').select(['action', 'actor', 'details']).where('imageId', '=', imageId).orderBy('id').execute()
}
