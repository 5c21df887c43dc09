// Undo outside prose, per person: the tiltak table, milestones, checklists, target groups, the
// plan's goals, its structure and its key figures share one Y.UndoManager that tracks only this
// page's own edits (their transaction origin). Each prose editor has y-prosemirror's own undo
// manager instead (prose.js).

import * as Y from 'yjs'
import { shared } from './layout.js'
import { h } from './util.js'

/** Origin of this person's own edits outside prose: the undo manager tracks only these. */
export const LOCAL = { local: 'samskriv' }

/** The undo manager of everything in the plan but its prose. */
export function sharedUndoManager (doc) {
  return new Y.UndoManager(
    [shared.tiltak(doc), shared.milestones(doc), shared.checklist(doc), shared.targetGroups(doc),
      shared.goals(doc), shared.structure(doc), shared.localSections(doc), shared.checklistItems(doc),
      shared.figures(doc)],
    { trackedOrigins: new Set([LOCAL]), captureTimeout: 500 }
  )
}

/** Runs `fn` as one undo step of this person's own (tracked) edits. */
export function transactStep ({ doc, origin, undoManager }, fn) {
  undoManager.stopCapturing()
  doc.transact(fn, origin)
  undoManager.stopCapturing()
}

/**
 * Deletes something as one undo step and offers to bring it back: `message` (a role=status
 * element) says `text` beside an «Angre» button, which gets focus. The button undoes the
 * deletion itself while it is still this person's last step; otherwise `restore()` (if given)
 * puts a copy back. `after()` runs once it is back (e.g. to move focus to it).
 */
export function deleteWithUndo (ctx, { message, text, remove, restore, after, label = 'Angre', back = 'Det er tilbake.' }) {
  const um = ctx.undoManager
  let item = null
  const capture = (event) => { item = event.stackItem }
  um.on('stack-item-added', capture)
  transactStep(ctx, remove)
  um.off('stack-item-added', capture)
  const button = h('button', {
    type: 'button',
    class: 'sekundaer',
    onclick: () => {
      if (item && um.undoStack[um.undoStack.length - 1] === item) um.undo()
      else restore?.()
      message.replaceChildren(back)
      after?.()
    }
  }, label)
  message.replaceChildren(`${text} `, button)
  button.focus()
}
