// Text fields bound to one key of a Y.Map (a goal's title, a figure's value, a heading): written
// a moment after typing stops and on leaving the field, as one undo step each; a remote change
// shows at once unless the person is typing in that very field.

import * as Y from 'yjs'
import { debounce } from './util.js'
import { mapText } from './layout.js'
import { transactStep } from './undo.js'

/**
 * Binds `input` (an <input> or <textarea>) to `map[key]` (a string). `ctx`: {doc, origin,
 * undoManager}. Returns `{ refresh, flush }`: call `refresh` when the map changed.
 */
export function bindInput (input, map, key, ctx) {
  let dirty = false
  const write = debounce(() => {
    if (mapText(map, key) !== input.value) transactStep(ctx, () => map.set(key, input.value))
  }, 300)
  input.addEventListener('input', () => { dirty = true; write() })
  input.addEventListener('blur', () => { write.flush(); dirty = false })
  const refresh = () => {
    if (dirty && document.activeElement === input) return
    const value = mapText(map, key)
    if (input.value !== value) input.value = value
  }
  refresh()
  return { refresh, flush: () => write.flush() }
}

/** A copy of a map for a move (a Y.Array cannot move an element): same keys and plain values. */
export function copyMap (map) {
  const copy = new Y.Map()
  for (const [k, v] of map.entries()) copy.set(k, typeof v?.toJSON === 'function' ? v.toJSON() : v)
  return copy
}

/** Moves `map` one place (`dir` -1 or +1) past its neighbour among `siblings` in `array`. */
export function moveAmong (ctx, array, map, siblings, dir) {
  const at = siblings.indexOf(map)
  const neighbour = siblings[at + dir]
  if (at < 0 || !neighbour) return false
  const items = array.toArray()
  const from = items.indexOf(map)
  const to = items.indexOf(neighbour)
  const copy = copyMap(map) // before the delete: a deleted map reads as empty
  transactStep(ctx, () => { array.delete(from, 1); array.insert(to, [copy]) })
  return true
}
