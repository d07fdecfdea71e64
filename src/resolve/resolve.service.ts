import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { hasScope, isAdmin, type Principal } from '../auth/scopes.js'
import { isDatabaseUnavailable } from '../db/unavailable.js'
import { isVisibleTo } from '../images/image-access.js'
import type { BatchWriter } from './batch-writer.js'
import type { GrantRecord } from './grants.repository.js'
import type { ResolutionRecord } from './resolutions.repository.js'
import { toResolution } from './resolution.js'
import { credentialUnavailable, imageNotFound, invalidSpec, versionNotFound, versionWithdrawn } from './resolve-problems.js'
import { ResolutionMemo } from './resolution-memo.js'
import type { PullSecret, Resolution } from './resolve.schemas.js'
import { selectVersion } from './select-version.js'
import type { SnapshotCache } from './snapshot-cache.js'
import { parseVersionSpec, type VersionSpec } from './version-spec.js'

export interface ResolveInput {
  code: string
  spec: string
  project: string
  pipeline?: string | undefined
  build?: string | undefined
}

export interface ResolveCaller {
  principal: Principal
  log: FastifyBaseLogger
  /** Secrets already revealed in this request, by credential id (a batch reveals each once). */
  secrets?: Map<string, Promise<PullSecret | undefined>>
}

export interface Resolved {
  /** Shared between requests (frozen) unless it carries this caller's pull secret. */
  resolution: Readonly<Resolution>
  stale: boolean
}

/** Resolution at job start: snapshot from the cache, pure selection, then the records. */
export class Resolver {
  private readonly memo = new ResolutionMemo()
  // Valid specs only, so an invalid one is still rejected by parsing it; bounded like the memo.
  private readonly specs = new Map<string, VersionSpec>()

  constructor(
    private readonly app: FastifyInstance,
    private readonly cache: SnapshotCache,
    private readonly resolutionLog: BatchWriter<ResolutionRecord>,
    private readonly grantLog: BatchWriter<GrantRecord>
  ) {}

  async resolve(input: ResolveInput, caller: ResolveCaller): Promise<Resolved> {
    const spec = this.parse(input.spec)
    if (!spec) throw invalidSpec(input.spec)
    const { snapshot, stale } = await this.cache.get(input.code)
    const admin = isAdmin(caller.principal)
    if (!snapshot) throw imageNotFound(input.code, input.project, false, admin)
    if (!isVisibleTo(snapshot, input.project)) throw imageNotFound(input.code, input.project, true, admin)

    const debugProject = input.project === snapshot.debugProject
    let resolution: Readonly<Resolution> | undefined = this.memo.get(snapshot, input.spec, debugProject)
    if (!resolution) {
      const selection = selectVersion(snapshot.versions, spec, debugProject)
      if (selection.kind === 'no-match') throw versionNotFound(snapshot.code, input.spec, input.project, selection.newest)
      if (selection.kind === 'withdrawn') throw versionWithdrawn(snapshot.code, selection.version, selection.serving)
      resolution = this.memo.set(snapshot, input.spec, debugProject, toResolution(snapshot, selection.version, input.spec))
    }

    // Records are object literals with every field spelled out: spreading a shared part and adding
    // fields to it made V8 build each one in dictionary mode, about 5 µs per resolution (more than
    // all the rest of resolve).
    const now = new Date()
    const pipeline = input.pipeline ?? null
    const build = input.build ?? null
    const { tokenId } = caller.principal
    if (hasScope(caller.principal, 'pull-secrets')) {
      resolution = { ...resolution, pullSecret: resolution.credential ? await this.pullSecret(snapshot.code, resolution.credential.id, caller) : null }
      if (resolution.credential) {
        const credentialId = resolution.credential.id
        const tokenName = caller.principal.name
        this.grantLog.push({ credentialId, imageId: snapshot.id, version: resolution.version, project: input.project, pipeline, build, tokenId, tokenName, grantedAt: now })
      }
    }
    this.resolutionLog.push({
      imageId: snapshot.id,
      spec: input.spec,
      version: resolution.version,
      status: resolution.status,
      digest: resolution.digest,
      project: input.project,
      pipeline,
      build,
      tokenId,
      count: 1,
      firstResolvedAt: now,
      resolvedAt: now
    })
    return { resolution, stale }
  }

  private parse(text: string): VersionSpec | undefined {
    const known = this.specs.get(text)
    if (known) return known
    const spec = parseVersionSpec(text)
    if (spec) {
      if (this.specs.size >= 1000) this.specs.clear()
      this.specs.set(text, spec)
    }
    return spec
  }

  private async pullSecret(code: string, credentialId: string, caller: ResolveCaller): Promise<PullSecret> {
    const memo = caller.secrets ?? new Map<string, Promise<PullSecret | undefined>>()
    let pending = memo.get(credentialId)
    if (!pending) {
      pending = this.app.credentialSecrets.reveal(credentialId)
      memo.set(credentialId, pending)
    }
    let secret: PullSecret | undefined
    try {
      secret = await pending
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw err
      // e.g. sealed with a key this replica lacks; the error text names the key, never the secret.
      caller.log.error({ err, credentialId }, 'could not reveal a pull secret')
    }
    if (!secret) throw credentialUnavailable(code, credentialId)
    return secret
  }
}
