// A checklist section's boxes, bound to the `checklist` Y.Map. Each box carries its key
// (`<section id>/<item id>`, see layout.js) in `data-key`, as the server renders it.

import { shared, mapBool } from './layout.js'

/** Binds the boxes of `sectionEl`; returns `{ destroy }`. */
export function mountChecklist (sectionEl, { doc, origin, undoManager, editable }) {
  const checklist = shared.checklist(doc)
  const boxes = [...sectionEl.querySelectorAll('input[type="checkbox"][data-key]')]
  const refresh = () => {
    for (const box of boxes) box.checked = mapBool(checklist, box.dataset.key)
  }
  for (const box of boxes) {
    box.disabled = !editable
    box.addEventListener('change', () => {
      undoManager.stopCapturing()
      doc.transact(() => checklist.set(box.dataset.key, box.checked), origin)
    })
  }
  checklist.observe(refresh)
  refresh()
  return { destroy: () => checklist.unobserve(refresh) }
}
