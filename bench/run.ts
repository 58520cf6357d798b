// `npm run bench`: every benchmark, one after another in one process run, each printing its figures and the
// ratios between what it compares side by side.
import { runAlipayBench } from './alipay.ts';

await runAlipayBench();
