// Public types of express-session-rs. Code typed against express-session with @types/express-session
// compiles unchanged against them: every declaration accepts at least what that package's does, and
// `declare module 'express-session' { interface SessionData { ... } }` augments these. Like those
// types, they describe the request handed to callbacks as Express's Request (from @types/express).
// The extras of this package (MemoryStore options, stats(), stopInterval(), the DiskStore, sameSite 'auto') are
// additions on top. The native binding's generated typings are in native.d.ts.

import type { Request as ExpressRequest } from 'express'
import { CipherKey } from 'crypto'
import { EventEmitter } from 'events'
import { IncomingMessage, ServerResponse } from 'http'

// What the middleware puts on a request. @types/express-session, which projects often keep installed
// after switching, declares these properties on the global Express.Request itself, and the type alias
// Express.SessionStore, each with its own types; TypeScript rejects a second declaration of a property
// with another type (TS2717) and any second Express.SessionStore (TS2300). So this file declares them
// on Express's Request (the type of `req` in handlers) and lets the global Express.Request inherit
// `session` and `sessionID` from a base interface: an inherited property gives way to a declared one.
// Both packages then compile side by side, with this package's types, SessionData augmentations
// included, on `req` in handlers. Express.SessionStore is left to @types/express-session:
// `session.SessionStore` below is the same type.
declare module 'express-serve-static-core' {
  interface Request {
    /** The session of this request; present after the middleware ran, unless the store is disconnected. */
    session: session.Session & Partial<session.SessionData>
    /** The ID of `req.session`; a new one when the request carried no valid session cookie. */
    sessionID: string
    /** The store the middleware was given, with the `generate` method it adds. */
    sessionStore: session.SessionStore
  }
}

declare global {
  namespace Express {
    interface Request extends session.RequestFields {}
  }
}

declare function session (options?: session.SessionOptions): session.SessionMiddleware

declare namespace session {
  /**
   * Your session's data. Add your own keys by declaration merging:
   * `declare module 'express-session' { interface SessionData { views: number } }`.
   */
  interface SessionData {
    cookie: Cookie
  }

  /** The store as the middleware leaves it on the request: able to create a fresh session. */
  type SessionStore = Store & { generate: (req: Express.Request) => void }

  /** The session properties of the global Express.Request (see the top of this file). */
  interface RequestFields {
    session: Session & Partial<SessionData>
    sessionID: string
  }

