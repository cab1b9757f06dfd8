import { REORDER_WINDOW, RESTART_JUMP, SequenceTracker } from './sequence-tracker';

describe('SequenceTracker', () => {
  it('counts nothing for an unbroken run', () => {
    const t = new SequenceTracker();
    for (let s = 1; s <= 5000; s++) expect(t.observe('a', s)).toBe('new');
    expect(t.snapshot()).toEqual({
      senders: 1,
      lost: 0,
      duplicates: 0,
      late: 0,
      restarts: 0,
      evicted: 0,
    });
  });

  it('counts gaps as lost and takes them back when they arrive late', () => {
    const t = new SequenceTracker();
    for (const s of [1, 2, 5, 6, 10]) t.observe('a', s);
    expect(t.snapshot().lost).toBe(5);
    expect(t.observe('a', 4)).toBe('late');
    expect(t.observe('a', 8)).toBe('late');
    expect(t.snapshot()).toMatchObject({ lost: 3, late: 2, duplicates: 0 });
  });

  it('flags duplicates of the newest, of older and of late numbers', () => {
    const t = new SequenceTracker();
    for (const s of [1, 2, 3, 6]) t.observe('a', s);
    t.observe('a', 5);
    expect([6, 2, 5, 1].map((s) => t.observe('a', s))).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    expect(t.snapshot()).toMatchObject({ duplicates: 4, lost: 1, late: 1 });
  });

  it('keeps senders apart', () => {
    const t = new SequenceTracker();
    t.observe('a', 1);
    expect(t.observe('b', 1)).toBe('new');
    expect(t.observe('a', 1)).toBe('duplicate');
    expect(t.snapshot().senders).toBe(2);
  });

  it('wraps past 2^32 without a loss', () => {
    const t = new SequenceTracker();
    for (const s of [2 ** 32 - 2, 2 ** 32 - 1, 0, 1]) expect(t.observe('a', s)).toBe('new');
    expect(t.observe('a', 2 ** 32 - 1)).toBe('duplicate');
    expect(t.snapshot()).toMatchObject({ lost: 0, duplicates: 1 });
  });

  it('forgets marks that fall out of the window (reused slots are not duplicates)', () => {
    const t = new SequenceTracker();
    t.observe('a', 1);
    t.observe('a', 1 + REORDER_WINDOW - 1);
    // Slot of 1 is reused by 1 + REORDER_WINDOW: it must read as new, not duplicate.
    expect(t.observe('a', 1 + REORDER_WINDOW)).toBe('new');
    expect(t.observe('a', 1 + REORDER_WINDOW + 5)).toBe('new');
    expect(t.observe('a', 1 + REORDER_WINDOW + 3)).toBe('late');
    expect(t.snapshot()).toMatchObject({ duplicates: 0, lost: REORDER_WINDOW - 2 + 4 - 1 });
  });

  it('treats a big jump or a step far back as a restart, not as loss', () => {
    const t = new SequenceTracker();
    t.observe('a', 5000);
    expect(t.observe('a', 1)).toBe('restart');
    expect(t.observe('a', 2)).toBe('new');
    expect(t.observe('a', 2 + RESTART_JUMP)).toBe('restart');
    expect(t.snapshot()).toMatchObject({ lost: 0, restarts: 2 });
  });

  it('starts over on ConnectionInit', () => {
    const t = new SequenceTracker();
    for (const s of [1, 2, 3]) t.observe('a', s);
    t.restart('a', 0);
    expect(t.observe('a', 1)).toBe('new');
    expect(t.snapshot()).toMatchObject({ duplicates: 0, restarts: 1 });
  });

  it('holds at most maxSenders, forgetting the quietest', () => {
    const t = new SequenceTracker(3);
    for (const s of ['a', 'b', 'c']) t.observe(s, 1);
    t.observe('a', 2);
    t.observe('d', 1);
    expect(t.snapshot()).toMatchObject({ senders: 3, evicted: 1 });
    // 'b' was forgotten: its next number starts it afresh instead of counting a gap.
    expect(t.observe('b', 100)).toBe('new');
    expect(t.observe('a', 3)).toBe('new');
    expect(t.snapshot().lost).toBe(0);
  });

  it('matches a brute-force model on shuffled, duplicated streams', () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) % n;
    for (let round = 0; round < 20; round++) {
      const n = 2000;
      const sent: number[] = [];
      for (let s = 1; s <= n; s++) if (rand(10) !== 0) sent.push(s); // ~10% lost
      const arrivals = sent.flatMap((s) => (rand(20) === 0 ? [s, s] : [s])); // ~5% doubled
      for (let i = 0; i < arrivals.length; i++) {
        const j = Math.min(arrivals.length - 1, i + rand(50)); // local reordering < window
        [arrivals[i], arrivals[j]] = [arrivals[j], arrivals[i]];
      }
      const t = new SequenceTracker();
      const kept: number[] = [];
      for (const s of arrivals) if (t.observe('x', s) !== 'duplicate') kept.push(s);
      const unique = new Set(arrivals);
      expect(kept.length).toBe(unique.size);
      const s = t.snapshot();
      expect(s.duplicates).toBe(arrivals.length - unique.size);
      // Every number between the lowest and the highest heard that never arrived was lost.
      const expectedLost = Math.max(...unique) - Math.min(...unique) + 1 - unique.size;
      expect(s.lost).toBe(expectedLost);
    }
  });
});
