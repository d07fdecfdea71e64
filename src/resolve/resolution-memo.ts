import { reaches } from '../rollouts/rollout-reach.js'
import type { ImageSnapshot } from './image-snapshot.js'
import type { Resolution } from './resolve.schemas.js'

// Enough for every spec form of every version line an image's pipelines ask for; a client cycling
// through more only costs recomputation, never memory.
const MAX_PER_SNAPSHOT = 64
// Projects whose place in an image's rollouts is remembered per snapshot; beyond it they are placed again.
const MAX_PLACED_PROJECTS = 4096

/** The variant of the image's debug project: offered versions before release, reached by every rollout. */
export const DEBUG_VARIANT = -1
// One bit per active rollout; an image never has this many, and beyond it nothing is memoized.
const MAX_ROLLOUT_BITS = 30

/**
 * What about the asking project (besides the image being visible to it) changes the answers a
 * snapshot gives: being the debug project, and which of the image's active rollouts reach it, one
 * bit per rollout in snapshot order. An image without a rollout answers every consumer alike (0).
 * undefined: not memoized.
 */
export function variantOf(snapshot: ImageSnapshot, project: string, debug: boolean): number | undefined {
  if (debug) return DEBUG_VARIANT
  const rollingOut = snapshot.rollingOut
  if (rollingOut.length === 0) return 0
  if (rollingOut.length > MAX_ROLLOUT_BITS) return undefined
  let bits = 0
  for (let i = 0; i < rollingOut.length; i++) {
    const rollout = rollingOut[i]?.rollout
    if (rollout && reaches(rollout.reach, snapshot.id, project)) bits |= 1 << i
  }
  return bits
}

type Memoized = Readonly<Resolution>

interface Memo {
  size: number
  /** Variant 0, every consumer of an image without a rollout: the common case, one lookup. */
  consumers: Map<string, Memoized>
  others: Map<number, Map<string, Memoized>>
  /** variantOf of the projects seen, so a rollout hashes a project once per snapshot, not per job. */
  placed: Map<string, number | undefined>
}

/**
 * Resolutions already computed from a snapshot, by variant (variantOf) and spec: what changes a
 * resolution without a pull secret. Kept with the snapshot object itself: a snapshot is never
 * modified, only replaced when the cache reloads it, so a memoized resolution is exactly what
 * computing it again would give, and it goes when its snapshot goes. The resolutions are frozen
 * because every request of that key shares one. A lookup allocates nothing.
 */
export class ResolutionMemo {
  private readonly bySnapshot = new WeakMap<ImageSnapshot, Memo>()

  /** variantOf, remembered per snapshot for images with a rollout; free for the others. */
  variant(snapshot: ImageSnapshot, project: string, debug: boolean): number | undefined {
    if (debug) return DEBUG_VARIANT
    if (snapshot.rollingOut.length === 0) return 0
    const memo = this.memoOf(snapshot)
    if (memo.placed.has(project)) return memo.placed.get(project)
    if (memo.placed.size >= MAX_PLACED_PROJECTS) memo.placed.clear()
    const variant = variantOf(snapshot, project, debug)
    memo.placed.set(project, variant)
    return variant
  }

  get(snapshot: ImageSnapshot, spec: string, variant: number | undefined): Memoized | undefined {
    const memo = this.bySnapshot.get(snapshot)
    if (memo === undefined || variant === undefined) return undefined
    return variant === 0 ? memo.consumers.get(spec) : memo.others.get(variant)?.get(spec)
  }

  set(snapshot: ImageSnapshot, spec: string, variant: number | undefined, resolution: Resolution): Memoized {
    const frozen = Object.freeze(resolution)
    if (variant === undefined) return frozen
    const memo = this.memoOf(snapshot)
    if (memo.size >= MAX_PER_SNAPSHOT) {
      memo.consumers.clear()
      memo.others.clear()
      memo.size = 0
    }
    let bySpec = variant === 0 ? memo.consumers : memo.others.get(variant)
    if (!bySpec) memo.others.set(variant, (bySpec = new Map()))
    if (!bySpec.has(spec)) memo.size++
    bySpec.set(spec, frozen)
    return frozen
  }

  private memoOf(snapshot: ImageSnapshot): Memo {
    let memo = this.bySnapshot.get(snapshot)
    if (!memo) this.bySnapshot.set(snapshot, (memo = { size: 0, consumers: new Map(), others: new Map(), placed: new Map() }))
    return memo
  }
}
