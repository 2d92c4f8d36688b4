// An HS256 JWT, as the reference backend verifies it (SPEC §6: `sub`, `email`, `exp` at most 15
// minutes ahead). Node's crypto is enough; a library such as `jose` does the same.
import { createHmac } from 'node:crypto';

const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `claims` signed with `secret`. */
export function signHs256(claims, secret) {
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
