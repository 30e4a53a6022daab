import type { LinkFactory } from '../../lib/link.js'
export const createCacheLink: LinkFactory = () => undefined
