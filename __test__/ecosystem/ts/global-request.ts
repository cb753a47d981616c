// Code typed with the global Express.Request (as middleware shared between Express and other
// frameworks often is) rather than Express's own Request; `views` is augmented in consumer.ts.
import 'express-session'

export function viewsOf (req: Express.Request): number {
  const id: string = req.sessionID
  return id === '' ? 0 : (req.session.views ?? 0)
}
