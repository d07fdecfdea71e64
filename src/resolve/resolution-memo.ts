import type { ImageSnapshot } from './image-snapshot.js'
import type { Resolution } from './resolve.schemas.js'

// Enough for every spec form of every version line an image's pipelines ask for; a client cycling
// through more only costs recomputation, never memory.
const MAX_PER_SNAPSHOT = 64

/**
 * Resolutions already computed from a snapshot, by spec and by whether the caller is the debug
 * project (the only thing about the caller that changes a resolution without a pull secret).
 * Kept with the snapshot object itself: a snapshot is never modified, only replaced when the cache
 * reloads it, so a memoized resolution is exactly what computing it again would give, and it goes
 * when its snapshot goes. The resolutions are frozen because every request of that key shares one.
 */
export class ResolutionMemo {
  private readonly bySnapshot = new WeakMap<ImageSnapshot, Map<string, Readonly<Resolution>>>()

  get(snapshot: ImageSnapshot, spec: string, debugProject: boolean): Readonly<Resolution> | undefined {
    return this.bySnapshot.get(snapshot)?.get(key(spec, debugProject))
  }

  set(snapshot: ImageSnapshot, spec: string, debugProject: boolean, resolution: Resolution): Readonly<Resolution> {
    let memo = this.bySnapshot.get(snapshot)
    if (!memo) this.bySnapshot.set(snapshot, (memo = new Map()))
    if (memo.size >= MAX_PER_SNAPSHOT) memo.clear()
    const frozen = Object.freeze(resolution)
    memo.set(key(spec, debugProject), frozen)
    return frozen
  }
}

const key = (spec: string, debugProject: boolean) => (debugProject ? `debug:${spec}` : spec)
