import type { Selectable } from 'kysely'

/** Requests made to one registry in the current minute, by every replica, and a 429's wait. */
export interface RegistryRequestBudgetsTable {
  registry: string
  windowStart: Date
  used: number
  blockedUntil: Date | null
}

export type RegistryRequestBudgetRow = Selectable<RegistryRequestBudgetsTable>
