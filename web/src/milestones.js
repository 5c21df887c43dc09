// The plan process's milestones, bound to the `milestones` Y.Array of Y.Map
// {id, title, date, responsible, done} (names in layout.js), as a live table (maptable.js).

import { MilestoneKey as K, shared } from './layout.js'
import { mountMapTable } from './maptable.js'

export function mountMilestones (root, ctx) {
  return mountMapTable(root, ctx, {
    array: shared.milestones(ctx.doc),
    idKey: K.ID,
    titleKey: K.TITLE,
    columns: [
      { key: K.TITLE, label: 'Milepæl' },
      { key: K.DATE, label: 'Dato', placeholder: 'f.eks. 2026-03-01' },
      { key: K.RESPONSIBLE, label: 'Ansvarlig', list: 'samskriv-enheter' },
      { key: K.DONE, label: 'Ferdig', bool: true }
    ],
    className: 'milepaeler',
    caption: 'Milepæler',
    addLabel: 'Legg til milepæl',
    emptyText: 'Ingen milepæler ennå.',
    noun: 'milepæl',
    untitled: 'uten navn',
    deleted: (title) => `Milepælen «${title}» er slettet.`,
    back: 'Milepælen er tilbake.'
  })
}
