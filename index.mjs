// ESM entry: the CommonJS module is the implementation; this re-exports it for `import`.
import session from './index.js'

export default session
export const { Store, Cookie, Session, MemoryStore, DiskStore } = session
