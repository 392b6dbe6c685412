// Counts what reached the stand-in against what the writer wrote: alerts carry a unique evt.num.

import { StoredEvent } from './standin';

export const ID_FIELD = 'falco.output_fields.evt.num';

export interface Tally {
  written: number;
  stored: number;
  lost: number;
  duplicated: number;
  /** Up to 20 lost ids, for the message. */
  lostIds: number[];
}

/** Tallies alert ids firstId..lastId against the stored events that carry an id. */
export function tally(events: StoredEvent[], firstId: number, lastId: number, idOf: (e: StoredEvent) => number | undefined = (e) => e.data[ID_FIELD]): Tally {
  const counts = new Map<number, number>();
  for (const e of events) {
    const id = idOf(e);
    if (id === undefined || id < firstId || id > lastId) continue;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const lostIds: number[] = [];
  let lost = 0;
  let duplicated = 0;
  for (let id = firstId; id <= lastId; id++) {
    const n = counts.get(id) ?? 0;
    if (n === 0) {
      lost++;
      if (lostIds.length < 20) lostIds.push(id);
    } else duplicated += n - 1;
  }
  return { written: lastId - firstId + 1, stored: counts.size, lost, duplicated, lostIds };
}

/** The line each scenario prints. */
export function report(scenario: string, t: Tally, extra = ''): string {
  const line = `[${scenario}] alerts written ${t.written}, stored ${t.stored}, lost ${t.lost}, duplicated ${t.duplicated}${extra ? `; ${extra}` : ''}`;
  process.stdout.write(`${line}\n`);
  return line;
}
