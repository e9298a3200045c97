// docs/performance.md and docs/performance/*.svg are generated from bench/results/*.json: this
// fails when someone commits new results without rendering them, or edits the page by hand.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PAGE, PLOTS, differences, render, write } from './report';

describe('docs/performance.md', () => {
  it('is what the committed bench results render to (npm run bench:report)', () => {
    const stale = differences(render());
    if (stale.length > 0) {
      throw new Error(
        `out of date with bench/results/*.json: ${stale.join(', ')}; run npm run bench:report`,
      );
    }
    expect(stale).toEqual([]);
  }, 60_000);

  it('the check notices a changed page, a changed plot, a new plot and a stale one', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'orfleet-report-'));
    try {
      const rendered = render();
      write(rendered, root);
      expect(differences(rendered, root)).toEqual([]);
      const [first, second, ...rest] = Object.keys(rendered.svgs);
      const changed = {
        markdown: `${rendered.markdown}\nhand edit\n`,
        svgs: {
          ...Object.fromEntries(rest.map((name) => [name, rendered.svgs[name]!])),
          [second!]: `${rendered.svgs[second!]!}<!-- changed -->`,
          'new-plot.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
        },
      };
      expect(differences(changed, root).sort()).toEqual(
        [
          PAGE,
          `${PLOTS}/${second!}`,
          `${PLOTS}/new-plot.svg`,
          `${PLOTS}/${first!} (no longer rendered)`,
        ].sort(),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
