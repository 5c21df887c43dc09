// Binds a <textarea>/<input> to a Y.Text: local input becomes the minimal delete+insert (so two
// people typing in one cell both keep their text), remote changes update the field and keep the
// local caret where it was in the text.

/** The changed range between two strings, never splitting a surrogate pair. */
export function diff (before, after) {
  let start = 0
  const min = Math.min(before.length, after.length)
  while (start < min && before.charCodeAt(start) === after.charCodeAt(start)) start++
  if (start > 0 && isHigh(before.charCodeAt(start - 1))) start--
  let endBefore = before.length
  let endAfter = after.length
  while (endBefore > start && endAfter > start &&
    before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)) {
    endBefore--
    endAfter--
  }
  if (endBefore < before.length && isLow(before.charCodeAt(endBefore))) { endBefore++; endAfter++ }
  return { index: start, remove: endBefore - start, insert: after.slice(start, endAfter) }
}

const isHigh = (c) => c >= 0xd800 && c <= 0xdbff
const isLow = (c) => c >= 0xdc00 && c <= 0xdfff

/** Moves a caret position (in the old text) through a Y.Text delta to the new text. */
function transform (pos, delta) {
  let oldIndex = 0
  let shift = 0
  for (const op of delta) {
    if (oldIndex >= pos) break
    if (op.retain != null) {
      oldIndex += op.retain
    } else if (op.insert != null) {
      shift += typeof op.insert === 'string' ? op.insert.length : 1
    } else if (op.delete != null) {
      shift -= Math.min(op.delete, pos - oldIndex)
      oldIndex += op.delete
    }
  }
  return Math.max(0, pos + shift)
}

/**
 * @param {HTMLTextAreaElement|HTMLInputElement} el
 * @param {import('yjs').Text} ytext
 * @param {any} origin transaction origin of local edits (tracked by the undo manager)
 */
export function bindYText (el, ytext, origin) {
  let shown = ytext.toString()
  el.value = shown
  const onInput = () => {
    const next = el.value
    if (next === shown) return
    const change = diff(shown, next)
    shown = next
    ytext.doc.transact(() => {
      if (change.remove > 0) ytext.delete(change.index, change.remove)
      if (change.insert.length > 0) ytext.insert(change.index, change.insert)
    }, origin)
  }
  const observer = (event) => {
    const text = ytext.toString()
    if (text === el.value) { shown = text; return }
    const focused = document.activeElement === el
    let start = el.selectionStart
    let end = el.selectionEnd
    if (focused && start != null) {
      start = transform(start, event.delta)
      end = transform(end, event.delta)
    }
    el.value = text
    shown = text
    if (focused && start != null) el.setSelectionRange(start, end)
  }
  el.addEventListener('input', onInput)
  ytext.observe(observer)
  return {
    destroy () {
      el.removeEventListener('input', onInput)
      ytext.unobserve(observer)
    }
  }
}
