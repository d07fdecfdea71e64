/**
 * What every replica hears after a state change commits: the event's id in the outbox
 * (image_events), its dotted type, and whom it concerns. Small enough for a NOTIFY payload; the
 * rest is in the event row.
 */
export interface Change {
  id: number
  type: string
  imageId: string
  /** 'M.m.p' for version events. */
  version: string | null
  /** Whether what resolve answers for the image may differ (versions' changesResolutions). */
  changesResolutions: boolean
}

/** The PostgreSQL channel every replica LISTENs on (through db/notifications.plugin.ts). */
export const CHANGES_CHANNEL = 'changes'

export function parseChange(payload: string): Change | undefined {
  try {
    const c = JSON.parse(payload) as Partial<Change>
    if (typeof c.id !== 'number' || typeof c.type !== 'string' || typeof c.imageId !== 'string') return undefined
    return { id: c.id, type: c.type, imageId: c.imageId, version: c.version ?? null, changesResolutions: c.changesResolutions === true }
  } catch {
    return undefined
  }
}
