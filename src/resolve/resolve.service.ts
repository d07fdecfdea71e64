import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { hasScope, isAdmin, type Principal } from '../auth/scopes.js'
import { isDatabaseUnavailable } from '../db/unavailable.js'
import type { ResolutionLog } from '../resolution-log/resolution-log.js'
import type { ImageSnapshot } from './image-snapshot.js'
import { toResolution } from './resolution.js'
import { credentialUnavailable, imageNotFound, invalidSpec, selectionProblem } from './resolve-problems.js'
import { ResolutionMemo } from './resolution-memo.js'
import type { PullSecret, Resolution } from './resolve.schemas.js'
import { audienceOf, parseVersionSpec, selectVersion, type VersionSpec } from './select-version.js'
import type { SnapshotCache } from './snapshot-cache.js'
import type { ResolveMetrics } from './resolve-metrics.js'

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
    private readonly resolutionLog: ResolutionLog,
    private readonly metrics: ResolveMetrics
  ) {}

  /**
   * The answer without a promise when it needs nothing but a fresh cached snapshot (no pull
   * secret); undefined means call resolve(). Problems are thrown as resolve() throws them. Most
   * job starts take this path, so it spares them the promises and microtask turns of resolve().
   */
  resolveNow(input: ResolveInput, caller: ResolveCaller): Resolved | undefined {
    if (hasScope(caller.principal, 'pull-secrets')) return undefined
    const startedAt = performance.now()
    try {
      const spec = this.parse(input.spec)
      const snapshot = this.cache.peek(input.code)
      // Not counted: resolve() answers it.
      if (!snapshot) return undefined
      const resolution = this.select(snapshot, spec, input, caller)
      this.record(snapshot, resolution, input, caller, new Date())
      this.metrics.answered(false, startedAt)
      return { resolution, stale: false }
    } catch (error) {
      this.metrics.refused(error, startedAt)
      throw error
    }
  }

  async resolve(input: ResolveInput, caller: ResolveCaller): Promise<Resolved> {
    const startedAt = performance.now()
    try {
      const resolved = await this.resolveFromCache(input, caller)
      this.metrics.answered(resolved.stale, startedAt)
      return resolved
    } catch (error) {
      this.metrics.refused(error, startedAt)
      throw error
    }
  }

  private async resolveFromCache(input: ResolveInput, caller: ResolveCaller): Promise<Resolved> {
    const spec = this.parse(input.spec)
    const { snapshot, stale } = await this.cache.get(input.code)
    if (!snapshot) throw imageNotFound(input.code, input.project, false, isAdmin(caller.principal))
    let resolution = this.select(snapshot, spec, input, caller)
    const now = new Date()
    if (hasScope(caller.principal, 'pull-secrets')) {
      resolution = {
        ...resolution,
        pullSecret: resolution.credential ? await this.pullSecret(snapshot.code, resolution.credential.id, caller) : null
      }
      if (resolution.credential) {
        // Spelled out, not spread: see record().
        const credentialId = resolution.credential.id
        const { tokenId, name: tokenName } = caller.principal
        const { project, pipeline = null, build = null } = input
        this.resolutionLog.granted({
          credentialId,
          imageId: snapshot.id,
          version: resolution.version,
          project,
          pipeline,
          build,
          tokenId,
          tokenName,
          grantedAt: now
        })
      }
    }
    this.record(snapshot, resolution, input, caller, now)
    return { resolution, stale }
  }

  /**
   * The memoized (or newly selected) resolution of the spec; throws the 404 that does not reveal
   * an image the project cannot see, no-match, and the 410s of withdrawn and unavailable versions.
   */
  private select(snapshot: ImageSnapshot, spec: VersionSpec, input: ResolveInput, caller: ResolveCaller): Readonly<Resolution> {
    const audience = audienceOf(snapshot, input.project)
    if (audience === 'none') throw imageNotFound(input.code, input.project, true, isAdmin(caller.principal))
    const debug = audience === 'debug'
    const variant = this.memo.variant(snapshot, input.project, debug)
    const known = this.memo.get(snapshot, input.spec, variant)
    if (known) return known
    const selection = selectVersion(snapshot.versions, spec, { project: input.project, debug, imageId: snapshot.id })
    if (selection.kind !== 'resolved') throw selectionProblem(snapshot.code, input.spec, input.project, selection)
    return this.memo.set(snapshot, input.spec, variant, toResolution(snapshot, selection.version, input.spec))
  }

  private record(snapshot: ImageSnapshot, resolution: Readonly<Resolution>, input: ResolveInput, caller: ResolveCaller, now: Date): void {
    // An object literal with every field spelled out: spreading a shared part and adding fields to
    // it makes V8 build each record in dictionary mode, which costs more than the rest of resolve.
    this.resolutionLog.resolved({
      imageId: snapshot.id,
      spec: input.spec,
      version: resolution.version,
      status: resolution.status,
      digest: resolution.digest,
      project: input.project,
      pipeline: input.pipeline ?? null,
      build: input.build ?? null,
      tokenId: caller.principal.tokenId,
      count: 1,
      firstResolvedAt: now,
      resolvedAt: now
    })
  }

  /** The parsed spec; throws INVALID_SPEC. */
  private parse(text: string): VersionSpec {
    const known = this.specs.get(text)
    if (known) return known
    const spec = parseVersionSpec(text)
    if (!spec) throw invalidSpec(text)
    if (this.specs.size >= 1000) this.specs.clear()
    this.specs.set(text, spec)
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
    // Only the login: the revealed row also names the credential's hosts.
    return { username: secret.username, password: secret.password }
  }
}
