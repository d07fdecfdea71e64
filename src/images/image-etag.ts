import { listedTags } from '../http/entity-tags.js'

// An edit is checked against the image's revision, which every edit increases: strong, because two
// representations of one revision are the same image. A GET answers "r<revision>-<digest of the
// body>" (see conditional-get.ts): its lines change on releases without an edit, and If-None-Match
// must see that, while If-Match only cares about the revision in front.
export const imageETag = (revision: number): string => `"r${revision}"`

/**
 * Whether a request with this If-Match (undefined = unconditional) may change an image at
 * `revision`. Strong comparison (RFC 9110 §13.1.1): a weak tag W/"r3" never matches.
 */
export function ifMatchAllows(header: string | undefined, revision: number): boolean {
  if (header === undefined) return true
  const exact = imageETag(revision)
  const read = `${exact.slice(0, -1)}-`
  return listedTags(header).some((tag) => tag === '*' || tag === exact || (tag.startsWith(read) && tag.endsWith('"')))
}
