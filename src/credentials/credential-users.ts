import type { Db } from '../db/schema.js'

/** What still pulls with a credential, named for a 409 (at most a page of each). */
export interface CredentialUsage {
  images: string[]
  versions: { image: string; version: string }[]
}

/**
 * Who uses a credential: images and their versions. Declared here and implemented by versions/
 * (wired in app.ts): versions build on credentials, so credentials never read their tables.
 */
export interface CredentialUsers {
  usage(db: Db, credentialId: string): Promise<CredentialUsage>
  /** Versions not cancelled that pull with the credential from a registry outside `registries`. */
  versionsOutside(
    db: Db,
    credentialId: string,
    registries: readonly string[]
  ): Promise<{ image: string; version: string; registry: string }[]>
  /** Images whose resolutions may carry the credential: it is theirs or one of their versions'. */
  imagesPullingWith(db: Db, credentialId: string): Promise<{ id: string; code: string }[]>
}
