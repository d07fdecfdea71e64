// PostgreSQL errors that services turn into problems (a name taken, a row still referenced). The
// pg driver puts the SQLSTATE in `code` and the constraint's name in `constraint`.
function constraintOf(error: unknown, sqlstate: string): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { code, constraint } = error as { code?: unknown; constraint?: unknown }
  if (code !== sqlstate) return undefined
  return typeof constraint === 'string' ? constraint : ''
}

/** The constraint a unique violation (SQLSTATE 23505) hit, or undefined for any other error. */
export const violatedUnique = (error: unknown): string | undefined => constraintOf(error, '23505')

/** The constraint a foreign-key violation (SQLSTATE 23503) hit, or undefined for any other error. */
export const violatedForeignKey = (error: unknown): string | undefined => constraintOf(error, '23503')

/** The SQLSTATE of a PostgreSQL error (pg and PGlite both put it in `code`), or undefined. */
export function sqlstateOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { code } = error as { code?: unknown }
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}
