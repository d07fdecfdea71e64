// The image's minimum time in testing (soak time): a version may be released only once it has been
// testing that long, counted from when it last entered testing (a rejection does not restart it).
import { durationMs } from '../config.js'

/** The first moment a release is possible; null when the image sets no minimum (or the start is unknown). */
export function releasableAt(testingSince: Date | null, minTestingTime: string | null): Date | null {
  if (minTestingTime === null || testingSince === null) return null
  return new Date(testingSince.getTime() + durationMs(minTestingTime))
}

/** When a release at `now` comes too early: the moment it becomes possible; else null. */
export function soakNotMet(now: Date, testingSince: Date | null, minTestingTime: string | null): Date | null {
  const at = releasableAt(testingSince, minTestingTime)
  return at !== null && now < at ? at : null
}
