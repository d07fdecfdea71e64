/** Where a BatchWriter keeps rows until they are written. Bounded: `add` refuses when full. */
export interface RowBuffer<T> {
  readonly size: number
  /** false: the buffer is full and the row was not kept. */
  add(row: T): boolean
  /** Removes and returns up to `count` rows, oldest first. */
  take(count: number): T[]
  /** Puts rows back in front after a failed write, as far as the bound allows; returns how many were lost. */
  restore(rows: T[]): number
}

/** Every row kept as it came. */
export class ListBuffer<T> implements RowBuffer<T> {
  private rows: T[] = []

  constructor(private readonly max: number) {}

  get size(): number {
    return this.rows.length
  }

  add(row: T): boolean {
    if (this.rows.length >= this.max) return false
    this.rows.push(row)
    return true
  }

  take(count: number): T[] {
    return this.rows.splice(0, count)
  }

  restore(rows: T[]): number {
    const kept = rows.slice(0, Math.max(0, this.max - this.rows.length))
    this.rows.unshift(...kept)
    return rows.length - kept.length
  }
}

export interface Coalescing<T> {
  /** Rows with the same key are one row (e.g. the same resolution asked again by the same build). */
  key(row: T): string
  /** Folds `row` into `into` (counts add up, times widen); must also fold an already folded row. */
  merge(into: T, row: T): void
}

/**
 * Rows with equal keys folded into one, in order of each key's first row. The bound counts distinct
 * keys, so a row that folds into one already held is never refused.
 */
export class CoalescingBuffer<T> implements RowBuffer<T> {
  private rows = new Map<string, T>()

  constructor(
    private readonly max: number,
    private readonly coalescing: Coalescing<T>
  ) {}

  get size(): number {
    return this.rows.size
  }

  add(row: T): boolean {
    const key = this.coalescing.key(row)
    const held = this.rows.get(key)
    if (held !== undefined) {
      this.coalescing.merge(held, row)
      return true
    }
    if (this.rows.size >= this.max) return false
    this.rows.set(key, row)
    return true
  }

  take(count: number): T[] {
    const taken: T[] = []
    for (const [key, row] of this.rows) {
      if (taken.length >= count) break
      taken.push(row)
      this.rows.delete(key)
    }
    return taken
  }

  restore(rows: T[]): number {
    // Back in front, like ListBuffer: the failed rows first, then what arrived meanwhile, which is
    // never lost. A failed row folds into an arrived one of the same key without taking room.
    const arrived = this.rows
    this.rows = new Map()
    let room = this.max - arrived.size
    let lost = 0
    for (const row of rows) {
      const key = this.coalescing.key(row)
      const held = this.rows.get(key)
      if (held !== undefined) {
        this.coalescing.merge(held, row)
        continue
      }
      if (!arrived.has(key)) {
        if (room <= 0) {
          lost++
          continue
        }
        room--
      }
      this.rows.set(key, row)
    }
    for (const [key, row] of arrived) {
      const held = this.rows.get(key)
      if (held === undefined) this.rows.set(key, row)
      else this.coalescing.merge(held, row)
    }
    return lost
  }
}
