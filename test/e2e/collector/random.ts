/** A small seeded generator (mulberry32), so a failing run's random kill points can be replayed (E2E_SEED). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function e2eSeed(): number {
  return process.env.E2E_SEED ? Number(process.env.E2E_SEED) : Date.now() % 1_000_000;
}
