// Every screen of the kiosk UI at the portrait size: see layout-checks.ts.
import { describeLayout } from './layout-checks.ts';
import { SCREEN_SIZES } from './screen-tour.ts';

describeLayout(SCREEN_SIZES[1]);
