// Public types of express-session-rs. They mirror express-session's so that code written against
// `express-session` (and its SessionData augmentation) compiles unchanged when this package is
// installed under that name. The native binding's generated typings are in native.d.ts.

import { EventEmitter } from 'events'
import { IncomingMessage, ServerResponse } from 'http'

declare global {
  namespace Express {
    interface Request {
      /** The session of this request; present after the middleware ran, unless the store is disconnected. */
      session: session.Session & Partial<session.SessionData>
      /** The ID of `req.session`; a new one when the request carried no valid session cookie. */
      sessionID: string
      /** The store the middleware was given. */
      sessionStore: session.Store
    }
  }
}

declare function session (options?: session.SessionOptions): session.SessionMiddleware

declare namespace session {
  /** Your session's data. Add your own keys by declaration merging on module 'express-session'. */
  interface SessionData {
    cookie: Cookie
  }

  type SessionMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: any) => void) => void

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
    signed?: boolean | undefined
    encode?: ((val: string) => string) | undefined
  }

  interface SessionOptions {
    /** Secret(s) signing the session ID cookie: the first signs, all verify. Falls back to req.secret. */
    secret?: string | Buffer | Array<string | Buffer> | undefined
    /** The session ID generator. Default: 24 random bytes from the OS CSPRNG, base64url (32 chars). */
    genid?(req: IncomingMessage): string
    /** The cookie name. Default: 'connect.sid'. */
    name?: string | undefined
    /** Legacy spelling of `name`. */
    key?: string | undefined
    /** Default: a new MemoryStore. */
    store?: Store | undefined
    /** Cookie options, or a function of the request returning them. */
    cookie?: CookieOptions | ((req: IncomingMessage) => CookieOptions) | undefined
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
    constructor (request: IncomingMessage, data?: Partial<SessionData>)
    /** The session ID; the same as req.sessionID. */
    readonly id: string
    readonly req: IncomingMessage
    cookie: Cookie
    regenerate (callback: (err: any) => void): this
    destroy (callback: (err: any) => void): this
    reload (callback: (err: any) => void): this
    resetMaxAge (): this
    save (callback?: (err: any) => void): this
    touch (): this
  }

  class Cookie implements CookieOptions {
    constructor (options?: CookieOptions)
    /** The maxAge the cookie was created with, in milliseconds. */
    originalMaxAge: number | null
    /** Milliseconds left until expiry; setting it moves `expires`. */
    maxAge?: number | undefined
    expires?: Date | null | undefined
    httpOnly?: boolean | undefined
    path?: string | undefined
    domain?: string | undefined
    secure?: boolean | 'auto' | undefined
    sameSite?: CookieSameSite | undefined
    partitioned?: boolean | undefined
    priority?: CookiePriority | undefined
    signed?: boolean | undefined
    readonly data: CookieOptions & { originalMaxAge: number | null }
    serialize (name: string, value: string): string
    toJSON (): CookieOptions & { originalMaxAge: number | null }
  }

  abstract class Store extends EventEmitter {
    constructor ()
    /** Set by the middleware: creates req.session with a fresh ID. */
    generate (req: IncomingMessage): void
    regenerate (req: IncomingMessage, callback: (err?: any) => any): void
    load (sid: string, callback: (err: any, session?: SessionData) => any): void
    createSession (req: IncomingMessage, session: SessionData): Session & SessionData

    abstract get (sid: string, callback: (err: any, session?: SessionData | null) => void): void
    abstract set (sid: string, session: SessionData, callback?: (err?: any) => void): void
    abstract destroy (sid: string, callback?: (err?: any) => void): void

    all? (callback: (err: any, obj?: SessionData[] | { [sid: string]: SessionData } | null) => void): void
    length? (callback: (err: any, length?: number) => void): void
    clear? (callback?: (err?: any) => void): void
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
}

export = session
