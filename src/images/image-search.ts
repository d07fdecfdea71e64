// Free-text search terms as to_tsquery('simple', …) inputs, one per word, each matching as a prefix.
// Each word is quoted as a tsquery lexeme (quotes doubled, backslashes escaped) and passed as a bound
// parameter, so no input can change the query's structure. Words without a letter or digit cannot
// match a lexeme and are dropped.
const SEARCHABLE = /[\p{L}\p{N}]/u
export const MAX_SEARCH_WORDS = 10

export function searchTerms(q: string): string[] {
  return q
    .split(/\s+/)
    .filter((word) => SEARCHABLE.test(word))
    .slice(0, MAX_SEARCH_WORDS)
    .map((word) => `'${word.toLowerCase().replaceAll('\\', '\\\\').replaceAll("'", "''")}':*`)
}
