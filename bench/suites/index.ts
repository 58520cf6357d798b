// Every suite, in the order `npm run bench` runs them (the figures the issue asks for first).
import type { Suite } from '../lib/suite.ts';
import { boardLinkSuite } from './board-link.ts';
import { confirmationSuite } from './confirmation.ts';
import { cryptoSuite } from './crypto.ts';
import { dispenserSuite } from './dispenser.ts';
import { footprintSuite } from './footprint.ts';
import { relayCapacitySuite } from './relay-capacity.ts';
import { startupSuite } from './startup.ts';
import { tapToQrSuite } from './tap-to-qr.ts';

export const SUITES: readonly Suite[] = [
  confirmationSuite,
  tapToQrSuite,
  boardLinkSuite,
  relayCapacitySuite,
  startupSuite,
  footprintSuite,
  cryptoSuite,
  dispenserSuite,
];
