import { randomUUID } from 'node:crypto'
import type { Database } from '../db/database.js'
import { violatedForeignKey, violatedUnique } from '../db/pg-errors.js'
import { isDatabaseUnavailable } from '../db/unavailable.js'
import { badRequest, conflict, notFound } from '../http/problem.js'
import { InvalidRegistryHostError, normaliseRegistryHost, SINGLE_LABEL_HINT, type RegistryLogin } from '../registry/index.js'
import type { Principal } from '../auth/scopes.js'
import { commitChanges } from '../changes/commit-changes.js'
import type { ChangeNotifier } from '../changes/changes.plugin.js'
import type { CredentialCipher } from './credential-cipher.js'
import type { CredentialUsers } from './credential-users.js'
import type { CreateCredentialBody, Credential, UpdateCredentialBody } from './credentials.schemas.js'
import type { CredentialRow, CredentialUpdate } from './credentials.table.js'
import {
  deleteCredential,
  findCredential,
  findSealedCredential,
  insertCredential,
  lockCredential,
  updateCredential,
  type CredentialMetadata
} from './credentials.repository.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function toCredential(row: CredentialMetadata): Credential {
  return {
    id: row.id,
    project: row.project,
    name: row.name,
    description: row.description,
    username: row.username,
    registries: row.registries,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    updatedAt: row.updatedAt.toISOString(),
    secretRotatedAt: row.secretRotatedAt?.toISOString() ?? null
  }
}

export const credentialNotFound = (project: string, id: string) =>
  notFound('CREDENTIAL_NOT_FOUND', `No credential ${id} in project "${project}"; list them with GET /v1/projects/${project}/credentials.`)

function nameTaken(error: unknown, project: string, name: string | undefined) {
  if (violatedUnique(error) === 'registry_credentials_project_name_key') {
    return conflict(
      'CREDENTIAL_NAME_TAKEN',
      `Project "${project}" already has a credential named "${name}"; choose another name or update that one.`,
      { name }
    )
  }
  return error
}

/** The hosts normalised, deduplicated and sorted; a host that is no registry host is a 400 naming it. */
export function normaliseRegistries(hosts: readonly string[]): string[] {
  const normalised = hosts.map((host) => {
    try {
      return normaliseRegistryHost(host)
    } catch (error) {
      if (!(error instanceof InvalidRegistryHostError)) throw error
      throw badRequest(
        'INVALID_REGISTRY_HOST',
        `registries: ${error.message}. Give each as host[:port] (IPv6 in brackets); ${SINGLE_LABEL_HINT}.`,
        {
          registry: host,
          hint: SINGLE_LABEL_HINT
        }
      )
    }
  })
  return [...new Set(normalised)].sort()
}

function registriesInUse(id: string, registries: string[], outside: { image: string; version: string; registry: string }[]) {
  const named = outside.map((v) => `${v.image} ${v.version} (${v.registry})`).join(', ')
  return conflict(
    'CREDENTIAL_REGISTRIES_IN_USE',
    `Credential ${id} is used by versions on hosts the new list (${registries.join(', ')}) leaves out: ${named}. Keep those hosts, or cancel those versions first.`,
    { versions: outside }
  )
}

export async function createCredential(
  db: Database,
  cipher: CredentialCipher,
  project: string,
  body: CreateCredentialBody,
  actor: string
): Promise<Credential> {
  // The id is chosen here because it is bound into the ciphertext (additional authenticated data).
  const id = randomUUID()
  const sealed = cipher.seal(id, body.password)
  try {
    const row = await insertCredential(db, {
      id,
      project,
      name: body.name,
      description: body.description ?? null,
      username: body.username,
      registries: normaliseRegistries(body.registries),
      secretCiphertext: sealed.ciphertext,
      secretKeyId: sealed.keyId,
      createdBy: actor
    })
    return toCredential(row)
  } catch (error) {
    throw nameTaken(error, project, body.name)
  }
}

export async function getCredential(db: Database, project: string, id: string): Promise<Credential> {
  const row = await findCredential(db, project, id)
  if (!row) throw credentialNotFound(project, id)
  return toCredential(row)
}

/**
 * A change of hosts is recorded on every image whose resolutions may carry the credential
 * (`image.credential_rebound`, in the same transaction): resolve caches the hosts with the image
 * and must not hand the secret to a host taken off the list.
 */
