// The ETag of an image is its revision, which every change increases: strong, because two
// representations of one revision are the same image.
export const imageETag = (revision: number): string => `"r${revision}"`

/**
 * Whether a request with this If-Match (undefined = unconditional) may change an image at
 * `revision`. Strong comparison (RFC 9110 §13.1.1): a weak tag W/"r3" never matches.
 */
export function ifMatchAllows(header: string | undefined, revision: number): boolean {
  if (header === undefined) return true
  const tags = header.split(',').map((t) => t.trim())
  return tags.includes('*') || tags.includes(imageETag(revision))
}
