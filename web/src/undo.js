// Undo outside prose, per person: the tiltak table, milestones, checklists and target groups
// share one Y.UndoManager that tracks only this page's own edits (their transaction origin).
// Each prose editor has y-prosemirror's own undo manager instead (prose.js).

import * as Y from 'yjs'
import { shared } from './layout.js'

/** Origin of this person's own edits outside prose: the undo manager tracks only these. */
export const LOCAL = { local: 'samskriv' }

/** The undo manager of the plan's tables, milestones, checklists and target groups. */
export function sharedUndoManager (doc) {
  return new Y.UndoManager(
    [shared.tiltak(doc), shared.milestones(doc), shared.checklist(doc), shared.targetGroups(doc)],
    { trackedOrigins: new Set([LOCAL]), captureTimeout: 500 }
  )
}