export async function changeCredential(
  db: Database,
  deps: { cipher: CredentialCipher; users: CredentialUsers; changes: ChangeNotifier },
  actor: Principal,
  project: string,
  id: string,
  body: UpdateCredentialBody
): Promise<Credential> {
  const { cipher, users } = deps
  const changes: CredentialUpdate = {}
  if (body.name !== undefined) changes.name = body.name
  if (body.description !== undefined) changes.description = body.description
  if (body.username !== undefined) changes.username = body.username
  const registries = body.registries === undefined ? undefined : normaliseRegistries(body.registries)
  if (registries !== undefined) changes.registries = registries
  if (body.password !== undefined) {
    const sealed = cipher.seal(id, body.password)
    changes.secretCiphertext = sealed.ciphertext
    changes.secretKeyId = sealed.keyId
    changes.secretRotatedAt = new Date()
  }
  try {
    const row = await commitChanges(db, deps.changes, async (trx, record) => {
      if (registries === undefined) return updateCredential(trx, project, id, changes)
      // Locked first: a version submitted meanwhile share-locks the row, so it is either seen
      // here or checked against the new hosts.
      const before = await lockCredential(trx, project, id)
      if (!before) throw credentialNotFound(project, id)
      const outside = await users.versionsOutside(trx, id, registries)
      if (outside.length > 0) throw registriesInUse(id, registries, outside)
      const updated = await updateCredential(trx, project, id, changes)
      const rebound = { credentialId: id, registries: { from: before.registries, to: registries } }
      for (const image of await users.imagesPullingWith(trx, id)) {
        await record({ image, action: 'image.credential_rebound', actor, details: rebound, changesResolutions: true })
      }
      return updated
    })
    if (!row) throw credentialNotFound(project, id)
    return toCredential(row)
  } catch (error) {
    throw nameTaken(error, project, body.name)
  }
}

function inUse(id: string, usage: { images: string[]; versions: { image: string; version: string }[] }) {
  const named = [...usage.images.map((c) => `image ${c}`), ...usage.versions.map((v) => `version ${v.image} ${v.version}`)]
  return conflict(
    'CREDENTIAL_IN_USE',
    `Credential ${id} is still used by ${named.join(', ') || 'an image or version'}; switch those to another credential first.`,
    { usedBy: usage }
  )
}

export async function removeCredential(db: Database, users: CredentialUsers, project: string, id: string): Promise<void> {
  if (!(await findCredential(db, project, id))) throw credentialNotFound(project, id)
  const usage = await users.usage(db, id)
  if (usage.images.length > 0 || usage.versions.length > 0) throw inUse(id, usage)
  try {
    if (!(await deleteCredential(db, project, id))) throw credentialNotFound(project, id)
  } catch (error) {
    // An image or version took the credential between the check and the delete: the RESTRICT
    // foreign keys refuse, and the caller gets the same answer as if it had been there before.
    if (violatedForeignKey(error) !== undefined) throw inUse(id, await users.usage(db, id))
    throw error
  }
}

export interface CredentialSecrets {
  /** The decrypted login of a stored credential and the hosts it may go to; undefined if there is none. */
  reveal(credentialId: string): Promise<RegistryLogin | undefined>
  /** As reveal, for a pull that cannot go on without it: throws when the credential is gone. */
  revealForPull(credentialId: string): Promise<RegistryLogin>
}

// Enough for every credential a fleet of pipelines pulls with; beyond it the memory starts over.
const MAX_LAST_SEALED = 10_000

/**
 * Decrypts stored credentials for pulls: `reveal` answers undefined when there is no such
 * credential. While the database is unreachable it answers from the last sealed form this process
 * read, so a resolve with pull secrets keeps serving the last known state as plain resolve does
 * (the resolution is then marked stale). Only ciphertext is kept; each reveal decrypts anew.
 */
export function credentialRevealer(db: Database, cipher: CredentialCipher): CredentialSecrets {
  const lastSealed = new Map<string, CredentialRow>()
  return {
    async reveal(id) {
      if (!UUID.test(id)) return undefined
      let row: CredentialRow | undefined
      try {
        row = await findSealedCredential(db, id)
      } catch (error) {
        const known = lastSealed.get(id)
        if (!known || !isDatabaseUnavailable(error)) throw error
        row = known
      }
      if (!row) {
        lastSealed.delete(id)
        return undefined
      }
      if (lastSealed.size >= MAX_LAST_SEALED && !lastSealed.has(id)) lastSealed.clear()
      lastSealed.set(id, row)
      return {
        username: row.username,
        registries: row.registries,
        password: cipher.open(row.id, { ciphertext: row.secretCiphertext, keyId: row.secretKeyId })
      }
    },
    async revealForPull(id) {
      const login = await this.reveal(id)
      if (!login) throw new Error(`credential ${id} no longer exists`)
      return login
    }
  }
}
