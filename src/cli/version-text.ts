import type { Schemas } from '../client/index.js'

/** One line per version: what a publisher needs to act on its status. */
export function versionLine(v: Schemas['Version']): string {
  const base = `${v.imageCode} ${v.version} ${v.status}`
  if (v.status === 'check_failed') return `${base} (${v.checkClass ?? 'unclassified'}): ${v.statusReason ?? ''}`
  if (v.status === 'withdrawn') return `${base}: ${v.withdrawReason ?? ''}`
  return v.pinnedReference ? `${base} ${v.pinnedReference}` : `${base} ${v.reference}`
}
