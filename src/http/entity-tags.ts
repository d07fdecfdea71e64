import { createHash } from 'node:crypto'

/** The entity tags an If-Match or If-None-Match header lists, `*` included as it is. */
export function listedTags(header: string): string[] {
  return header
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '')
}

const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag)

/** If-None-Match compares weakly (RFC 9110 §13.1.2): W/"x" and "x" name the same content. */
export function noneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  const current = opaque(etag)
  return listedTags(header).some((tag) => tag === '*' || opaque(tag) === current)
}

/** A digest of a serialized body: equal bodies, equal digests. */
export const bodyDigest = (body: string | Buffer): string => createHash('sha1').update(body).digest('base64url')
