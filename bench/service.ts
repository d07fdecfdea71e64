// The service as the benchmark runs it, and the images it seeds: shared by the servers' processes.
import type { FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

export const ADMIN_TOKEN = 'cis_bench-admin-token-0123456789abcdefghijklmnop'
/** The job-start workload's images: job-1 … job-JOB_IMAGES, in the job-start database. */
export const JOB_IMAGES = 100

// The service's production defaults (LOG_LEVEL=info), with the lines thrown away.
const logStream = new Writable({ write: (_chunk, _encoding, done) => done() })

export async function service(databaseUrl: string, cache: boolean, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    ADMIN_TOKEN,
    CREDENTIALS_KEY: Buffer.alloc(32, 1).toString('base64'),
    RESOLVE_CACHE: String(cache),
    // The limiter runs as in production; its budget is raised only because one token here sends
    // far more than a pipeline engine's minute (resolve and the floor share it).
    RATE_LIMIT_RESOLVE_PER_MINUTE: String(1_000_000_000),
    ...env
  })
  return buildApp({ config, logStream })
}

/** Ten released versions of one public image. */
export async function seed(app: FastifyInstance, code: string): Promise<string> {
  const image = await app.db
    .insertInto('images')
    .values({
      code,
      name: code,
      ownerProject: 'owner-proj',
      debugProject: 'debug-proj',
      createdBy: 'bench',
      visibilityPublic: true
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await app.db
    .insertInto('imageVersions')
    .values(
      Array.from({ length: 10 }, (_, minor) => ({
        imageId: image.id,
        major: 1,
        minor,
        patch: 0,
        status: 'released' as const,
        registry: 'registry.example.com',
        repository: `bench/${code}`,
        tag: `1.${minor}.0`,
        digest: `sha256:${String(minor).repeat(64)}`,
        platforms: JSON.stringify([
          { os: 'linux', architecture: 'amd64' },
          { os: 'linux', architecture: 'arm64', variant: 'v8' }
        ]),
        submittedBy: 'bench'
      }))
    )
    .execute()
  return image.id
}
