/**
 * Access control: per-route IP allow/deny lists → 403 (the chain's
 * `access control` link, link.ts). Method allow lists (405 with `Allow`)
 * are the route's `methods` (routes/dispatch.ts).
 */
export { createAccessControlLink, AccessDeniedError } from './link.js'
export { compileAccessRules, compileIpList, type AccessRules, type IpMatcher } from './ip-list.js'
