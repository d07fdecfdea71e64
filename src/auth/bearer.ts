import { ProblemError, type PlainProblemCode } from '../http/problem.js'

const REALM = 'ci-image-store'

// RFC 6750: a missing token gets a bare challenge, a bad one says error="invalid_token".
export function unauthorized(detail: string, code: PlainProblemCode, invalidToken: boolean): ProblemError {
  const challenge = invalidToken
    ? `Bearer realm="${REALM}", error="invalid_token", error_description="${detail.replaceAll('"', "'")}"`
    : `Bearer realm="${REALM}"`
  return new ProblemError({ status: 401, code, detail, headers: { 'www-authenticate': challenge } })
}

/** Extracts the token from `Authorization: Bearer <token>`; throws a 401 problem otherwise. */
export function bearerToken(header: string | undefined): string {
  if (!header) {
    throw unauthorized('This endpoint needs a token: send "Authorization: Bearer <token>".', 'AUTHENTICATION_REQUIRED', false)
  }
  const match = /^Bearer +([A-Za-z0-9_\-.~+/]+=*) *$/i.exec(header)
  if (!match?.[1]) {
    throw unauthorized('The Authorization header must be "Bearer <token>".', 'INVALID_AUTHORIZATION_HEADER', true)
  }
  return match[1]
}
