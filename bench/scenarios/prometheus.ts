/**
 * The exposition's cost on the hot path: the same single-sample POST with
 * PROMETHEUS_ENABLED=false (no HTTP histogram, nothing registered) and with it on and
 * scraped every second during the run, in alternating rounds.
 */
import { postSingle } from '../lib/load';
import { Scenario, compareInRounds } from '../lib/scenario';

export const prometheus: Scenario = {
  name: 'prometheus',
  run: (ctx) => {
    let scrapes = 0;
    let scrapeBytes = 0;
    return compareInRounds(ctx, 'exposition off', [
      {
        scenario: 'POST /metrics/{id}/latency, PROMETHEUS_ENABLED=false',
        start: () => ctx.startBeacon({ PROMETHEUS_ENABLED: 'false' }),
        measure: (off) => postSingle(ctx, off, '/metrics/bench/latency'),
      },
      {
        scenario: 'POST /metrics/{id}/latency, exposition on, scraped every 1 s',
        start: () => ctx.startBeacon(),
        measure: async (on) => {
          const scraper = setInterval(() => {
            void fetch(`${on.url}/prometheus`)
              .then((res) => res.text())
              .then((text) => {
                scrapes++;
                scrapeBytes = text.length;
              });
          }, 1000);
          const run = await postSingle(ctx, on, '/metrics/bench/latency');
          clearInterval(scraper);
          return run;
        },
        note: () => `; ${scrapes} scrapes of ${scrapeBytes.toLocaleString('en-US')} B`,
      },
    ]);
  },
};
