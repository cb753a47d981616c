// The two vitest functions connect-redis's tests call, typed loosely: only express-session's types are under test.
export declare function test (name: string, fn: () => unknown): void
export declare function expect (value: unknown): any