  /** Works with Express, connect and plain node:http servers alike. */
  type SessionMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: any) => void) => void

  /** 'auto' (options only) becomes 'none' over TLS and 'lax' otherwise when a session is created. */
  type CookieSameSite = boolean | 'lax' | 'strict' | 'none' | 'auto'
  type CookiePriority = 'low' | 'medium' | 'high'

  interface CookieOptions {
    /** Milliseconds until expiry, from the time of each touch. Default: none (a browser-session cookie). */
    maxAge?: number | undefined
    /** An absolute expiry date; prefer `maxAge`. */
    expires?: Date | null | undefined
    /** Default: true. */
    httpOnly?: boolean | undefined
    /** Default: '/'. Requests outside this path get no session. */
    path?: string | undefined
    domain?: string | undefined
    /** true, false (default), or 'auto': Secure over TLS (or a trusted proxy's https), not otherwise. */
    secure?: boolean | 'auto' | undefined
    /** 'auto': None over TLS, Lax otherwise. Default: not set. */
    sameSite?: CookieSameSite | undefined
    partitioned?: boolean | undefined
    priority?: CookiePriority | undefined
    /** Accepted for compatibility; the session cookie is always signed. */
    signed?: boolean | undefined
    /** Accepted for compatibility; the session cookie value is always URI-component encoded. */
    encode?: ((val: string) => string) | undefined
  }

  interface SessionOptions {
    /**
     * Secret(s) signing the session ID cookie: the first signs, all verify. Without it, the
     * middleware uses `req.secret` (set by cookie-parser).
     */
    secret?: CipherKey | CipherKey[] | undefined
    /** The session ID generator. Default: 24 random bytes from the OS CSPRNG, base64url (32 chars). */
    genid?(req: ExpressRequest): string
    /** The cookie name. Default: 'connect.sid'. */
    name?: string | undefined
    /** Legacy spelling of `name`. */
    key?: string | undefined
    /** Default: a new MemoryStore. */
    store?: Store | undefined
    /** Cookie options, or a function of the request returning them. */
    cookie?: CookieOptions | ((req: ExpressRequest) => CookieOptions) | undefined
    /** Re-send the cookie (and reset its expiry) on every response. Default: false. */
    rolling?: boolean | undefined
    /** Save unmodified sessions back to the store. Default: true (deprecated default; set it). */
    resave?: boolean | undefined
    /** Trust X-Forwarded-Proto for secure cookies: true, false, or undefined (Express's "trust proxy"). */
    proxy?: boolean | undefined
    /** Store new sessions nobody has written to. Default: true (deprecated default; set it). */
    saveUninitialized?: boolean | undefined
    /** What `req.session = null` (or delete) does: 'keep' (default) or 'destroy'. */
    unset?: 'destroy' | 'keep' | undefined
  }

  class Session {
    constructor (request: ExpressRequest, data?: Partial<SessionData>)
    /** The session ID, the same as req.sessionID. Assigning it throws at run time. */
    id: string
    /** The request: always set at run time; optional in the type so that @types/express-session's Session, which lacks it, fits where both are installed. */
    readonly req?: ExpressRequest
    cookie: Cookie
    regenerate (callback: (err: any) => void): this
    destroy (callback: (err: any) => void): this
    reload (callback: (err: any) => void): this
    resetMaxAge (): this
    save (callback?: (err: any) => void): this
    touch (): this
  }

  /** A cookie's attributes as stores receive them (`cookie.toJSON()`). */
  interface CookieData {
    originalMaxAge: number | null
    partitioned?: boolean | undefined
    priority?: CookiePriority | undefined
    expires?: Date | null | undefined
    secure?: boolean | 'auto' | undefined
    httpOnly?: boolean | undefined
    domain?: string | undefined
    path?: string | undefined
    sameSite?: boolean | 'lax' | 'strict' | 'none' | undefined
  }

  // The methods are optional in the type only: every Cookie the package creates has them, but the
  // cookie of session data read back from a store, or written as an object literal, is plain data.
  class Cookie implements CookieOptions {
    constructor (options?: CookieOptions)
    /** The maxAge the cookie was created with, in milliseconds, or null for a browser-session cookie. */
    originalMaxAge: number | null
    /** Milliseconds left until expiry; setting it moves `expires`. */
    maxAge?: number | undefined
    signed?: boolean | undefined
    expires?: Date | null | undefined
    httpOnly?: boolean | undefined
    path?: string | undefined
    domain?: string | undefined
    secure?: boolean | 'auto' | undefined
    sameSite?: boolean | 'lax' | 'strict' | 'none' | undefined
    partitioned?: boolean | undefined
    priority?: CookiePriority | undefined
    readonly data?: CookieData
    /** A Set-Cookie value for `name` and `value` with this cookie's attributes. */
    serialize? (name: string, value: string): string
    toJSON? (): CookieData
  }

  abstract class Store extends EventEmitter {
    constructor ()
    /** Added by the middleware: gives the request a fresh session under a new ID. */
    generate? (req: ExpressRequest): void
    regenerate (req: ExpressRequest, callback: (err?: any) => any): void
    load (sid: string, callback: (err: any, session?: SessionData) => any): void
    createSession (req: ExpressRequest, session: SessionData): Session & SessionData

    /** Calls back with the session, or null/undefined when there is none (an error with code 'ENOENT' counts as none). */
    abstract get (sid: string, callback: (err: any, session?: SessionData | null) => void): void
    abstract set (sid: string, session: SessionData, callback?: (err?: any) => void): void
    abstract destroy (sid: string, callback?: (err?: any) => void): void

    all? (callback: (err: any, obj?: SessionData[] | { [sid: string]: SessionData } | null) => void): void
    length? (callback: (err: any, length?: number) => void): void
    clear? (callback?: (err?: any) => void): void
    /** Resets a session's expiry without rewriting its data. */
    touch? (sid: string, session: SessionData, callback?: (err?: any) => void): void
  }

  interface MemoryStoreOptions {
    /** Milliseconds between sweeps of expired sessions; the timer never keeps the process alive. Default: no sweeps. */
    checkPeriod?: number | undefined
    /** Most sessions held; the least recently used is evicted first. Default: unbounded. */
    max?: number | undefined
    /** Lifetime in milliseconds of sessions whose cookie has no expiry. Default: they do not expire. */
    ttl?: number | undefined
    /** Stores with the same name share their sessions across the worker threads of a process. */
    name?: string | undefined
  }

  interface MemoryStoreStats {
    sessions: number
    bytes: number
    hits: number
    misses: number
    expirations: number
    evictions: number
  }

  class MemoryStore extends Store {
    constructor (options?: MemoryStoreOptions)
    /**
     * A live view of the stored sessions, ID to JSON string, as express-session's MemoryStore kept
     * them: reading, assigning and deleting entries reads and changes the store.
     */
    sessions: { [sid: string]: string }
    get (sid: string, callback: (err: any, session?: SessionData | null) => void): void
    set (sid: string, session: SessionData, callback?: (err?: any) => void): void
    destroy (sid: string, callback?: (err?: any) => void): void
    all (callback: (err: any, obj?: { [sid: string]: SessionData } | null) => void): void
    length (callback: (err: any, length?: number) => void): void
    clear (callback?: (err?: any) => void): void
    touch (sid: string, session: SessionData, callback?: (err?: any) => void): void
    /** Counters of the native storage. */
    stats (): MemoryStoreStats
    /** Stops the expiry sweeper. */
    stopInterval (): void
  }

  interface DiskStoreOptions {
    /** The directory holding the store (created owner-only when missing); every process that opens it shares its sessions. */
    path: string
    /** Most sessions held; storing one more evicts the sessions closest to their expiry. Default: unbounded. Every process on the path must give the same. */
    max?: number | undefined
    /** Lifetime in milliseconds of sessions whose cookie has no expiry. Default: they do not expire. Every process on the path must give the same. */
    ttl?: number | undefined
    /** 'process' (default): a save survives the process being killed. 'fsync': each save is flushed to the disk first, and survives power loss. */
    durability?: 'process' | 'fsync' | undefined
    /** Largest size of the store's file, in bytes. Default: 1 GiB. */
    mapSize?: number | undefined
    /** Milliseconds between sweeps of expired sessions (off the main thread), or false for none. Default: 5 minutes. */
    checkPeriod?: number | false | undefined
    /** Read every page of an existing store's file in a separate process before this process first opens it, so that a damaged file is refused (ERR_DISK_STORE_DAMAGED) instead of crashing the process on a read. Default: true. */
    verify?: boolean | undefined
  }

  class DiskStore extends Store {
    constructor (options: DiskStoreOptions)
    /** The store's directory, resolved. */
    readonly path: string
    readonly durability: 'process' | 'fsync'
    get (sid: string, callback: (err: any, session?: SessionData | null) => void): void
    set (sid: string, session: SessionData, callback?: (err?: any) => void): void
    destroy (sid: string, callback?: (err?: any) => void): void
    all (callback: (err: any, obj?: { [sid: string]: SessionData } | null) => void): void
    length (callback: (err: any, length?: number) => void): void
    clear (callback?: (err?: any) => void): void
    touch (sid: string, session: SessionData, callback?: (err?: any) => void): void
    /** Merges top-level changes into the stored session atomically across processes; a session that is gone stays gone. */
    merge (sid: string, changes: { [key: string]: unknown }, removedKeys: string[], session: SessionData, callback?: (err?: any) => void): void
    /** `sessions` and `bytes` are the store's (every process's); the counters are this process's. */
    stats (): MemoryStoreStats
    /** Stops the expiry sweeper. */
    stopInterval (): void
  }
}

export = session
