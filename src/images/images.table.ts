import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

/** A public key as stored on the image (jsonb); the same shape as the registry client's SignatureKeyRef. */
export interface StoredSignatureKey {
  name: string
  algorithm: 'ecdsa-p256' | 'ed25519'
  /** PEM of the SubjectPublicKeyInfo. */
  publicKey: string
  /** 'sha256:<hex of the SPKI DER>' */
  fingerprint: string
}

/** Who must approve a release of the image's versions, and how many approvals it needs. */
export interface ApprovalPolicy {
  required: number
  approverProjects: string[]
}

export interface ImagesTable {
  id: Generated<string>
  code: string
  name: string
  ownerProject: string
  debugProject: string
  credentialId: string | null
  summary: string | null
  description: string | null
  labels: Generated<string[]>
  visibilityPublic: Generated<boolean>
  visibilityProjects: Generated<string[]>
  /** Public keys whose signature a version must carry to pass its check; [] = no signature required. */
  signatureKeys: ColumnType<StoredSignatureKey[], string | undefined, string>
  /** Approvals a release needs; null = none. */
  approval: ColumnType<ApprovalPolicy | null, string | null | undefined, string | null>
  /** Minimum time in testing before release, as written (e.g. '24h'); null = none. */
  minTestingTime: string | null
  revision: Generated<number>
  lastReleasedAt: Date | null
  createdAt: ColumnType<Date, never, never>
  createdBy: string
  updatedAt: ColumnType<Date, never, Date>
  /** Generated tsvector over code, name and summary; only used in where clauses. */
  search: ColumnType<unknown, never, never>
}

export type ImageRow = Selectable<ImagesTable>
export type NewImage = Insertable<ImagesTable>
export type ImageUpdate = Updateable<ImagesTable>
