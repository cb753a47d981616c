// Stand-in for the Redis test server module connect-redis's tests import (not in its npm package).
export declare const port: number
export declare function connect (): Promise<void>
export declare function disconnect (): Promise<void>
