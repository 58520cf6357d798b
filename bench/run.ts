// `npm run bench`: every benchmark, one after another in one run, each printing its figures and the ratios
// between what it compares side by side.
import { runAlipayBench } from './alipay.ts';
import { runDispenserBench } from './dispenser.ts';
import { runSellingPollLatencyBench } from './selling-poll-latency.ts';

await runAlipayBench();
await runSellingPollLatencyBench(30);
await runDispenserBench();
