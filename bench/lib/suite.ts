// What a benchmark suite is to the runner: a name to select it by, and a run that fills a FigureSet.
import type { FigureSet } from './figures.ts';

export interface SuiteContext {
  /** Brief runs for CI: every path exercised, few samples; timing never fails a quick run. */
  readonly quick: boolean;
  readonly figures: FigureSet;
  /** A progress line on stderr (the table and the JSON are the results). */
  readonly progress: (line: string) => void;
}

export interface Suite {
  readonly name: string;
  readonly title: string;
  run(ctx: SuiteContext): Promise<void>;
}
