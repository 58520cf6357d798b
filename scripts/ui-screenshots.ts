// Photographs every screen of the kiosk UI at the three supported sizes (the same walk the layout tests
// check, against the same fake agent) into docs/ui/, and rewrites the screenshot table in docs/ui.md between
// its markers. Run: `npx tsx scripts/ui-screenshots.ts` (needs /usr/bin/chromium; writes only docs/).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKioskUiRig } from '../test/renderer/harness.ts';
import { SCREEN_SIZES, tourScreens } from '../test/renderer/screen-tour.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'docs', 'ui');
const doc = path.join(root, 'docs', 'ui.md');
const BEGIN = '<!-- screenshots:begin (scripts/ui-screenshots.ts writes this table) -->';
const END = '<!-- screenshots:end -->';

async function main(): Promise<void> {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const rig = await startKioskUiRig();
  const rows = new Map<string, { label: string; shots: Map<string, string> }>();
  try {
    for (const size of SCREEN_SIZES) {
      rig.agent.reset();
      const { context, page } = await rig.newPage({ width: size.width, height: size.height });
      const seen = new Map<string, number>();
      await tourScreens(page, rig, async (screen, label) => {
        const n = (seen.get(screen) ?? 0) + 1;
        seen.set(screen, n);
        const key = n === 1 ? screen : `${screen}-${n}`;
        const file = `${size.name}-${key}.jpg`;
        await page.screenshot({ path: path.join(outDir, file), type: 'jpeg', quality: 60 });
        const row = rows.get(key) ?? { label: `\`${screen}\` — ${label}`, shots: new Map() };
        row.shots.set(size.name, file);
        rows.set(key, row);
      });
      await context.close();
    }
  } finally {
    await rig.close();
  }
  const header = `| screen | ${SCREEN_SIZES.map((s) => `${s.name} ${s.width}×${s.height}`).join(' | ')} |`;
  const rule = `| --- | ${SCREEN_SIZES.map(() => '---').join(' | ')} |`;
  const lines = [...rows.values()].map(
    (row) =>
      `| ${row.label} | ${SCREEN_SIZES.map((s) => {
        const file = row.shots.get(s.name);
        return file === undefined
          ? ''
          : `<img src="ui/${file}" width="${s.name === 'portrait' ? 120 : 220}">`;
      }).join(' | ')} |`,
  );
  const table = [BEGIN, header, rule, ...lines, END].join('\n');
  const text = fs.readFileSync(doc, 'utf8');
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < 0) throw new Error(`docs/ui.md lacks the markers ${BEGIN} … ${END}`);
  fs.writeFileSync(doc, text.slice(0, start) + table + text.slice(end + END.length));
  console.log(
    `${rows.size} screens × ${SCREEN_SIZES.length} sizes written to ${path.relative(root, outDir)}/`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
