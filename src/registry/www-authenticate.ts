// WWW-Authenticate parsing (RFC 9110 §11.6.1). One header may carry several challenges separated by
// commas, and quoted values may themselves contain commas (`scope="repository:a:pull,push"`), so a
// split on commas is not enough: we tokenise.

export interface Challenge {
  /** Lower-cased auth scheme, e.g. `bearer` or `basic`. */
  scheme: string
  /** Parameters by lower-cased name, values unquoted and unescaped. */
  params: Record<string, string>
  /** The opaque `token68` form some schemes use instead of parameters. */
  token68?: string
}

const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/

export function parseWwwAuthenticate(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return []
  // Repeated header lines are equivalent to one comma-joined line.
  const text = Array.isArray(header) ? header.join(', ') : header
  const challenges: Challenge[] = []
  let pos = 0
  const skip = (chars: string): void => {
    while (pos < text.length && chars.includes(text.charAt(pos))) pos++
  }
  const readToken = (): string => {
    const start = pos
    while (pos < text.length && TOKEN_CHAR.test(text.charAt(pos))) pos++
    return text.slice(start, pos)
  }
  const readQuoted = (): string => {
    let value = ''
    pos++ // opening quote
    while (pos < text.length && text.charAt(pos) !== '"') {
      if (text.charAt(pos) === '\\' && pos + 1 < text.length) pos++
      value += text.charAt(pos++)
    }
    pos++ // closing quote (or end of a truncated header)
    return value
  }
  // A parameter starts with `name=` and is not a token68 ending in padding (`abc==`).
  const atParam = (): boolean =>
    /^[!#$%&'*+.^_`|~0-9A-Za-z-]+[ \t]*=(?!=)/.test(text.slice(pos)) && !/^[A-Za-z0-9\-._~+/]+=+[ \t]*(,|$)/.test(text.slice(pos))

  while (pos < text.length) {
    skip(' \t,')
    const scheme = readToken()
    if (scheme === '') {
      pos++
      continue
    } // garbage: skip a character and resynchronise
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} }
    challenges.push(challenge)
    skip(' \t')
    const token68 = TOKEN68.exec(text.slice(pos))
    if (token68 && !atParam() && /^[ \t]*(,|$)/.test(text.slice(pos + token68[0].length))) {
      challenge.token68 = token68[0]
      pos += token68[0].length
      continue
    }
    while (pos < text.length) {
      skip(' \t,')
      if (!atParam()) break // the next item is a new challenge
      const name = readToken().toLowerCase()
      skip(' \t')
      pos++ // '='
      skip(' \t')
      challenge.params[name] = text.charAt(pos) === '"' ? readQuoted() : readToken()
      skip(' \t')
    }
  }
  return challenges
}

/** The first challenge of the given scheme, if the registry offered it. */
export function findChallenge(challenges: Challenge[], scheme: 'bearer' | 'basic'): Challenge | undefined {
  return challenges.find((c) => c.scheme === scheme)
}
