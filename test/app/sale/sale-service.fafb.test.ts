// The sale lifecycle against real parts with a fafb board: the scenarios are in sale-service-scenarios.ts.
import { saleServiceScenarios } from './sale-service-scenarios.ts';

saleServiceScenarios('fafb');
