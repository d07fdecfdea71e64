/** What version changes must tell the rest of the app, after they commit. */
export interface VersionHooks {
  /** A check job was committed: wake the worker. */
  onCheckQueued: () => void
  /** A version of this image changed: drop cached snapshots (resolve). */
  onVersionChanged: (imageId: string) => Promise<void>
}
