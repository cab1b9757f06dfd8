import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGoDuration } from './duration';
import { DIMENSIONS, parsePost } from './post';

const SAMPLE = readFileSync(
  join(__dirname, '..', '..', 'test', 'fixtures', 'upfluence-stream-sample.sse'),
  'utf8',
)
  .split('\n')
  .filter((l) => l.startsWith('data: '))
  .map((l) => l.slice(6));

const dims = (values: ArrayLike<number>): Record<string, number> =>
  Object.fromEntries(
    DIMENSIONS.map((d, i): [string, number] => [d, values[i]]).filter(([, v]) => !Number.isNaN(v)),
  );

describe('parsePost', () => {
  it('parses every event of the real sample to its type, timestamp and dimensions', () => {
    const posts = SAMPLE.map((d) => {
      const r = parsePost(d);
      if (!r.ok) throw new Error(r.reason);
      return { type: r.post.type, timestamp: r.post.timestamp, ...dims(r.post.values) };
    });
    expect(posts).toEqual([
      {
        type: 'instagram_media',
        timestamp: 1679835328,
        likes: 4738,
        comments: 10,
        views: 7920,
        plays: 24688,
      },
      {
        type: 'instagram_media',
        timestamp: 1695245697,
        likes: 1153,
        comments: 21,
        views: 0,
        plays: 0,
      },
      { type: 'pin', timestamp: 1695527768, likes: 0, comments: 0, saves: 0, repins: 0 },
      { type: 'pin', timestamp: 1695204160, likes: 0, comments: 0, saves: 0, repins: 0 },
      {
        type: 'instagram_media',
        timestamp: 1693703087,
        likes: 80,
        comments: 9,
        views: 0,
        plays: 0,
      },
      {
        type: 'instagram_media',
        timestamp: 1682603355,
        likes: 1031,
        comments: 16,
        views: 9318,
        plays: 25045,
      },
      { type: 'pin', timestamp: 1694530994, likes: 0, comments: 0, saves: 0, repins: 0 },
      {
        type: 'tiktok_video',
        timestamp: 1695080091,
        comments: 2,
        likes: 36,
        plays: 278,
        shares: 0,
      },
      { type: 'tweet', timestamp: 1681859460, retweets: 19, favorites: 643, comments: 24 },
      {
        type: 'youtube_video',
        timestamp: 1713383491,
        views: 31,
        comments: 0,
        likes: 1,
        dislikes: 0,
      },
      { type: 'twitch_stream', timestamp: 1768512121 },
    ]);
  });

  it.each([
    ['not JSON', 'hello', 'not JSON'],
    ['an array', '[1]', 'not a JSON object'],
    ['no root key', '{}', '0 root keys'],
    ['two root keys', '{"a":{"timestamp":1},"b":{"timestamp":1}}', '2 root keys'],
    ['a non-object value', '{"tweet": 5}', 'tweet is not an object'],
    ['no timestamp', '{"tweet": {"favorites": 1}}', 'timestamp'],
    ['a zero timestamp', '{"tweet": {"timestamp": 0}}', 'timestamp'],
    ['a string timestamp', '{"tweet": {"timestamp": "1700000000"}}', 'timestamp'],
    ['a fractional engagement', '{"tweet": {"timestamp": 1, "favorites": 1.5}}', 'favorites'],
    ['a string engagement', '{"pin": {"timestamp": 1, "repins": "3"}}', 'repins'],
    ['a negative engagement', '{"pin": {"timestamp": 1, "saves": -1}}', 'saves'],
    ['a null engagement', '{"pin": {"timestamp": 1, "likes": null}}', 'likes'],
  ])('rejects %s', (_case, data, reason) => {
    const r = parsePost(data);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });

  it('accepts any post type and ignores unknown numeric fields', () => {
    const r = parsePost('{"mastodon_toot": {"timestamp": 5, "boosts": 1.5, "likes": 2}}');
    expect(r.ok && r.post.type).toBe('mastodon_toot');
    expect(r.ok && dims(r.post.values)).toEqual({ likes: 2 });
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['5s', 5000],
    ['10m', 600_000],
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['300ms', 300],
    ['2h45m30.5s', 9_930_500],
    ['1000000us', 1000],
  ])('%s = %i ms', (text, ms) => expect(parseGoDuration(text)).toBe(ms));

  it.each(['', '5', 's', '5x', '-5s', '+5s', '5 s', '1h 30m', 'h1', '5s5', '.s'])(
    'rejects %j',
    (text) => expect(parseGoDuration(text)).toBeNull(),
  );
});
