// Key figures (nøkkeltall) of a `figures` section: the plan's `figures` Y.Array of Y.Map
// {id, section, indikator, kilde, ar, verdi, oslo, mal}, the rows whose `section` is this one,
// as a live table (maptable.js).

import { FigureKey as K, shared, mapText } from './layout.js'
import { mountMapTable } from './maptable.js'

export function mountFigures (sectionEl, ctx) {
  const sectionId = sectionEl.dataset.sectionId
  return mountMapTable(sectionEl, ctx, {
    array: shared.figures(ctx.doc),
    idKey: K.ID,
    titleKey: K.INDIKATOR,
    owns: (map) => mapText(map, K.SECTION) === sectionId,
    fill: (map) => map.set(K.SECTION, sectionId),
    columns: [
      { key: K.INDIKATOR, label: 'Indikator' },
      { key: K.KILDE, label: 'Kilde' },
      { key: K.AR, label: 'År', inputmode: 'numeric' },
      { key: K.VERDI, label: 'Verdi' },
      { key: K.OSLO, label: 'Oslo-snitt' },
      { key: K.MAL, label: 'Mål' }
    ],
    className: 'nokkeltall',
    caption: 'Nøkkeltall',
    addLabel: 'Legg til nøkkeltall',
    emptyText: 'Ingen nøkkeltall ennå.',
    noun: 'nøkkeltall',
    untitled: 'uten indikator',
    deleted: (title) => `Nøkkeltallet «${title}» er slettet.`,
    back: 'Nøkkeltallet er tilbake.'
  })
}
