/**
 * Where a BatchWriter keeps rows until they are taken for a write. Bounded: `add` refuses when the
 * rows held plus `reserved` reach the bound.
 */
export interface RowBuffer<T> {
  readonly size: number
  /** Rows held outside the buffer that count toward its bound: the batch being written or set aside for a retry. */
  reserved: number
  /** false: the buffer is full and the row was not kept. */
  add(row: T): boolean
  /** Removes and returns up to `count` rows, oldest first. */
  take(count: number): T[]
}

/** Every row kept as it came. */
export class ListBuffer<T> implements RowBuffer<T> {
  private readonly rows: T[] = []
  reserved = 0

  constructor(private readonly max: number) {}

  get size(): number {
    return this.rows.length
  }

  add(row: T): boolean {
    if (this.rows.length + this.reserved >= this.max) return false
    this.rows.push(row)
    return true
  }

  take(count: number): T[] {
    return this.rows.splice(0, count)
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
  private readonly rows = new Map<string, T>()
  reserved = 0

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
    if (this.rows.size + this.reserved >= this.max) return false
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
}
